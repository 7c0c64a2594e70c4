"""Simulated NTAG21x bands, MIFARE cards and a reader field, for tests, the demo and benchmarks.

Kept free of nfcpy except in ``device`` (the in-process nfcpy driver), so the
tags and the field can serve any transport.
"""

from hardware.readers.sim.field import SimulatedField, blank_bands
from hardware.readers.sim.iso14443a import SimulatedMifareClassic, SimulatedTag, SimulatedUltralight
from hardware.readers.sim.ntag import MODELS_BY_NAME, NTAG213, NTAG215, NTAG216, NtagModel, SimulatedNtag

__all__ = [
    "MODELS_BY_NAME",
    "NTAG213",
    "NTAG215",
    "NTAG216",
    "NtagModel",
    "SimulatedField",
    "SimulatedMifareClassic",
    "SimulatedNtag",
    "SimulatedTag",
    "SimulatedUltralight",
    "blank_bands",
]
