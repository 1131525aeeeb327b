"""How ``KubernetesExecutor`` reads an execution's state from its Job and pod (JSON objects)."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Any

from executor_kit.status import ExecutionStatus

__all__: list[str] = []

#: Annotation keys the executor puts on each Job.
NAME_ANNOTATION = "executor-kit/name"
STARTED_ANNOTATION = "executor-kit/started-at"
TIMEOUT_ANNOTATION = "executor-kit/timeout"
TIMED_OUT_ANNOTATION = "executor-kit/timed-out"
LABELS_ANNOTATION = "executor-kit/labels"

#: Waiting reasons that mean the container will not start: a job-level failure.
FATAL_WAITING = frozenset(
    {
        "ErrImagePull",
        "ImagePullBackOff",
        "InvalidImageName",
        "ErrImageNeverPull",
        "CreateContainerConfigError",
        "CreateContainerError",
    }
)


@dataclasses.dataclass(frozen=True)
class Observed:
    """What the Job and its pod say about an execution."""

    status: ExecutionStatus
    exit_code: int | None = None
    reason: str | None = None
    timed_out: bool = False
    finished_at: dt.datetime | None = None


GONE = Observed(ExecutionStatus.NOT_FOUND)
RUNNING = Observed(ExecutionStatus.RUNNING)


def parse_time(value: object) -> dt.datetime | None:
    """An RFC 3339 timestamp as an aware datetime (``None`` if absent or unreadable)."""
    if not isinstance(value, str) or not value:
        return None
    try:
        moment = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.timezone.utc)


def annotations_of(obj: Mapping[str, Any]) -> dict[str, str]:
    """The object's annotations."""
    return dict((obj.get("metadata") or {}).get("annotations") or {})


def newest_pod(pods: Sequence[Mapping[str, Any]]) -> Mapping[str, Any] | None:
    """The most recently created pod (a Job with backoffLimit 0 has one)."""
    return max(pods, key=lambda p: str((p.get("metadata") or {}).get("creationTimestamp") or ""), default=None)


def container_state(pod: Mapping[str, Any] | None) -> dict[str, Any]:
    """The first container's ``state`` (``{}`` before the kubelet reports one)."""
    statuses = ((pod or {}).get("status") or {}).get("containerStatuses") or [{}]
    return dict(statuses[0].get("state") or {})


def _condition(job: Mapping[str, Any]) -> Mapping[str, Any] | None:
    conditions = (job.get("status") or {}).get("conditions") or []
    return next((c for c in conditions if c.get("type") in ("Complete", "Failed") and c.get("status") == "True"), None)


def _terminated(terminated: Mapping[str, Any], condition: Mapping[str, Any] | None) -> Observed:
    code = int(terminated.get("exitCode", -1))
    finished = parse_time(terminated.get("finishedAt"))
    if condition is not None and condition.get("reason") == "DeadlineExceeded":
        return Observed(ExecutionStatus.FAILED, code, "DeadlineExceeded: the job's timeout ended it", True, finished)
    if terminated.get("reason") == "OOMKilled":
        return Observed(
            ExecutionStatus.FAILED, code, "OOMKilled: the container exceeded its memory limit", False, finished
        )
    return Observed(ExecutionStatus.EXITED, code, None, False, finished)


def _without_exit(job: Mapping[str, Any], condition: Mapping[str, Any]) -> Observed:
    finished = parse_time(condition.get("lastTransitionTime")) or parse_time(
        (job.get("status") or {}).get("completionTime")
    )
    if condition.get("type") == "Complete":  # success, though the pod is gone: the exit code was 0
        return Observed(ExecutionStatus.EXITED, 0, None, False, finished)
    reason = f"{condition.get('reason') or 'Failed'}: {condition.get('message') or 'the job failed'}"
    return Observed(ExecutionStatus.FAILED, None, reason, condition.get("reason") == "DeadlineExceeded", finished)


def _waiting(waiting: Mapping[str, Any]) -> Observed:
    if waiting.get("reason") in FATAL_WAITING:
        return Observed(ExecutionStatus.FAILED, None, f"{waiting['reason']}: {waiting.get('message') or ''}".strip())
    return RUNNING


def observe(job: Mapping[str, Any] | None, pods: Sequence[Mapping[str, Any]]) -> Observed:
    """The execution's state; a Job being deleted (cleanup) reads ``not-found``."""
    if job is None or (job.get("metadata") or {}).get("deletionTimestamp"):
        return GONE
    return _timed_out(job) or _from_state(job, pods)


def _timed_out(job: Mapping[str, Any]) -> Observed | None:
    if annotations_of(job).get(TIMED_OUT_ANNOTATION):
        return Observed(ExecutionStatus.FAILED, None, "timeout: stopped by executor-kit", True)
    return None


def _from_state(job: Mapping[str, Any], pods: Sequence[Mapping[str, Any]]) -> Observed:
    condition = _condition(job)
    state = container_state(newest_pod(pods))
    if "terminated" in state:
        return _terminated(state["terminated"], condition)
    if condition is not None:
        return _without_exit(job, condition)
    return _waiting(state.get("waiting") or {})


def deadline(job: Mapping[str, Any]) -> dt.datetime | None:
    """When the job's ``timeout_seconds`` runs out, from the executor's own annotations."""
    notes = annotations_of(job)
    started = parse_time(notes.get(STARTED_ANNOTATION))
    try:
        seconds = float(notes[TIMEOUT_ANNOTATION])
    except (KeyError, ValueError):
        return None
    return None if started is None else started + dt.timedelta(seconds=seconds)


def pending(pods: Sequence[Mapping[str, Any]]) -> bool:
    """Whether the pod has not started its container yet (no pod, no state, or waiting)."""
    state = container_state(newest_pod(pods))
    return not state or "waiting" in state
