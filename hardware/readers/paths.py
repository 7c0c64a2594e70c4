"""Reader paths as a person types them (``--reader``) to the reader that serves them.

- ``sim``, ``sim:ntag215``, ``sim:ntag216``: a simulated reader in this
  process with a box of blank bands, taken away and replaced at each beep;
- ``pcsc`` or ``pcsc:NAME``: the first PC/SC reader (whose name contains NAME);
- anything nfcpy accepts: ``usb``, ``usb:VID``, ``usb:VID:PID``, ``usb:BUS:DEV``,
  ``tty:PORT:DRIVER``, ``com:PORT:DRIVER``, ``udp``, ``udp:HOST:PORT``.

A path nfcpy would not understand is refused here with a sentence, instead
of nfcpy's silent "no reader".
"""

from __future__ import annotations

import re

from hardware.readers.errors import ReaderPathError
from hardware.readers.reader import Reader

_NFCPY_PATH = re.compile(
    r"""^(
        usb(:[0-9a-fA-F]{4}(:[0-9a-fA-F]{4})?)?      # usb, usb:054c, usb:054c:06c3
      | usb:[0-9]{1,3}(:[0-9]{1,3})?                 # usb:001, usb:001:004
      | (tty|com):[A-Za-z0-9.-]+(:[a-z0-9_]+)?       # tty:USB0:pn532, com:COM3:pn532
      | udp(:[A-Za-z0-9.-]*(:[0-9]{1,5})?)?          # udp, udp:localhost, udp:127.0.0.1:54321
    )$""",
    re.VERBOSE,
)
SIM_BANDS = 10_000


def is_nfcpy_path(path: str) -> bool:
    return bool(_NFCPY_PATH.match(path))


def reader_for(path: str) -> Reader:
    """An unopened reader for ``path``; ``ReaderPathError`` when the path means nothing."""
    path = path.strip()
    if path == "sim" or path.startswith("sim:"):
        from hardware.readers.sim import MODELS_BY_NAME, SimulatedField, blank_bands
        from hardware.readers.sim.device import simulated_reader

        model_name = path.partition(":")[2].lower() or "ntag213"
        model = MODELS_BY_NAME.get(model_name)
        if model is None:
            raise ReaderPathError(path, f"the simulator has {', '.join(sorted(MODELS_BY_NAME))}")
        return simulated_reader(SimulatedField(blank_bands(SIM_BANDS, model)))
    if path == "pcsc" or path.startswith("pcsc:"):
        from hardware.readers.pcsc import PcscReader

        return PcscReader(path.partition(":")[2])
    if is_nfcpy_path(path):
        from hardware.readers.nfcpy_reader import NfcpyReader

        return NfcpyReader(path)
    raise ReaderPathError(path)
