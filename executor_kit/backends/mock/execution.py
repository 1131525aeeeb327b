"""One execution on the ``MockExecutor``: when it ends and how, what it wrote when, and what a cancel does.

Everything is fixed at launch (end time, ending) except by ``cancel``, which
can only bring the end forward: terminal states stay absorbing. Times are
virtual seconds; a job's output starts after its ``startup`` phase (an image
pull, a capacity wait), during which it reads ``running`` and has written
nothing; a job that ``never_starts`` has an infinite startup and end.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping

from executor_kit.backends.mock.outcomes import Outcome
from executor_kit.clock import MAX_SPAN
from executor_kit.errors import ExecutorConfigurationError, ExecutorResourceError
from executor_kit.probe import ProbeEvent, ProbeRun
from executor_kit.status import ExecutionStatus

__all__ = ["CLEAN_EXIT", "Ending", "Execution", "outcome_ending", "probe_duration", "probe_ending"]

_EXITED = ExecutionStatus.EXITED
_FAILED = ExecutionStatus.FAILED
_RUNNING = ExecutionStatus.RUNNING
CANCEL_REASON = "cancelled"


class Ending:
    """How an execution ends: status, exit code, reason, whether by timeout or by cancel.

    Example:
        >>> Ending(ExecutionStatus.FAILED, 143, "cancelled", False, True).cancelled
        True
    """

    __slots__ = ("cancelled", "exit_code", "reason", "status", "timed_out")

    def __init__(
        self,
        status: ExecutionStatus,
        exit_code: int,
        reason: str | None,
        timed_out: bool,
        cancelled: bool = False,
    ) -> None:
        self.status = status
        self.exit_code = exit_code
        self.reason = reason
        self.timed_out = timed_out
        self.cancelled = cancelled


CLEAN_EXIT = Ending(_EXITED, 0, None, False)
LOST = Ending(_FAILED, -1, "lost", False)


class Execution:
    """One live execution; small on purpose (slots, shared references).

    Example:
        >>> run = Execution(0.0, dt.datetime(2026, 1, 1), {}, Outcome(stdout="hi"), None)
        >>> run.end, run.startup = 60.0, 5.0
        >>> run.logs_at(4.0), run.logs_at(5.0), run.status_at(59.0).value
        (('', ''), ('hi', ''), 'running')
        >>> run.cancel(10.0, grace=10.0); run.status_at(10.0).value, run.ending.exit_code
        ('failed', 143)
    """

    __slots__ = (
        "cancel_requested",
        "end",
        "ending",
        "ignores_term",
        "labels",
        "outcome",
        "run",
        "secrets",
        "start",
        "started_at",
        "startup",
    )

    def __init__(
        self,
        start: float,
        started_at: dt.datetime,
        labels: Mapping[str, str],
        outcome: Outcome | None,
        run: ProbeRun | None,
    ) -> None:
        self.start = start
        self.started_at = started_at
        self.labels = labels
        self.outcome = outcome
        self.run = run
        self.end = start
        self.ending = CLEAN_EXIT
        self.secrets: tuple[str, ...] = ()
        self.startup = 0.0
        self.ignores_term = False
        self.cancel_requested = False

    @property
    def events(self) -> tuple[ProbeEvent, ...]:
        """What the workload writes, at seconds after its startup phase."""
        if self.run is not None:
            return self.run.events
        outcome = self.outcome or Outcome()
        written = (("stdout", outcome.stdout), ("stderr", outcome.stderr))
        return tuple(ProbeEvent(0.0, stream, text) for stream, text in written if text)

    def elapsed(self, now: float) -> float:
        """Seconds the workload has run by ``now`` (negative while starting), stopping at its end."""
        return min(now, self.end) - self.start - self.startup

    def logs_at(self, now: float) -> tuple[str, str]:
        """``(stdout, stderr)`` written by ``now``."""
        elapsed = self.elapsed(now)
        if elapsed < 0:
            return "", ""
        if self.run is None:
            outcome = self.outcome or Outcome()
            return outcome.stdout, outcome.stderr
        return self.run.output_until(elapsed)

    def written(self, now: float) -> int:
        """How many of ``events`` were written by ``now``."""
        elapsed = self.elapsed(now)
        return sum(1 for event in self.events if event.at <= elapsed)

    def next_change(self, delivered: int) -> float:
        """The virtual time at which more output (or the end) can come; ``inf`` if never."""
        events = self.events
        if delivered < len(events):
            return min(self.end, self.start + self.startup + events[delivered].at)
        return self.end

    def status_at(self, now: float) -> ExecutionStatus:
        """``running`` until the end, then the ending's word."""
        return self.ending.status if now >= self.end else _RUNNING

    def cancel(self, now: float, grace: float) -> None:
        """Stop it: at once for SIGTERM, after ``grace`` if it ignores SIGTERM; an ended one is unchanged.

        Raises:
            ExecutorResourceError: the outcome's ``cancel_error`` (nothing changes).
        """
        if self.cancel_requested or now >= self.end:
            return
        outcome = self.outcome or Outcome()
        if outcome.cancel_error is not None:
            raise ExecutorResourceError(outcome.cancel_error, backend="mock")
        self.cancel_requested = True
        lands = now + outcome.cancel_delay
        forced = self.ignores_term and lands >= self.start + self.startup  # a process that never started dies at once
        stop = lands + (grace if forced else 0.0)
        if stop < self.end:  # else its own end (or its timeout) comes first and stands
            self.end = stop
            self.ending = Ending(_FAILED, 137 if forced else 143, CANCEL_REASON, False, True)


def outcome_ending(outcome: Outcome) -> Ending:
    """The ending a scripted outcome gives.

    Example:
        >>> outcome_ending(Outcome.oom()).exit_code
        137
    """
    if outcome.lost:
        return LOST
    if outcome.oom_killed:
        return Ending(_FAILED, 137, "OOM killed", False)
    return CLEAN_EXIT if outcome.exit_code == 0 else Ending(_EXITED, outcome.exit_code, None, False)


def probe_ending(run: ProbeRun, limit: int | None) -> Ending:
    """The ending an interpreted probe run gives.

    Example:
        >>> from executor_kit.probe import interpret
        >>> probe_ending(interpret(["probe", "exit", "3"]), None).exit_code
        3
    """
    if run.oom_killed:
        return Ending(_FAILED, 137, f"OOM killed: exceeded the memory limit of {limit} MiB", False)
    return CLEAN_EXIT if run.exit_code == 0 else Ending(_EXITED, run.exit_code, None, False)


def probe_duration(run: ProbeRun) -> float:
    """The run's duration, checked against the virtual clock's span.

    Example:
        >>> from executor_kit.probe import interpret
        >>> probe_duration(interpret(["probe", "sleep", "2"]))
        2.0
    """
    if not math.isfinite(run.duration) or run.duration > MAX_SPAN:
        raise ExecutorConfigurationError(
            f"the probe's sleep steps add up to {run.duration!r} s; the MockExecutor's virtual clock spans "
            f"at most {MAX_SPAN:g} s (for a job that runs until stopped, sleep a long finite time)",
            backend="mock",
        )
    return run.duration
