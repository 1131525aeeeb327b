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
* Cloud Logging ``entries:list``: one entry per line, visible once written
  (so while running), kept after the execution is deleted, paged at
  ``log_page_size``, oldest first (``timestamp asc``; equal timestamps in
  ``insertId`` order), filtered as ``emulator_logging`` describes (a filter it
  does not understand is refused with 400 ``INVALID_ARGUMENT``).
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

The resources it keeps are in ``emulator_state``, its Cloud Logging in
``emulator_logging``.
"""

from __future__ import annotations

import bisect
import contextlib
import dataclasses
import datetime as dt
import json
import re
import threading
import uuid
import weakref
from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import parse_qsl

from executor_kit.backends import OwnsEmulator, missing_dependency

try:
    import requests
    import responses
    from google.auth.credentials import AnonymousCredentials

    from executor_kit.backends.cloudrun.executor import CloudRunExecutor
except ImportError as exc:  # one line that names the extra to install
    raise missing_dependency(exc) from exc

from executor_kit.backends.cloudrun.emulator_logging import EXECUTION_LABEL, check_listing, log_entries, parse_filter
from executor_kit.backends.cloudrun.emulator_state import (
    EXECUTION_TYPE,
    JOB_TYPE,
    ApiError,
    EmulatedExecution,
    apply_overrides,
    check_id,
    error_body,
    execution_view,
    first_container,
    json_body,
    new_job,
    paged,
    play,
    stamp,
    task_view,
)
from executor_kit.clock import Clock, VirtualClock
from executor_kit.probe import PROBE_IMAGE

__all__ = ["CloudRunEmulator", "EmulatedCloudRunExecutor", "emulated_executor"]


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
            self.executions: dict[str, EmulatedExecution] = {}
            self.calls: list[tuple[str, str]] = []
            self.unmatched: list[str] = []
            self._operations: dict[str, tuple[float, Callable[[], dict[str, Any] | None], dict[str, Any]]] = {}
            self._faults: list[_Fault] = []
            self._cache: dict[Any, list[dict[str, Any]]] = {}

    # -- lifecycle -----------------------------------------------------------
    def start(self) -> CloudRunEmulator:
        """Start intercepting HTTP (every ``requests`` call in the process).

        Example:
            >>> import requests
            >>> cloud = CloudRunEmulator().start()
            >>> requests.get("https://run.googleapis.com/v2/projects/p/locations/us-central1/jobs/nope").status_code
            404
            >>> cloud.stop()
        """
        self.mock.start()
        return self

    @property
    def intercepting(self) -> bool:
        """Whether the emulation answers HTTP now (between ``start`` and ``stop``).

        Example:
            >>> cloud = CloudRunEmulator()
            >>> cloud.intercepting, cloud.start().intercepting
            (False, True)
            >>> cloud.stop(); cloud.intercepting
            False
        """
        return getattr(self.mock, "_patcher", None) is not None  # responses has no public flag for it

    def stop(self) -> None:
        """Stop intercepting; idempotent.

        Example:
            >>> cloud = CloudRunEmulator().start(); cloud.stop(); cloud.stop()  # the second does nothing
            >>> cloud.intercepting
            False
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

        Example:
            >>> import requests
            >>> url = "https://run.googleapis.com/v2/projects/p/locations/us-central1/jobs/nope"
            >>> with CloudRunEmulator() as cloud:
            ...     cloud.inject(503, path="/jobs/")
            ...     [requests.get(url).status_code for _ in range(2)]
            [503, 404]
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
        return [json_body(request.body) for request in calls]

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
            except ApiError as exc:
                return error_body(exc.code, exc.message)

    @staticmethod
    def _fault(fault: _Fault) -> tuple[int, dict[str, str], str]:
        fault.times -= 1
        if fault.status is None:
            raise requests.ConnectionError("emulated network failure")
        return error_body(fault.status, fault.message)

    def _route(self, method: str, url: str, request: requests.PreparedRequest) -> dict[str, Any]:
        path, _, query = url.partition("?")
        for (verb, pattern), handler in _ROUTES.items():
            match = pattern.fullmatch(path.replace(self.run_endpoint, "run:").replace(self.logging_endpoint, "log:"))
            if verb == method and match:
                return handler(self, match.groupdict(), json_body(request.body), dict(parse_qsl(query)))
        self.unmatched.append(f"{method} {url}")
        raise requests.ConnectionError(f"the Cloud Run emulator has no route for {method} {url}")

    def _check_parent(self, args: Mapping[str, str]) -> None:
        if (args.get("project"), args.get("region")) != (self.project, self.region):
            raise ApiError(404, f"Location projects/{args.get('project')}/locations/{args.get('region')} not found.")

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
            raise ApiError(404, f"Operation {name} not found.")
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
            raise ApiError(
                404,
                f"Resource '{args['job']}' of kind 'JOB' in region '{args['region']}' "
                f"in project '{args['project']}' does not exist.",
            )
        return job

    def _create_job(self, args: dict[str, str], body: Any, query: dict[str, str]) -> dict[str, Any]:
        self._check_parent(args)
        job_id = query.get("jobId", "")
        check_id(job_id)
        name = self._job_name({**args, "job": job_id})
        if name in self.jobs:
            raise ApiError(409, f"Resource '{job_id}' already exists.")
        job = new_job(name, body if isinstance(body, dict) else {}, stamp(self.clock.now()))
        self.jobs[name] = job
        image = first_container(job).get("image")
        error = None if image in self.images else {"code": 5, "message": f"Image '{image}' not found."}
        outcome = {"error": error} if error else {"response": {"@type": JOB_TYPE, **job}}
        return self._operation(self._soon(), lambda: outcome, {"@type": JOB_TYPE, **job})

    def _get_job(self, args: dict[str, str], body: Any, query: dict[str, str]) -> dict[str, Any]:
        return self._find_job(args)

    def _delete_job(self, args: dict[str, str], body: Any, query: dict[str, str]) -> dict[str, Any]:
        job = self._find_job(args)
        del self.jobs[job["name"]]
        for execution in self.executions.values():
            if execution.job == job["name"] and not execution.deleted:
                execution.cancelled_at = execution.cancelled_at or self.clock.monotonic()
                execution.deleted = True
        return self._operation(self._soon(), lambda: {"response": {"@type": JOB_TYPE, **job}}, job)

    def _run_job(self, args: dict[str, str], body: Any, query: dict[str, str]) -> dict[str, Any]:
        job = self._find_job(args)
        overrides = (body or {}).get("overrides", {}) if isinstance(body, dict) else {}
        container, timeout = apply_overrides(job, overrides)
        execution = self._start(job, container, timeout)
        view = self._execution_view(execution)
        name = execution.name

        def result() -> dict[str, Any] | None:
            current = self._execution_view(self.executions[name])
            return None if current.get("runningCount") else {"response": {"@type": EXECUTION_TYPE, **current}}

        return self._operation(self.clock.monotonic(), result, {"@type": EXECUTION_TYPE, **view})

    # -- executions ----------------------------------------------------------------
    def _start(self, job: dict[str, Any], container: dict[str, Any], timeout: float) -> EmulatedExecution:
        short = f"{job['name'].rsplit('/', 1)[1]}-{uuid.uuid4().hex[:5]}"
        name = f"{job['name']}/executions/{short}"
        env = {item.get("name", ""): item.get("value", "") for item in container.get("env", [])}
        argv = list(container.get("command", [])) + list(container.get("args", []))
        run = play(argv, container.get("image"), env)
        now = self.clock.now()
        entries = log_entries(self.project, self.region, name, run, now)
        labels = dict(job.get("template", {}).get("labels") or job.get("labels") or {})
        execution = EmulatedExecution(
            name, job["name"], labels, container, timeout, now, self.clock.monotonic(), run, entries
        )
        self.executions[name] = execution
        return execution

    def _state(self, execution: EmulatedExecution) -> str:
        return execution.outcome(self.clock.monotonic() - execution.started, self.native_timeouts)

    def _execution_view(self, execution: EmulatedExecution) -> dict[str, Any]:
        end = execution.created + dt.timedelta(seconds=execution.limit(self.native_timeouts))
        return execution_view(execution, self._state(execution), end)

    def _find_execution(self, args: Mapping[str, str]) -> EmulatedExecution:
        self._check_parent(args)
        name = f"{self._job_name(args)}/executions/{args['execution']}"
        execution = self.executions.get(name)
        if execution is None or execution.deleted:
            raise ApiError(404, f"Resource '{args['execution']}' of kind 'EXECUTION' does not exist.")
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
        return paged(views, "executions", query.get("pageToken", ""), int(query.get("pageSize") or 100))

    def _cancel_execution(self, args: dict[str, str], body: Any, query: dict[str, str]) -> dict[str, Any]:
        execution = self._find_execution(args)
        if self._state(execution) != "running":
            raise ApiError(400, f"Execution {args['execution']} has already completed.")
        execution.cancelled_at = self.clock.monotonic()
        view = self._execution_view(execution)
        return self._operation(self._soon(), lambda: {"response": {"@type": EXECUTION_TYPE, **view}}, view)

    def _delete_execution(self, args: dict[str, str], body: Any, query: dict[str, str]) -> dict[str, Any]:
        execution = self._find_execution(args)
        if self._state(execution) == "running":
            raise ApiError(400, f"Execution {args['execution']} is still running; cancel it first.")
        view = self._execution_view(execution)
        execution.deleted = True
        return self._operation(self._soon(), lambda: {"response": {"@type": EXECUTION_TYPE, **view}}, view)

    def _list_tasks(self, args: dict[str, str], body: Any, query: dict[str, str]) -> dict[str, Any]:
        execution = self._find_execution(args)
        return {"tasks": [task_view(execution, self._state(execution), args["execution"])]}

    # -- logging -------------------------------------------------------------------
    def _list_entries(self, args: dict[str, str], body: Any, query: dict[str, str]) -> dict[str, Any]:
        body = body if isinstance(body, dict) else {}
        size = check_listing(body, self.project)
        entries = self._matching(str(body.get("filter", "")))
        if body.get("orderBy") == "timestamp desc":
            entries.reverse()
        return paged(entries, "entries", str(body.get("pageToken", "")), min(size, self.log_page_size))

    def _matching(self, text: str) -> list[dict[str, Any]]:
        terms = parse_filter(text)
        wanted = terms.fields.get(EXECUTION_LABEL)
        executions = [e for e in self.executions.values() if wanted is None or e.name.endswith(f"/{wanted[0]}")]
        key = (text, tuple((e.name, self._visible(e)) for e in executions))
        if key not in self._cache:  # the pages of one listing share the filtered entries
            if len(self._cache) > 64:
                self._cache.clear()
            counts = dict(key[1])
            self._cache[key] = [x for e in executions for _, x in e.entries[: counts[e.name]] if terms.matches(x)]
        return list(self._cache[key])

    def _visible(self, execution: EmulatedExecution) -> int:
        elapsed = min(self.clock.monotonic() - execution.started, execution.limit(self.native_timeouts))
        return bisect.bisect_right(execution.times, elapsed)


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


class EmulatedCloudRunExecutor(OwnsEmulator, CloudRunExecutor):
    """A ``CloudRunExecutor`` that owns a running emulation and stops it on ``shutdown()``.

    Example:
        >>> ex = emulated_executor()
        >>> ex.name, ex.emulator.project
        ('cloudrun', 'emulated-project')
        >>> ex.shutdown(); ex.emulator.intercepting  # close() alone leaves the emulation running
        False
    """

    emulator: CloudRunEmulator


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
