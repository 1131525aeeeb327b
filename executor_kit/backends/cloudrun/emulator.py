"""An offline, stateful emulation of Cloud Run Jobs (Admin API v2) and Cloud Logging.

``CloudRunEmulator`` answers the documented REST requests through
``responses`` (a ``RequestsMock`` whose callbacks route every request), so a
``CloudRunExecutor`` talks HTTP with its real session and never reaches the
network: a request to any other host fails with ``ConnectionError``, and a
request to an emulated host that matches no documented method fails the same
way and is listed in ``unmatched``.

What it emulates, on a clock it shares with the executor:

* ``jobs`` create / get / delete and ``jobs.run`` with ``overrides``
  (``containerOverrides[].args`` / ``clearArgs`` / ``env``, ``taskCount``,
  ``timeout``); long-running operations that finish after
  ``operation_delay`` seconds (``jobs.run``'s only when the execution ends),
  read with ``operations.get``.
* executions get / list (``jobs/-`` lists the whole region; paged) / cancel /
  delete (refused with ``FAILED_PRECONDITION`` while running), and tasks list
  with ``lastAttemptResult``. Proto3 JSON rules apply: zero counts, a zero
  exit code and empty strings are omitted.
* the workload: the container's program plus args is played with
  ``executor_kit.probe.interpret`` (exit code, stdout, stderr, duration); any
  other program exits 127. The task ``timeout`` is enforced natively
  (``native_timeouts``). Images must be listed in ``images``; creating a job
  with another image leaves a job whose create operation fails, as a missing
  image does.
* Cloud Logging ``entries:list``: one entry per line, in the logs
  ``run.googleapis.com%2Fstdout`` / ``%2Fstderr``, labelled
  ``run.googleapis.com/execution_name``, visible once written (so while
  running), kept after the execution is deleted, paged at ``log_page_size``,
  oldest first (``timestamp asc``; equal timestamps in ``insertId`` order).
  The filter understands ``field="value"`` terms joined by ``AND`` (``OR``
  between terms of the same field, as in the ``logName`` group) and
  comparisons of ``timestamp`` with ``=``, ``!=``, ``<``, ``<=``, ``>``, ``>=``,
  all of which must hold. Timestamps compare as instants, as Cloud Logging
  compares them: RFC 3339 with any fraction of a second (to the nanosecond)
  and any UTC offset. A filter with anything else (another operator, an
  unquoted value, ``NOT``, a malformed timestamp) is refused with 400
  ``INVALID_ARGUMENT`` rather than half understood.
* errors as Google sends them (``{"error": {"code", "status", "message"}}``),
  404 ``NOT_FOUND`` for unknown resources, 400 ``INVALID_ARGUMENT`` for invalid
  job ids, labels and overrides, and injected answers (401, 403, 429, 503, ...)
  or network errors through ``inject``.

What it cannot show, hence what ``CloudRunExecutor`` declares absent:

* resource limits (``supports_resource_limits``): whether Cloud Run bounds a
  workload's memory is a property of the real platform; an emulator that
  OOM-killed the probe would only be agreeing with itself.
* networking and persistent storage: nothing to emulate offline.

Secrets (``supports_secrets``) are emulated faithfully: they travel as
``env`` values in the run request and reach the probe's ``env`` step.

Not emulated: provisioning delays, retries of failed tasks, more than one
task, log ingestion delay, IAM.
"""

from __future__ import annotations

import bisect
import contextlib
import dataclasses
import datetime as dt
import json
import operator
import re
import threading
import uuid
import weakref
from collections.abc import Callable, Mapping
from typing import Any

from executor_kit.backends import missing_dependency

try:
    import requests
    import responses
    from google.auth.credentials import AnonymousCredentials

    from executor_kit.backends.cloudrun.executor import CloudRunExecutor
except ImportError as exc:  # one line that names the extra to install
    raise missing_dependency(exc) from exc

from executor_kit.clock import Clock, VirtualClock
from executor_kit.probe import PROBE_IMAGE, ProbeEvent, ProbeRun, interpret, is_probe

__all__ = ["CloudRunEmulator", "EmulatedCloudRunExecutor", "emulated_executor"]

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
_TERM = re.compile(r'([\w.]+(?:\."[^"]*")?)\s*(<=|>=|!=|<|>|=)\s*"((?:[^"\\]|\\.)*)"')
#: What may stand between the terms of a filter the emulator understands.
_JOINERS = re.compile(r"(?:\s|AND|OR|\(|\))*")
_RFC3339 = re.compile(r"(\d{4}-\d{2}-\d{2})[Tt](\d{2}:\d{2}:\d{2})(?:\.(\d{1,9}))?([Zz]|[+-]\d{2}:\d{2})")
_COMPARE: dict[str, Callable[[Any, Any], bool]] = {
    "=": operator.eq,
    "!=": operator.ne,
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
}
_MAX_TIMEOUT = 7 * 24 * 3600.0
_EXECUTION_TYPE = "type.googleapis.com/google.cloud.run.v2.Execution"
_JOB_TYPE = "type.googleapis.com/google.cloud.run.v2.Job"


class _ApiError(Exception):
    def __init__(self, code: int, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def _stamp(moment: dt.datetime) -> str:
    return moment.astimezone(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _compact(value: dict[str, Any]) -> dict[str, Any]:
    """Proto3 JSON: default values (0, "", empty lists and maps, None) are omitted."""
    return {key: item for key, item in value.items() if item not in (0, "", None, [], {})}


def _lines(event: ProbeEvent) -> list[str]:
    text = event.text[:-1] if event.text.endswith("\n") else event.text
    return text.split("\n")


@dataclasses.dataclass
class _Execution:
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
        ends = [self.run.duration]
        if native_timeouts:
            ends.append(self.timeout)
        if self.cancelled_at is not None:
            ends.append(self.cancelled_at - self.started)
        return min(ends)

    def outcome(self, elapsed: float, native_timeouts: bool) -> str:
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


def _error_body(code: int, message: str) -> tuple[int, dict[str, str], str]:
    status = _STATUS_NAMES.get(code, "UNKNOWN")
    body = {"error": {"code": code, "message": message, "status": status}}
    return code, {"Content-Type": "application/json"}, json.dumps(body)


@dataclasses.dataclass
class _Fault:
    status: int | None
    times: int
    method: str | None
    path: str | None
    message: str

    def hits(self, method: str, url: str) -> bool:
        return (self.method in (None, method)) and (self.path is None or self.path in url) and self.times > 0


class CloudRunEmulator:
    """The emulated Cloud Run Jobs and Cloud Logging APIs (see the module docstring).

    One ``RLock`` guards all state; ``reset()`` forgets it. Use it as a
    context manager, or ``start()`` and ``stop()``.

    Args:
        clock: Shared with the executor; a ``VirtualClock`` by default.
        project: The project the emulated APIs serve.
        region: The region they serve.
        images: Images that exist (a job with another image cannot be created).
        log_page_size: The most entries one ``entries:list`` page returns.
        native_timeouts: Whether the task ``timeout`` ends the workload.
        operation_delay: Seconds until a create / cancel / delete operation is done.
        run_endpoint: The emulated Cloud Run Admin API host.
        logging_endpoint: The emulated Cloud Logging API host.

    Example:
        >>> from executor_kit import ContainerJob
        >>> with CloudRunEmulator() as cloud:
        ...     ex = cloud.executor()
        ...     job = ContainerJob(image=PROBE_IMAGE, command=["probe", "out", "hi", "exit", "3"])
        ...     ok, eid = ex.launch_job(job)
        ...     str(ex.check_status(eid)), ex.get_logs(eid), ex.harvest_job(job), job.exit_code, ex.cleanup(eid)
        ('exited', ('hi\\n', ''), True, 3, True)
    """

    def __init__(
        self,
        *,
        clock: Clock | None = None,
        project: str = "emulated-project",
        region: str = "us-central1",
        images: tuple[str, ...] = (PROBE_IMAGE, "busybox:latest"),
        log_page_size: int = 100,
        native_timeouts: bool = True,
        operation_delay: float = 1.0,
        run_endpoint: str = "https://run.googleapis.com",
        logging_endpoint: str = "https://logging.googleapis.com",
    ) -> None:
        self.clock: Clock = clock or VirtualClock()
        self.project, self.region = project, region
        self.images = set(images)
        self.log_page_size = log_page_size
        self.native_timeouts = native_timeouts
        self.operation_delay = operation_delay
        self.run_endpoint, self.logging_endpoint = run_endpoint, logging_endpoint
        self._lock = threading.RLock()
        self.mock = responses.RequestsMock(assert_all_requests_are_fired=False)
        for method in ("GET", "POST", "DELETE", "PATCH", "PUT"):
            for host in (run_endpoint, logging_endpoint):
                self.mock.add_callback(method, re.compile(re.escape(host) + r"(?:/.*)?$"), callback=self._handle)
        self.reset()

    def reset(self) -> None:
        """Forget every job, execution, log entry, operation, fault and recorded call.

        Example:
            >>> cloud = CloudRunEmulator(); cloud.reset(); cloud.jobs
            {}
        """
        with self._lock:
            self.jobs: dict[str, dict[str, Any]] = {}
            self.executions: dict[str, _Execution] = {}
            self.calls: list[tuple[str, str]] = []
            self.unmatched: list[str] = []
            self._operations: dict[str, tuple[float, Callable[[], dict[str, Any] | None], dict[str, Any]]] = {}
            self._faults: list[_Fault] = []
            self._cache: dict[Any, list[dict[str, Any]]] = {}

    # -- lifecycle -----------------------------------------------------------
    def start(self) -> CloudRunEmulator:
        """Start intercepting HTTP (every ``requests`` call in the process).

        Example:
            >>> CloudRunEmulator().start().stop()
        """
        self.mock.start()
        return self

    def stop(self) -> None:
        """Stop intercepting; idempotent.

        Example:
            >>> CloudRunEmulator().stop()
        """
        with contextlib.suppress(RuntimeError):  # not started: nothing to stop
            self.mock.stop(allow_assert=False)

    def __enter__(self) -> CloudRunEmulator:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def config(self, **overrides: Any) -> dict[str, Any]:
        """A ``CloudRunExecutor`` config pointing at this emulation.

        Example:
            >>> CloudRunEmulator().config()["create_job"]
            True
        """
        return {
            "project": self.project,
            "region": self.region,
            "create_job": True,
            "credentials": AnonymousCredentials(),  # type: ignore[no-untyped-call]
            "run_endpoint": self.run_endpoint,
            "logging_endpoint": self.logging_endpoint,
            **overrides,
        }

    def executor(self, config: Mapping[str, Any] | None = None) -> CloudRunExecutor:
        """A ``CloudRunExecutor`` on this emulation and its clock.

        Example:
            >>> CloudRunEmulator().executor().settings.create_job
            True
        """
        return CloudRunExecutor(self.config(**dict(config or {})), clock=self.clock)

    def inject(
        self,
        status: int | None,
        *,
        times: int = 1,
        method: str | None = None,
        path: str | None = None,
        message: str | None = None,
    ) -> None:
        """Answer the next ``times`` matching requests with ``status`` (``None``: a network error).

        Args:
            status: An HTTP status (401, 403, 429, 503, ...) or ``None`` for a
                connection error.
            times: How many requests it affects.
            method: Only requests with this method.
            path: Only requests whose URL contains this text.
            message: The error message (default ``injected <status>``).
            message: The error message (default ``injected <status>``).

        Example:
            >>> cloud = CloudRunEmulator(); cloud.inject(503, times=2, path=":run")
        """
        with self._lock:
            self._faults.append(_Fault(status, times, method, path, message or f"injected {status}"))

    def count(self, method: str, marker: str = "") -> int:
        """How many requests with ``method`` had ``marker`` in their URL (retries included).

        Example:
            >>> CloudRunEmulator().count("POST", ":run")
            0
        """
        with self._lock:
            return sum(1 for verb, url in self.calls if verb == method and marker in url)

    def bodies(self, marker: str) -> list[Any]:
        """The decoded JSON bodies of the requests whose URL contains ``marker``.

        Example:
            >>> CloudRunEmulator().bodies("entries:list")
            []
        """
        calls = [call.request for call in self.mock.calls if marker in str(call.request.url)]
        return [_body(request) for request in calls]

    # -- routing ---------------------------------------------------------------
    def _handle(self, request: requests.PreparedRequest) -> tuple[int, dict[str, str], str]:
        method, url = str(request.method), str(request.url)
        with self._lock:
            self.calls.append((method, url))
            fault = next((f for f in self._faults if f.hits(method, url)), None)
            if fault is not None:
                return self._fault(fault)
            try:
                return (
                    200,
                    {"Content-Type": "application/json"},
                    json.dumps(self._route(method, url, request)),
                )
            except _ApiError as exc:
                return _error_body(exc.code, exc.message)

    @staticmethod
    def _fault(fault: _Fault) -> tuple[int, dict[str, str], str]:
        fault.times -= 1
        if fault.status is None:
            raise requests.ConnectionError("emulated network failure")
        return _error_body(fault.status, fault.message)

    def _route(self, method: str, url: str, request: requests.PreparedRequest) -> dict[str, Any]:
        path, _, query = url.partition("?")
        for (verb, pattern), handler in _ROUTES.items():
            match = pattern.fullmatch(path.replace(self.run_endpoint, "run:").replace(self.logging_endpoint, "log:"))
            if verb == method and match:
                return handler(self, match.groupdict(), _body(request), _query(query))
        self.unmatched.append(f"{method} {url}")
        raise requests.ConnectionError(f"the Cloud Run emulator has no route for {method} {url}")

    def _check_parent(self, args: Mapping[str, str]) -> None:
        if (args.get("project"), args.get("region")) != (self.project, self.region):
            raise _ApiError(404, f"Location projects/{args.get('project')}/locations/{args.get('region')} not found.")

    # -- operations ------------------------------------------------------------
    def _operation(
        self, done_at: float, result: Callable[[], dict[str, Any] | None], metadata: dict[str, Any]
    ) -> dict[str, Any]:
        name = f"projects/{self.project}/locations/{self.region}/operations/{uuid.uuid4()}"
        self._operations[name] = (done_at, result, metadata)
        return self._operation_view(name)

    def _operation_view(self, name: str) -> dict[str, Any]:
        done_at, result, metadata = self._operations[name]
        answer: dict[str, Any] = {"name": name, "metadata": metadata}
        outcome = result() if self.clock.monotonic() >= done_at else None
        if outcome is not None:
            answer.update(done=True, **outcome)
        return answer

    def _get_operation(self, args: dict[str, str], body: Any, query: dict[str, str]) -> dict[str, Any]:
        self._check_parent(args)
        name = f"projects/{args['project']}/locations/{args['region']}/operations/{args['operation']}"
        if name not in self._operations:
            raise _ApiError(404, f"Operation {name} not found.")
        return self._operation_view(name)

    def _soon(self) -> float:
        return self.clock.monotonic() + self.operation_delay

    # -- jobs --------------------------------------------------------------------
    def _job_name(self, args: Mapping[str, str]) -> str:
        return f"projects/{args['project']}/locations/{args['region']}/jobs/{args['job']}"

    def _find_job(self, args: Mapping[str, str]) -> dict[str, Any]:
        self._check_parent(args)
        job = self.jobs.get(self._job_name(args))
        if job is None:
            raise _ApiError(
                404,
                f"Resource '{args['job']}' of kind 'JOB' in region '{args['region']}' "
                f"in project '{args['project']}' does not exist.",
            )
        return job

    def _create_job(self, args: dict[str, str], body: Any, query: dict[str, str]) -> dict[str, Any]:
        self._check_parent(args)
        job_id = query.get("jobId", "")
        _check_id(job_id)
        name = self._job_name({**args, "job": job_id})
        if name in self.jobs:
            raise _ApiError(409, f"Resource '{job_id}' already exists.")
        job = _new_job(name, body if isinstance(body, dict) else {}, _stamp(self.clock.now()))
        self.jobs[name] = job
        image = _container(job).get("image")
        error = None if image in self.images else {"code": 5, "message": f"Image '{image}' not found."}
        outcome = {"error": error} if error else {"response": {"@type": _JOB_TYPE, **job}}
        return self._operation(self._soon(), lambda: outcome, {"@type": _JOB_TYPE, **job})

    def _get_job(self, args: dict[str, str], body: Any, query: dict[str, str]) -> dict[str, Any]:
        return self._find_job(args)

    def _delete_job(self, args: dict[str, str], body: Any, query: dict[str, str]) -> dict[str, Any]:
        job = self._find_job(args)
        del self.jobs[job["name"]]
        for execution in self.executions.values():
            if execution.job == job["name"] and not execution.deleted:
                execution.cancelled_at = execution.cancelled_at or self.clock.monotonic()
                execution.deleted = True
        return self._operation(self._soon(), lambda: {"response": {"@type": _JOB_TYPE, **job}}, job)

    def _run_job(self, args: dict[str, str], body: Any, query: dict[str, str]) -> dict[str, Any]:
        job = self._find_job(args)
        overrides = (body or {}).get("overrides", {}) if isinstance(body, dict) else {}
        container, timeout = _apply_overrides(job, overrides)
        execution = self._start(job, container, timeout)
        view = self._execution_view(execution)
        name = execution.name

        def result() -> dict[str, Any] | None:
            current = self._execution_view(self.executions[name])
            return None if current.get("runningCount") else {"response": {"@type": _EXECUTION_TYPE, **current}}

        return self._operation(self.clock.monotonic(), result, {"@type": _EXECUTION_TYPE, **view})

    # -- executions ----------------------------------------------------------------
    def _start(self, job: dict[str, Any], container: dict[str, Any], timeout: float) -> _Execution:
        short = f"{job['name'].rsplit('/', 1)[1]}-{uuid.uuid4().hex[:5]}"
        name = f"{job['name']}/executions/{short}"
        env = {item.get("name", ""): item.get("value", "") for item in container.get("env", [])}
        argv = list(container.get("command", [])) + list(container.get("args", []))
        run = _play(argv or _default_argv(container.get("image")), env)
        now = self.clock.now()
        entries = _entries(self.project, self.region, name, run, now)
        labels = dict(job.get("template", {}).get("labels") or job.get("labels") or {})
        execution = _Execution(name, job["name"], labels, container, timeout, now, self.clock.monotonic(), run, entries)
        self.executions[name] = execution
        return execution

    def _state(self, execution: _Execution) -> str:
        return execution.outcome(self.clock.monotonic() - execution.started, self.native_timeouts)

    def _execution_view(self, execution: _Execution) -> dict[str, Any]:
        state = self._state(execution)
        end = execution.created + dt.timedelta(seconds=execution.limit(self.native_timeouts))
        completed = {"type": "Completed", "lastTransitionTime": _stamp(end), **_COMPLETED[state]}
        return _compact(
            {
                "name": execution.name,
                "uid": str(uuid.uuid5(uuid.NAMESPACE_URL, execution.name)),
                "generation": "1",
                "labels": execution.labels,
                "createTime": _stamp(execution.created),
                "startTime": _stamp(execution.created),
                "completionTime": None if state == "running" else _stamp(end),
                "job": execution.job.rsplit("/", 1)[1],
                "taskCount": 1,
                "parallelism": 1,
                "template": {
                    "containers": [execution.container],
                    "maxRetries": 0,
                    "timeout": f"{execution.timeout:g}s",
                },
                _COUNTS[state]: 1,
                "conditions": [{"type": "ResourcesAvailable", "state": "CONDITION_SUCCEEDED"}, completed],
                "reconciling": state == "running",
                "etag": f'"{uuid.uuid4().hex[:8]}"',
            }
        )

    def _find_execution(self, args: Mapping[str, str]) -> _Execution:
        self._check_parent(args)
        name = f"{self._job_name(args)}/executions/{args['execution']}"
        execution = self.executions.get(name)
        if execution is None or execution.deleted:
            raise _ApiError(404, f"Resource '{args['execution']}' of kind 'EXECUTION' does not exist.")
        return execution

    def _get_execution(self, args: dict[str, str], body: Any, query: dict[str, str]) -> dict[str, Any]:
        return self._execution_view(self._find_execution(args))

    def _list_executions(self, args: dict[str, str], body: Any, query: dict[str, str]) -> dict[str, Any]:
        self._check_parent(args)
        if args["job"] != "-":
            self._find_job(args)
        prefix = self._job_name(args) + "/" if args["job"] != "-" else ""
        live = [e for e in self.executions.values() if not e.deleted and e.name.startswith(prefix)]
        live.sort(key=lambda e: (e.created, e.name), reverse=True)
        views = [self._execution_view(e) for e in live]
        return _paged(views, "executions", query.get("pageToken", ""), int(query.get("pageSize") or 100))

    def _cancel_execution(self, args: dict[str, str], body: Any, query: dict[str, str]) -> dict[str, Any]:
        execution = self._find_execution(args)
        if self._state(execution) != "running":
            raise _ApiError(400, f"Execution {args['execution']} has already completed.")
        execution.cancelled_at = self.clock.monotonic()
        view = self._execution_view(execution)
        return self._operation(self._soon(), lambda: {"response": {"@type": _EXECUTION_TYPE, **view}}, view)

    def _delete_execution(self, args: dict[str, str], body: Any, query: dict[str, str]) -> dict[str, Any]:
        execution = self._find_execution(args)
        if self._state(execution) == "running":
            raise _ApiError(400, f"Execution {args['execution']} is still running; cancel it first.")
        view = self._execution_view(execution)
        execution.deleted = True
        return self._operation(self._soon(), lambda: {"response": {"@type": _EXECUTION_TYPE, **view}}, view)

    def _list_tasks(self, args: dict[str, str], body: Any, query: dict[str, str]) -> dict[str, Any]:
        execution = self._find_execution(args)
        state = self._state(execution)
        attempt = _ATTEMPT.get(state, {"exitCode": execution.run.exit_code, "status": {"code": 2}})
        task = _compact(
            {
                "name": f"{execution.name}/tasks/{args['execution']}-task0",
                "index": 0,
                "execution": args["execution"],
                "job": execution.job.rsplit("/", 1)[1],
                "lastAttemptResult": None if state == "running" else attempt,
            }
        )
        return {"tasks": [task]}

    # -- logging -------------------------------------------------------------------
    def _list_entries(self, args: dict[str, str], body: Any, query: dict[str, str]) -> dict[str, Any]:
        body = body if isinstance(body, dict) else {}
        size = self._check_listing(body)
        entries = self._matching(str(body.get("filter", "")))
        if body.get("orderBy") == "timestamp desc":
            entries.reverse()
        return _paged(entries, "entries", str(body.get("pageToken", "")), min(size, self.log_page_size))

    def _check_listing(self, body: Mapping[str, Any]) -> int:
        """The page size of a valid ``entries:list`` request; 400 for an invalid one."""
        if f"projects/{self.project}" not in body.get("resourceNames", []):
            raise _ApiError(400, "resourceNames must name the project the entries belong to.")
        if body.get("orderBy", "timestamp asc") not in ("timestamp asc", "timestamp desc"):
            raise _ApiError(400, f"orderBy must be 'timestamp asc' or 'timestamp desc', got {body['orderBy']!r}")
        size = int(body.get("pageSize") or 50)
        if not 0 < size <= 1000:
            raise _ApiError(400, f"pageSize must be in [1, 1000], got {size}")
        return size

    def _matching(self, text: str) -> list[dict[str, Any]]:
        terms = _parse_filter(text)
        wanted = terms.fields.get('labels."run.googleapis.com/execution_name"')
        executions = [e for e in self.executions.values() if wanted is None or e.name.endswith(f"/{wanted[0]}")]
        key = (text, tuple((e.name, self._visible(e)) for e in executions))
        if key not in self._cache:  # the pages of one listing share the filtered entries
            if len(self._cache) > 64:
                self._cache.clear()
            counts = dict(key[1])
            self._cache[key] = [x for e in executions for _, x in e.entries[: counts[e.name]] if terms.matches(x)]
        return list(self._cache[key])

    def _visible(self, execution: _Execution) -> int:
        elapsed = min(self.clock.monotonic() - execution.started, execution.limit(self.native_timeouts))
        return bisect.bisect_right(execution.times, elapsed)


def _check_id(job_id: str) -> None:
    if not _ID.fullmatch(job_id):
        raise _ApiError(
            400,
            f"Invalid jobId {job_id!r}: use at most 63 lowercase letters, digits and dashes, "
            "starting with a letter and not ending with a dash.",
        )


def _check_labels(labels: object) -> dict[str, str]:
    if not isinstance(labels, dict):
        return {}
    bad = [k for k, v in labels.items() if not (_LABEL_KEY.fullmatch(str(k)) and _LABEL_VALUE.fullmatch(str(v)))]
    if bad or len(labels) > 64:
        raise _ApiError(
            400,
            f"Invalid labels {bad!r}: keys and values must be lowercase letters, digits, "
            "'_' or '-', at most 63 characters, 64 labels.",
        )
    return {str(k): str(v) for k, v in labels.items()}


def _container(job: Mapping[str, Any]) -> dict[str, Any]:
    containers = job.get("template", {}).get("template", {}).get("containers") or [{}]
    return dict(containers[0])


def _new_job(name: str, body: dict[str, Any], now: str) -> dict[str, Any]:
    template = dict(body.get("template") or {})
    _check_labels(body.get("labels"))
    _check_labels(template.get("labels"))
    if not _container({"template": template}).get("image"):
        raise _ApiError(400, "template.template.containers[0].image is required.")
    return {**body, "name": name, "uid": str(uuid.uuid4()), "createTime": now, "template": template}


def _check_override(override: Mapping[str, Any]) -> None:
    args, env = override.get("args", []), override.get("env", [])
    if override.get("clearArgs") and args:
        raise _ApiError(400, "containerOverrides: args must be empty when clearArgs is true.")
    if not (isinstance(args, list) and all(isinstance(a, str) for a in args)):
        raise _ApiError(400, "containerOverrides.args must be a list of strings.")
    if not (isinstance(env, list) and all(isinstance(e, dict) and e.get("name") for e in env)):
        raise _ApiError(400, "containerOverrides.env must be a list of {name, value}.")


def _timeout(overrides: Mapping[str, Any], job: Mapping[str, Any]) -> float:
    raw = overrides.get("timeout") or job.get("template", {}).get("template", {}).get("timeout") or "600s"
    try:
        seconds = float(str(raw).removesuffix("s")) if str(raw).endswith("s") else -1.0
    except ValueError:
        seconds = -1.0
    if not 0 < seconds <= _MAX_TIMEOUT:
        raise _ApiError(400, f"Invalid timeout {raw!r}: a duration like '600s', at most 168h.")
    return seconds


def _apply_overrides(job: Mapping[str, Any], overrides: Mapping[str, Any]) -> tuple[dict[str, Any], float]:
    if int(overrides.get("taskCount", 1)) != 1:
        raise _ApiError(400, "The emulator runs executions of exactly one task.")
    container = _container(job)
    for override in overrides.get("containerOverrides", [])[:1]:
        _check_override(override)
        if override.get("args") or override.get("clearArgs"):
            container["args"] = list(override.get("args", []))
        merged = {e["name"]: e for e in [*container.get("env", []), *override.get("env", [])]}
        container["env"] = list(merged.values())
    return container, _timeout(overrides, job)


def _default_argv(image: object) -> list[str]:
    return ["probe"] if image == PROBE_IMAGE else []


def _play(argv: list[str], env: Mapping[str, str]) -> ProbeRun:
    if is_probe(argv):
        return interpret(argv, env)
    program = argv[0] if argv else "(none)"
    message = f"exec: {program!r}: the emulated image runs only the probe\n"
    return ProbeRun((ProbeEvent(0.0, "stderr", message),), 127, 0.0)


def _entries(
    project: str, region: str, name: str, run: ProbeRun, start: dt.datetime
) -> list[tuple[float, dict[str, Any]]]:
    job, short = name.split("/")[5], name.rsplit("/", 1)[1]
    resource = {
        "type": "cloud_run_job",
        "labels": {"job_name": job, "location": region, "project_id": project},
    }
    labels = {
        "run.googleapis.com/execution_name": short,
        "run.googleapis.com/task_index": "0",
        "run.googleapis.com/task_attempt": "0",
    }
    out: list[tuple[float, dict[str, Any]]] = []
    for event in run.events:
        moment = _stamp(start + dt.timedelta(seconds=event.at))
        log_name = f"projects/{project}/logs/run.googleapis.com%2F{event.stream}"
        for line in _lines(event):
            entry = {
                "logName": log_name,
                "resource": resource,
                "labels": labels,
                "textPayload": line,
                "timestamp": moment,
                "receiveTimestamp": moment,
                "insertId": f"{len(out):010d}",
            }
            out.append((event.at, _compact(entry)))
    return out


@dataclasses.dataclass
class _Filter:
    """A parsed ``entries:list`` filter: the values wanted per field, and the bounds on ``timestamp``."""

    fields: dict[str, list[str]] = dataclasses.field(default_factory=dict)
    times: list[tuple[Callable[[Any, Any], bool], tuple[dt.datetime, int]]] = dataclasses.field(default_factory=list)

    def add(self, field: str, comparison: str, value: str) -> None:
        if field == "timestamp":
            self.times.append((_COMPARE[comparison], _instant(value)))
        elif comparison == "=":
            self.fields.setdefault(field, []).append(value)
        else:
            raise _ApiError(400, f"The emulator compares only timestamp with {comparison!r}, not {field}.")

    def matches(self, entry: Mapping[str, Any]) -> bool:
        if not all(_field(entry, field) in values for field, values in self.fields.items()):
            return False
        moment = _instant(str(entry.get("timestamp", "")))
        return all(compare(moment, bound) for compare, bound in self.times)


def _parse_filter(text: str) -> _Filter:
    """The filter's terms; a filter with more than terms, ``AND``, ``OR`` and parentheses is refused."""
    if not _JOINERS.fullmatch(_TERM.sub(" ", text)):
        raise _ApiError(
            400,
            f'Unsupported filter {text!r}: the emulator understands field="value" terms and '
            "comparisons of timestamp, joined by AND and OR.",
        )
    parsed = _Filter()
    for field, comparison, value in _TERM.findall(text):
        parsed.add(field, comparison, value)
    return parsed


def _instant(value: str) -> tuple[dt.datetime, int]:
    """An RFC 3339 timestamp as (its whole second in UTC, nanoseconds): in the order Cloud Logging compares them."""
    match = _RFC3339.fullmatch(value)
    day, clock, fraction, zone = match.groups() if match else ("", "", "", "")
    try:
        second = dt.datetime.fromisoformat(f"{day}T{clock}{'+00:00' if zone in ('Z', 'z') else zone}")
    except ValueError:
        message = f'Invalid timestamp "{value}": use RFC 3339, like "2026-12-07T02:30:00.5Z".'
        raise _ApiError(400, message) from None
    return second.astimezone(dt.timezone.utc), int((fraction or "").ljust(9, "0"))


def _field(entry: Mapping[str, Any], field: str) -> str:
    if field.startswith('labels."'):
        return str(entry.get("labels", {}).get(field[len('labels."') : -1], ""))
    value: Any = entry
    for part in field.split("."):
        value = value.get(part, "") if isinstance(value, dict) else ""
    return str(value)


def _paged(items: list[dict[str, Any]], key: str, token: str, size: int) -> dict[str, Any]:
    if token and not token.startswith("offset-"):
        raise _ApiError(400, f"Invalid page token {token!r}.")
    start = int(token.removeprefix("offset-") or 0)
    page: dict[str, Any] = {key: items[start : start + size]}
    if start + size < len(items):
        page["nextPageToken"] = f"offset-{start + size}"
    return _compact(page)


def _body(request: requests.PreparedRequest) -> Any:
    raw = request.body
    if not isinstance(raw, str | bytes) or not raw:
        return None
    try:
        return json.loads(raw)
    except ValueError as exc:
        raise _ApiError(400, "Invalid JSON payload received.") from exc


def _query(text: str) -> dict[str, str]:
    from urllib.parse import parse_qsl

    return dict(parse_qsl(text))


_P = r"projects/(?P<project>[^/:]+)/locations/(?P<region>[^/:]+)"
_J = _P + r"/jobs/(?P<job>[^/:]+)"
_E = _J + r"/executions/(?P<execution>[^/:]+)"
_Handler = Callable[[CloudRunEmulator, dict[str, str], Any, dict[str, str]], dict[str, Any]]
_ROUTES: dict[tuple[str, re.Pattern[str]], _Handler] = {
    ("POST", re.compile(rf"run:/v2/{_P}/jobs")): CloudRunEmulator._create_job,
    ("GET", re.compile(rf"run:/v2/{_J}")): CloudRunEmulator._get_job,
    ("DELETE", re.compile(rf"run:/v2/{_J}")): CloudRunEmulator._delete_job,
    ("POST", re.compile(rf"run:/v2/{_J}:run")): CloudRunEmulator._run_job,
    ("GET", re.compile(rf"run:/v2/{_J}/executions")): CloudRunEmulator._list_executions,
    ("GET", re.compile(rf"run:/v2/{_E}")): CloudRunEmulator._get_execution,
    ("DELETE", re.compile(rf"run:/v2/{_E}")): CloudRunEmulator._delete_execution,
    ("POST", re.compile(rf"run:/v2/{_E}:cancel")): CloudRunEmulator._cancel_execution,
    ("GET", re.compile(rf"run:/v2/{_E}/tasks")): CloudRunEmulator._list_tasks,
    ("GET", re.compile(rf"run:/v2/{_P}/operations/(?P<operation>[^/:]+)")): CloudRunEmulator._get_operation,
    ("POST", re.compile(r"log:/v2/entries:list")): CloudRunEmulator._list_entries,
}


class EmulatedCloudRunExecutor(CloudRunExecutor):
    """A ``CloudRunExecutor`` that owns a running emulation and stops it on ``close()``.

    Example:
        >>> ex = emulated_executor()
        >>> ex.name, ex.emulator.project
        ('cloudrun', 'emulated-project')
        >>> ex.close()
    """

    emulator: CloudRunEmulator

    def shutdown(self) -> None:
        """Close the session and stop the emulation (``close()`` alone leaves the emulated backend running).

        Example:
            >>> emulated_executor().shutdown()
        """
        self.close()
        emulator = getattr(self, "emulator", None)
        if emulator is not None:
            emulator.stop()


def emulated_executor(config: Mapping[str, Any] | None = None) -> EmulatedCloudRunExecutor:
    """Start an emulation and return an executor on it (for ``executor-kit verify``).

    The emulation intercepts HTTP until ``executor.shutdown()`` (or until the
    executor is collected): ``close()`` releases the client only, as the
    contract says, and the emulated backend runs on. Both share a
    ``VirtualClock``, so nothing sleeps. ``config`` is merged over the
    emulator's settings (``create_job`` on, anonymous credentials).

    Example:
        >>> ex = emulated_executor()
        >>> ex.check_status("projects/emulated-project/locations/us-central1/jobs/j/executions/j-1")
        <ExecutionStatus.NOT_FOUND: 'not-found'>
        >>> ex.close()
    """
    emulator = CloudRunEmulator(clock=VirtualClock())
    executor = EmulatedCloudRunExecutor(emulator.config(**dict(config or {})), clock=emulator.clock)
    executor.emulator = emulator.start()
    weakref.finalize(executor, emulator.stop)
    return executor
