"""The MockExecutor's conformance hooks (``contract_tests.hooks``): an outage, by injected faults."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import TYPE_CHECKING

from executor_kit.errors import ExecutorConnectionError

if TYPE_CHECKING:
    from executor_kit.mock.executor import MockExecutor

__all__ = ["MockHooks"]

_METHODS = ("launch_job", "check_status", "check_statuses", "get_logs", "harvest_job", "cleanup", "find_executions")


class MockHooks:
    """Hooks of one ``MockExecutor``; a foreign execution has no meaning for it (every record is its own).

    Example:
        >>> from executor_kit import MockExecutor
        >>> mock = MockExecutor()
        >>> with mock.conformance_hooks.outage():
        ...     try:
        ...         mock.check_status("x")
        ...     except ExecutorConnectionError:
        ...         print("unreachable")
        unreachable
        >>> mock.check_status("x").value
        'not-found'
    """

    def __init__(self, executor: MockExecutor) -> None:
        self.executor = executor

    @contextlib.contextmanager
    def outage(self) -> Iterator[None]:
        """Every call raises ``ExecutorConnectionError`` in the block (the mock's faults are cleared after it)."""
        for method in _METHODS:
            self.executor.fail(method, ExecutorConnectionError, times=None, message="the backend is unreachable")
        try:
            yield
        finally:
            self.executor.clear_faults()
