"""The MockExecutor's conformance hooks (``contract_tests.hooks``): a foreign record, an outage by injected faults."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING

from executor_kit.errors import ExecutorConnectionError

if TYPE_CHECKING:
    from executor_kit.backends.mock.executor import MockExecutor

__all__ = ["MockHooks"]

_METHODS = ("launch_job", "check_status", "check_statuses", "get_logs", "harvest_job", "cleanup", "find_executions")


class MockHooks:
    """Hooks of one ``MockExecutor``.

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
    def foreign_execution(self, image: str) -> Iterator[tuple[str, Callable[[], bool]]]:
        """A record of the mock's backend that this executor did not launch (as another client's would be)."""
        execution_id = f"foreign-{image}-{len(self.executor.foreign_records) + 1}"
        self.executor.foreign_records.add(execution_id)
        try:
            yield execution_id, lambda: execution_id in self.executor.foreign_records
        finally:
            self.executor.foreign_records.discard(execution_id)

    @contextlib.contextmanager
    def outage(self) -> Iterator[None]:
        """Every call raises ``ExecutorConnectionError`` in the block (the mock's faults are cleared after it)."""
        for method in _METHODS:
            self.executor.fail(method, ExecutorConnectionError, times=None, message="the backend is unreachable")
        try:
            yield
        finally:
            self.executor.clear_faults()
