"""executor-kit: one contract for running containers on any backend.

Every name here is defined, with its docs, in a submodule and keeps that
module as ``__module__`` (``executor_kit.errors.ExecutorError``), so
tracebacks and pickles name where it lives; ``tests/core/test_public_api.py``
checks that ``__all__`` lists exactly these names.
"""

from executor_kit.backends.mock import MockExecutor, Outcome, Rule
from executor_kit.base import OPTIONAL_CAPABILITIES, STANDARD_CAPABILITIES, ContainerExecutor
from executor_kit.clock import Clock, SystemClock, VirtualClock
from executor_kit.errors import (
    ExecutorAuthenticationError,
    ExecutorConfigurationError,
    ExecutorConnectionError,
    ExecutorError,
    ExecutorNotSupportedError,
    ExecutorResourceError,
)
from executor_kit.job import ContainerJob, JobLike
from executor_kit.labels import MANAGED_LABEL, RUN_LABEL
from executor_kit.monitor import MonitorResult, run_jobs
from executor_kit.probe import Probe
from executor_kit.registry import available_executors, get_executor, register_executor, resolve_executor
from executor_kit.status import ExecutionStatus, JobStatus

__all__ = [
    "MANAGED_LABEL",
    "OPTIONAL_CAPABILITIES",
    "RUN_LABEL",
    "STANDARD_CAPABILITIES",
    "Clock",
    "ContainerExecutor",
    "ContainerJob",
    "ExecutionStatus",
    "ExecutorAuthenticationError",
    "ExecutorConfigurationError",
    "ExecutorConnectionError",
    "ExecutorError",
    "ExecutorNotSupportedError",
    "ExecutorResourceError",
    "JobLike",
    "JobStatus",
    "MockExecutor",
    "MonitorResult",
    "Outcome",
    "Probe",
    "Rule",
    "SystemClock",
    "VirtualClock",
    "__version__",
    "available_executors",
    "get_executor",
    "register_executor",
    "resolve_executor",
    "run_jobs",
]


def __getattr__(name: str) -> str:
    if name == "__version__":
        from importlib.metadata import version

        return version("executor-kit")
    raise AttributeError(f"module 'executor_kit' has no attribute {name!r}")
