"""Load on one MockExecutor: 32 threads launch 100 jobs each, then harvest and clean up concurrently.

Checks: 3,200 distinct ids; a consistent journal (3,200 launches, every id once,
calls numbered in order); every job harvested exactly once, after the clock is
advanced and not before; nothing left after cleanup. The figures (wall time,
launches/s, harvests/s) are printed to the terminal whether or not ``-s`` is
given, recorded as JUnit properties, and held to loose sanity bounds.
"""

from __future__ import annotations

import collections
import queue
import threading
import time
from collections.abc import Callable
from typing import Any

import pytest

from executor_kit import ContainerJob, MockExecutor
from executor_kit.probe import Probe

THREADS, LAUNCHES = 32, 100
TOTAL = THREADS * LAUNCHES
DURATION = 10.0  # virtual seconds every job runs
MIN_LAUNCHES_PER_SECOND = 300  # loose: a loaded 2-CPU CI runner does several thousand


def _guarded(work: Callable[[int], None], slot: int, barrier: threading.Barrier, errors: list[BaseException]) -> None:
    barrier.wait()
    try:
        work(slot)
    except BaseException as exc:  # reported from the main thread
        errors.append(exc)


def in_threads(work: Callable[[int], None]) -> tuple[float, list[BaseException]]:
    """Run ``work(slot)`` in ``THREADS`` threads released together; wall time and errors."""
    barrier = threading.Barrier(THREADS + 1)
    errors: list[BaseException] = []
    threads = [threading.Thread(target=_guarded, args=(work, slot, barrier, errors)) for slot in range(THREADS)]
    for thread in threads:
        thread.start()
    barrier.wait()
    start = time.perf_counter()
    for thread in threads:
        thread.join()
    return time.perf_counter() - start, errors


def launch_all(mock: MockExecutor, labels: dict[str, str]) -> tuple[float, list[ContainerJob], list[BaseException]]:
    jobs: list[ContainerJob] = []
    lock = threading.Lock()

    def work(slot: int) -> None:
        for index in range(LAUNCHES):
            job = ContainerJob(
                image="executor-kit-probe:latest",
                command=Probe().out(f"{slot}-{index}").sleep(DURATION).argv,
                labels={**labels, "slot": str(slot)},
            )
            ok, execution_id = mock.launch_job(job)
            assert ok and execution_id == job.external_execution_id
            with lock:
                jobs.append(job)

    elapsed, errors = in_threads(work)
    return elapsed, jobs, errors


def _drain(mock: MockExecutor, pending: queue.SimpleQueue[ContainerJob], mine: list[str]) -> None:
    """Take jobs until the queue is empty: harvest each (noting its id in ``mine``), then clean it up."""
    while not pending.empty():
        try:
            job = pending.get_nowait()
        except queue.Empty:
            return
        assert mock.harvest_job(job) is True
        mine.append(str(job.external_execution_id))
        assert mock.cleanup(str(job.external_execution_id)) is True


def harvest_all(mock: MockExecutor, jobs: list[ContainerJob]) -> tuple[float, collections.Counter[str], list[Any]]:
    """Each job is taken from one shared queue by exactly one thread, harvested, then cleaned up."""
    pending: queue.SimpleQueue[ContainerJob] = queue.SimpleQueue()
    for job in jobs:
        pending.put(job)
    per_thread: list[list[str]] = [[] for _ in range(THREADS)]
    elapsed, errors = in_threads(lambda slot: _drain(mock, pending, per_thread[slot]))
    return elapsed, collections.Counter(eid for mine in per_thread for eid in mine), errors


def report(capsys: pytest.CaptureFixture[str], record: Callable[[str, object], None], **figures: float) -> None:
    shown = (
        f"{key}={value:,.0f}" if float(value).is_integer() else f"{key}={value:,.3f}" for key, value in figures.items()
    )
    line = "mock load: " + ", ".join(shown)
    for key, value in figures.items():
        record(key, round(value, 3))
    with capsys.disabled():
        print(f"\n{line}")


def test_32_threads_launch_100_jobs_each_and_each_is_harvested_once(
    run_labels: dict[str, str], capsys: pytest.CaptureFixture[str], record_property: Callable[[str, object], None]
) -> None:
    mock = MockExecutor()
    launch_seconds, jobs, errors = launch_all(mock, run_labels)
    assert errors == []
    ids = [str(job.external_execution_id) for job in jobs]
    assert len(ids) == len(set(ids)) == TOTAL
    assert set(ids) == {f"mock-{n}" for n in range(1, TOTAL + 1)}

    launches = mock.journal.calls("launch_job")
    assert len(launches) == TOTAL and sorted(call.result[1] for call in launches) == sorted(ids)
    assert collections.Counter(call.result[1] for call in launches).most_common(1)[0][1] == 1
    calls = mock.journal.calls()
    assert [call.number for call in calls] == list(range(len(calls)))
    assert len({call.args[0].command for call in launches}) == TOTAL  # each summary is its own job

    assert set(mock.check_statuses(ids).values()) == {"running"}
    assert mock.harvest_job(jobs[0]) is False and jobs[0].exit_code is None  # not before the clock moves
    mock.advance(DURATION)
    assert set(mock.check_statuses(ids).values()) == {"exited"}

    harvest_seconds, harvested, errors = harvest_all(mock, jobs)
    assert errors == []
    assert set(harvested) == set(ids) and set(harvested.values()) == {1}
    by_id = {str(job.external_execution_id): job for job in jobs}
    true_harvests = [call for call in mock.journal.calls("harvest_job") if call.result is True]
    assert sorted(call.args[0] for call in true_harvests) == sorted(ids)
    for job in jobs:
        slot, index = job.command[2].split("-")
        assert (job.status, job.exit_code, job.stdout, job.stderr) == ("completed", 0, f"{slot}-{index}\n", "")
    assert by_id["mock-1"].completed_at is not None

    assert mock.find_executions(run_labels) == [] and mock.live_executions() == []
    assert set(mock.check_statuses(ids).values()) == {"not-found"}

    rate = TOTAL / launch_seconds
    report(
        capsys,
        record_property,
        jobs=TOTAL,
        launch_wall_s=launch_seconds,
        launches_per_s=rate,
        harvest_and_cleanup_wall_s=harvest_seconds,
        harvests_per_s=TOTAL / harvest_seconds,
        journal_calls=len(mock.journal),
    )
    assert rate >= MIN_LAUNCHES_PER_SECOND, f"{rate:.0f} launches/s"
    assert harvest_seconds < 30
