"""Writes the encoding station's tones into resources/sounds (run once; the WAVs are committed).

Short, distinct and unlike a phone's ring: a rising two-note chirp for a good
band, a low double buzz for a failure, a single mid note for a duplicate.
Generated rather than downloaded so their origin is this file.
"""

from __future__ import annotations

import math
import struct
import wave
from pathlib import Path

RATE = 44_100
OUT = Path(__file__).resolve().parent.parent / "resources" / "sounds"


def tone(freq: float, seconds: float, volume: float = 0.45) -> list[float]:
    n = int(RATE * seconds)
    fade = int(RATE * 0.008)
    out = []
    for i in range(n):
        envelope = min(1.0, i / fade, (n - i) / fade)
        out.append(volume * envelope * math.sin(2 * math.pi * freq * i / RATE))
    return out


def silence(seconds: float) -> list[float]:
    return [0.0] * int(RATE * seconds)


def square(freq: float, seconds: float, volume: float = 0.25) -> list[float]:
    return [volume * (1.0 if s >= 0 else -1.0) for s in tone(freq, seconds, 1.0)]


def write(name: str, samples: list[float]) -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    with wave.open(str(OUT / name), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(RATE)
        w.writeframes(b"".join(struct.pack("<h", int(max(-1, min(1, s)) * 32767)) for s in samples))


def main() -> None:
    write("ok.wav", tone(880, 0.09) + tone(1320, 0.14))
    write("error.wav", square(220, 0.16) + silence(0.06) + square(220, 0.16))
    write("duplicate.wav", tone(660, 0.18))


if __name__ == "__main__":
    main()
