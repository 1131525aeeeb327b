"""The resources of the Cloud Run emulation: jobs as the API checks them, executions, their JSON views.

``CloudRunEmulator`` keeps the state and routes requests; this module holds
what it is made of. Views follow proto3 JSON rules: zero counts, a zero exit
code and empty strings are omitted. Errors are ``ApiError`` (an HTTP status
and Google's message), answered as Google sends them. Nothing here is public.

Example:
    >>> error_body(404, "Resource 'x' of kind 'JOB' does not exist.")[2]
    '{"error": {"code": 404, "message": "Resource \\'x\\' of kind \\'JOB\\' does not exist.", "status": "NOT_FOUND"}}'
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import re
import uuid
from collections.abc import Mapping
from typing import Any

from executor_kit.probe import PROBE_IMAGE, ProbeEvent, ProbeRun, interpret, is_probe

__all__: list[str] = []

_STATUS_NAMES = {
    400: "INVALID_ARGUMENT",
    401: "UNAUTHENTICATED",
    403: "PERMISSION_DENIED",
    404: "NOT_FOUND",
    409: "ALREADY_EXISTS",
    429: "RESOURCE_EXHAUSTED",
    500: "INTERNAL",
    503: "UNAVAILABLE",
}
_ID = re.compile(r"[a-z](?:[-a-z0-9]{0,61}[a-z0-9])?")
_LABEL_KEY = re.compile(r"[a-z][a-z0-9_-]{0,62}")
_LABEL_VALUE = re.compile(r"[a-z0-9_-]{0,63}")
_MAX_TIMEOUT = 7 * 24 * 3600.0
EXECUTION_TYPE = "type.googleapis.com/google.cloud.run.v2.Execution"
JOB_TYPE = "type.googleapis.com/google.cloud.run.v2.Job"


class ApiError(Exception):
    """An error answer of the emulated API: an HTTP status and Google's message.

    Example:
        >>> ApiError(404, "gone").code
        404
    """

    def __init__(self, code: int, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def error_body(code: int, message: str) -> tuple[int, dict[str, str], str]:
    """The ``responses`` answer for an error, as Google sends it (``{"error": {code, message, status}}``).

    Example:
        >>> error_body(418, "odd")[0], json.loads(error_body(418, "odd")[2])["error"]["status"]
        (418, 'UNKNOWN')
    """
    status = _STATUS_NAMES.get(code, "UNKNOWN")
    body = {"error": {"code": code, "message": message, "status": status}}
    return code, {"Content-Type": "application/json"}, json.dumps(body)


def stamp(moment: dt.datetime) -> str:
    """RFC 3339 in UTC with microseconds, as the API writes timestamps.

    Example:
        >>> stamp(dt.datetime(2026, 1, 2, 3, 4, 5, tzinfo=dt.timezone.utc))
        '2026-01-02T03:04:05.000000Z'
    """
    return moment.astimezone(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def compact(value: dict[str, Any]) -> dict[str, Any]:
    """Proto3 JSON: default values (0, "", empty lists and maps, None) are omitted.

    Example:
        >>> compact({"a": 0, "b": "", "c": None, "d": [], "e": {}, "f": 1})
        {'f': 1}
    """
    return {key: item for key, item in value.items() if item not in (0, "", None, [], {})}


@dataclasses.dataclass
class EmulatedExecution:
    """One execution: what it runs, when it started, its played workload and its log entries.

    Example:
        >>> run = ProbeRun((), 3, 5.0)
        >>> e = EmulatedExecution("n", "j", {}, {}, 2.0, dt.datetime.now(dt.timezone.utc), 0.0, run, [])
        >>> e.outcome(1.0, native_timeouts=True), e.outcome(2.0, native_timeouts=True), e.outcome(5, False)
        ('running', 'timeout', 'failed')
    """

    name: str
    job: str
    labels: dict[str, str]
    container: dict[str, Any]
    timeout: float
    created: dt.datetime
    started: float
    run: ProbeRun
    entries: list[tuple[float, dict[str, Any]]]
    cancelled_at: float | None = None
    deleted: bool = False
    times: list[float] = dataclasses.field(default_factory=list)

    def __post_init__(self) -> None:
        self.times = [at for at, _ in self.entries]

    def limit(self, native_timeouts: bool) -> float:
        """Seconds after its start when the workload ends: it exits, times out or is cancelled.

        Example:
            >>> e = EmulatedExecution("n", "j", {}, {}, 2.0, dt.datetime.now(), 0.0, ProbeRun((), 0, 5.0), [])
            >>> e.limit(True), e.limit(False)
            (2.0, 5.0)
        """
        ends = [self.run.duration]
        if native_timeouts:
            ends.append(self.timeout)
        if self.cancelled_at is not None:
            ends.append(self.cancelled_at - self.started)
        return min(ends)

    def outcome(self, elapsed: float, native_timeouts: bool) -> str:
        """``running``, ``succeeded``, ``failed``, ``cancelled`` or ``timeout`` after ``elapsed`` seconds.

        Example:
            >>> e = EmulatedExecution("n", "j", {}, {}, 9.0, dt.datetime.now(), 0.0, ProbeRun((), 0, 5.0), [])
            >>> e.cancelled_at = 1.0
            >>> e.outcome(1.0, native_timeouts=True)
            'cancelled'
        """
        end = self.limit(native_timeouts)
        if elapsed < end:
            return "running"
        if end < self.run.duration:
            cancelled = self.cancelled_at is not None and self.cancelled_at - self.started <= end
            return "cancelled" if cancelled else "timeout"
        return "succeeded" if self.run.exit_code == 0 else "failed"


_COMPLETED: dict[str, dict[str, Any]] = {
    "running": {"state": "CONDITION_PENDING", "message": "Execution is running."},
    "succeeded": {"state": "CONDITION_SUCCEEDED", "message": "Execution completed successfully."},
    "failed": {
        "state": "CONDITION_FAILED",
        "executionReason": "NON_ZERO_EXIT_CODE",
        "message": "Task 0 failed: the container exited with a non-zero exit code.",
    },
    "cancelled": {
        "state": "CONDITION_FAILED",
        "executionReason": "CANCELLED",
        "message": "Execution cancelled.",
    },
    "timeout": {"state": "CONDITION_FAILED", "message": "Task 0 was terminated: it exceeded its timeout."},
}
_COUNTS = {
    "running": "runningCount",
    "succeeded": "succeededCount",
    "failed": "failedCount",
    "timeout": "failedCount",
    "cancelled": "cancelledCount",
}
_ATTEMPT: dict[str, dict[str, Any]] = {
    "succeeded": {},
    "cancelled": {"status": {"code": 1, "message": "Task cancelled."}},
    "timeout": {"status": {"code": 4, "message": "Task timed out."}},
}


def execution_view(execution: EmulatedExecution, state: str, end: dt.datetime) -> dict[str, Any]:
    """The ``Execution`` resource in ``state`` (an ``outcome``), ending at ``end`` unless running.

    Example:
        >>> now = dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc)
        >>> e = EmulatedExecution("p/j/executions/e", "p/jobs/j", {}, {}, 9.0, now, 0.0, ProbeRun((), 3, 1.0), [])
        >>> view = execution_view(e, "failed", now)
        >>> view["failedCount"], view["conditions"][1]["executionReason"], "runningCount" in view
        (1, 'NON_ZERO_EXIT_CODE', False)
    """
    completed = {"type": "Completed", "lastTransitionTime": stamp(end), **_COMPLETED[state]}
    return compact(
        {
            "name": execution.name,
            "uid": str(uuid.uuid5(uuid.NAMESPACE_URL, execution.name)),
            "generation": "1",
            "labels": execution.labels,
            "createTime": stamp(execution.created),
            "startTime": stamp(execution.created),
            "completionTime": None if state == "running" else stamp(end),
            "job": execution.job.rsplit("/", 1)[1],
            "taskCount": 1,
            "parallelism": 1,
            "template": {"containers": [execution.container], "maxRetries": 0, "timeout": f"{execution.timeout:g}s"},
            _COUNTS[state]: 1,
            "conditions": [{"type": "ResourcesAvailable", "state": "CONDITION_SUCCEEDED"}, completed],
            "reconciling": state == "running",
            "etag": f'"{uuid.uuid4().hex[:8]}"',
        }
    )


def task_view(execution: EmulatedExecution, state: str, short: str) -> dict[str, Any]:
    """The execution's one ``Task``; ``lastAttemptResult`` once it ended (proto3 omits a zero exit code).

    Example:
        >>> now = dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc)
        >>> e = EmulatedExecution("p/j/executions/e", "p/jobs/j", {}, {}, 9.0, now, 0.0, ProbeRun((), 3, 1.0), [])
        >>> task_view(e, "failed", "e")["lastAttemptResult"], task_view(e, "succeeded", "e").get("lastAttemptResult")
        ({'exitCode': 3, 'status': {'code': 2}}, None)
    """
    attempt = _ATTEMPT.get(state, {"exitCode": execution.run.exit_code, "status": {"code": 2}})
    return compact(
        {
            "name": f"{execution.name}/tasks/{short}-task0",
            "index": 0,
            "execution": short,
            "job": execution.job.rsplit("/", 1)[1],
            "lastAttemptResult": None if state == "running" else attempt,
        }
    )


# -- jobs and their overrides, as the API checks them --------------------------------


def check_id(job_id: str) -> None:
    """Refuse a job id Cloud Run would refuse (400).

    Example:
        >>> check_id("Bad_Id")
        Traceback (most recent call last):
        ...
        executor_kit.backends.cloudrun.emulator_state.ApiError: Invalid jobId 'Bad_Id': ...
    """
    if not _ID.fullmatch(job_id):
        raise ApiError(
            400,
            f"Invalid jobId {job_id!r}: use at most 63 lowercase letters, digits and dashes, "
            "starting with a letter and not ending with a dash.",
        )


def _check_labels(labels: object) -> None:
    if not isinstance(labels, dict):
        return
    bad = [k for k, v in labels.items() if not (_LABEL_KEY.fullmatch(str(k)) and _LABEL_VALUE.fullmatch(str(v)))]
    if bad or len(labels) > 64:
        raise ApiError(
            400,
            f"Invalid labels {bad!r}: keys and values must be lowercase letters, digits, "
            "'_' or '-', at most 63 characters, 64 labels.",
        )


def first_container(job: Mapping[str, Any]) -> dict[str, Any]:
    """A copy of the job's (first) container.

    Example:
        >>> first_container({"template": {"template": {"containers": [{"image": "busybox"}]}}}), first_container({})
        ({'image': 'busybox'}, {})
    """
    containers = job.get("template", {}).get("template", {}).get("containers") or [{}]
    return dict(containers[0])


def new_job(name: str, body: dict[str, Any], now: str) -> dict[str, Any]:
    """The ``Job`` resource ``jobs.create`` makes of ``body``; 400 for invalid labels or no image.

    Example:
        >>> new_job("projects/p/locations/r/jobs/j", {"template": {}}, "2026-01-01T00:00:00Z")
        Traceback (most recent call last):
        ...
        executor_kit.backends.cloudrun.emulator_state.ApiError: template.template.containers[0].image is required.
    """
    template = dict(body.get("template") or {})
    _check_labels(body.get("labels"))
    _check_labels(template.get("labels"))
    if not first_container({"template": template}).get("image"):
        raise ApiError(400, "template.template.containers[0].image is required.")
    return {**body, "name": name, "uid": str(uuid.uuid4()), "createTime": now, "template": template}


def _check_override(override: Mapping[str, Any]) -> None:
    args, env = override.get("args", []), override.get("env", [])
    if override.get("clearArgs") and args:
        raise ApiError(400, "containerOverrides: args must be empty when clearArgs is true.")
    if not (isinstance(args, list) and all(isinstance(a, str) for a in args)):
        raise ApiError(400, "containerOverrides.args must be a list of strings.")
    if not (isinstance(env, list) and all(isinstance(e, dict) and e.get("name") for e in env)):
        raise ApiError(400, "containerOverrides.env must be a list of {name, value}.")


def _timeout(overrides: Mapping[str, Any], job: Mapping[str, Any]) -> float:
    raw = overrides.get("timeout") or job.get("template", {}).get("template", {}).get("timeout") or "600s"
    try:
        seconds = float(str(raw).removesuffix("s")) if str(raw).endswith("s") else -1.0
    except ValueError:
        seconds = -1.0
    if not 0 < seconds <= _MAX_TIMEOUT:
        raise ApiError(400, f"Invalid timeout {raw!r}: a duration like '600s', at most 168h.")
    return seconds


def apply_overrides(job: Mapping[str, Any], overrides: Mapping[str, Any]) -> tuple[dict[str, Any], float]:
    """The container an execution of ``job`` runs with ``jobs.run`` ``overrides``, and its timeout.

    Example:
        >>> job = {"template": {"template": {"containers": [{"image": "busybox", "args": ["a"]}]}}}
        >>> apply_overrides(job, {"containerOverrides": [{"clearArgs": True}], "timeout": "5s"})
        ({'image': 'busybox', 'args': [], 'env': []}, 5.0)
    """
    if int(overrides.get("taskCount", 1)) != 1:
        raise ApiError(400, "The emulator runs executions of exactly one task.")
    result = first_container(job)
    for override in overrides.get("containerOverrides", [])[:1]:
        _check_override(override)
        if override.get("args") or override.get("clearArgs"):
            result["args"] = list(override.get("args", []))
        merged = {e["name"]: e for e in [*result.get("env", []), *override.get("env", [])]}
        result["env"] = list(merged.values())
    return result, _timeout(overrides, job)


# -- the workload --------------------------------------------------------------------


def play(argv: list[str], image: object, env: Mapping[str, str]) -> ProbeRun:
    """What the container does: the probe's argv played (the probe image alone runs ``probe``); else exit 127.

    Example:
        >>> play([], PROBE_IMAGE, {}).exit_code, play(["sh"], "busybox", {}).exit_code
        (0, 127)
    """
    argv = argv or (["probe"] if image == PROBE_IMAGE else [])
    if is_probe(argv):
        return interpret(argv, env)
    program = argv[0] if argv else "(none)"
    message = f"exec: {program!r}: the emulated image runs only the probe\n"
    return ProbeRun((ProbeEvent(0.0, "stderr", message),), 127, 0.0)


# -- requests and pages --------------------------------------------------------------


def paged(items: list[dict[str, Any]], key: str, token: str, size: int) -> dict[str, Any]:
    """One page of ``items`` under ``key`` from ``token`` on, with a ``nextPageToken`` when more follow.

    Example:
        >>> paged([{"n": 1}, {"n": 2}, {"n": 3}], "items", "", 2)
        {'items': [{'n': 1}, {'n': 2}], 'nextPageToken': 'offset-2'}
        >>> paged([{"n": 1}, {"n": 2}, {"n": 3}], "items", "offset-2", 2)
        {'items': [{'n': 3}]}
    """
    if token and not token.startswith("offset-"):
        raise ApiError(400, f"Invalid page token {token!r}.")
    start = int(token.removeprefix("offset-") or 0)
    page: dict[str, Any] = {key: items[start : start + size]}
    if start + size < len(items):
        page["nextPageToken"] = f"offset-{start + size}"
    return compact(page)


def json_body(raw: object) -> Any:
    """A request's decoded JSON body (``None`` for none); 400 for a body that is not JSON.

    Example:
        >>> json_body(b'{"a": 1}'), json_body(None)
        ({'a': 1}, None)
    """
    if not isinstance(raw, str | bytes) or not raw:
        return None
    try:
        return json.loads(raw)
    except ValueError as exc:
        raise ApiError(400, "Invalid JSON payload received.") from exc
