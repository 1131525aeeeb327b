"""What one ``describe_tasks`` entry says about an execution: its status, exit code, reason and deadline.

Everything the executor knows about a task lives on the task itself (its tags,
``lastStatus``, ``stoppedReason``, the container's ``exitCode``), so reading it
needs no state: :func:`observe` turns an entry into an :class:`Observed`.

Example:
    >>> task = {"lastStatus": "STOPPED", "containers": [{"name": "probe", "exitCode": 3}]}
    >>> observe(task, None)
    Observed(status=<ExecutionStatus.EXITED: 'exited'>, exit_code=3, reason=None, timed_out=False, ...)
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
from collections.abc import Iterator, Mapping
from typing import Any

from executor_kit.labels import CLEANED_LABEL, NAME_LABEL, TIMEOUT_LABEL
from executor_kit.status import ExecutionStatus

__all__ = [
    "CANCEL_REASON",
    "CLEANED_TAG",
    "GONE",
    "LONG_AGO",
    "NAME_TAG",
    "TIMEOUT_REASON",
    "TIMEOUT_TAG",
    "Observed",
    "batches",
    "deadline",
    "is_task_arn",
    "observe",
    "tags",
    "task_id",
    "utc",
]

#: Tag carrying the job's ``timeout_seconds``; the deadline is computed from it.
TIMEOUT_TAG = TIMEOUT_LABEL
#: Tag put on a task by ``cleanup``; a task carrying it reads ``not-found``.
CLEANED_TAG = CLEANED_LABEL
#: Tag carrying the job's ``name`` (ECS tasks have no name of their own).
NAME_TAG = NAME_LABEL
#: How ``stoppedReason`` starts when the kit's timeout stopped a task.
TIMEOUT_REASON = "executor-kit: timeout"
#: The ``stoppedReason`` of a task stopped by ``cancel``.
CANCEL_REASON = "executor-kit: cancelled"
#: When a task that is gone stopped, as far as its logs go.
LONG_AGO = dt.datetime.min.replace(tzinfo=dt.timezone.utc)

_STOP_EXITS = frozenset({143, 137, None})  # SIGTERM, SIGKILL after stopTimeout, or no code at all
_ARN = re.compile(r"^arn:aws[a-z-]*:ecs:[a-z0-9-]+:\d{12}:task/([A-Za-z0-9_-]+/)?[A-Za-z0-9_-]+$")
_RUNNING_STATES = frozenset({"PROVISIONING", "PENDING", "ACTIVATING", "RUNNING", "DEACTIVATING", "STOPPING"})
_PLATFORM_STOPS = frozenset({"TaskFailedToStart", "SpotInterruption", "TerminationNotice"})
_BATCH = 100  # the most task ARNs one describe_tasks call takes


@dataclasses.dataclass(frozen=True)
class Observed:
    """What one ``describe_tasks`` entry says about an execution.

    Example:
        >>> Observed(ExecutionStatus.RUNNING).timed_out
        False
    """

    status: ExecutionStatus
    exit_code: int | None = None
    reason: str | None = None
    timed_out: bool = False
    stopped_at: dt.datetime | None = None
    cancelled: bool = False


#: An execution that is gone: never known, or cleaned up.
GONE = Observed(ExecutionStatus.NOT_FOUND)


def utc(moment: object) -> dt.datetime | None:
    """``moment`` in UTC, or ``None`` when it is no datetime.

    Example:
        >>> utc(dt.datetime(2026, 1, 1, 1, tzinfo=dt.timezone(dt.timedelta(hours=1)))).hour, utc(None)
        (0, None)
    """
    return moment.astimezone(dt.timezone.utc) if isinstance(moment, dt.datetime) else None


def tags(task: Mapping[str, Any]) -> dict[str, str]:
    """The task's tags as a ``dict``.

    Example:
        >>> tags({"tags": [{"key": "team", "value": "docs"}]})
        {'team': 'docs'}
    """
    return {tag["key"]: tag.get("value", "") for tag in task.get("tags", [])}


def _container(task: Mapping[str, Any], name: str | None) -> Mapping[str, Any]:
    containers = task.get("containers") or [{}]
    return next((c for c in containers if c.get("name") == name), containers[0])


def _failure_reason(task: Mapping[str, Any], container: Mapping[str, Any]) -> str | None:
    reason = container.get("reason") or ""
    if reason.startswith("OutOfMemoryError") or task.get("stopCode") in _PLATFORM_STOPS:
        return reason or str(task.get("stoppedReason") or task.get("stopCode"))
    if container.get("exitCode") is None:
        return str(task.get("stoppedReason") or "the task stopped without an exit code")
    return None


def _stopped(task: Mapping[str, Any], container_name: str | None) -> Observed:
    container = _container(task, container_name)
    reason = _failure_reason(task, container)
    status = ExecutionStatus.EXITED if reason is None else ExecutionStatus.FAILED
    return Observed(status, container.get("exitCode"), reason, stopped_at=utc(task.get("stoppedAt")))


def _cancelled(task: Mapping[str, Any], container_name: str | None, stopped_reason: str) -> Observed | None:
    """A task that ``cancel`` stopped (not one that ended on its own before the stop landed)."""
    exit_code = _container(task, container_name).get("exitCode")
    if stopped_reason != CANCEL_REASON or exit_code not in _STOP_EXITS:
        return None
    return Observed(
        ExecutionStatus.FAILED, exit_code, "cancelled", stopped_at=utc(task.get("stoppedAt")), cancelled=True
    )


def observe(task: Mapping[str, Any] | None, container_name: str | None) -> Observed:
    """What ``task`` (a ``describe_tasks`` entry, ``None`` when absent) says; ``container_name`` is the job's.

    Example:
        >>> observe(None, None) is GONE, str(observe({"lastStatus": "PENDING"}, None).status)
        (True, 'running')
        >>> seen = observe({"lastStatus": "STOPPED", "stoppedReason": TIMEOUT_REASON + " after 5s"}, None)
        >>> str(seen.status), seen.timed_out
        ('failed', True)
    """
    if task is None or CLEANED_TAG in tags(task):
        return GONE
    stopped_reason = str(task.get("stoppedReason") or "")
    if stopped_reason.startswith(TIMEOUT_REASON):
        exit_code = _container(task, container_name).get("exitCode")
        return Observed(ExecutionStatus.FAILED, exit_code, stopped_reason, True, utc(task.get("stoppedAt")))
    if task.get("lastStatus") in _RUNNING_STATES:
        return Observed(ExecutionStatus.RUNNING)
    return _cancelled(task, container_name, stopped_reason) or _stopped(task, container_name)


def deadline(task: Mapping[str, Any]) -> dt.datetime | None:
    """When the task's job times out: its timeout tag after ``startedAt`` (``createdAt`` while it provisions).

    Example:
        >>> began = dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc)
        >>> deadline({"createdAt": began, "tags": [{"key": TIMEOUT_TAG, "value": "90"}]}).minute
        1
        >>> deadline({"createdAt": began}) is None
        True
    """
    raw = tags(task).get(TIMEOUT_TAG)
    began = task.get("startedAt") or task.get("createdAt")
    if raw is None or not isinstance(began, dt.datetime):
        return None
    return began + dt.timedelta(seconds=float(raw))


def task_id(execution_id: str) -> str:
    """The task id at the end of a task ARN.

    Example:
        >>> task_id("arn:aws:ecs:us-east-1:123456789012:task/jobs/0123abcd")
        '0123abcd'
    """
    return execution_id.rsplit("/", 1)[-1]


def is_task_arn(execution_id: object) -> bool:
    """Whether ``execution_id`` has the shape of an ECS task ARN.

    Example:
        >>> is_task_arn("arn:aws:ecs:us-east-1:123456789012:task/jobs/0123abcd"), is_task_arn("0123abcd")
        (True, False)
    """
    return isinstance(execution_id, str) and bool(_ARN.fullmatch(execution_id))


def batches(items: list[str]) -> Iterator[list[str]]:
    """``items`` in runs of at most 100, as many as one ``describe_tasks`` call takes.

    Example:
        >>> [len(batch) for batch in batches(["arn"] * 250)]
        [100, 100, 50]
    """
    for start in range(0, len(items), _BATCH):
        yield items[start : start + _BATCH]
