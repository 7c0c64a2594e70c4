"""The event tree: events, and under each its series with their lifecycle in colour and in words."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QBrush
from PySide6.QtWidgets import QTreeWidget, QTreeWidgetItem, QWidget

from boxoffice.schemas.event import EventView
from boxoffice.schemas.series import SeriesView
from ui.style import STATUS_WORDS, local_text, status_color

ROLE_KIND = Qt.ItemDataRole.UserRole
ROLE_ID = Qt.ItemDataRole.UserRole + 1


@dataclass(frozen=True)
class EventNode:
    event: EventView
    series: list[SeriesView]


def children(item: QTreeWidgetItem) -> list[QTreeWidgetItem]:
    """An item's children, in order."""
    return [c for c in (item.child(i) for i in range(item.childCount())) if c is not None]


class EventTree(QTreeWidget):
    """Emits ``series_selected(series_id)`` or ``event_selected(event_id)`` as the selection moves."""

    series_selected = Signal(object)
    event_selected = Signal(object)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("eventTree")
        self.setHeaderLabels(["Event / series", "Status", "Starts"])
        self.setColumnWidth(0, 170)
        self.setColumnWidth(1, 80)
        self.setUniformRowHeights(True)
        self.itemSelectionChanged.connect(self._selection)
        self._items: dict[uuid.UUID, QTreeWidgetItem] = {}

    def populate(self, nodes: list[EventNode]) -> None:
        """Replace the tree, keeping the selection and which events were expanded."""
        chosen = self.selected_id()
        expanded = {top.data(0, ROLE_ID) for top in self.top_level_items() if top.isExpanded()}
        first_fill = self.topLevelItemCount() == 0
        self.blockSignals(True)
        try:
            self.clear()
            self._items.clear()
            for node in nodes:
                tz = ZoneInfo(node.event.timezone)
                top = QTreeWidgetItem([node.event.name, "", node.event.timezone])
                top.setData(0, ROLE_KIND, "event")
                top.setData(0, ROLE_ID, node.event.id)
                font = top.font(0)
                font.setBold(True)
                top.setFont(0, font)
                self.addTopLevelItem(top)
                self._items[node.event.id] = top
                items: dict[uuid.UUID, QTreeWidgetItem] = {}
                for s in node.series:
                    item = QTreeWidgetItem([s.name, STATUS_WORDS[s.status],
                                            local_text(s.starts_at, tz, "%a %d %b %H:%M")])
                    item.setData(0, ROLE_KIND, "series")
                    item.setData(0, ROLE_ID, s.id)
                    item.setForeground(1, QBrush(status_color(s.status)))
                    item.setToolTip(1, f"{s.name} is {STATUS_WORDS[s.status].lower()}")
                    items[s.id] = item
                    self._items[s.id] = item
                # Generated series sit under their parent, whatever the dates' order.
                for s in node.series:
                    holder = items.get(s.parent_series_id) if s.parent_series_id else None
                    (holder or top).addChild(items[s.id])
                top.setExpanded(first_fill or node.event.id in expanded)
                for item in items.values():
                    item.setExpanded(True)
        finally:
            self.blockSignals(False)
        for column in range(self.columnCount()):  # a long event name is not cut to "Northern Lights 20…"
            self.resizeColumnToContents(column)
        if chosen is not None and chosen in self._items:
            self.select(chosen)

    def top_level_items(self) -> list[QTreeWidgetItem]:
        """The events' items, in order."""
        tops = (self.topLevelItem(i) for i in range(self.topLevelItemCount()))
        return [top for top in tops if top is not None]

    def select(self, item_id: uuid.UUID) -> None:
        item = self._items.get(item_id)
        if item is not None:
            self.setCurrentItem(item)

    def selected_id(self) -> uuid.UUID | None:
        items = self.selectedItems()
        return items[0].data(0, ROLE_ID) if items else None

    def selected_kind(self) -> str | None:
        items = self.selectedItems()
        return items[0].data(0, ROLE_KIND) if items else None

    def event_of_selection(self) -> uuid.UUID | None:
        items = self.selectedItems()
        if not items:
            return None
        item = items[0]
        while (parent := item.parent()) is not None:
            item = parent
        return item.data(0, ROLE_ID)

    def _selection(self) -> None:
        kind, ident = self.selected_kind(), self.selected_id()
        if kind == "series":
            self.series_selected.emit(ident)
        elif kind == "event":
            self.event_selected.emit(ident)
