"""A place in the server's change log: (transaction id, sequence number), written ``"TXID.SEQ"``.

Shared by the server, which numbers and serves the log, and the stations,
which keep the position of the last change they applied. It travels as a
string so that one query parameter and one JSON field carry it whole.

A bare integer ``N`` is read as ``(0, N)``: the log numbered its changes
with one integer before it recorded transaction ids, and migration 0007 gave
every change logged until then the transaction id 0, so a station's cursor
from before the upgrade names exactly the same place afterwards.
"""

from __future__ import annotations

import re
from typing import NamedTuple

# At most 18 digits a part: every value fits a signed 64-bit column, so no
# cursor can make the database overflow.
PATTERN = r"^[0-9]{1,18}(\.[0-9]{1,18})?$"
_PARSE = re.compile(PATTERN)


class Position(NamedTuple):
    """Ordered as a tuple: by transaction id, then by the sequence number inside it."""

    txid: int
    seq: int

    def __str__(self) -> str:
        return f"{self.txid}.{self.seq}"

    @classmethod
    def parse(cls, text: str | int) -> Position:
        """``"TXID.SEQ"``, or a bare (pre-0007) sequence number, which has transaction id 0."""
        raw = str(text)
        if not _PARSE.match(raw):
            raise ValueError(f"{raw!r} is not a change log position (TXID.SEQ)")
        txid, _, seq = raw.partition(".")
        return cls(0, int(txid)) if not seq else cls(int(txid), int(seq))


START = Position(0, 0)
