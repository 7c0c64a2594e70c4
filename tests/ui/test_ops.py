"""``ui.ops``: the one way the window runs background work, for each of its kinds.

Real threads and Qt's real event loop (with asyncio on it, as qasync runs it
in the app); every wait is on a condition.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator

import pytest
from pytestqt.qtbot import QtBot

from boxoffice.errors import LimitExceededError
from ui.ops import Job, JobControl, Ops

WAIT_MS = 20_000


@pytest.fixture
def ops() -> Iterator[Ops]:
    ops = Ops()
    yield ops
    ops.shutdown()


def gui_thread_only(seen: list[str]) -> None:
    seen.append(threading.current_thread().name)


def test_a_job_reports_progress_in_order_on_the_gui_thread_and_delivers_its_result(
        qtbot: QtBot, ops: Ops) -> None:
    progress: list[int] = []
    threads: list[str] = []
    results: list[int] = []

    def work(control: JobControl) -> int:
        assert threading.current_thread().name == "boxoffice-count"
        for i in range(200):
            control.report(i)
        return 42

    def on_progress(value: int) -> None:
        gui_thread_only(threads)
        progress.append(value)

    job = ops.start("count", work, progress=on_progress, success=results.append)
    assert ops.jobs == [job]
    qtbot.waitUntil(lambda: results == [42], timeout=WAIT_MS)
    assert progress == list(range(200))
    assert set(threads) == {threading.main_thread().name}
    assert not job.running and ops.jobs == []


def test_cancel_reaches_the_work_and_its_helpers_and_the_result_still_arrives(qtbot: QtBot, ops: Ops) -> None:
    helper_stopped = threading.Event()
    started = threading.Event()

    def work(control: JobControl) -> str:
        control.on_cancel(helper_stopped.set)
        started.set()
        control.stop.wait()  # a reader's wait, a long-poll: they all take the event
        return "stopped"

    job = ops.start("wait", work)
    with qtbot.waitSignal(job.finished, timeout=WAIT_MS) as finished:
        assert started.wait(10)
        job.cancel()
    assert finished.args == ["stopped"] and helper_stopped.is_set()


def test_on_cancel_after_the_cancel_runs_at_once(qtbot: QtBot, ops: Ops) -> None:
    called: list[str] = []

    def work(control: JobControl) -> None:
        control.stop.wait()
        control.on_cancel(lambda: called.append("now"))

    job = ops.start("late", work)
    with qtbot.waitSignal(job.finished, timeout=WAIT_MS):
        job.cancel()
    assert called == ["now"]


def test_a_failing_job_is_a_sentence_and_a_bug_is_logged_once_with_its_traceback(
        qtbot: QtBot, ops: Ops, caplog: pytest.LogCaptureFixture) -> None:
    said: list[str] = []
    ops.error.connect(said.append)

    def bug(control: JobControl) -> None:
        raise KeyError("nope")

    def refused(control: JobControl) -> None:
        raise LimitExceededError("That quantity is not a number.")

    with caplog.at_level(logging.ERROR, logger="ui.ops"):
        job = ops.start("broken", bug)
        qtbot.waitUntil(lambda: len(said) == 1, timeout=WAIT_MS)
        ops.start("refused", refused)
        qtbot.waitUntil(lambda: len(said) == 2, timeout=WAIT_MS)
    assert said[0].startswith("Something went wrong inside Box office (KeyError)")
    assert said[1] == "That quantity is not a number."
    logged = [r for r in caplog.records if r.name == "ui.ops"]
    assert len(logged) == 1 and logged[0].exc_info is not None and "broken failed" in logged[0].getMessage()
    assert not job.running


def test_shutdown_stops_every_job_and_refuses_new_work(qtbot: QtBot) -> None:
    ops = Ops()
    ended: list[str] = []

    def forever(control: JobControl) -> None:
        control.stop.wait()
        ended.append("ended")

    jobs = [ops.start(f"loop-{i}", forever) for i in range(3)]
    ops.shutdown(job_timeout=10)
    assert ended == ["ended"] * 3 and not any(job.running for job in jobs)
    late = ops.start("late", forever)
    assert late.control.cancelled and ops.jobs == []
    assert ops.launch("late", _never()) is None


async def _never() -> None:
    raise AssertionError("never started")


def test_a_coroutine_reads_top_to_bottom_through_awaited_results(qtbot: QtBot, ops: Ops) -> None:
    steps: list[object] = []
    busy: list[bool] = []
    ops.busy_changed.connect(busy.append)

    async def page_code() -> None:
        first = await ops.call("first", lambda: threading.current_thread().name)
        steps.append(first)
        second = await ops.call("second", lambda: 2 * 21, own_thread=True)
        steps.append(second)
        job = ops.start("job", lambda control: "from a job")
        steps.append(await job)
        try:
            await ops.call("refused", _refuse)
        except LimitExceededError as exc:
            steps.append(exc.message)
        steps.append(threading.current_thread().name)

    task = ops.launch("page", page_code())
    assert task is not None and ops.pending >= 1
    qtbot.waitUntil(task.done, timeout=WAIT_MS)
    assert steps == ["boxoffice-db_0", 42, "from a job", "No.", threading.main_thread().name]
    # The task's done callbacks (which count it off) run on the loop's next turn, after done().
    qtbot.waitUntil(lambda: ops.pending == 0, timeout=WAIT_MS)
    assert busy[0] is True and busy[-1] is False


def _refuse() -> None:
    raise LimitExceededError("No.")


def test_what_a_coroutine_does_not_catch_is_said_and_logged(qtbot: QtBot, ops: Ops,
                                                             caplog: pytest.LogCaptureFixture) -> None:
    said: list[str] = []
    ops.error.connect(said.append)

    async def page_code() -> None:
        await ops.call("divide", lambda: 1 / 0)

    with caplog.at_level(logging.ERROR, logger="ui.ops"):
        task = ops.launch("page", page_code())
        assert task is not None
        qtbot.waitUntil(lambda: said != [], timeout=WAIT_MS)
    assert said == ["Something went wrong inside Box office (ZeroDivisionError); the log has the details."]
    assert len([r for r in caplog.records if r.name == "ui.ops"]) == 1, "logged once, not per await"
    qtbot.waitUntil(lambda: ops.pending == 0, timeout=WAIT_MS)


def test_a_coroutine_whose_owner_is_deleted_is_cancelled_not_run_on(qtbot: QtBot, ops: Ops) -> None:
    from PySide6.QtWidgets import QWidget

    owner = QWidget()
    release = threading.Event()
    touched: list[str] = []

    async def page_code() -> None:
        await ops.call("slow", lambda: release.wait(10))
        touched.append("ran on")

    task = ops.launch("page", page_code(), owner=owner)
    assert task is not None
    owner.deleteLater()
    qtbot.waitUntil(task.done, timeout=WAIT_MS)
    release.set()
    assert task.cancelled() and touched == []
    qtbot.waitUntil(lambda: ops.pending == 0, timeout=WAIT_MS)


def test_a_job_whose_owner_is_deleted_delivers_nothing(qtbot: QtBot, ops: Ops) -> None:
    from PySide6.QtWidgets import QWidget

    owner = QWidget()
    release = threading.Event()
    got: list[object] = []

    def work(control: JobControl) -> str:
        release.wait(10)
        control.report("late")
        return "late"

    job: Job = ops.start("orphan", work, progress=got.append, success=got.append, owner=owner)
    owner.deleteLater()
    qtbot.waitUntil(lambda: not _alive(owner), timeout=WAIT_MS)
    release.set()
    qtbot.waitUntil(lambda: ops.jobs == [], timeout=WAIT_MS)
    assert got == [] and not job.running


def _alive(obj: object) -> bool:
    import shiboken6

    return bool(shiboken6.isValid(obj))
