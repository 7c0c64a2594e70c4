"""The reports there are, their titles, and the permission each asks for (no reportlab: cheap to import)."""

from __future__ import annotations

from enum import StrEnum

from boxoffice.domain.permissions import Action


class ReportKind(StrEnum):
    SERIES = "series"
    EVENT = "event"
    GATES = "gates"
    RECONCILIATION = "reconciliation"
    CONFLICTS = "conflicts"
    CASHUP = "cashup"
    SALES = "sales"


TITLES = {
    ReportKind.SERIES: "Series report",
    ReportKind.EVENT: "Event report",
    ReportKind.GATES: "Gate throughput",
    ReportKind.RECONCILIATION: "Box-office reconciliation",
    ReportKind.CONFLICTS: "Sync conflicts",
    ReportKind.CASHUP: "Cash-up",
    ReportKind.SALES: "Sales per product and hour",
}
# Reconciliation names operators: per-person data, so it asks for what looking bands up asks for.
PERMISSION = {
    ReportKind.SERIES: Action.VIEW_METRICS,
    ReportKind.EVENT: Action.VIEW_METRICS,
    ReportKind.GATES: Action.VIEW_METRICS,
    ReportKind.RECONCILIATION: Action.VIEW_BANDS,
    ReportKind.CONFLICTS: Action.VIEW_METRICS,
    # A station's login cashes up its own sales; whose it sees is ``permissions.sales_seen``.
    ReportKind.CASHUP: Action.VIEW_OWN_SALES,
    # Booking rates: the managers' view of every sale.
    ReportKind.SALES: Action.VIEW_SALES,
}
