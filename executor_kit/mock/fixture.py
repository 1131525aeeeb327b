"""The ``mock_executor`` pytest fixture: a fresh ``MockExecutor`` per test.

The plugin registers it; a project without the plugin can import it into its
``conftest.py``::

    from executor_kit.mock.fixture import mock_executor

Configure it per test by indirect parametrization with a config dict::

    @pytest.mark.parametrize("mock_executor", [{"strict": True}], indirect=True)
    def test_x(mock_executor): ...

At teardown (also when the test failed) it runs the final checks that were
asked for: with ``{"assert_all_rules_used": True}`` every scripted rule must
have been used.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from executor_kit.mock.executor import MockExecutor

__all__ = ["mock_executor"]


@pytest.fixture
def mock_executor(request: pytest.FixtureRequest) -> Iterator[MockExecutor]:
    """A new ``MockExecutor`` on its own virtual clock, checked at teardown if asked.

    Example:
        >>> mock_executor.__name__
        'mock_executor'
    """
    config: Any = getattr(request, "param", None)
    executor = MockExecutor(config)
    yield executor
    executor.verify()
