"""What every page needs, built once by the composition root (``ui.app``) and handed down.

Pages get the store, the member acting and the background runner from here
instead of reaching for globals, so a test builds a page over a real SQLite
file and a chosen role in three lines.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from PySide6.QtWidgets import QWidget

from boxoffice.domain.permissions import Action, describe, may, people_allowed
from boxoffice.services.actor import Actor
from boxoffice.store.database import Store
from ui.ops import Ops


@dataclass
class AppContext:
    store: Store
    actor: Actor
    ops: Ops
    station: str | None = None
    # Widgets an action guards, so a change of member re-applies the role's rights.
    _guarded: list[tuple[QWidget, Action, str]] = field(default_factory=list, repr=False)

    def may(self, action: Action) -> bool:
        return may(self.actor.role, action)

    def why_not(self, action: Action) -> str:
        """The tooltip of a disabled action: who may, so the person knows whom to ask."""
        people = people_allowed(action)
        who = people[0] if len(people) == 1 else ", ".join(people[:-1]) + " or " + people[-1]
        article = "an" if who[:1] in "aeiou" else "a"
        return f"Your role ({self.actor.role.value}) may not {describe(action)}; ask {article} {who}."

    def guard(self, widget: QWidget, action: Action, tooltip: str = "") -> None:
        """Disable ``widget`` with a tooltip saying why when the role may not take ``action``."""
        self._guarded.append((widget, action, tooltip))
        self._apply(widget, action, tooltip)

    def _apply(self, widget: QWidget, action: Action, tooltip: str) -> None:
        allowed = self.may(action)
        widget.setEnabled(allowed)
        widget.setProperty("roleAllowed", allowed)
        widget.setToolTip(tooltip if allowed else self.why_not(action))

    def allowed(self, widget: QWidget) -> bool:
        """Whether the role lets ``widget`` be used (a page may still disable it for other reasons)."""
        value = widget.property("roleAllowed")
        return True if value is None else bool(value)

    def set_actor(self, actor: Actor) -> None:
        self.actor = actor
        for widget, action, tooltip in self._guarded:
            self._apply(widget, action, tooltip)
