"""PDF and CSV reports: what happened at a series, an event, its gates, its box office and its sync.

``build.build_report`` reads the store (aggregating in SQL) into a plain :class:`~.model.Report`;
``pdf.render_pdf`` lays it out, ``csv_export.write_csv`` writes its tables. Building and rendering
are separate so the desktop can do both on a worker thread and the benchmark can time them apart.
This package's own import is light (no reportlab), so the desktop window can list the report kinds
without paying for the PDF library until a report is made.
"""

from __future__ import annotations

from boxoffice.reports.kinds import PERMISSION, TITLES, ReportKind

__all__ = ["PERMISSION", "TITLES", "ReportKind"]
