"""What a ``MockExecutor`` keeps, and what every one of its calls goes through.

``MockState`` is the base of the ``MockExecutor``'s parts (``launching``,
``reading``, ``executor``): it declares the state they share and applies a
``MockSettings`` to it; ``_inject`` fires an injected fault (recording it) and
``_note`` records a call in the journal.

Thread safety: one re-entrant lock (``self._lock``) guards all state: the
executions, the id counter, rules and their use counts, faults and their
random generator, and the journal. Every public method holds it for its whole
body, so calls are linearizable and the journal order is the order in which
they took effect. The clock has its own lock; advancing it from another
thread is safe.
"""

from __future__ import annotations

import threading
from typing import Any, ClassVar

from executor_kit.backends.mock.config import MockSettings
from executor_kit.backends.mock.execution import Execution
from executor_kit.backends.mock.faults import FaultPlan
from executor_kit.backends.mock.journal import Journal
from executor_kit.backends.mock.outcomes import Rule
from executor_kit.base import ContainerExecutor
from executor_kit.clock import VirtualClock
from executor_kit.probe import ProbeRun

__all__ = ["MockState"]


class MockState(ContainerExecutor):
    """The state of a ``MockExecutor``, under its one lock; the executor's parts build on it.

    Example:
        >>> from executor_kit.backends.mock import MockExecutor
        >>> mock = MockExecutor({"seed": 3})
        >>> isinstance(mock, MockState), mock._settings.seed, mock._executions, mock._counter
        (True, 3, {}, 0)
    """

    name: ClassVar[str] = "mock"

    clock: VirtualClock
    journal: Journal
    _lock: threading.RLock
    _settings: MockSettings
    _rules: list[Rule]
    _uses: list[int]
    _faults: FaultPlan
    _executions: dict[str, Execution]
    _harvested: dict[str, Execution]
    _probe_cache: dict[tuple[tuple[str, ...], int | None], ProbeRun]
    _counter: int

    def _apply(self, settings: MockSettings) -> None:
        with self._lock:
            self._settings = settings
            self._rules = list(settings.rules)
            self._uses = [0] * len(self._rules)
            self._faults = FaultPlan(settings.faults, seed=settings.seed)
            self._executions = {}
            self._harvested = {}
            self._probe_cache = {}
            self._counter = 0
            self.journal.clear()

    def _note(self, method: str, args: tuple[Any, ...], result: Any, error: BaseException | None = None) -> None:
        self.journal.record(method, args, result, error, self.clock.monotonic())

    def _inject(self, method: str, args: tuple[Any, ...], execution_id: str | None) -> None:
        if not self._faults.active:
            return
        error = self._faults.trigger(method, execution_id)
        if error is not None:
            self._note(method, args, None, error)
            raise error
