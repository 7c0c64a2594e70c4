"""A sale's receipt: one HTML document, printed through the system's print dialog or saved as a PDF.

``QTextDocument`` lays it out and ``QPrinter`` renders it, so the printed
page and the PDF are the same document. Painting stays on the GUI thread
(``QTextDocument`` and its painter are not to be used from a worker) and is
quick, one page into memory (``pdf_bytes``); the file write is the slow part,
so the Sales page hands those bytes to ``ui.ops`` to write.
"""

from __future__ import annotations

from collections import Counter
from html import escape
from pathlib import Path

from PySide6.QtCore import QBuffer, QByteArray, QIODevice
from PySide6.QtGui import QPageSize, QPdfWriter, QTextDocument
from PySide6.QtPrintSupport import QPrintDialog, QPrinter
from PySide6.QtWidgets import QWidget

from boxoffice.domain.enums import PaymentKind
from boxoffice.domain.money import format_money
from boxoffice.schemas.sales import OrderView


def receipt_html(order: OrderView, *, organization: str = "Box office") -> str:
    """The receipt as HTML: the booking reference large, the lines, the payment, the ticket codes."""
    lines = Counter((t.product, t.price_minor) for t in order.tickets)
    rows = "".join(f"<tr><td>{n} × {escape(name)}</td>"
                   f"<td align='right'>{format_money(n * price, order.currency)}</td></tr>"
                   for (name, price), n in sorted(lines.items()))
    if order.payment is PaymentKind.CASH:
        paid = (f"Cash tendered {format_money(order.tendered_minor or 0, order.currency)}, "
                f"change {format_money(order.change_minor or 0, order.currency)}")
    elif order.payment is PaymentKind.CARD:
        paid = f"Card, reference {escape(order.card_reference or '')}"
    else:
        paid = f"Complimentary: {escape(order.comp_reason or '')}"
    holder = escape(", ".join(x for x in (order.holder_name, order.holder_email) if x))
    codes = ", ".join(escape(t.code) for t in order.tickets)
    return (
        f"<h3>{escape(organization)}</h3>"
        f"<p>Booking reference</p><h1 style='font-size:28pt'>{escape(order.reference)}</h1>"
        f"<p>{order.sold_at:%Y-%m-%d %H:%M} UTC{' · ' + escape(order.station) if order.station else ''}</p>"
        + (f"<p>For {holder}</p>" if holder else "")
        + f"<table width='100%'>{rows}<tr><td><b>Total</b></td>"
        f"<td align='right'><b>{format_money(order.total_minor, order.currency)}</b></td></tr></table>"
        f"<p>{paid}</p><p>Tickets: {codes}</p>"
    )


def document(order: OrderView) -> QTextDocument:
    doc = QTextDocument()
    doc.setHtml(receipt_html(order))
    return doc


def pdf_bytes(order: OrderView) -> bytes:
    """The receipt as a PDF in memory (A6, a receipt's size); GUI thread, one page: a few milliseconds."""
    data = QByteArray()
    buffer = QBuffer(data)
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    writer = QPdfWriter(buffer)
    writer.setPageSize(QPageSize(QPageSize.PageSizeId.A6))
    writer.setResolution(300)
    writer.setTitle(f"Receipt {order.reference}")
    document(order).print_(writer)
    del writer  # finishes the PDF into the buffer
    buffer.close()
    return bytes(data.data())


def save_pdf(order: OrderView, path: Path) -> Path:
    """Write the receipt to ``path`` as a PDF, all at once (scripts; the page writes through ``ui.ops``)."""
    path.write_bytes(pdf_bytes(order))
    return path


def print_receipt(order: OrderView, parent: QWidget) -> bool:
    """The system's print dialog, then the receipt on the chosen printer; False when cancelled."""
    printer = QPrinter(QPrinter.PrinterMode.HighResolution)
    dialog = QPrintDialog(printer, parent)
    dialog.setWindowTitle(f"Print the receipt of {order.reference}")
    if dialog.exec() != QPrintDialog.DialogCode.Accepted:
        return False
    document(order).print_(printer)
    return True
