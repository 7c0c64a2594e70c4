"""HTTP load for the verify benchmark: closed and open loops on raw keep-alive connections.

Split out of ``bench_verify.py`` so the load machinery reads on its own:
what one level sends and measures (``drive``), the client it sends with
(``RawConnection``), and how a level is spread over several load-generator
processes (``GeneratorPool``) when a single Python process would be the
limit rather than the server. On this 2-core machine every generator
process competes with the server processes and PostgreSQL for the same
cores; the ``cli CPU`` figure and ``machine_busy`` say how much it took.

The child side of ``GeneratorPool`` is the benchmark script itself, run
with ``--loadgen`` (started once per run): for each level it reads one JSON
line (what to send), says ``ready``, reads the common start time, runs
``drive`` and writes its ``LevelResult`` as one JSON line.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import math
import os
import subprocess
import time
from collections import Counter
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import httpx

log = logging.getLogger("bench.loadgen")

# Long enough to outlast any honest queueing, short enough that a hung server ends the level.
REQUEST_TIMEOUT_S = 30.0
# Open loop: a tap sent more than this after its scheduled time (its connection was still
# waiting for the previous answer) is counted as late.
LATE_MS = 5.0
CLIENT_KINDS = ("raw", "httpx")
# A child that has not said "ready" by then is broken (it only imports and parses).
CHILD_READY_TIMEOUT_S = 60.0

RequestFactory = Callable[[int], tuple[str, str, dict[str, Any] | None]]
Send = Callable[[str, str, dict[str, Any] | None], Any]  # async: -> (status, body bytes)


class Window(Protocol):
    """What a level needs of the benchmark's configuration (``bench_verify.Config`` has it)."""

    @property
    def warmup(self) -> float: ...

    @property
    def seconds(self) -> float: ...

    @property
    def max_requests(self) -> int: ...

    @property
    def client(self) -> str: ...


@dataclass
class LevelResult:
    endpoint: str
    clients: int
    seconds: float
    completed: int  # requests that finished inside the measured window
    latencies_ms: list[float]  # every request started inside the measured window
    statuses: Counter[int]
    answers: Counter[str]
    failures: list[str]
    server_cpu: float | None  # share of one core over the window, all server processes together
    client_cpu: float  # share of one core, all load-generator processes together
    unsent: int = 0  # open loop: taps due in the window that the server's backlog kept from being sent
    late: int = 0  # open loop: taps sent more than LATE_MS after their scheduled time
    machine_busy: float | None = None  # cores busy over the window, everything on the machine
    load_procs: int = 1

    @property
    def rps(self) -> float:
        return self.completed / self.seconds

    def percentile(self, q: float) -> float:
        if not self.latencies_ms:
            return float("nan")
        ordered = sorted(self.latencies_ms)
        return ordered[min(len(ordered) - 1, max(0, round(q * len(ordered) + 0.5) - 1))]

    @property
    def non_200(self) -> int:
        return sum(n for s, n in self.statuses.items() if s != 200)

    @property
    def server_errors(self) -> int:
        return sum(n for s, n in self.statuses.items() if s >= 500 or s == 0)

    def to_json(self) -> str:
        fields = dict(vars(self))
        fields["statuses"] = {str(k): v for k, v in self.statuses.items()}
        return json.dumps(fields)

    @classmethod
    def from_json(cls, text: str) -> LevelResult:
        fields = json.loads(text)
        fields["statuses"] = Counter({int(k): v for k, v in fields["statuses"].items()})
        fields["answers"] = Counter(fields["answers"])
        return cls(**fields)

    @classmethod
    def merge(cls, parts: Sequence[LevelResult], server_cpu: float | None,
              machine_busy: float | None) -> LevelResult:
        """One level from the parts several generator processes measured over the same window."""
        first = parts[0]
        return cls(
            first.endpoint, sum(p.clients for p in parts), first.seconds, sum(p.completed for p in parts),
            [x for p in parts for x in p.latencies_ms], sum((p.statuses for p in parts), Counter()),
            sum((p.answers for p in parts), Counter()), [f for p in parts for f in p.failures][:5],
            server_cpu, sum(p.client_cpu for p in parts), sum(p.unsent for p in parts),
            sum(p.late for p in parts), machine_busy, len(parts),
        )


# --------------------------------------------------------------------------- CPU


def process_cpu_seconds(pid: int) -> float | None:
    """User + system CPU of a process (all its threads), from /proc; None where there is none."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, IndexError, ValueError):
        return None


def servers_cpu_seconds(pids: Sequence[int]) -> float | None:
    values = [process_cpu_seconds(p) for p in pids]
    return None if not values or any(v is None for v in values) else sum(v for v in values if v is not None)


def machine_ticks() -> tuple[int, int] | None:
    """(busy, total) jiffies of every core since boot, from /proc/stat: everything, other users too."""
    try:
        values = [int(v) for v in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    except (OSError, ValueError, IndexError):
        return None
    idle = values[3] + (values[4] if len(values) > 4 else 0)  # idle + iowait
    return sum(values) - idle, sum(values)


def busy_cores(before: tuple[int, int] | None, after: tuple[int, int] | None) -> float | None:
    """How many cores were busy on average between two ``machine_ticks`` readings."""
    if before is None or after is None or after[1] <= before[1]:
        return None
    return (after[0] - before[0]) / (after[1] - before[1]) * (os.cpu_count() or 1)


# --------------------------------------------------------------------------- the client


class TransportError(Exception):
    """The connection failed or the answer was not HTTP we understand: counted as status 0."""


class RawConnection:
    """One keep-alive HTTP/1.1 connection on asyncio streams: one gate device.

    Why not httpx: on this 2-core machine one ``httpx.AsyncClient`` pooling 50
    or 200 connections spends a whole core of its own and its rate collapses
    (GET /api/health: ~1,600/s at 5 clients, ~300/s at 50, ~120/s at 200, the
    server mostly idle; httpx issue #3215), so it measured httpx, not the
    server. This client writes a prepared request and reads status line,
    headers and a Content-Length body; anything else is a transport error.
    """

    def __init__(self, host: str, port: int, token: str) -> None:
        self.host, self.port = host, port
        self.head = f"Host: {host}:{port}\r\nAuthorization: Bearer {token}\r\n"
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def send(self, method: str, path: str, body: dict[str, Any] | None) -> tuple[int, bytes]:
        try:
            async with asyncio.timeout(REQUEST_TIMEOUT_S):
                return await self._send(method, path, body)
        except (OSError, TimeoutError, asyncio.IncompleteReadError, asyncio.LimitOverrunError,
                ValueError) as exc:
            await self.close()
            raise TransportError(f"{type(exc).__name__}: {exc}") from exc

    async def _send(self, method: str, path: str, body: dict[str, Any] | None) -> tuple[int, bytes]:
        if self.writer is None:
            self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
        assert self.reader is not None
        payload = json.dumps(body, separators=(",", ":")).encode() if body is not None else b""
        extra = ""
        if body is not None:
            extra = f"Content-Type: application/json\r\nContent-Length: {len(payload)}\r\n"
        self.writer.write(f"{method} {path} HTTP/1.1\r\n{self.head}{extra}\r\n".encode() + payload)
        head = await self.reader.readuntil(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        status = int(lines[0].split(" ", 2)[1])
        length: int | None = None
        keep = True
        for line in lines[1:]:
            name, _, value = line.partition(":")
            name = name.strip().lower()
            if name == "content-length":
                length = int(value)
            elif name == "connection" and value.strip().lower() == "close":
                keep = False
            elif name == "transfer-encoding":
                raise ValueError(f"unsupported Transfer-Encoding {value.strip()}")
        if length is None:
            raise ValueError("no Content-Length in the answer")
        data = await self.reader.readexactly(length)
        if not keep:
            await self.close()
        return status, data

    async def close(self) -> None:
        writer, self.writer, self.reader = self.writer, None, None
        if writer is not None:
            writer.close()
            with contextlib.suppress(OSError):
                await writer.wait_closed()


@contextlib.asynccontextmanager
async def open_senders(kind: str, urls: Sequence[str], token: str,
                       slots: Sequence[int]) -> AsyncIterator[list[Send]]:
    """One ``send`` per client slot: slot ``g`` talks to ``urls[g % len(urls)]``, as a load balancer would.

    ``raw``: one keep-alive connection per slot. ``httpx``: one shared
    ``httpx.AsyncClient`` per URL (the issue's recipe, kept to show why not).
    """
    if kind == "httpx":
        async with contextlib.AsyncExitStack() as stack:
            limits = httpx.Limits(max_connections=len(slots), max_keepalive_connections=len(slots))
            pool = [await stack.enter_async_context(httpx.AsyncClient(
                base_url=u, headers={"Authorization": f"Bearer {token}"}, limits=limits,
                timeout=REQUEST_TIMEOUT_S)) for u in urls]

            def sender(client: httpx.AsyncClient) -> Send:
                async def send(method: str, path: str, body: dict[str, Any] | None) -> tuple[int, bytes]:
                    try:
                        response = await client.request(method, path, json=body)
                    except httpx.HTTPError as exc:
                        raise TransportError(f"{type(exc).__name__}: {exc}") from exc
                    return response.status_code, response.content
                return send

            yield [sender(pool[g % len(pool)]) for g in slots]
        return
    connections = []
    for g in slots:
        parsed = httpx.URL(urls[g % len(urls)])
        assert parsed.host == "127.0.0.1" and parsed.port is not None  # loopback only
        connections.append(RawConnection(parsed.host, parsed.port, token))
    try:
        yield [c.send for c in connections]
    finally:
        for c in connections:
            await c.close()


# --------------------------------------------------------------------------- one level


async def drive(urls: Sequence[str], token: str, endpoint: str, clients: int, factory: RequestFactory,
                cfg: Window, server_pids: Sequence[int], rate: float | None = None, *,
                slots: Sequence[int] | None = None, start_wall: float | None = None) -> LevelResult:
    """``clients`` tasks, each sending its next request as soon as the previous is answered.

    A closed loop with exactly ``clients`` connections: the rate is what the
    server sustains at that concurrency, not what we offer it.

    With ``rate`` the loop is open instead, as gates are: taps arrive on a
    fixed schedule (``rate`` per second spread evenly over the connections)
    whether or not the server has answered the last one, and each latency is
    timed from the tap's *scheduled* time, so a server that falls behind pays
    for the queue it builds (no coordinated omission).

    ``slots`` are this process's share of the connections when a level is
    spread over several generator processes (``clients`` is then the total,
    and ``rate`` the total rate): slot ``g`` keeps the place in the schedule
    and the server it would have had in one process. ``start_wall`` is the
    common start (``time.time()``) of those processes.
    """
    slots = list(range(clients)) if slots is None else list(slots)
    latencies: list[float] = []
    statuses: Counter[int] = Counter()
    answers: Counter[str] = Counter()
    failures: list[str] = []
    completed = issued = unsent = late = 0
    cpu: dict[str, Any] = {}
    async with open_senders(cfg.client, urls, token, slots) as senders:
        if start_wall is not None:
            await asyncio.sleep(max(0.0, start_wall - time.time()))
        start = time.perf_counter()
        warm_end = start + cfg.warmup
        end = warm_end + cfg.seconds

        async def measure_cpu() -> None:
            await asyncio.sleep(max(0.0, warm_end - time.perf_counter()))
            cpu["server0"], cpu["client0"] = servers_cpu_seconds(server_pids), time.process_time()
            cpu["machine0"] = machine_ticks()
            await asyncio.sleep(max(0.0, end - time.perf_counter()))
            cpu["server1"], cpu["client1"] = servers_cpu_seconds(server_pids), time.process_time()
            cpu["machine1"] = machine_ticks()

        interval = clients / rate if rate else 0.0
        # Each connection's first tap is offset so the whole schedule is even, not 200 taps at once.
        schedule = [start + interval * g / clients for g in slots]

        async def worker(index: int) -> None:
            nonlocal completed, issued, unsent, late
            send = senders[index]
            while True:
                t0 = time.perf_counter()
                if rate:
                    due = schedule[index]
                    schedule[index] += interval
                    if due >= end:
                        return
                    if t0 >= end:
                        # Behind schedule when the window closed: the taps still due were never
                        # sent. Counted, so a server that cannot keep up cannot hide it.
                        unsent += 1 + max(0, math.ceil((end - schedule[index]) / interval))
                        return
                    if due > t0:
                        await asyncio.sleep(due - t0)
                    elif (t0 - due) * 1000 > LATE_MS and due >= warm_end:
                        late += 1
                    t0 = due  # queueing behind a slow answer counts as latency
                if t0 >= end or issued >= cfg.max_requests:
                    return
                issued += 1
                method, path, body = factory(slots[index])
                detail = ""
                try:
                    status, data = await send(method, path, body)
                    if status == 200 and endpoint == "verify" and t0 >= warm_end:
                        answer = json.loads(data)
                        detail = f"{answer['result']}/{answer['reason']}"
                    elif status != 200:
                        detail = data[:300].decode(errors="replace")
                except TransportError as exc:
                    status, detail = 0, str(exc)
                t1 = time.perf_counter()
                if status != 200 and len(failures) < 5:
                    failures.append(f"{status} {detail}")
                if t0 >= warm_end:
                    latencies.append((t1 - t0) * 1000)
                    statuses[status] += 1
                    if detail and status == 200:
                        answers[detail] += 1
                if warm_end <= t1 <= end:
                    completed += 1

        meter = asyncio.create_task(measure_cpu())
        bound = cfg.warmup + cfg.seconds + REQUEST_TIMEOUT_S + 10
        await asyncio.wait_for(asyncio.gather(*(worker(i) for i in range(len(slots)))), timeout=bound)
        await meter
    server_cpu = None
    if cpu.get("server0") is not None and cpu.get("server1") is not None:
        server_cpu = (cpu["server1"] - cpu["server0"]) / cfg.seconds
    client_cpu = (cpu["client1"] - cpu["client0"]) / cfg.seconds
    return LevelResult(endpoint, len(slots), cfg.seconds, completed, latencies, statuses, answers, failures,
                       server_cpu, client_cpu, unsent, late, busy_cores(cpu["machine0"], cpu["machine1"]))


# --------------------------------------------------------------------------- several generator processes


class GeneratorPool:
    """``procs`` load-generator processes, started once and given one level after another.

    Connections are dealt round-robin (slot ``g`` to process ``g % procs``)
    and every process starts each level at the same moment, so the schedule
    and the spread over the servers are those of one process. This process
    measures the servers' CPU and the machine over each window; the children
    their own. ``command`` runs the child side (``child_main``).
    """

    def __init__(self, command: Sequence[str], env: Mapping[str, str], procs: int) -> None:
        self.children: list[subprocess.Popen[str]] = []
        try:
            for _ in range(procs):
                self.children.append(subprocess.Popen(
                    list(command), env=dict(env), stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                    stderr=subprocess.PIPE, text=True))
        except BaseException:
            self.close()
            raise

    def run(self, spec: dict[str, Any], clients: int, cfg: Window, server_pids: Sequence[int],
            rate: float | None = None) -> LevelResult:
        """One level: ``spec`` (what to send; the child's business) plus each child's slots and the window."""
        children = self.children[:max(1, min(len(self.children), clients))]
        procs = len(children)
        for k, child in enumerate(children):
            self._write(child, {**spec, "slots": list(range(k, clients, procs)), "clients": clients,
                                "rate": rate, "warmup": cfg.warmup, "seconds": cfg.seconds,
                                "max_requests": cfg.max_requests // procs + 1, "client": cfg.client})
        deadline = time.monotonic() + CHILD_READY_TIMEOUT_S
        for child in children:
            if self._read(child, "it was ready").strip() != "ready" or time.monotonic() > deadline:
                raise RuntimeError("a load-generator process did not get ready")
        start_wall = time.time() + 0.1
        for child in children:
            self._write(child, {"start_wall": start_wall})
        time.sleep(max(0.0, start_wall + cfg.warmup - time.time()))
        server0, machine0 = servers_cpu_seconds(server_pids), machine_ticks()
        time.sleep(max(0.0, start_wall + cfg.warmup + cfg.seconds - time.time()))
        server1, machine1 = servers_cpu_seconds(server_pids), machine_ticks()
        parts = [LevelResult.from_json(self._read(child, "its result")) for child in children]
        server_cpu = None if server0 is None or server1 is None else (server1 - server0) / cfg.seconds
        return LevelResult.merge(parts, server_cpu, busy_cores(machine0, machine1))

    def close(self) -> None:
        """End of input: each child finishes and exits; one that does not within the bound is killed."""
        for child in self.children:
            try:
                child.communicate(timeout=REQUEST_TIMEOUT_S)
            except subprocess.TimeoutExpired:
                child.kill()
                child.communicate()
        self.children = []

    @staticmethod
    def _write(child: subprocess.Popen[str], message: dict[str, Any]) -> None:
        assert child.stdin is not None
        child.stdin.write(json.dumps(message) + "\n")
        child.stdin.flush()

    @staticmethod
    def _read(child: subprocess.Popen[str], what: str) -> str:
        assert child.stdout is not None
        line = child.stdout.readline()
        if not line:
            child.kill()
            _, err = child.communicate()
            raise RuntimeError(f"a load-generator process ended before {what} (exit {child.returncode}):\n"
                               f"{err[-3000:]}")
        return line


@dataclass(frozen=True)
class ChildWindow:
    """The window a child was given (a ``Window``)."""

    warmup: float
    seconds: float
    max_requests: int
    client: str


def child_main(make_factory: Callable[[dict[str, Any]], tuple[str, RequestFactory]], stdin: Any,
               stdout: Any) -> int:
    """The child side of ``GeneratorPool``: one level per spec line until the input ends.

    ``make_factory(spec)`` gives (endpoint, factory) for what the spec says to send.
    """
    for line in stdin:
        spec = json.loads(line)
        endpoint, factory = make_factory(spec)
        window = ChildWindow(spec["warmup"], spec["seconds"], spec["max_requests"], spec["client"])
        stdout.write("ready\n")
        stdout.flush()
        start_wall = json.loads(stdin.readline())["start_wall"]
        result = asyncio.run(drive(spec["urls"], spec["token"], endpoint, spec["clients"], factory, window,
                                   [], spec["rate"], slots=spec["slots"], start_wall=start_wall))
        stdout.write(result.to_json() + "\n")
        stdout.flush()
    return 0
