from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class View(BaseModel):
    """Read-only snapshot of rows, safe to hand to another thread or process."""

    model_config = ConfigDict(from_attributes=True, frozen=True)
