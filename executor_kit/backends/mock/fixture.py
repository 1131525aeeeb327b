"""The ``mock_executor`` pytest fixture: a fresh ``MockExecutor`` per test.

The plugin registers it; a project without the plugin can import it into its
``conftest.py``::

    from executor_kit.backends.mock.fixture import mock_executor

Configure it per test by indirect parametrization with a config dict::

    @pytest.mark.parametrize("mock_executor", [{"strict": True}], indirect=True)
    def test_x(mock_executor): ...

At teardown (also when the test failed) it runs the final checks that were
asked for: with ``{"assert_all_rules_used": True}`` every scripted rule must
have been used. The same set-up and checks, without pytest, are
``checked_mock_executor``, a context manager.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

import pytest

from executor_kit.backends.mock.executor import MockExecutor

__all__ = ["checked_mock_executor", "mock_executor"]


@contextlib.contextmanager
def checked_mock_executor(config: Any = None) -> Iterator[MockExecutor]:
    """A new ``MockExecutor`` for the block; at its end, the final checks ``config`` asks for.

    This is what the ``mock_executor`` fixture does around each test. The
    checks (``MockExecutor.verify``) run when the block ends normally.

    Args:
        config: The ``MockExecutor`` config (``None``: the defaults).

    Raises:
        AssertionError: at the end of the block, with
            ``{"assert_all_rules_used": True}``, if a scripted rule was not used up.

    Example:
        >>> with checked_mock_executor({"assert_all_rules_used": True}) as executor:
        ...     rule = executor.on(image="busybox", exit_code=3)
        ...     executor.launch_job(ContainerJob(image="busybox"))
        (True, 'mock-1')
        >>> with checked_mock_executor({"assert_all_rules_used": True}) as executor:
        ...     rule = executor.on(image="never", exit_code=3)
        Traceback (most recent call last):
        ...
        AssertionError: 1 scripted rule(s) not used up: rule 0: Rule(image='never') -> exit_code=3 (used 0 times)
    """
    executor = MockExecutor(config)
    yield executor
    executor.verify()


@pytest.fixture
def mock_executor(request: pytest.FixtureRequest) -> Iterator[MockExecutor]:
    """A new ``MockExecutor`` on its own virtual clock, checked at teardown if asked.

    The config is the indirect parameter (``request.param``), if any; set-up and
    teardown are ``checked_mock_executor``'s, so a test receives what its block does.

    Example:
        >>> with checked_mock_executor() as executor:  # what a test without a parameter receives
        ...     executor.clock.monotonic(), executor.launch_job(ContainerJob(image="busybox"))
        (0.0, (True, 'mock-1'))
        >>> with checked_mock_executor({"strict": True}) as executor:  # parametrize(..., [{"strict": True}])
        ...     executor.launch_job(ContainerJob(image="busybox"))  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ...
        executor_kit.backends.mock.outcomes.UnexpectedJobError: strict MockExecutor has no rule for job ...
    """
    with checked_mock_executor(getattr(request, "param", None)) as executor:
        yield executor
