"""The space above a simulated reader: which band is in it, and what the person does next.

A box-office station is a reader, a box of blank bands and a person who taps
one band after another and takes each away when the station is done with it.
The field plays that person (``auto_feed``) and the hazards of a busy
counter: a band pulled half-way through a write (tearing), a band taken away
mid-session, a hotel key card or a band from another system put on the
reader, the reader cable pulled out.

The person knows the station is done with a band in one of two ways:

- the reader beeps (``beep()``): readers with a buzzer, such as the in-process
  simulated device;
- the reader only checks whether the band is still there: presence checks in
  a row (a wake-up and a direct select of the band's UID, with no command in
  between), which is what a station waiting for the band to go does. This is
  all a reader without a buzzer shows, as nfcpy's ``udp`` driver, whose
  protocol has frames and ``RFOFF`` and nothing else. At the second check
  the person has the band in hand and taps the next one; at the third when
  the last command was refused or went unanswered, because nfcpy (and the
  band writer) select a band once again by themselves after that
  (NFC-NOTES trap 4) and then go on working with it.

And when the reader keeps polling an empty field (a band pulled mid-write, or
taken away mid-session), the person taps the next band from the box (the
pulled one, if it was put back on top) at the second empty poll.

Both transports call ``transceive`` and ``rf_off``: the in-process nfcpy
device and the UDP server. A lock makes it safe for a test (or the demo) to
change the field from another thread while the reader is talking to it.

The field also adds up modelled radio time from the NTAG213 datasheet
figures, so a benchmark can compare software time against air time.
"""

from __future__ import annotations

import logging
import random
import threading
import time
from collections import deque
from collections.abc import Iterable

from hardware.readers.sim.iso14443a import (
    NVB_SELECT,
    REQA,
    SAK_CASCADE,
    SEL_CL1,
    SEL_CL2,
    SEL_CL3,
    WUPA,
    SimulatedTag,
)
from hardware.readers.sim.ntag import ACK, COMPATIBILITY_WRITE, NTAG213, WRITE, NtagModel, SimulatedNtag

log = logging.getLogger(__name__)


# 106 kbit/s, 8 data bits + parity, CRC_A on every frame after anticollision.
_SECONDS_PER_BYTE = 9 / 106_000
_TURNAROUND = 86e-6  # FDT between the reader's frame and the tag's answer
_EEPROM_WRITE = 4.1e-3  # NTAG21x page programming time


def radio_time(frame: bytes, response: bytes | None) -> float:
    """Air time of one exchange by the datasheet (READ: ~0.37 ms out, ~1.55 ms back)."""
    out = (len(frame) + 2) * _SECONDS_PER_BYTE
    back = (len(response) + 2) * _SECONDS_PER_BYTE if response else 0.0
    write = _EEPROM_WRITE if frame[:1] in (bytes([WRITE]), bytes([COMPATIBILITY_WRITE])) else 0.0
    return out + _TURNAROUND + back + write


def blank_bands(count: int, model: NtagModel = NTAG213, seed: int | None = None) -> list[SimulatedNtag]:
    """``count`` factory-fresh bands with distinct NXP UIDs (reproducible with a seed)."""
    rng = random.Random(seed)
    seen: set[bytes] = set()
    bands: list[SimulatedNtag] = []
    while len(bands) < count:
        uid = b"\x04" + rng.randbytes(6)
        if uid not in seen:
            seen.add(uid)
            bands.append(SimulatedNtag(uid, model))
    return bands


class SimulatedField:
    """At most one tag in range, a stack of tags waiting, and the faults to inject."""

    def __init__(self, bands: Iterable[SimulatedTag] = (), *, auto_feed: bool = True, realtime: bool = False):
        self._lock = threading.RLock()
        self.stack: deque[SimulatedTag] = deque(bands)
        self.tag: SimulatedTag | None = None
        self.finished: list[SimulatedTag] = []
        self.auto_feed = auto_feed
        self.realtime = realtime  # sleep the modelled radio time, for end-to-end timing
        self.plugged = True
        self.radio_seconds = 0.0
        self.exchanges = 0
        self.writes = 0
        self.beeps = 0
        self._tear_countdown: int | None = None
        self._remove_countdown: int | None = None
        self._retap_after_tear = False
        self._hold_countdown: int | None = None
        self.held = threading.Event()  # set while the band is frozen mid-write (``hold_after``)
        # What the person sees of the reader (see the module docstring).
        self._woken_without_anticollision = False  # a wake-up, and no anticollision since: a direct select
        self._presence_checks = 0  # presence checks in a row the band answered, nothing else between
        self._last_command_refused = False  # the last command got a NAK or no answer
        self._empty_polls = 0  # wake-ups in a row that found the field empty
        if auto_feed:
            self.tap_next()

    # -- what the person does ------------------------------------------------------

    def place(self, tag: SimulatedTag) -> None:
        """Put ``tag`` on the reader (whatever was there is taken away first)."""
        with self._lock:
            self.remove()
            tag.power_off()
            self.tag = tag
            self._presence_checks = 0

    def remove(self) -> SimulatedTag | None:
        """Take the tag in the field away; it loses power and any authentication."""
        with self._lock:
            tag, self.tag = self.tag, None
            if tag is not None:
                tag.power_off()
            self._presence_checks = 0
            return tag

    def tap_next(self) -> SimulatedTag | None:
        """Put the next band from the stack on the reader; None when the box is empty."""
        with self._lock:
            self.remove()
            if self.stack:
                self.place(self.stack.popleft())
            return self.tag

    def beep(self) -> None:
        """The reader signalled it is done with this band: with auto-feed, the person takes the next."""
        with self._lock:
            self.beeps += 1
            if self.auto_feed:
                self._take_away_and_tap_next()

    def _take_away_and_tap_next(self) -> None:
        done = self.remove()
        if done is not None:
            self.finished.append(done)
        self.tap_next()

    def _watch_reader(self, frame: bytes) -> None:
        """Before a frame is answered: what the person does on seeing the reader send it (auto-feed only)."""
        wake = len(frame) == 1 and frame[0] in (REQA, WUPA)
        if not wake:
            return
        # After a refused or unanswered command the reader selects the band again on its own (nfcpy
        # does, NFC-NOTES trap 4): that one check does not mean it is done.
        wanted = 2 if self._last_command_refused else 1
        if self.tag is not None and self._presence_checks >= wanted:
            log.debug("band %s only checked for: the person takes it, taps the next", self.tag.uid.hex())
            self._take_away_and_tap_next()
        elif self.tag is None and self.stack and self._empty_polls >= 1:
            log.debug("the reader polls an empty field: the person taps the next band")
            self.tap_next()

    def _note_exchange(self, frame: bytes, response: bytes | None) -> None:
        """After a frame: count presence checks in a row, and empty polls."""
        wake = len(frame) == 1 and frame[0] in (REQA, WUPA)
        activation = len(frame) >= 2 and frame[0] in (SEL_CL1, SEL_CL2, SEL_CL3)
        if wake:
            self._woken_without_anticollision = True
            self._empty_polls = self._empty_polls + 1 if response is None else 0
        elif activation and frame[1] == NVB_SELECT and self._woken_without_anticollision:
            if response is None:
                self._presence_checks = 0
            elif not response[0] & SAK_CASCADE:  # the last cascade level: one whole presence check
                self._presence_checks += 1
        else:  # anticollision, or a command to the band: the reader is working with it
            self._woken_without_anticollision = False
            self._presence_checks = 0
            if not activation:
                self._last_command_refused = response is None or (len(response) == 1 and response != ACK)

    # -- faults ------------------------------------------------------------------------

    def tear_after(self, writes: int, retap: bool = True) -> None:
        """The band is pulled after ``writes`` more WRITE commands; the one after never lands.

        With ``retap`` the person puts that same band back on top of the stack, as staff do
        when the station says "tap again".
        """
        with self._lock:
            self._tear_countdown = writes
            self._retap_after_tear = retap

    def remove_after(self, exchanges: int) -> None:
        """The band is taken away after ``exchanges`` more commands (a band pulled mid-session)."""
        with self._lock:
            self._remove_countdown = exchanges

    def hold_after(self, writes: int) -> threading.Event:
        """The field goes silent at the WRITE after ``writes`` more have landed, until ``release()``.

        A station frozen in the middle of a band, for as long as a test needs:
        the band's pending row is written and its writes have begun, so a crash
        test can kill the station there on a condition instead of on timing.
        Returns the event that is set once the field has gone silent.
        """
        with self._lock:
            self._hold_countdown = writes
            self.held.clear()
            return self.held

    def release(self) -> None:
        """End a hold: the band answers again (from the next wake-up, as after any lost frame)."""
        with self._lock:
            self._hold_countdown = None
            self.held.clear()

    def clear_faults(self) -> None:
        """Forget a tear, removal or hold that has not happened yet (the session ended before it)."""
        with self._lock:
            self._tear_countdown = None
            self._remove_countdown = None
            self._hold_countdown = None
            self.held.clear()

    def unplug(self) -> None:
        with self._lock:
            self.plugged = False
            if self.tag is not None:
                self.tag.power_off()

    def replug(self) -> None:
        with self._lock:
            self.plugged = True

    # -- what the reader does ---------------------------------------------------------

    def rf_off(self) -> None:
        with self._lock:
            if self.tag is not None:
                self.tag.power_off()

    def transceive(self, frame: bytes) -> bytes | None:
        """One frame to whatever is in the field; None means no answer within the frame time."""
        frame = bytes(frame)
        with self._lock:
            if self.auto_feed:
                self._watch_reader(frame)
            response, seconds = self._transceive(frame)
            self._note_exchange(frame, response)
        if self.realtime and seconds:
            time.sleep(seconds)
        return response

    def _transceive(self, frame: bytes) -> tuple[bytes | None, float]:
        """The answer to ``frame`` and the radio time it took (0 when no tag heard it)."""
        with self._lock:
            self.exchanges += 1
            tag = self.tag
            if tag is None:
                return None, 0.0
            if self._remove_countdown is not None:
                if self._remove_countdown <= 0:
                    self._remove_countdown = None
                    log.debug("simulated band %s taken away mid-session", tag.uid.hex())
                    self.remove()
                    return None, 0.0
                self._remove_countdown -= 1
            is_write = frame[:1] in (bytes([WRITE]), bytes([COMPATIBILITY_WRITE]))
            if self.held.is_set():
                return None, 0.0
            if is_write and self._hold_countdown is not None:
                if self._hold_countdown <= 0:
                    log.debug("simulated field frozen at a write to band %s", tag.uid.hex())
                    self.held.set()
                    return None, 0.0
                self._hold_countdown -= 1
            if is_write and self._tear_countdown is not None:
                if self._tear_countdown <= 0:
                    self._tear_countdown = None
                    log.debug("simulated band %s pulled during a write", tag.uid.hex())
                    self.remove()
                    if self._retap_after_tear:
                        self.stack.appendleft(tag)
                    return None, 0.0
                self._tear_countdown -= 1
            response = tag.process(frame)
            if is_write and response == b"\x0a":
                self.writes += 1
            seconds = radio_time(frame, response)
            self.radio_seconds += seconds
        return response, seconds
