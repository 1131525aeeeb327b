"""What one look at a container says: its times, its timeout, and why it failed if the engine tells.

Every function reads an inspect answer (or a list row) as the engine returns
it; nothing here contacts the engine or remembers anything
(``executor_kit.backends.docker.observe`` does).

Example:
    >>> info = {"Created": "2026-01-01T00:00:00Z", "Config": {"Labels": {TIMEOUT_LABEL: "2"}},
    ...         "State": {"Status": "exited", "FinishedAt": "2026-01-01T00:00:02.5Z"}}
    >>> timed_out(info), platform_reason(info)
    (True, 'timeout: stopped after its 2 s timeout')
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Mapping
from typing import Any

from executor_kit.labels import MANAGED_LABEL, TIMEOUT_LABEL

__all__ = [
    "RESTARTED_KEY",
    "RUNNING_STATES",
    "is_managed",
    "launched_at",
    "parse_time",
    "platform_reason",
    "timed_out",
    "timeout_of",
]

#: The engine's states that read ``running``.
RUNNING_STATES = frozenset({"created", "running", "paused", "restarting"})
#: Marks, in a followed state, a container found running again after an end (restarted from outside).
RESTARTED_KEY = "ExecutorKitRestartedFromOutside"

_DOCKER_TIME = re.compile(r"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d+))?(Z|[+-]\d\d:\d\d)")


def parse_time(text: object) -> dt.datetime | None:
    """An engine timestamp (nanoseconds, ``Z`` or an offset) as an aware datetime; ``None`` for the zero time.

    Example:
        >>> parse_time("2026-01-01T10:00:00.123456789Z")
        datetime.datetime(2026, 1, 1, 10, 0, 0, 123456, tzinfo=datetime.timezone.utc)
        >>> parse_time("0001-01-01T00:00:00Z") is None, parse_time(None) is None
        (True, True)
    """
    match = _DOCKER_TIME.fullmatch(text) if isinstance(text, str) else None
    if match is None or match.group(1).startswith("0001-"):
        return None
    whole, fraction, zone = match.groups()
    micro = (fraction or "0")[:6].ljust(6, "0")
    return dt.datetime.fromisoformat(f"{whole}.{micro}{zone.replace('Z', '+00:00')}")


def _labels(info: Mapping[str, Any]) -> Mapping[str, str]:
    return (info.get("Config") or {}).get("Labels") or info.get("Labels") or {}


def timeout_of(info: Mapping[str, Any]) -> float | None:
    """The job's ``timeout_seconds`` from the container's labels (an inspect answer or a list row).

    Example:
        >>> timeout_of({"Labels": {TIMEOUT_LABEL: "2.5"}}), timeout_of({"Labels": {}})
        (2.5, None)
    """
    try:
        return float(_labels(info)[TIMEOUT_LABEL])
    except (KeyError, ValueError):
        return None


def is_managed(info: Mapping[str, Any], execution_id: str) -> bool:
    """Whether ``info`` is the kit's container ``execution_id`` (a full id, ``MANAGED_LABEL`` set).

    Example:
        >>> is_managed({"Id": "c1", "Config": {"Labels": {MANAGED_LABEL: "true"}}}, "c1")
        True
        >>> is_managed({"Id": "c1", "Config": {"Labels": {}}}, "c1")
        False
    """
    return info.get("Id") == execution_id and _labels(info).get(MANAGED_LABEL) == "true"


def launched_at(info: Mapping[str, Any]) -> dt.datetime | None:
    """When the container was created: a job's timeout counts from its launch, not from its start.

    ``Created`` is an ISO time in an inspect answer and a Unix time in a list row.

    Example:
        >>> launched_at({"Created": 0}) == launched_at({"Created": "1970-01-01T00:00:00Z"})
        True
    """
    created = info.get("Created")
    if isinstance(created, int | float):
        return dt.datetime.fromtimestamp(created, dt.timezone.utc)
    return parse_time(created) or parse_time((info.get("State") or {}).get("StartedAt"))


def _run_seconds(info: Mapping[str, Any]) -> float | None:
    launched, finished = launched_at(info), parse_time((info.get("State") or {}).get("FinishedAt"))
    if launched is None or finished is None:
        return None
    return (finished - launched).total_seconds()


def timed_out(info: Mapping[str, Any]) -> bool:
    """Whether the container ran (from its launch to its end) as long as its timeout: the timeout ended it.

    Example:
        >>> timed_out({"Created": "2026-01-01T00:00:00Z", "Labels": {TIMEOUT_LABEL: "5"},
        ...            "State": {"FinishedAt": "2026-01-01T00:00:01Z"}})
        False
    """
    timeout, ran = timeout_of(info), _run_seconds(info)
    return timeout is not None and ran is not None and ran >= timeout


def _oom_reason(info: Mapping[str, Any]) -> str | None:
    oom = (info.get("State") or {}).get("OOMKilled")
    return "OOM: the kernel killed the workload for exceeding its memory limit" if oom else None


def _timeout_reason(info: Mapping[str, Any]) -> str | None:
    return f"timeout: stopped after its {timeout_of(info):g} s timeout" if timed_out(info) else None


def _restart_reason(info: Mapping[str, Any]) -> str | None:
    state = info.get("State") or {}
    if not state.get(RESTARTED_KEY):
        return None
    return (
        f"restarted from outside the kit after its run ended at {state.get('FinishedAt')}; "
        "the engine no longer keeps that run's exit code"
    )


def _engine_reason(info: Mapping[str, Any]) -> str | None:
    error = (info.get("State") or {}).get("Error")
    return f"the engine reported: {error}" if error else None


_REASONS: tuple[Callable[[Mapping[str, Any]], str | None], ...] = (
    _restart_reason,
    _oom_reason,
    _timeout_reason,
    _engine_reason,
)


def platform_reason(info: Mapping[str, Any]) -> str | None:
    """Why the container failed, as its state alone tells (restarted from outside, OOM, timeout, engine error).

    Example:
        >>> platform_reason({"State": {"OOMKilled": True}})
        'OOM: the kernel killed the workload for exceeding its memory limit'
        >>> platform_reason({"State": {"ExitCode": 1}}) is None
        True
    """
    return next((reason for reason in (check(info) for check in _REASONS) if reason), None)
