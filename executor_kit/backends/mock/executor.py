"""``MockExecutor``: a deterministic, thread-safe executor on a virtual clock.

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

Thread safety: one re-entrant lock (``self._lock``) guards all state: the
executions, the id counter, rules and their use counts, faults and their
random generator, and the journal. Every public method holds it for its whole
body, so calls are linearizable and the journal order is the order in which
they took effect. The clock has its own lock; advancing it from another
thread is safe.
"""

from __future__ import annotations

import datetime as dt
import math
import threading
from collections.abc import Iterable, Iterator, Mapping
from typing import Any, ClassVar

from executor_kit.backends.mock.config import MockSettings, parse_config
from executor_kit.backends.mock.execution import Ending, Execution, outcome_ending, probe_duration, probe_ending
from executor_kit.backends.mock.faults import Fault, FaultPlan
from executor_kit.backends.mock.hooks import MockHooks
from executor_kit.backends.mock.journal import JobSummary, Journal
from executor_kit.backends.mock.outcomes import Outcome, Rule, unexpected_job
from executor_kit.backends.mock.streaming import follow_logs
from executor_kit.base import ContainerExecutor, LogChunk
from executor_kit.clock import VirtualClock
from executor_kit.errors import ExecutorConfigurationError, ExecutorError
from executor_kit.job import (
    JobLike,
    job_environment,
    mark_launched,
    record_result,
    redact,
    secret_values,
    validate_job,
)
from executor_kit.labels import kit_labels
from executor_kit.probe import MISSING_IMAGE, ProbeRun, interpret, is_probe
from executor_kit.status import ExecutionStatus

__all__ = ["MockExecutor"]

_FAILED = ExecutionStatus.FAILED
_NOT_FOUND = ExecutionStatus.NOT_FOUND
_TIMEOUT_REASON = "timeout"
# The names these had before they moved to executor_kit.backends.mock.execution (the subtle gallery builds on them).
_Execution = Execution
_probe_ending = probe_ending
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


class MockExecutor(ContainerExecutor):
    """A deterministic executor for tests, on a virtual clock nothing sleeps on.

    Args:
        config: A plain config dict (see ``executor_kit.backends.mock.config``); its
            keys override the keyword arguments.
        clock: The virtual clock (a new ``VirtualClock`` by default).
        seed: Seeds probabilistic faults.
        strict: Raise ``UnexpectedJobError`` for a job no rule matches.
        default: The outcome of non-probe jobs that no rule matches.
        rules: Scripted outcomes, first match wins.
        faults: Injected errors.
        capabilities: Overrides of the declared capabilities.
        harvest_cleans_up: Make ``harvest_job`` also clean up.

    Raises:
        ExecutorConfigurationError: for a bad config (naming the key).

    Example:
        >>> from executor_kit import ContainerJob
        >>> mock = MockExecutor({"rules": [{"image": "etl:*", "outcome": {"exit_code": 3, "duration": 60}}]})
        >>> job = ContainerJob(image="etl:1", command=["run"])
        >>> mock.launch_job(job)
        (True, 'mock-1')
        >>> mock.check_status("mock-1"), mock.harvest_job(job)
        (<ExecutionStatus.RUNNING: 'running'>, False)
        >>> mock.advance(60)
        >>> mock.check_status("mock-1").value, mock.harvest_job(job), job.exit_code, job.status
        ('exited', True, 3, 'failed')
    """

    name: ClassVar[str] = "mock"
    instances_share_backend: ClassVar[bool] = False  # each instance keeps its executions in memory

    def __init__(
        self,
        config: Mapping[str, Any] | None = None,
        *,
        clock: VirtualClock | None = None,
        seed: int = 0,
        strict: bool = False,
        default: Outcome | None = None,
        rules: Iterable[Rule] = (),
        faults: Iterable[Fault] = (),
        capabilities: Mapping[str, bool] | None = None,
        harvest_cleans_up: bool = False,
    ) -> None:
        self.clock: VirtualClock = clock or VirtualClock()
        #: Records of the backend that this executor did not launch (the conformance foreign-execution hook).
        self.foreign_records: set[str] = set()
        super().__init__(config, clock=self.clock)
        base = MockSettings(default=default or Outcome(), rules=tuple(rules), faults=tuple(faults))
        code_config = {"seed": seed, "strict": strict, "harvest_cleans_up": harvest_cleans_up}
        base = parse_config({**code_config, "capabilities": dict(capabilities or {})}, base)
        self._initial = parse_config(self.config, base)
        self._lock = threading.RLock()
        self.journal = Journal(self._lock)
        self._apply(self._initial)

    # -- configuration ---------------------------------------------------

    def _apply(self, settings: MockSettings) -> None:
        with self._lock:
            self._settings = settings
            self._rules: list[Rule] = list(settings.rules)
            self._uses: list[int] = [0] * len(self._rules)
            self._faults = FaultPlan(settings.faults, seed=settings.seed)
            self._executions: dict[str, Execution] = {}
            self._harvested: dict[str, Execution] = {}
            self._probe_cache: dict[tuple[tuple[str, ...], int | None], ProbeRun] = {}
            self._counter = 0
            self.journal.clear()

    def reset(self) -> None:
        """Back to the state after construction: no executions, empty journal, ids from 1.

        Rules and faults added since are dropped; the clock is left as it is.

        Example:
            >>> from executor_kit import ContainerJob
            >>> mock = MockExecutor(); _ = mock.launch_job(ContainerJob(image="x"))
            >>> mock.reset(); len(mock.journal), mock.launch_job(ContainerJob(image="x"))
            (0, (True, 'mock-1'))
        """
        self._apply(self._initial)

    def configure(self, config: Mapping[str, Any]) -> None:
        """Apply a config dict over the current settings, all or nothing.

        Existing executions are forgotten and use counts restart, as after ``reset``.

        Raises:
            ExecutorConfigurationError: naming the offending key; nothing changes.

        Example:
            >>> mock = MockExecutor(); mock.configure({"strict": True}); mock.strict
            True
        """
        with self._lock:
            self._apply(parse_config(config, self._settings))

    @property
    def strict(self) -> bool:
        """Whether an unmatched job raises ``UnexpectedJobError``.

        Example:
            >>> MockExecutor(strict=True).strict
            True
        """
        return self._settings.strict

    @property
    def settings(self) -> MockSettings:
        """The current settings (immutable).

        Example:
            >>> MockExecutor().settings.harvest_cleans_up
            False
        """
        return self._settings

    @property
    def rules(self) -> list[tuple[Rule, int]]:
        """Each rule with how many times it has been used.

        Example:
            >>> MockExecutor(rules=[Rule(image="x")]).rules[0][1]
            0
        """
        with self._lock:
            return list(zip(self._rules, self._uses, strict=True))

    def add_rule(self, rule: Rule) -> Rule:
        """Append a rule (after those already there) and return it.

        Example:
            >>> mock = MockExecutor(); rule = mock.add_rule(Rule(Outcome(exit_code=1), image="x"))
            >>> mock.rules[0][0] is rule
            True
        """
        if not isinstance(rule, Rule):
            raise ExecutorConfigurationError(f"add_rule needs a Rule, got {rule!r}", backend="mock")
        with self._lock:
            self._rules.append(rule)
            self._uses.append(0)
        return rule

    def on(self, *, times: int | None = None, outcome: Outcome | None = None, **fields: Any) -> Rule:
        """Add a rule from keywords: matchers, then ``outcome`` or outcome fields.

        Matcher keywords are ``image``, ``name``, ``command``, ``labels`` and
        ``match``; the others are ``Outcome`` fields.

        Raises:
            ExecutorConfigurationError: for an unknown keyword or a bad value.

        Example:
            >>> mock = MockExecutor()
            >>> mock.on(image="python:*", exit_code=2, stderr="bad\\n").describe()
            "Rule(image='python:*') -> exit_code=2, stderr='bad\\\\n'"
        """
        matchers = {key: fields.pop(key) for key in ("image", "name", "command", "labels", "match") if key in fields}
        unknown = sorted(set(fields) - set(Outcome.__dataclass_fields__))
        if unknown:
            raise ExecutorConfigurationError(f"unknown rule or outcome field {unknown[0]!r}", backend="mock")
        chosen = outcome if outcome is not None else Outcome(**fields)
        return self.add_rule(Rule(chosen, times=times, **matchers))

    def fail(
        self,
        method: str,
        error: type[ExecutorError] | ExecutorError | None = None,
        *,
        times: int | None = 1,
        probability: float = 1.0,
        message: str | None = None,
    ) -> Fault:
        """Make ``method`` raise ``error`` (default ``ExecutorConnectionError``).

        Args:
            method: The method name, e.g. ``"cleanup"``.
            error: An ``ExecutorError`` subclass or instance.
            times: How many times (``None``: every call).
            probability: The chance each call fires it (seeded).
            message: The error message.

        Example:
            >>> from executor_kit import ExecutorConnectionError
            >>> mock = MockExecutor(); _ = mock.fail("check_status")
            >>> try:
            ...     mock.check_status("x")
            ... except ExecutorConnectionError as exc:
            ...     print(exc)
            injected fault: ExecutorConnectionError from check_status (x)
            >>> mock.check_status("x").value
            'not-found'
        """
        fault = Fault(method, times=times, probability=probability, message=message)
        if error is not None:
            fault = Fault(method, error, times=times, probability=probability, message=message)
        with self._lock:
            self._faults.add(fault)
        return fault

    def clear_faults(self) -> None:
        """Remove every injected fault.

        Example:
            >>> mock = MockExecutor(); _ = mock.fail("cleanup"); mock.clear_faults(); mock.cleanup("x")
            True
        """
        with self._lock:
            self._faults = FaultPlan(seed=self._settings.seed)

    # -- time ------------------------------------------------------------

    def advance(self, seconds: float) -> None:
        """Move the virtual clock forward by ``seconds``.

        Raises:
            ExecutorConfigurationError: for anything but a finite number >= 0, or
                a step past ``executor_kit.clock.MAX_SPAN`` in all; the clock
                keeps its time.

        Example:
            >>> mock = MockExecutor(); mock.advance(5); mock.clock.monotonic()
            5.0
        """
        self.clock.advance(seconds)

    def run_until_complete(self) -> float:
        """Advance the clock until every live execution has ended; return the seconds advanced.

        Example:
            >>> from executor_kit import ContainerJob
            >>> mock = MockExecutor(default=Outcome(duration=30))
            >>> _ = mock.launch_job(ContainerJob(image="x"))
            >>> mock.run_until_complete(), mock.check_status("mock-1").value
            (30.0, 'exited')
        """
        with self._lock:
            ends = (execution.end for execution in self._executions.values())
            latest = max((end for end in ends if math.isfinite(end)), default=0.0)
            step = max(0.0, latest - self.clock.monotonic())
            self.clock.advance(step)
        return step

    # -- internals -------------------------------------------------------

    def _note(self, method: str, args: tuple[Any, ...], result: Any, error: BaseException | None = None) -> None:
        self.journal.record(method, args, result, error, self.clock.monotonic())

    def _inject(self, method: str, args: tuple[Any, ...], execution_id: str | None) -> None:
        if not self._faults.active:
            return
        error = self._faults.trigger(method, execution_id)
        if error is not None:
            self._note(method, args, None, error)
            raise error

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

    @property
    def conformance_hooks(self) -> MockHooks:
        """Hooks for the conformance suite: a foreign record and an outage (see ``contract_tests.hooks``).

        Example:
            >>> type(MockExecutor().conformance_hooks).__name__
            'MockHooks'
        """
        return MockHooks(self)

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
        if "env" in argv:  # the run depends on the environment: not cached
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

    def _status(self, execution_id: str, now: float) -> ExecutionStatus:
        execution = self._executions.get(execution_id) if isinstance(execution_id, str) else None
        if execution is None:
            return _NOT_FOUND
        return execution.status_at(now)

    # -- the contract ----------------------------------------------------

    def launch_job(self, job: JobLike) -> tuple[bool, str]:
        """Play the job: ``(True, "mock-<n>")``, or ``(False, message)`` for a rejected job.

        Raises:
            UnexpectedJobError: in strict mode, for a job no rule matches.
            ExecutorError: an injected fault.

        Example:
            >>> from executor_kit import ContainerJob
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

    def check_status(self, execution_id: str) -> ExecutionStatus:
        """``running``, ``exited``, ``failed`` or ``not-found`` at the current virtual time.

        Example:
            >>> MockExecutor().check_status("")
            <ExecutionStatus.NOT_FOUND: 'not-found'>
        """
        with self._lock:
            self._inject("check_status", (execution_id,), execution_id)
            status = self._status(execution_id, self.clock.monotonic())
            self._note("check_status", (execution_id,), status)
        return status

    def check_statuses(self, execution_ids: Iterable[str]) -> dict[str, ExecutionStatus | str]:
        """The status of many executions, in one call (one journal entry).

        Example:
            >>> MockExecutor().check_statuses(["a"])
            {'a': <ExecutionStatus.NOT_FOUND: 'not-found'>}
        """
        ids = tuple(execution_ids)
        with self._lock:
            self._inject("check_statuses", (ids,), None)
            now = self.clock.monotonic()
            statuses: dict[str, ExecutionStatus | str] = {eid: self._status(eid, now) for eid in ids}
            self._note("check_statuses", (ids,), dict(statuses))
        return statuses

    def get_logs(self, execution_id: str) -> tuple[str, str]:
        """``(stdout, stderr)`` written so far; ``("", "")`` for an unknown id.

        The journal keeps the result with the job's secret values redacted.

        Example:
            >>> MockExecutor().get_logs("nope")
            ('', '')
        """
        with self._lock:
            self._inject("get_logs", (execution_id,), execution_id)
            execution = self._executions.get(execution_id) if isinstance(execution_id, str) else None
            logs = ("", "") if execution is None else execution.logs_at(self.clock.monotonic())
            secrets = execution.secrets if execution is not None else ()
            shown = (redact(logs[0], secrets), redact(logs[1], secrets)) if secrets else logs
            self._note("get_logs", (execution_id,), shown)
        return logs

    def _finished(self, execution_id: object) -> Execution | None:
        if not isinstance(execution_id, str):
            return None
        execution = self._executions.get(execution_id) or self._harvested.get(execution_id)
        if execution is None or self.clock.monotonic() < execution.end:
            return None
        return execution

    def _harvest(self, job: JobLike, execution_id: str | None) -> bool:
        execution = self._finished(execution_id)
        if execution is None or execution_id is None:
            return False
        stdout, stderr = execution.logs_at(execution.end)
        ending = execution.ending
        completed_at = execution.started_at + dt.timedelta(seconds=execution.end - execution.start)
        record_result(
            job,
            exit_code=ending.exit_code,
            stdout=stdout,
            stderr=stderr,
            completed_at=completed_at,
            timed_out=ending.timed_out,
            cancelled=ending.cancelled,
            reason=ending.reason,
        )
        if self._settings.harvest_cleans_up and execution_id in self._executions:
            self._harvested[execution_id] = self._executions.pop(execution_id)
        return True

    def harvest_job(self, job: JobLike) -> bool:
        """Record a finished execution's result on ``job``; ``False`` while running or unknown.

        Exit code 0 gives ``completed``, others ``failed``; a timeout gives
        ``timeout``; OOM kills and lost executions set ``failure_reason``.

        Example:
            >>> from executor_kit import ContainerJob
            >>> mock = MockExecutor(default=Outcome.lost_after(1))
            >>> job = ContainerJob(image="x"); _ = mock.launch_job(job); mock.advance(1)
            >>> mock.harvest_job(job), job.status, job.exit_code, job.failure_reason
            (True, 'failed', -1, 'lost')
        """
        execution_id = getattr(job, "external_execution_id", None)
        with self._lock:
            self._inject("harvest_job", (execution_id,), execution_id)
            done = self._harvest(job, execution_id)
            self._note("harvest_job", (execution_id,), done)
        return done

    def cleanup(self, execution_id: str) -> bool:
        """Stop and forget the execution; ``True``, also for unknown ids.

        Example:
            >>> mock = MockExecutor(); mock.cleanup("mock-404"), mock.cleanup("mock-404")
            (True, True)
        """
        with self._lock:
            self._inject("cleanup", (execution_id,), execution_id)
            if isinstance(execution_id, str):
                self._executions.pop(execution_id, None)
                self._harvested.pop(execution_id, None)
            self._note("cleanup", (execution_id,), True)
        return True

    def cancel(self, execution_id: str) -> bool:
        """Stop a running execution (SIGTERM, then a kill after ``cancel_grace``); keep its record and logs.

        The workload ends at once with exit code 143, or, if it ignores SIGTERM,
        ``cancel_grace`` virtual seconds later with 137; it then reads
        ``failed`` and harvests as ``cancelled``. A rule's ``cancel_delay`` makes
        the stop land later; its ``cancel_error`` makes this raise. An execution
        that already ended (or was cancelled) is left as it is.

        Returns:
            ``True`` for a known execution, ``False`` for an unknown or cleaned-up id.

        Raises:
            ExecutorNotSupportedError: when configured with ``supports_cancel: False``.
            ExecutorResourceError: the matching outcome's ``cancel_error``.
            ExecutorError: an injected fault.

        Example:
            >>> from executor_kit import ContainerJob
            >>> mock = MockExecutor(); job = ContainerJob(image="x", command=["probe", "out", "hi", "sleep", "60"])
            >>> _, eid = mock.launch_job(job)
            >>> mock.cancel(eid), mock.check_status(eid).value, mock.cancel("mock-404")
            (True, 'failed', False)
            >>> mock.harvest_job(job), job.status, job.exit_code, job.stdout
            (True, 'cancelled', 143, 'hi\\n')
        """
        if not self._settings.capabilities.get("supports_cancel"):  # declared absent: honoured
            return super().cancel(execution_id)
        with self._lock:
            self._inject("cancel", (execution_id,), execution_id)
            execution = self._executions.get(execution_id) if isinstance(execution_id, str) else None
            try:
                if execution is not None:
                    execution.cancel(self.clock.monotonic(), self._settings.cancel_grace)
            except ExecutorError as exc:
                self._note("cancel", (execution_id,), None, exc)
                raise
            self._note("cancel", (execution_id,), execution is not None)
        return execution is not None

    def stream_logs(self, execution_id: str, *, follow: bool = True) -> Iterator[LogChunk]:
        """Output as ``(stream, text)`` chunks, one per write, following the virtual clock.

        With ``follow`` the iterator sleeps the clock (advances it) to the next
        write or the end, and stops once the workload has ended and all was
        delivered; a consumer that advances the clock itself gets what was
        written meanwhile. An execution that can never end (``never_starts``
        without a timeout) ends the iterator once nothing more can come. An
        unknown id, or a cleanup meanwhile, ends it.

        Raises:
            ExecutorNotSupportedError: when configured with ``supports_log_streaming: False``.
            ExecutorError: an injected fault (at the call).

        Example:
            >>> from executor_kit import ContainerJob
            >>> mock = MockExecutor()
            >>> job = ContainerJob(image="x", command=["probe", "out", "a", "sleep", "5", "err", "b"])
            >>> _, eid = mock.launch_job(job)
            >>> list(mock.stream_logs(eid, follow=False))
            [('stdout', 'a\\n')]
            >>> list(mock.stream_logs(eid)), mock.clock.monotonic()
            ([('stdout', 'a\\n'), ('stderr', 'b\\n')], 5.0)
        """
        if not self._settings.capabilities.get("supports_log_streaming"):  # declared absent: honoured
            return super().stream_logs(execution_id, follow=follow)
        with self._lock:
            self._inject("stream_logs", (execution_id,), execution_id)
            self._note("stream_logs", (execution_id,), None)
        return follow_logs(self._lookup, execution_id, self.clock, follow=follow)

    def _lookup(self, execution_id: str) -> tuple[Execution | None, float]:
        with self._lock:
            execution = self._executions.get(execution_id) if isinstance(execution_id, str) else None
            return execution, self.clock.monotonic()

    def get_capabilities(self) -> dict[str, bool]:
        """The declared capabilities (configurable with ``capabilities``).

        Example:
            >>> mock = MockExecutor({"capabilities": {"supports_secrets": False}})
            >>> mock.get_capabilities()["supports_secrets"]
            False
        """
        with self._lock:
            self._inject("get_capabilities", (), None)
            capabilities = dict(self._settings.capabilities)
            self._note("get_capabilities", (), dict(capabilities))
        return capabilities

    def find_executions(self, labels: Mapping[str, str]) -> list[str]:
        """Ids of live (not cleaned-up) executions carrying all ``labels``.

        Every execution carries the labels of ``executor_kit.labels.kit_labels``
        (``executor-kit-managed: "true"``, the job's name and timeout) besides the job's labels.

        Example:
            >>> from executor_kit import ContainerJob
            >>> mock = MockExecutor(); _ = mock.launch_job(ContainerJob(image="x", labels={"a": "1"}))
            >>> mock.find_executions({"a": "1"}), mock.find_executions({"a": "2"})
            (['mock-1'], [])
        """
        wanted = dict(labels)
        with self._lock:
            self._inject("find_executions", (wanted,), None)
            found = [eid for eid, execution in self._executions.items() if _carries(execution, wanted)]
            self._note("find_executions", (wanted,), list(found))
        return found

    # -- checks ----------------------------------------------------------

    def live_executions(self) -> list[str]:
        """Ids of executions not yet cleaned up, in launch order.

        Example:
            >>> MockExecutor().live_executions()
            []
        """
        with self._lock:
            return list(self._executions)

    def assert_all_rules_used(self) -> None:
        """Assert every rule was used (``times`` rules: all their times).

        Raises:
            AssertionError: listing the unused rules.

        Example:
            >>> MockExecutor(rules=[Rule(image="x")]).assert_all_rules_used()  # doctest: +ELLIPSIS
            Traceback (most recent call last):
            ...
            AssertionError: 1 scripted rule(s) not used up: rule 0: Rule(image='x') -> default (used 0 times)
        """
        unused = [
            f"rule {index}: {rule.describe()} (used {used} times)"
            for index, (rule, used) in enumerate(self.rules)
            if used == 0 or (rule.times is not None and used < rule.times)
        ]
        if unused:
            raise AssertionError(f"{len(unused)} scripted rule(s) not used up: " + "; ".join(unused))

    def verify(self) -> None:
        """Run the final checks that were asked for (``assert_all_rules_used``).

        Example:
            >>> MockExecutor({"assert_all_rules_used": True}).verify()
        """
        if self._settings.assert_all_rules_used:
            self.assert_all_rules_used()

    def __repr__(self) -> str:
        with self._lock:
            live, rules = len(self._executions), len(self._rules)
        now, strict = self.clock.monotonic(), self._settings.strict
        return f"<MockExecutor live={live} rules={rules} strict={strict} t={now}>"


def _carries(execution: Execution, wanted: Mapping[str, str]) -> bool:
    labels = execution.labels
    return all(labels.get(key) == value for key, value in wanted.items())
