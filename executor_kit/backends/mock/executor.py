"""``MockExecutor``: a deterministic, thread-safe executor on a virtual clock.

The class is assembled from parts, each in its own module: ``state`` (what it
keeps, under one lock: see there for thread safety), ``launching`` (how a
launch is played) and ``lifecycle`` (status, logs, harvest, cancel, cleanup,
listing). This module adds construction, scripting (rules, faults,
``configure``), time and the final checks.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Iterable, Mapping
from typing import Any, ClassVar

from executor_kit.backends.mock.config import MockSettings, parse_config
from executor_kit.backends.mock.execution import Execution, probe_ending
from executor_kit.backends.mock.faults import Fault, FaultPlan
from executor_kit.backends.mock.hooks import MockHooks
from executor_kit.backends.mock.journal import Journal
from executor_kit.backends.mock.launching import Launching
from executor_kit.backends.mock.lifecycle import Lifecycle
from executor_kit.backends.mock.outcomes import Outcome, Rule
from executor_kit.clock import VirtualClock
from executor_kit.errors import ExecutorConfigurationError, ExecutorError

__all__ = ["MockExecutor"]

# The names these had before they moved to executor_kit.backends.mock.execution (the subtle gallery builds on them).
_Execution = Execution
_probe_ending = probe_ending


class MockExecutor(Launching, Lifecycle):
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
        self.clock = clock or VirtualClock()
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

    def reset(self) -> None:
        """Back to the state after construction: no executions, empty journal, ids from 1.

        Rules and faults added since are dropped; the clock is left as it is.

        Example:
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

    # -- hooks -----------------------------------------------------------

    @property
    def conformance_hooks(self) -> MockHooks:
        """Hooks for the conformance suite: a foreign record and an outage (see ``contract_tests.hooks``).

        Example:
            >>> type(MockExecutor().conformance_hooks).__name__
            'MockHooks'
        """
        return MockHooks(self)

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
