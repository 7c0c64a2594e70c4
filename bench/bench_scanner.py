"""Gate scanner page benchmark: tap-to-answer time on the page, online and offline, and the queue.

Headless Chromium (Debian's, through playwright) on ``/scanner/`` of a real
server process over loopback, with the Web NFC stand-in of the tests
delivering readings of real signed payloads. Every figure is measured in
the page (``performance.now()``) from the reading to the answer on screen
(IndexedDB write of the tap included), and set against the bare
``GET /api/health`` round trip from the same page in the same run:

- **online**: each tap goes to ``/api/verify`` (decision and writes on the
  server) and the answer is shown;
- **offline**: the server is stopped; each tap is decided on the page (band
  list from IndexedDB, Ed25519 signature check over payload + UID, lease)
  and queued;
- **queue**: ``--queue`` taps queued offline, then the server restarted: how
  long until the page has uploaded them all (sync push, 200 a batch), as
  uploads per second, and the IndexedDB space a queued scan takes.

Run: ``python bench/bench_scanner.py [--taps 200] [--queue 2000]``. Uses the
tests' seeding helpers (``tests/helpers/scanner.py``), so run it from the
repository root.
"""

from __future__ import annotations

import argparse
import base64
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.helpers.scanner import CHROMIUM, PHONE, ScannerPage, seed_gate_world, serial
from tests.helpers.servers import ServerProcess, free_port

_LOOP = """async ([kind, readings]) => {
  const out = [];
  for (const [serial, payload] of readings) {
    const t0 = performance.now();
    if (kind === "health") {
      await fetch("../api/health", { cache: "no-store" });
    } else {
      const records = [];
      if (payload) {
        const bytes = Uint8Array.from(atob(payload), (c) => c.charCodeAt(0));
        records.push({ recordType: "bxo.app:b", data: new DataView(bytes.buffer) });
      }
      await window.scanner.read({ serialNumber: serial, message: { records } });
    }
    out.push(performance.now() - t0);
  }
  return out;
}"""


def _stats(ms: list[float]) -> dict[str, float]:
    ordered = sorted(ms)
    p99 = ordered[min(len(ordered) - 1, int(0.99 * len(ordered)))]
    return {"n": len(ms), "p50": statistics.median(ordered), "p99": p99, "mean": statistics.fmean(ordered)}


def _line(name: str, s: dict[str, float], base: dict[str, float] | None) -> str:
    ratio = f"{s['p50'] / base['p50']:6.2f}x health" if base else ""
    return f"{name:<34} {s['n']:>6} {s['p50']:>9.2f} {s['p99']:>9.2f} {s['mean']:>9.2f}  {ratio}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--taps", type=int, default=200, help="taps timed online and offline (each)")
    parser.add_argument("--queue", type=int, default=2000, help="taps queued offline, then uploaded")
    parser.add_argument("--workdir", type=Path, default=None)
    args = parser.parse_args(argv)
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory(prefix="bench-scanner-") as tmp:
        work = args.workdir or Path(tmp)
        bands = max(args.taps * 2, 20)
        world = seed_gate_world(work / "server.db", bands=bands, capacity=1_000_000)
        ga = world.uids["ga"]
        signed = {uid: base64.b64encode(world.sign(uid)).decode() for uid in ga}
        server = ServerProcess(work / "server.db", work / "server.log", port=free_port())
        server.start(time.monotonic() + 60)
        results: dict[str, Any] = {}
        try:
            with sync_playwright() as p:
                browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
                page = ScannerPage(browser.new_context(viewport=PHONE).new_page(), server.url)
                page.login(world.token, world.ids["series"], world.ids["gate:Main"])
                page.page.evaluate(_LOOP, ["health", [["", None]] * 20])  # warm up the connection
                health = _stats(page.page.evaluate(_LOOP, ["health", [["", None]] * args.taps]))
                online_taps = [[serial(uid), signed[uid]] for uid in ga[:args.taps]]
                online = _stats(page.page.evaluate(_LOOP, ["tap", online_taps]))

                server.stop()
                # The first tap finds the server gone.
                page.page.evaluate(_LOOP, ["tap", [[serial(ga[-1]), signed[ga[-1]]]]])
                assert not page.state("online")
                offline_taps = [[serial(uid), signed[uid]] for uid in ga[args.taps:2 * args.taps]]
                offline = _stats(page.page.evaluate(_LOOP, ["tap", offline_taps]))
                # The queue: the same bands again and again (denied: already inside), each a scan to keep.
                usage_before = page.page.evaluate("navigator.storage.estimate().then(e => e.usage)")
                started = time.perf_counter()
                batch = [[serial(uid), signed[uid]] for uid in ga[:args.queue]]
                queued_taps = 0
                while queued_taps < args.queue:
                    part = batch[: args.queue - queued_taps]
                    page.page.evaluate(_LOOP, ["tap", part])
                    queued_taps += len(part)
                enqueue_s = time.perf_counter() - started
                queued = page.queued()
                usage_after = page.page.evaluate("navigator.storage.estimate().then(e => e.usage)")
                server.start(time.monotonic() + 60)
                started = time.perf_counter()
                page.wait_uploaded(timeout_ms=600_000)
                upload_s = time.perf_counter() - started
                browser.close()
            results = {
                "health": health, "online": online, "offline": offline, "queued": queued,
                "enqueue_per_s": queued_taps / enqueue_s, "upload_s": upload_s,
                "uploads_per_s": queued / upload_s,
                "bytes_per_queued_scan": max(0, usage_after - usage_before) / max(1, queued_taps),
            }
        finally:
            server.stop()
            world.live.store.dispose()
    print(f"{'tap to answer (ms, in the page)':<34} {'n':>6} {'p50':>9} {'p99':>9} {'mean':>9}")
    print(_line("GET /api/health (baseline)", results["health"], None))
    print(_line("online: /api/verify + screen", results["online"], results["health"]))
    print(_line("offline: decided on the page", results["offline"], results["health"]))
    print(f"queue: {results['queued']:,} scans waiting ({results['offline']['n'] + 1:,} offline taps before "
          f"them included), queued at {results['enqueue_per_s']:,.0f}/s, "
          f"~{results['bytes_per_queued_scan']:,.0f} bytes of IndexedDB each")
    print(f"upload when the server came back: {results['uploads_per_s']:,.0f} scans/s "
          f"({results['upload_s']:.2f} s, incl. the page noticing within its 2 s probe)")
    print(json.dumps(results, default=float), file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
