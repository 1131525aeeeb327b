"""The MockExecutor: a deterministic, configurable backend for tests.

Example:
    >>> from executor_kit.backends.mock import MockExecutor, Outcome
    >>> MockExecutor(default=Outcome(exit_code=1)).name
    'mock'
"""

from __future__ import annotations

from executor_kit.backends.mock.config import DEFAULT_CAPABILITIES, MockSettings, parse_config
from executor_kit.backends.mock.executor import MockExecutor
from executor_kit.backends.mock.faults import Fault
from executor_kit.backends.mock.journal import Call, JobSummary, Journal
from executor_kit.backends.mock.outcomes import Outcome, Rule, UnexpectedJobError

__all__ = [
    "DEFAULT_CAPABILITIES",
    "Call",
    "Fault",
    "JobSummary",
    "Journal",
    "MockExecutor",
    "MockSettings",
    "Outcome",
    "Rule",
    "UnexpectedJobError",
    "parse_config",
]
