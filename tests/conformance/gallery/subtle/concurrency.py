"""Bugs that need threads: shared client state touched outside the lock.

Each executor is right when called from one thread, and answers for the wrong
execution (or collides) when two threads call it at once, as executors that
keep a 'current response' on the client object do. The pause stands for the
network round trip between writing the shared field and reading it back.
"""

from __future__ import annotations

import functools
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from executor_kit import ContainerJob
from executor_kit.job import JobLike
from executor_kit.probe import Probe
from executor_kit.status import ExecutionStatus

from ._base import Bug, Subtle, registrar
from ._witness import launch

P = Probe  # witness argvs: P().out("x").exit(3).argv
REGISTRY: dict[type, Bug] = {}
bug = registrar(REGISTRY)
ROUND_TRIP = 0.002


def _released(barrier: threading.Barrier, call: Callable[[], object]) -> None:
    barrier.wait()
    call()


def _in_threads(calls: list[Callable[[], object]]) -> None:
    """Run each call in its own thread, all released at once; re-raise the first failure."""
    barrier = threading.Barrier(len(calls))
    with ThreadPoolExecutor(len(calls)) as pool:
        futures = [pool.submit(_released, barrier, call) for call in calls]
    for future in futures:
        future.result()


def _reader(ex: Any, read: Callable[[Any, str], Any], execution_id: str, wanted: Any) -> Callable[[], None]:
    def call() -> None:
        for _ in range(5):
            got = read(ex, execution_id)
            assert got == wanted, f"{execution_id}: {got!r} under threads, expected {wanted!r}"

    return call


def _per_execution(read: Callable[[Any, str], Any], expected: Callable[[str], Any]) -> Callable[[Any], None]:
    """Eight threads read two executions (one running, one exited) at once; each gets its own answer."""

    def witness(ex: Any) -> None:
        _, running = launch(ex, P().out("still").sleep(100).argv)
        _, exited = launch(ex, P().out("done").exit(3).argv)
        ex.advance(1)
        pairs = [(running, expected("running")), (exited, expected("exited"))] * 4
        _in_threads([_reader(ex, read, execution_id, wanted) for execution_id, wanted in pairs])

    return witness


@bug(
    "STATUS",
    "STATUS-004/005: a running workload reads 'running', an exited one 'exited' (under threads too).",
    "check_status called from several threads at once",
    _per_execution(lambda ex, eid: ex.check_status(eid), lambda state: state),
)
class RacyStatus(Subtle):
    """A client keeping the last DescribeTasks response on self, read back after the round trip."""

    def check_status(self, execution_id: str) -> ExecutionStatus:
        self._last_status = super().check_status(execution_id)
        time.sleep(ROUND_TRIP)
        return self._last_status


@bug(
    "LOGS",
    "LOGS-001: get_logs returns (stdout, stderr) of the execution asked for (under threads too).",
    "get_logs called from several threads at once",
    _per_execution(lambda ex, eid: ex.get_logs(eid)[0], lambda state: "still\n" if state == "running" else "done\n"),
)
class RacyLogs(Subtle):
    """A log reader reusing one buffer on the client object for every request."""

    def get_logs(self, execution_id: str) -> tuple[str, str]:
        self._buffer = super().get_logs(execution_id)
        time.sleep(ROUND_TRIP)
        return self._buffer


def _racy_harvest(ex: Any) -> None:
    jobs = [launch(ex, P().out(f"job{i}").exit(i).argv)[0] for i in range(6)]
    ex.advance(1)
    _in_threads([functools.partial(ex.harvest_job, job) for job in jobs])
    wrong = [(i, job.exit_code) for i, job in enumerate(jobs) if job.exit_code != i or job.stdout != f"job{i}\n"]
    assert not wrong, f"jobs got another execution's result under threads: {wrong}"


@bug(
    "HARVEST",
    "HARVEST-001/002: harvest records the execution's own exit code and output (under threads too).",
    "harvest_job called from several threads at once",
    _racy_harvest,
)
class RacyHarvest(Subtle):
    """A harvester that inspects into self._current, then records from it after fetching the logs."""

    def harvest_job(self, job: JobLike) -> bool:
        self._current = job.external_execution_id
        time.sleep(ROUND_TRIP)
        probe = ContainerJob(image=job.image, command=list(job.command))
        probe.external_execution_id = self._current
        done = super().harvest_job(probe)
        if done:
            for field in ("exit_code", "stdout", "stderr", "completed_at", "status", "failure_reason"):
                setattr(job, field, getattr(probe, field, None))
        return done


def _racy_ids(ex: Any) -> None:
    ids: list[str] = []
    _in_threads([lambda: ids.append(launch(ex, P().sleep(100).argv)[1]) for _ in range(8)])
    assert len(set(ids)) == len(ids), f"duplicate ids under threads: {sorted(ids)}"


@bug(
    "LAUNCH",
    "LAUNCH-003: Ids stay unique when many threads launch at once.",
    "launches from several threads",
    _racy_ids,
)
class RacyIdCounter(Subtle):
    """An executor naming executions from a counter read and written without a lock."""

    def launch_job(self, job: JobLike) -> tuple[bool, str]:
        number = self.__dict__.get("_next", 0) + 1
        time.sleep(ROUND_TRIP)
        self._next = number
        ok, execution_id = super().launch_job(job)
        if not ok:
            return ok, execution_id
        with self._lock:
            renamed = f"task-{number}"
            self._executions[renamed] = self._executions.pop(execution_id)
            job.external_execution_id = renamed
        return ok, renamed
