"""The loop behind ``run_jobs``: one ``_Run`` per call, its state kept to itself, a tick at a time.

The decisions it implements are listed in the ``executor_kit.monitor`` docstring.
"""

from __future__ import annotations

import contextlib
import enum
import heapq
from collections import deque
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING

from executor_kit.errors import (
    ExecutorConfigurationError,
    ExecutorConnectionError,
    ExecutorError,
    ExecutorResourceError,
)
from executor_kit.job import JobLike
from executor_kit.monitor.launch_pool import LaunchPool
from executor_kit.monitor.output_relay import OutputRelay
from executor_kit.monitor.result import MonitorResult, Progress
from executor_kit.status import ExecutionStatus, JobStatus

if TYPE_CHECKING:
    from executor_kit.base import ContainerExecutor
    from executor_kit.monitor.options import RunJobsSettings
    from executor_kit.monitor.output_relay import OnOutput

__all__ = ["TRANSIENT_ERRORS"]

#: Errors the monitor retries: the backend may answer next time.
TRANSIENT_ERRORS: tuple[type[ExecutorError], ...] = (ExecutorConnectionError, ExecutorResourceError)

#: How many times a harvest may return ``False`` for an ended execution before the job is failed.
_HARVEST_MISSES = 5


# -- the run ---------------------------------------------------------------------------------


class _Entry:
    """One job's bookkeeping during the run."""

    __slots__ = ("attempts", "deadline", "index", "job", "launched", "misses")

    def __init__(self, index: int, job: JobLike) -> None:
        self.index = index
        self.job = job
        self.attempts = 0
        self.misses = 0
        self.deadline: float | None = None
        self.launched: str | None = None  # set by the launching thread as soon as launch_job returns an id


def _word(status: object) -> str:
    return str(status.value) if isinstance(status, enum.Enum) else str(status)


_VOCABULARY = frozenset(status.value for status in ExecutionStatus)


def _shielded(call: Callable[[str], object], execution_id: str) -> None:
    """``call(execution_id)`` for the abort path: backend errors ignored, a further Ctrl-C retried once."""
    for _ in range(2):
        try:
            call(execution_id)
        except ExecutorError:
            return
        except KeyboardInterrupt:
            continue
        return


def _declares_cancel(executor: ContainerExecutor) -> bool:
    try:
        return bool(executor.get_capabilities().get("supports_cancel", False))
    except ExecutorError:
        return False


def _set_reason(job: JobLike, reason: str) -> None:
    with contextlib.suppress(AttributeError):  # a JobLike may have no room for it
        job.failure_reason = reason  # type: ignore[attr-defined]


class _Run:
    """The state of one ``run_jobs`` call and its steps, each a few lines."""

    def __init__(
        self,
        executor: ContainerExecutor,
        jobs: tuple[JobLike, ...],
        settings: RunJobsSettings,
        *,
        on_progress: Callable[[Progress], object] | None,
        on_output: OnOutput | None,
        cleanup: bool,
    ) -> None:
        self.executor = executor
        self.clock = executor.clock
        self.settings = settings
        self.on_progress = on_progress
        self.cleanup = cleanup
        self.jobs = jobs
        self.fresh: deque[_Entry] = deque(_Entry(index, job) for index, job in enumerate(jobs))
        self.retries: list[tuple[float, int, _Entry]] = []
        self.running: dict[str, _Entry] = {}
        self.releasing: dict[str, _Entry] = {}
        self.reasons: dict[int, str] = {}
        self.finished = self.failed = 0
        self.status_calls = self.launch_attempts = self.poll_errors = self.failed_polls = 0
        self.fatal: Exception | None = None
        self.pool: LaunchPool | None = None
        self.batch: list[_Entry] = []
        self.started = self.clock.monotonic()
        self.ends = None if settings.deadline is None else self.started + settings.deadline
        self.cancels = _declares_cancel(executor)
        self.relay = None if on_output is None else OutputRelay(executor, on_output)

    # -- the loop ----------------------------------------------------------------------------
    def run(self) -> MonitorResult:
        workers = self.settings.launch_workers
        with contextlib.closing(LaunchPool(workers)) if workers > 1 else contextlib.nullcontext() as pool:
            self.pool = pool
            try:
                self._loop()
            except BaseException:
                self._abandon()
                raise
        return self._result()

    def _loop(self) -> None:
        self._report()
        while self._busy():
            if self.ends is not None and self.clock.monotonic() >= self.ends:
                self._expire()
            else:
                self._tick()

    def _busy(self) -> bool:
        return bool(self.fresh or self.retries or self.running or self.releasing)

    def _tick(self) -> None:
        self._poll()
        if self.relay is not None:
            self.relay.poll((execution_id, entry.job) for execution_id, entry in self.running.items())
        self._release()
        self._launch()
        self._report()
        self._wait()

    def _abandon(self) -> None:
        if self.pool is not None:
            self.pool.drain()  # launches in flight return first: their ids must be cleaned up too
        for execution_id in list(self.running) if self.cancels else ():
            _shielded(self.executor.cancel, execution_id)  # stopped, not yet removed: harvest what it wrote
            _shielded(self._harvest_stopped, execution_id)
        in_flight = [entry.launched for entry in self.batch if entry.launched]
        for execution_id in dict.fromkeys([*self.running, *self.releasing, *in_flight]):
            _shielded(self.executor.cleanup, execution_id)

    def _harvest_stopped(self, execution_id: str) -> None:
        self.executor.harvest_job(self.running[execution_id].job)

    # -- the run deadline --------------------------------------------------------------------
    def _expire(self) -> None:
        reason = f"run_jobs deadline of {self.settings.deadline:g} s passed"
        for execution_id, entry in list(self.running.items()):
            self._stop_unfinished(execution_id, entry, reason)
        for entry in [*self.fresh, *(item[2] for item in self.retries)]:
            self._refused(entry, f"{reason} before it was launched")
        self.fresh.clear()
        self.retries.clear()
        self._release()
        self.releasing.clear()  # what the backend would not clean up now stays with it
        self._report()

    # -- poll and settle ---------------------------------------------------------------------
    def _poll(self) -> None:
        statuses = self._statuses() if self.running else None
        if statuses is not None:
            self._settle_all(statuses)

    def _settle_all(self, statuses: Mapping[str, object]) -> None:
        for execution_id, entry in list(self.running.items()):
            settle = _SETTLERS.get(_word(statuses.get(execution_id)), _Run._still_running)
            settle(self, execution_id, entry)

    def _statuses(self) -> Mapping[str, object] | None:
        self.status_calls += 1
        try:
            statuses = self._complete(self.executor.check_statuses(list(self.running)))
        except TRANSIENT_ERRORS as exc:
            self._poll_failed(exc)
            return None
        self.failed_polls = 0
        return statuses

    def _complete(self, answer: object) -> dict[str, str]:
        """The batch answer in words, each id the answer left out (or mangled) asked on its own."""
        batch: Mapping[str, object] = answer if isinstance(answer, Mapping) else {}
        return {execution_id: self._word_for(execution_id, batch) for execution_id in self.running}

    def _word_for(self, execution_id: str, batch: Mapping[str, object]) -> str:
        word = _word(batch.get(execution_id))
        if word in _VOCABULARY:
            return word
        word = _word(self.executor.check_status(execution_id))
        if word not in _VOCABULARY:
            raise ExecutorError(
                f"{type(self.executor).__name__}.check_status({execution_id!r}) returned {word!r}, "
                f"not one of {', '.join(sorted(_VOCABULARY))}"
            )
        return word

    def _poll_failed(self, exc: ExecutorError) -> None:
        self.poll_errors += 1
        self.failed_polls += 1
        limit = self.settings.max_poll_failures
        if limit is not None and self.failed_polls >= limit:
            raise exc

    def _still_running(self, execution_id: str, entry: _Entry) -> None:
        if entry.deadline is not None and self.clock.monotonic() >= entry.deadline:
            self._stop_overdue(execution_id, entry)

    def _harvest(self, execution_id: str, entry: _Entry) -> None:
        try:
            done = self.executor.harvest_job(entry.job)
        except TRANSIENT_ERRORS:
            self.poll_errors += 1
            return
        if done:
            self._settle(execution_id, entry, release=self.cleanup)
        else:
            self._harvest_missed(execution_id, entry)

    def _harvest_missed(self, execution_id: str, entry: _Entry) -> None:
        entry.misses += 1
        if entry.misses >= _HARVEST_MISSES:
            self._fail(entry, f"harvest_job kept returning False for ended execution {execution_id}")
            self._settle(execution_id, entry, release=self.cleanup)

    def _vanished(self, execution_id: str, entry: _Entry) -> None:
        self._fail(entry, f"execution {execution_id} disappeared (not-found) before it was harvested")
        self._settle(execution_id, entry, release=False)

    def _stop_overdue(self, execution_id: str, entry: _Entry) -> None:
        timeout = entry.job.timeout_seconds
        reason = f"timeout: still running {self.settings.timeout_grace:g} s after its {timeout:g} s timeout"
        self._stop_unfinished(execution_id, entry, f"{reason}; stopped by the monitor", JobStatus.TIMEOUT)

    def _stop_unfinished(
        self, execution_id: str, entry: _Entry, reason: str, status: JobStatus = JobStatus.FAILED
    ) -> None:
        job = entry.job
        if self.cancels:  # stopped first, so the logs read are complete up to the stop
            with contextlib.suppress(*TRANSIENT_ERRORS):
                self.executor.cancel(execution_id)
        with contextlib.suppress(*TRANSIENT_ERRORS):
            job.stdout, job.stderr = self.executor.get_logs(execution_id)
        self._fail(entry, reason, status)
        self._settle(execution_id, entry, release=True)

    def _settle(self, execution_id: str, entry: _Entry, *, release: bool) -> None:
        del self.running[execution_id]
        if self.relay is not None:
            self.relay.finish(execution_id, entry.job)
        if release:
            self.releasing[execution_id] = entry
        self.finished += 1
        self.failed += entry.job.status != JobStatus.COMPLETED.value

    def _fail(self, entry: _Entry, reason: str, status: JobStatus = JobStatus.FAILED) -> None:
        entry.job.status = status.value
        entry.job.completed_at = self.clock.now()
        _set_reason(entry.job, reason)
        self.reasons[entry.index] = reason

    # -- release -----------------------------------------------------------------------------
    def _release(self) -> None:
        for execution_id in list(self.releasing):
            self._clean(execution_id)

    def _clean(self, execution_id: str) -> None:
        try:
            self.executor.cleanup(execution_id)
        except TRANSIENT_ERRORS:
            self.poll_errors += 1
            return
        del self.releasing[execution_id]

    # -- launch ------------------------------------------------------------------------------
    def _launch(self) -> None:
        batch = self._ready(self._free_slots())
        while batch and self._launch_batch(batch):
            batch = self._ready(self._free_slots())

    def _free_slots(self) -> int:
        held = len(self.running) + len(self.releasing)
        return min(self.settings.concurrency - held, self.settings.launch_workers)

    def _ready(self, count: int) -> list[_Entry]:
        batch: list[_Entry] = []
        entry = self._next_ready() if count > 0 else None
        while entry is not None:
            batch.append(entry)
            entry = self._next_ready() if len(batch) < count else None
        return batch

    def _next_ready(self) -> _Entry | None:
        if self.retries and self.retries[0][0] <= self.clock.monotonic():
            return heapq.heappop(self.retries)[2]
        return self.fresh.popleft() if self.fresh else None

    def _launch_batch(self, batch: list[_Entry]) -> bool:
        """Launch a batch (in parallel with ``launch_workers`` > 1); ``False`` to pause launching."""
        self.batch = batch
        outcomes = self._attempts(batch)
        results = [self._take(entry, outcome) for entry, outcome in zip(batch, outcomes, strict=True)]
        self.batch = []
        if self.fatal is not None:
            raise self.fatal
        return all(results)

    def _attempts(self, batch: list[_Entry]) -> list[tuple[bool, str] | Exception]:
        if self.pool is None or len(batch) == 1:
            return [self._attempt(entry) for entry in batch]
        return self.pool.run(batch, self._attempt)

    def _attempt(self, entry: _Entry) -> tuple[bool, str] | Exception:
        try:
            outcome = self.executor.launch_job(entry.job)
        except Exception as exc:  # sorted out by _take, in the monitor's thread
            return exc
        if isinstance(outcome, tuple) and outcome and outcome[0] is True:
            entry.launched = str(outcome[1])
        return outcome

    def _take(self, entry: _Entry, outcome: tuple[bool, str] | Exception) -> bool:
        entry.attempts += 1
        self.launch_attempts += 1
        if isinstance(outcome, Exception):
            return self._launch_error(entry, outcome)
        (self._started if outcome[0] else self._refused)(entry, outcome[1])
        return True

    def _launch_error(self, entry: _Entry, exc: Exception) -> bool:
        if isinstance(exc, TRANSIENT_ERRORS):
            self._retry_later(entry, exc)
        elif isinstance(exc, ExecutorConfigurationError):
            self._refused(entry, f"job rejected: {exc.message}")
            return True
        else:  # raised once the rest of the batch is recorded, so nothing launched is lost
            self.fatal = self.fatal or exc
        return False

    def _started(self, entry: _Entry, execution_id: str) -> None:
        self.running[execution_id] = entry
        timeout = entry.job.timeout_seconds
        if timeout is not None:
            entry.deadline = self.clock.monotonic() + timeout + self.settings.timeout_grace

    def _refused(self, entry: _Entry, message: str) -> None:
        self._fail(entry, message or "launch_job refused the job without a message")
        self.finished += 1
        self.failed += 1

    def _retry_later(self, entry: _Entry, exc: ExecutorError) -> None:
        if entry.attempts >= self.settings.max_launch_attempts:
            name = type(exc).__name__
            self._refused(entry, f"launch failed {entry.attempts} times; last error: {name}: {exc}")
            return
        due = self.clock.monotonic() + self.settings.backoff.delay(entry.attempts)
        heapq.heappush(self.retries, (due, entry.index, entry))

    # -- report and wait ---------------------------------------------------------------------
    def progress(self) -> Progress:
        pending = len(self.fresh) + len(self.retries)
        elapsed = self.clock.monotonic() - self.started
        return Progress(pending, len(self.running), self.finished, self.failed, elapsed)

    def _report(self) -> None:
        if self.on_progress is not None:
            self.on_progress(self.progress())

    def _wait(self) -> None:
        delay = self._delay()
        if delay > 0:
            self.clock.sleep(delay)

    def _delay(self) -> float:
        waits = [self.settings.poll_interval] if (self.running or self.releasing or self.fresh) else []
        if self.retries:
            waits.append(self.retries[0][0] - self.clock.monotonic())
        if self.ends is not None and waits:
            waits.append(self.ends - self.clock.monotonic())
        return min(waits, default=0.0)

    def _result(self) -> MonitorResult:
        groups: dict[str, list[JobLike]] = {}
        for job in self.jobs:
            groups.setdefault(str(job.status), []).append(job)
        return MonitorResult(
            jobs=self.jobs,
            by_status={status: tuple(jobs) for status, jobs in sorted(groups.items())},
            reasons=dict(sorted(self.reasons.items())),
            elapsed=self.clock.monotonic() - self.started,
            status_calls=self.status_calls,
            launch_attempts=self.launch_attempts,
            poll_errors=self.poll_errors,
        )


_SETTLERS: Mapping[str, Callable[[_Run, str, _Entry], None]] = {
    "running": _Run._still_running,
    "exited": _Run._harvest,
    "failed": _Run._harvest,
    "not-found": _Run._vanished,
}
