"""``run_jobs``: launch many jobs on any executor, watch them to the end, clean up.

The fire-and-monitor loop as a small reusable piece. It needs nothing but the
contract (``launch_job``, ``check_statuses``, ``harvest_job``, ``get_logs``,
``cleanup``) and the executor's ``clock``, so it runs unchanged on Docker, a
cloud backend or the ``MockExecutor``, where 10,000 jobs finish on the virtual
clock without a real second passing. One *tick* of the loop::

    poll     one check_statuses call for every launched, unsettled execution
    settle   harvest the ended ones (once each), fail the vanished, stop the overdue
    release  clean up the settled ones (retried next tick on a transient error)
    launch   fill the free slots: due retries first, then new jobs (``launch_workers`` at once)
    report   on_progress(Progress(...))
    wait     executor.clock.sleep until the next poll or the next due retry

Decisions, each tested in ``tests/monitor/test_monitor.py``:

* **Concurrency** counts every execution the monitor holds on the backend:
  launched and not yet settled, or settled but not yet cleaned up.
* **Launch failures.** ``(False, message)`` and an ``ExecutorConfigurationError``
  are the job's own problem: the job gets status ``failed`` and the message as
  ``failure_reason``, and is not retried. ``ExecutorConnectionError`` and
  ``ExecutorResourceError`` (``TRANSIENT_ERRORS``) are retried up to
  ``max_launch_attempts`` times with exponential ``Backoff``; the wait does not
  block polling, and launching pauses for the rest of the tick (the backend is in
  trouble). Any other error aborts the run (see below).
* **Polling.** A transient error from ``check_statuses``, ``harvest_job`` or
  ``cleanup`` is retried on the next tick; ``max_poll_failures`` consecutive
  failed polls abort the run (``None``: never give up).
* **Timeouts.** The executor enforces ``timeout_seconds`` in its status check
  (the contract), and harvest records ``timeout``. As a guard against a backend
  that does not, an execution still ``running`` ``timeout_grace`` seconds after
  its deadline (monitor clock) is stopped with ``cleanup`` and its job recorded
  as ``timeout`` by the monitor, with the logs read so far. Where the executor
  declares ``supports_cancel``, every stop (this guard, the run deadline) is a
  ``cancel`` first, so the logs read are complete up to the stop; on an abort
  (``KeyboardInterrupt``) each running execution is cancelled and harvested
  (job status ``cancelled``, its logs) before the cleanup.
* **Vanished executions** (``not-found`` before harvest, e.g. removed from
  outside) fail their job with a reason.
* **Batch status gaps.** An id that ``check_statuses`` leaves out of its answer
  (or every id, when the answer is not a mapping) is asked with ``check_status``
  on its own; a word outside the status vocabulary raises ``ExecutorError``
  (the backend broke the contract; the run aborts as below).
* **Run deadline.** With ``deadline``, the run ends at the latest that many
  seconds (executor clock) after it started: executions still held are read
  (logs kept), stopped and cleaned up, and every job not finished is ``failed``
  with the reason "run_jobs deadline ... passed".
* **Abort.** When the run raises (a non-transient backend error, a progress
  callback that raises, ``KeyboardInterrupt``), every execution the monitor
  still holds is cleaned up, best effort, before the error propagates. That
  includes launches in flight on ``launch_workers`` threads: the monitor waits
  for them (a launch cannot be called back) and cleans up each one that
  returns an id. A further ``KeyboardInterrupt`` during this cleanup does not
  cut it short.

The loop runs in the calling thread and keeps its state to itself.
"""

from __future__ import annotations

import contextlib
import dataclasses
import enum
import heapq
import math
from collections import deque
from collections.abc import Callable, Iterable, Mapping
from typing import TYPE_CHECKING

from executor_kit._launch_pool import LaunchPool
from executor_kit._output_relay import OnOutput, OutputRelay
from executor_kit._retry import backoff_delay
from executor_kit.errors import (
    ExecutorConfigurationError,
    ExecutorConnectionError,
    ExecutorError,
    ExecutorResourceError,
)
from executor_kit.job import JobLike
from executor_kit.status import ExecutionStatus, JobStatus

if TYPE_CHECKING:
    from executor_kit.base import ContainerExecutor

__all__ = ["TRANSIENT_ERRORS", "Backoff", "MonitorResult", "Progress", "run_jobs"]

#: Errors the monitor retries: the backend may answer next time.
TRANSIENT_ERRORS: tuple[type[ExecutorError], ...] = (ExecutorConnectionError, ExecutorResourceError)

#: How many times a harvest may return ``False`` for an ended execution before the job is failed.
_HARVEST_MISSES = 5


def _config_error(message: str) -> ExecutorConfigurationError:
    return ExecutorConfigurationError(f"run_jobs: {message}")


@dataclasses.dataclass(frozen=True)
class Backoff:
    """Exponential waits between launch attempts of one job.

    Args:
        initial: Seconds before the first retry.
        multiplier: Factor applied after each retry (at least 1).
        maximum: Upper bound of one wait.

    Raises:
        ExecutorConfigurationError: for a negative or non-finite value, or a
            multiplier below 1.

    Example:
        >>> [Backoff(initial=1, multiplier=2, maximum=5).delay(n) for n in (1, 2, 3, 4)]
        [1.0, 2.0, 4.0, 5.0]
    """

    initial: float = 1.0
    multiplier: float = 2.0
    maximum: float = 60.0

    def __post_init__(self) -> None:
        for field in ("initial", "multiplier", "maximum"):
            _check_seconds(f"Backoff.{field}", getattr(self, field))
        if self.multiplier < 1:
            raise _config_error(f"Backoff.multiplier must be at least 1, got {self.multiplier!r}")

    def delay(self, retry: int) -> float:
        """Seconds to wait before retry number ``retry`` (from 1).

        Example:
            >>> Backoff(initial=0.5).delay(1)
            0.5
        """
        return backoff_delay(retry, initial=self.initial, multiplier=self.multiplier, maximum=self.maximum)


@dataclasses.dataclass(frozen=True)
class Progress:
    """Where a run stands, passed to ``on_progress`` after every tick.

    ``pending`` jobs are not launched yet (including those waiting for a launch
    retry), ``running`` ones are launched and not settled, ``finished`` ones have
    their final status (any), and ``failed`` counts those among them whose final
    status is not ``completed``. ``pending`` only falls, ``finished`` and
    ``failed`` only rise, and ``pending + running + finished == total``.

    Example:
        >>> p = Progress(pending=2, running=3, finished=5, failed=1, elapsed=12.0)
        >>> p.total, p.succeeded
        (10, 4)
    """

    pending: int
    running: int
    finished: int
    failed: int
    elapsed: float

    @property
    def total(self) -> int:
        """All jobs of the run.

        Example:
            >>> Progress(1, 1, 1, 0, 0.0).total
            3
        """
        return self.pending + self.running + self.finished

    @property
    def succeeded(self) -> int:
        """Finished jobs whose status is ``completed``.

        Example:
            >>> Progress(0, 0, 3, 1, 0.0).succeeded
            2
        """
        return self.finished - self.failed


@dataclasses.dataclass(frozen=True, repr=False)
class MonitorResult:
    """The outcome of ``run_jobs``.

    Attributes:
        jobs: The jobs, in the order given, each carrying its final status.
        by_status: The jobs grouped by final status (``completed``, ``failed``, ``timeout``).
        reasons: Why the monitor itself failed a job (launch refused or given up,
            execution vanished, timeout guard), by the job's index in ``jobs``.
        elapsed: Seconds the run took on the executor's clock.
        status_calls: ``check_statuses`` calls made (one per tick with something to poll).
        launch_attempts: ``launch_job`` calls made, retries included.
        poll_errors: Transient errors met while polling, harvesting or cleaning up.

    Example:
        >>> from executor_kit import ContainerJob, MockExecutor
        >>> result = run_jobs(MockExecutor(), [ContainerJob(image="x")])
        >>> result.counts, result.ok, result.status_calls
        ({'completed': 1}, True, 1)
    """

    jobs: tuple[JobLike, ...]
    by_status: Mapping[str, tuple[JobLike, ...]]
    reasons: Mapping[int, str]
    elapsed: float
    status_calls: int
    launch_attempts: int
    poll_errors: int

    def __repr__(self) -> str:
        """A one-line summary: counts and figures, never the jobs themselves.

        Example:
            >>> MonitorResult((), {"completed": ()}, {}, 2.0, 1, 0, 0)  # doctest: +ELLIPSIS
            MonitorResult(jobs=0, counts={'completed': 0}, reasons=0, elapsed=2.0, status_calls=1, ...)
        """
        return (
            f"MonitorResult(jobs={len(self.jobs)}, counts={self.counts}, reasons={len(self.reasons)}, "
            f"elapsed={self.elapsed!r}, status_calls={self.status_calls}, launch_attempts={self.launch_attempts}, "
            f"poll_errors={self.poll_errors})"
        )

    @property
    def counts(self) -> dict[str, int]:
        """How many jobs ended in each status.

        Example:
            >>> MonitorResult((), {"failed": ()}, {}, 0.0, 0, 0, 0).counts
            {'failed': 0}
        """
        return {status: len(jobs) for status, jobs in self.by_status.items()}

    @property
    def ok(self) -> bool:
        """Whether every job completed (exit code 0).

        Example:
            >>> MonitorResult((), {}, {}, 0.0, 0, 0, 0).ok
            True
        """
        return set(self.by_status) <= {JobStatus.COMPLETED.value}


# -- option checks ---------------------------------------------------------------------------


def _check_seconds(name: str, value: object) -> None:
    number = isinstance(value, int | float) and not isinstance(value, bool)
    if not number or not math.isfinite(value) or value < 0:  # type: ignore[arg-type,operator]
        raise _config_error(f"{name} must be a finite number >= 0, got {value!r}")


def _check_count(name: str, value: object) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise _config_error(f"{name} must be an int >= 1, got {value!r}")


def _check_interval(name: str, value: object) -> None:
    _check_seconds(name, value)
    if value == 0:
        raise _config_error(f"{name} must be positive, got {value!r}")


def _check_optional_count(name: str, value: object) -> None:
    if value is not None:
        _check_count(name, value)


def _check_deadline(name: str, value: object) -> None:
    if value is not None:
        _check_interval(name, value)


def _check_backoff(name: str, value: object) -> None:
    if not isinstance(value, Backoff):
        raise _config_error(f"{name} must be a Backoff, got {value!r}")


_CHECKS: Mapping[str, Callable[[str, object], None]] = {
    "concurrency": _check_count,
    "poll_interval": _check_interval,
    "max_launch_attempts": _check_count,
    "backoff": _check_backoff,
    "timeout_grace": _check_seconds,
    "max_poll_failures": _check_optional_count,
    "launch_workers": _check_count,
    "deadline": _check_deadline,
}


@dataclasses.dataclass(frozen=True)
class _Options:
    concurrency: int
    poll_interval: float
    max_launch_attempts: int
    backoff: Backoff
    timeout_grace: float
    max_poll_failures: int | None
    launch_workers: int
    on_progress: Callable[[Progress], object] | None
    cleanup: bool
    deadline: float | None = None
    on_output: OnOutput | None = None

    def __post_init__(self) -> None:
        for name, check in _CHECKS.items():
            check(name, getattr(self, name))


def _unique(jobs: Iterable[JobLike]) -> tuple[JobLike, ...]:
    given = tuple(jobs)
    if len({id(job) for job in given}) != len(given):
        raise _config_error("the same job object appears more than once (it would run twice)")
    return given


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

    def __init__(self, executor: ContainerExecutor, jobs: tuple[JobLike, ...], options: _Options) -> None:
        self.executor = executor
        self.clock = executor.clock
        self.options = options
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
        self.ends = None if options.deadline is None else self.started + options.deadline
        self.cancels = _declares_cancel(executor)
        self.relay = None if options.on_output is None else OutputRelay(executor, options.on_output)

    # -- the loop ----------------------------------------------------------------------------
    def run(self) -> MonitorResult:
        workers = self.options.launch_workers
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
        reason = f"run_jobs deadline of {self.options.deadline:g} s passed"
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
        limit = self.options.max_poll_failures
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
            self._settle(execution_id, entry, release=self.options.cleanup)
        else:
            self._harvest_missed(execution_id, entry)

    def _harvest_missed(self, execution_id: str, entry: _Entry) -> None:
        entry.misses += 1
        if entry.misses >= _HARVEST_MISSES:
            self._fail(entry, f"harvest_job kept returning False for ended execution {execution_id}")
            self._settle(execution_id, entry, release=self.options.cleanup)

    def _vanished(self, execution_id: str, entry: _Entry) -> None:
        self._fail(entry, f"execution {execution_id} disappeared (not-found) before it was harvested")
        self._settle(execution_id, entry, release=False)

    def _stop_overdue(self, execution_id: str, entry: _Entry) -> None:
        timeout = entry.job.timeout_seconds
        reason = f"timeout: still running {self.options.timeout_grace:g} s after its {timeout:g} s timeout"
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
        return min(self.options.concurrency - held, self.options.launch_workers)

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
            entry.deadline = self.clock.monotonic() + timeout + self.options.timeout_grace

    def _refused(self, entry: _Entry, message: str) -> None:
        self._fail(entry, message or "launch_job refused the job without a message")
        self.finished += 1
        self.failed += 1

    def _retry_later(self, entry: _Entry, exc: ExecutorError) -> None:
        if entry.attempts >= self.options.max_launch_attempts:
            name = type(exc).__name__
            self._refused(entry, f"launch failed {entry.attempts} times; last error: {name}: {exc}")
            return
        due = self.clock.monotonic() + self.options.backoff.delay(entry.attempts)
        heapq.heappush(self.retries, (due, entry.index, entry))

    # -- report and wait ---------------------------------------------------------------------
    def progress(self) -> Progress:
        pending = len(self.fresh) + len(self.retries)
        elapsed = self.clock.monotonic() - self.started
        return Progress(pending, len(self.running), self.finished, self.failed, elapsed)

    def _report(self) -> None:
        if self.options.on_progress is not None:
            self.options.on_progress(self.progress())

    def _wait(self) -> None:
        delay = self._delay()
        if delay > 0:
            self.clock.sleep(delay)

    def _delay(self) -> float:
        waits = [self.options.poll_interval] if (self.running or self.releasing or self.fresh) else []
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


def run_jobs(
    executor: ContainerExecutor,
    jobs: Iterable[JobLike],
    *,
    concurrency: int = 16,
    poll_interval: float = 1.0,
    max_launch_attempts: int = 5,
    backoff: Backoff | None = None,
    timeout_grace: float = 10.0,
    max_poll_failures: int | None = None,
    launch_workers: int = 1,
    on_progress: Callable[[Progress], object] | None = None,
    cleanup: bool = True,
    deadline: float | None = None,
    on_output: OnOutput | None = None,
) -> MonitorResult:
    """Run ``jobs`` on ``executor`` to the end: launch, poll, harvest, clean up.

    Every job ends with a final status on it: ``completed``, ``failed`` or
    ``timeout`` (see the module docstring for who decides which). Time is read
    and slept only through ``executor.clock``.

    Args:
        executor: Any ``ContainerExecutor``.
        jobs: The jobs (any ``JobLike``), each object at most once.
        concurrency: At most this many executions held on the backend at once.
        poll_interval: Seconds between status polls.
        max_launch_attempts: Launch calls per job, the first included, when
            they raise a transient error.
        backoff: Waits between those attempts (default ``Backoff()``: 1, 2, 4 ... 60 s).
        timeout_grace: Seconds past a job's ``timeout_seconds`` after which the
            monitor stops an execution the backend still reports running.
        max_poll_failures: Consecutive failed polls after which the run aborts
            (``None``: retry for ever).
        launch_workers: Launch up to this many jobs at once from a thread pool,
            for backends whose launch is slow (a Docker create and start takes
            a few hundred milliseconds). Above 1, the executor's ``launch_job``
            must be thread-safe (the kit's Docker and Mock executors are); every
            other call stays in the calling thread.
        on_progress: Called with a ``Progress`` at the start and after every tick.
        cleanup: Clean up each execution once harvested (overdue ones are always
            stopped and cleaned up; so is everything held when the run aborts).
        deadline: Seconds (executor clock) after which the run ends whatever
            remains: held executions are stopped and cleaned up, unfinished
            jobs are ``failed`` with the reason (``None``: no limit).
        on_output: Called as ``on_output(job, stream, text)`` with the output
            each job wrote since the last tick (read with ``get_logs``), and
            with the rest once it is harvested: joined per job and stream,
            exactly its ``stdout`` and ``stderr``.

    Returns:
        The jobs by final status, with counts, elapsed clock time and call counts.

    Raises:
        ExecutorConfigurationError: for a bad option or a job given twice.
        ExecutorError: a non-transient backend error (authentication, say), or a
            transient one after ``max_poll_failures`` failed polls; what the
            monitor held has been cleaned up.

    Example:
        >>> from executor_kit import ContainerJob, MockExecutor, Probe
        >>> mock = MockExecutor()
        >>> jobs = [ContainerJob(image="x", command=Probe().sleep(s).exit(s % 2).argv) for s in range(6)]
        >>> result = run_jobs(mock, jobs, concurrency=2, poll_interval=1)
        >>> result.counts, result.elapsed, mock.live_executions()
        ({'completed': 3, 'failed': 3}, 9.0, [])
    """
    options = _Options(
        concurrency=concurrency,
        poll_interval=poll_interval,
        max_launch_attempts=max_launch_attempts,
        backoff=Backoff() if backoff is None else backoff,
        timeout_grace=timeout_grace,
        max_poll_failures=max_poll_failures,
        launch_workers=launch_workers,
        on_progress=on_progress,
        cleanup=cleanup,
        deadline=deadline,
        on_output=on_output,
    )
    return _Run(executor, _unique(jobs), options).run()
