"""Keeps the garbage collector's full passes short once the window is up.

A full collection walks every container object the process holds, with the
GIL held: no thread, the GUI thread included, runs meanwhile. A sync that
applies 100,000 rows allocates enough to trigger several full passes, and
each pass then walks everything imported and built at start-up as well
(Qt wrappers, SQLAlchemy's mappers, the pages): measured, half a second per
pass on a loaded machine, several seconds in a larger process. Those objects
live as long as the window, so they are moved out of the collector's sight
once, after start-up (``gc.freeze``), and a pass walks only what was made
since.
"""

from __future__ import annotations

import gc
import logging

log = logging.getLogger(__name__)


def settle_heap() -> None:
    """Collect what start-up left behind, then freeze the rest: call once the window is built."""
    gc.collect()
    gc.freeze()
    log.debug("%d objects frozen out of the collector's passes", gc.get_freeze_count())
