"""The ``MockExecutor``'s launch path: from a job to an execution whose end is known.

How a launch is played: an invalid job, or one asking for
``executor_kit.probe.MISSING_IMAGE`` (an image that never exists), is refused
with ``(False, message)``; otherwise the first rule that matches the job (and is not used
up) gives its ``Outcome``; otherwise a strict mock raises
``UnexpectedJobError``; otherwise a probe argv is interpreted
(``executor_kit.probe``) and any other command gets the default outcome.
Everything about an execution's end is computed at launch (its end time on the
virtual clock, status, exit code, reason), so ``check_status`` is a lookup and
terminal states are absorbing by construction. A job's ``timeout_seconds``
ends it at the deadline (``failed``; exit code 143, or 137 if the probe ignores
SIGTERM; harvest records ``timeout``).
"""

from __future__ import annotations

import math

from executor_kit.backends.mock.execution import Ending, Execution, outcome_ending, probe_duration, probe_ending
from executor_kit.backends.mock.journal import JobSummary
from executor_kit.backends.mock.outcomes import Outcome, unexpected_job
from executor_kit.backends.mock.state import MockState
from executor_kit.errors import ExecutorConfigurationError
from executor_kit.job import JobLike, job_environment, mark_launched, secret_values, validate_job
from executor_kit.labels import kit_labels
from executor_kit.probe import MISSING_IMAGE, ProbeRun, interpret, is_probe
from executor_kit.status import ExecutionStatus

__all__ = ["Launching"]

_FAILED = ExecutionStatus.FAILED
_TIMEOUT_REASON = "timeout"
#: The probe steps that read the environment (``env NAME``, ``has NAME``).
_ENV_STEPS = frozenset({"env", "has"})
_PROBE_CACHE_SIZE = 1024  # distinct probe argvs whose interpretation is kept (runs are immutable)


def _startup(outcome: Outcome | None) -> float:
    if outcome is None:
        return 0.0
    return math.inf if outcome.never_starts else outcome.startup


def _job_problem(job: JobLike) -> str | None:
    try:
        validate_job(job)
    except ExecutorConfigurationError as exc:
        return f"job rejected: {exc.message}"
    return None


class Launching(MockState):
    """``launch_job`` and the steps it takes (a subclass may override one, e.g. ``_memory_limit``).

    Example:
        >>> from executor_kit.backends.mock import MockExecutor
        >>> mock = MockExecutor()
        >>> isinstance(mock, Launching), mock.launch_job(ContainerJob(image="x", command=["probe", "sleep", "3"]))
        (True, (True, 'mock-1'))
        >>> mock._executions["mock-1"].end
        3.0
    """

    def _choose(self, job: JobLike) -> Outcome | None:
        for index, rule in enumerate(self._rules):
            if (rule.times is None or self._uses[index] < rule.times) and rule.matches(job):
                self._uses[index] += 1
                return rule.outcome
        if self._settings.strict:
            raise unexpected_job(job, self._rules, self._uses)
        return None if is_probe(job.command) else self._settings.default

    def _memory_limit(self, job: JobLike) -> int | None:
        return job.memory_limit if self._settings.capabilities["supports_resource_limits"] else None

    def _job_problem(self, job: JobLike) -> str | None:
        """Why ``job`` is invalid (``validate_job``), or ``None``."""
        return _job_problem(job)

    def _rejection(self, job: JobLike) -> str | None:
        if job.image == MISSING_IMAGE:
            return f"image {MISSING_IMAGE!r} not found (it never exists, by convention)"
        has_secrets = bool(getattr(job, "secret_environment", None))
        if has_secrets and not self._settings.capabilities["supports_secrets"]:
            return "job rejected: this MockExecutor is configured without secrets support"
        return None

    def _interpret(self, job: JobLike, argv: tuple[str, ...], limit: int | None) -> ProbeRun:
        if _ENV_STEPS.intersection(argv):  # the run depends on the environment: not cached
            return interpret(argv, job_environment(job), memory_limit_mib=limit)
        key = (argv, limit)
        run = self._probe_cache.get(key)
        if run is None:
            if len(self._probe_cache) >= _PROBE_CACHE_SIZE:
                self._probe_cache.clear()
            run = self._probe_cache[key] = interpret(argv, memory_limit_mib=limit)
        return run

    def _play(self, job: JobLike, summary: JobSummary, outcome: Outcome | None, now: float) -> Execution:
        execution = Execution(now, self.clock.now(), kit_labels(job), outcome, None)
        if outcome is None:
            limit = self._memory_limit(job)
            execution.run = run = self._interpret(job, summary.command, limit)
            execution.ending = probe_ending(run, limit)
            duration, ignores_term = probe_duration(run), run.ignores_term
        else:
            execution.ending = outcome_ending(outcome)
            duration, ignores_term = outcome.duration, outcome.ignores_term
        execution.startup = self._settings.startup + _startup(outcome)
        execution.end = now + execution.startup + duration
        execution.ignores_term = ignores_term
        self._apply_timeout(execution, job.timeout_seconds, ignores_term)
        return execution

    @staticmethod
    def _apply_timeout(execution: Execution, timeout: float | None, ignores_term: bool) -> None:
        if timeout is None or execution.end - execution.start <= timeout:
            return
        execution.end = execution.start + timeout
        execution.ending = Ending(_FAILED, 137 if ignores_term else 143, _TIMEOUT_REASON, True)

    def _launch(self, job: JobLike, summary: JobSummary) -> tuple[bool, str]:
        rejection = self._rejection(job)
        if rejection is not None:
            return False, rejection
        outcome = self._choose(job)
        if outcome is not None and outcome.launch_error is not None:
            return False, outcome.launch_error
        now = self.clock.monotonic()
        execution = self._play(job, summary, outcome, now)
        execution.secrets = tuple(secret_values(job))
        self._counter += 1
        execution_id = f"mock-{self._counter}"
        self._executions[execution_id] = execution
        mark_launched(job, execution_id, execution.started_at)
        return True, execution_id

    def launch_job(self, job: JobLike) -> tuple[bool, str]:
        """Play the job: ``(True, "mock-<n>")``, or ``(False, message)`` for a rejected job.

        Raises:
            UnexpectedJobError: in strict mode, for a job no rule matches.
            ExecutorError: an injected fault.

        Example:
            >>> from executor_kit.backends.mock import MockExecutor
            >>> mock = MockExecutor(default=Outcome.launch_failure("no such image"))
            >>> mock.launch_job(ContainerJob(image="nope")), mock.find_executions({})
            ((False, 'no such image'), [])
        """
        problem = self._job_problem(job)  # first: a job mutated into nonsense cannot even be summarised
        summary = JobSummary.of(job) if problem is None else JobSummary.of_invalid(job)
        with self._lock:
            self._inject("launch_job", (summary,), None)
            try:
                result = (False, problem) if problem is not None else self._launch(job, summary)
            except ExecutorConfigurationError as exc:
                self._note("launch_job", (summary,), None, exc)
                raise
            self._note("launch_job", (summary,), result)
        return result
