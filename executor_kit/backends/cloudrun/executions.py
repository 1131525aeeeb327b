"""Reading a Cloud Run ``Execution`` resource: its status, deadline, timeout and its task's exit code.

The status comes from the execution's ``Completed`` condition (and its
counts): succeeded → ``exited``; failed with reason ``NON_ZERO_EXIT_CODE`` →
``exited``; any other failure (cancelled, timed out, could not start) →
``failed``; no verdict yet → ``running``. Proto3 JSON omits zero counts and a
zero exit code. Nothing here is public.

Example:
    >>> done = {"conditions": [{"type": "Completed", "state": "CONDITION_SUCCEEDED"}]}
    >>> status(done), succeeded(done)
    (<ExecutionStatus.EXITED: 'exited'>, True)
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from typing import Any

from executor_kit.status import ExecutionStatus

__all__: list[str] = []

#: An execution's full resource name (the execution id), its four names captured.
EXECUTION_NAME = re.compile(
    r"projects/([a-z0-9][-a-z0-9.:]{0,62})/locations/([a-z0-9-]{1,40})/jobs/([a-z][-a-z0-9]{0,62})"
    r"/executions/([a-z][-a-z0-9]{0,62})"
)
#: The exit code recorded for an execution that ended without one (cancelled, timed out).
NO_EXIT_CODE = -1
_DEFAULT_TIMEOUT = 600.0  # Cloud Run's task timeout when none is set


def parse_time(value: str | None) -> dt.datetime | None:
    """An RFC 3339 timestamp of the API (UTC, up to nanoseconds) as an aware datetime; ``None`` for none.

    Example:
        >>> parse_time("2026-01-02T03:04:05.123456789Z"), parse_time(None)
        (datetime.datetime(2026, 1, 2, 3, 4, 5, 123456, tzinfo=datetime.timezone.utc), None)
    """
    if not value:
        return None
    head, _, fraction = value.rstrip("Z").partition(".")
    micros = (fraction + "000000")[:6]
    return dt.datetime.fromisoformat(f"{head}.{micros}+00:00")


def _seconds(duration: str | None) -> float:
    return float(duration[:-1]) if duration and duration.endswith("s") else _DEFAULT_TIMEOUT


def completed(execution: Mapping[str, Any]) -> dict[str, Any]:
    """The execution's ``Completed`` condition (``{}`` when it has none yet).

    Example:
        >>> completed({"conditions": [{"type": "Ready"}, {"type": "Completed", "state": "CONDITION_PENDING"}]})
        {'type': 'Completed', 'state': 'CONDITION_PENDING'}
    """
    conditions = execution.get("conditions", [])
    return next((c for c in conditions if c.get("type") == "Completed"), {})


def succeeded(execution: Mapping[str, Any]) -> bool:
    """Whether the execution completed successfully.

    Example:
        >>> succeeded({})
        False
    """
    return completed(execution).get("state") == "CONDITION_SUCCEEDED"


def _counted_status(execution: Mapping[str, Any]) -> ExecutionStatus:
    tasks = int(execution.get("taskCount", 1))
    done = sum(int(execution.get(key, 0)) for key in ("succeededCount", "failedCount", "cancelledCount"))
    if done < tasks or not execution.get("completionTime"):
        return ExecutionStatus.RUNNING
    ok = int(execution.get("succeededCount", 0)) >= tasks
    return ExecutionStatus.EXITED if ok else ExecutionStatus.FAILED


def status(execution: Mapping[str, Any]) -> ExecutionStatus:
    """``exited``, ``failed`` or ``running``, as the execution itself says (deadlines aside).

    Example:
        >>> failed = {"type": "Completed", "state": "CONDITION_FAILED", "executionReason": "NON_ZERO_EXIT_CODE"}
        >>> status({"conditions": [failed]}), status({"taskCount": 1, "runningCount": 1})
        (<ExecutionStatus.EXITED: 'exited'>, <ExecutionStatus.RUNNING: 'running'>)
    """
    condition = completed(execution)
    state = condition.get("state")
    if state == "CONDITION_SUCCEEDED":
        return ExecutionStatus.EXITED
    if state == "CONDITION_FAILED":
        nonzero = condition.get("executionReason") == "NON_ZERO_EXIT_CODE"
        return ExecutionStatus.EXITED if nonzero else ExecutionStatus.FAILED
    return _counted_status(execution)


def deadline(execution: Mapping[str, Any]) -> dt.datetime | None:
    """When the execution's ``template.timeout`` runs out, counted from its start.

    Example:
        >>> deadline({"startTime": "2026-01-01T00:00:00Z", "template": {"timeout": "90s"}})
        datetime.datetime(2026, 1, 1, 0, 1, 30, tzinfo=datetime.timezone.utc)
    """
    start = parse_time(execution.get("startTime") or execution.get("createTime"))
    timeout = _seconds(execution.get("template", {}).get("timeout"))
    return start + dt.timedelta(seconds=timeout) if start else None


def timed_out(execution: Mapping[str, Any], now: dt.datetime) -> bool:
    """Whether the execution ended without an exit code at or after its deadline.

    Derived from the execution alone, so it holds after a restart of the caller.

    Example:
        >>> ended = {"startTime": "2026-01-01T00:00:00Z", "completionTime": "2026-01-01T00:00:10Z",
        ...          "template": {"timeout": "10s"}}
        >>> timed_out(ended, parse_time("2026-01-02T00:00:00Z"))
        True
    """
    condition = completed(execution)
    if condition.get("state") == "CONDITION_SUCCEEDED" or condition.get("executionReason") == "NON_ZERO_EXIT_CODE":
        return False
    end = deadline(execution)
    ended = parse_time(execution.get("completionTime")) or now
    return end is not None and ended >= end


def task_exit_code(tasks: list[dict[str, Any]]) -> int:
    """The first task's ``lastAttemptResult.exitCode``; ``-1`` when it has none.

    Proto3 JSON omits a zero exit code, so a succeeded execution is read as 0
    without asking for its tasks.

    Example:
        >>> task_exit_code([{"lastAttemptResult": {"exitCode": 3}}])
        3
        >>> task_exit_code([{"lastAttemptResult": {"status": {"code": 1}}}]), task_exit_code([])
        (-1, -1)
    """
    result = (tasks[0] if tasks else {}).get("lastAttemptResult")
    if not isinstance(result, dict) or "exitCode" not in result:
        return NO_EXIT_CODE
    return int(result["exitCode"])
