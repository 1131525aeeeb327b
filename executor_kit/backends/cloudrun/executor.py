"""``CloudRunExecutor``: Cloud Run Jobs through the Admin API v2 and Cloud Logging v2.

How the contract maps onto Cloud Run:

* **launch** runs a Cloud Run job (``POST v2/{job}:run``) with per-execution
  overrides: the argv after the program (``args``), the environment
  (``env``, secrets included), ``taskCount`` 1 and the job's ``timeout``. The
  execution id is the execution's full resource name. ``jobs.run`` answers with
  a long-running operation that is done only when the execution ends, so the
  id is read from its ``metadata`` (an ``Execution``) without waiting.
* ``jobs.run`` overrides cannot change the image, the program, the labels or
  the limits. So with ``create_job: true`` each launch creates its own job
  ``<job>-<8 hex>`` from the ``ContainerJob`` (image, program, labels,
  ``maxRetries`` 0) and cleanup deletes it again. Without it, the configured
  job must exist and run the job's image and program, or the launch is
  refused with ``(False, message)``.
* **status** comes from the execution's ``Completed`` condition (and its
  counts): succeeded → ``exited``; failed with reason ``NON_ZERO_EXIT_CODE`` →
  ``exited``; any other failure (cancelled, timed out, could not start) →
  ``failed``; no verdict yet → ``running``; 404 → ``not-found``.
* **exit codes** come from the task's ``lastAttemptResult.exitCode`` (proto3
  JSON omits a zero). An execution that ended without one is harvested with
  exit code ``-1``.
* **timeouts** travel natively (``overrides.timeout``) and are also enforced
  by ``check_status``: an execution still running past ``startTime`` plus its
  ``template.timeout`` is cancelled and reads ``failed``. Harvest records
  ``timeout`` for an execution that ended without an exit code at or after its
  deadline; this is derived from the execution itself, so it survives a
  restart of the caller.
* **logs** come from Cloud Logging ``entries:list`` filtered by the execution
  name, split by log name (``run.googleapis.com/stdout`` and ``/stderr``),
  every page, oldest first. Each entry is one line. Cloud Logging keeps logs
  after an execution is deleted, so ``get_logs`` first checks that the
  execution still exists. Ingestion delay is real on Cloud Run: logs written in
  the last seconds may not be listed yet.
* **live logs** (``supports_log_streaming``): ``stream_logs`` polls the same
  ``entries:list`` every ``log_poll_seconds`` seconds (default 5: Cloud
  Logging limits read requests per project, and every poll costs a read per
  page plus an ``executions.get``), on ``self.clock``. Each read resumes
  where the last stopped, as the REST API allows tailing: the filter asks for
  ``timestamp>=`` the newest timestamp delivered, and entries already
  delivered at that timestamp are skipped by ``insertId`` (Cloud Logging orders
  equal timestamps by it). With ``follow`` it reads until it has seen the
  execution ended, then once more, and ends; a line that reaches Cloud Logging
  later than that final read (ingestion delay) is in ``get_logs`` afterwards,
  not in the stream. One chunk per line, so no character is ever split.
* **cancel** (``supports_cancel``) is ``executions.cancel``: the execution
  reads ``failed`` (reason ``CANCELLED``) and harvests ``cancelled`` with exit
  code ``-1`` (Cloud Run gives none), its logs kept until cleanup.
* **cleanup** cancels a running execution, deletes it, and deletes the job if
  this executor created it (``create_job``); each 404 counts as done.
* **errors**: 401/403 → ``ExecutorAuthenticationError``; 429 and 503 are
  retried with exponential backoff on ``self.clock``, then raise
  ``ExecutorResourceError`` (429) or ``ExecutorConnectionError`` (503); other
  5xx and network errors → ``ExecutorConnectionError``; other 4xx at launch →
  ``(False, message)``, elsewhere ``ExecutorConfigurationError``. Secret values
  are removed from every message.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import math
import os
import re
import uuid
from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import Any, ClassVar

import google.auth
import google.auth.credentials
import google.auth.exceptions
import google.oauth2.service_account
import requests
from google.auth.transport.requests import AuthorizedSession

from executor_kit._retry import RetryPolicy, retry
from executor_kit.backends.cloudrun.logs import STREAMS, LogCursor, log_chunks
from executor_kit.base import ContainerExecutor, LogChunk
from executor_kit.clock import Clock
from executor_kit.errors import (
    ExecutorAuthenticationError,
    ExecutorConfigurationError,
    ExecutorConnectionError,
    ExecutorError,
    ExecutorResourceError,
)
from executor_kit.job import (
    JobLike,
    job_environment,
    mark_launched,
    record_result,
    redact,
    secret_values,
    validate_job,
)
from executor_kit.labels import MANAGED_LABEL, NAME_LABEL, TIMEOUT_LABEL, kit_labels
from executor_kit.redaction import SecretLogGuard, shown_config_value
from executor_kit.status import ExecutionStatus, JobStatus

__all__ = ["SCOPE", "CloudRunExecutor", "CloudRunSettings"]

#: The OAuth scope the executor asks for.
SCOPE = "https://www.googleapis.com/auth/cloud-platform"

_REGION = re.compile(r"[a-z]+-[a-z]+[1-9][0-9]?")
_PROJECT = re.compile(r"[a-z][-a-z0-9]{4,28}[a-z0-9]|[0-9]{1,20}")
_JOB = re.compile(r"[a-z](?:[-a-z0-9]{0,61}[a-z0-9])?")
_URL = re.compile(r"https?://[^\s/?#]+")
_EXECUTION = re.compile(
    r"projects/([a-z0-9][-a-z0-9.:]{0,62})/locations/([a-z0-9-]{1,40})/jobs/([a-z][-a-z0-9]{0,62})"
    r"/executions/([a-z][-a-z0-9]{0,62})"
)
_SUFFIX = 9  # "-" and 8 hex digits added to the job name per launch
_NO_EXIT_CODE = -1
#: The loggers of the libraries this executor drives; secret values never reach their records.
_LIBRARY_LOGGERS = ("requests", "urllib3", "google.auth", "responses")


def _fail(message: str) -> ExecutorConfigurationError:
    return ExecutorConfigurationError(message, backend="cloudrun")


def _text(pattern: re.Pattern[str], what: str) -> Callable[[str, object], object]:
    def check(key: str, value: object) -> object:
        if not isinstance(value, str) or not pattern.fullmatch(value):
            raise _fail(f"cloudrun config {key!r} must be {what}, got {shown_config_value(key, value)}")
        return value

    return check


def _flag(key: str, value: object) -> object:
    if not isinstance(value, bool):
        raise _fail(f"cloudrun config {key!r} must be a bool, got {shown_config_value(key, value)}")
    return value


def _number(low: float, high: float, kind: type = float) -> Callable[[str, object], object]:
    def check(key: str, value: object) -> object:
        ok = isinstance(value, int | float) and not isinstance(value, bool) and low <= value <= high
        if not ok or (kind is int and not isinstance(value, int)):
            shown = shown_config_value(key, value)
            raise _fail(f"cloudrun config {key!r} must be a {kind.__name__} in [{low:g}, {high:g}], got {shown}")
        return kind(value)

    return check


_CHECKS: dict[str, Callable[[str, object], object]] = {
    "project": _text(_PROJECT, "a Google Cloud project id (like 'my-project-1') or number"),
    "region": _text(_REGION, "a Cloud Run region like 'us-central1'"),
    "job": _text(_JOB, "a Cloud Run job name (lowercase letters, digits, dashes; at most 63)"),
    "create_job": _flag,
    "run_endpoint": _text(_URL, "an http(s) URL without a path, like 'https://run.googleapis.com'"),
    "logging_endpoint": _text(_URL, "an http(s) URL without a path, like 'https://logging.googleapis.com'"),
    "max_attempts": _number(1, 100, int),
    "initial_backoff": _number(0, 3600),
    "max_backoff": _number(0, 3600),
    "poll_interval": _number(0.001, 3600),
    "operation_timeout": _number(0.001, 86400),
    "request_timeout": _number(0.001, 3600),
    "log_page_size": _number(1, 1000, int),
    "log_poll_seconds": _number(0.001, 3600),
    "cleanup_on_harvest": _flag,
}


@dataclasses.dataclass(frozen=True)
class CloudRunSettings:
    """The validated settings of a ``CloudRunExecutor`` (``credentials`` aside).

    Example:
        >>> s = CloudRunSettings.from_config({"project": "my-project", "region": "europe-west1"})
        >>> s.job, s.create_job, s.run_endpoint
        ('executor-kit', False, 'https://run.googleapis.com')
        >>> CloudRunSettings.from_config({"project": "my-project", "region": "Europe"})
        Traceback (most recent call last):
        ...
        executor_kit.errors.ExecutorConfigurationError: cloudrun config 'region' must be ... got 'Europe'
    """

    project: str
    region: str
    job: str = "executor-kit"
    create_job: bool = False
    run_endpoint: str = "https://run.googleapis.com"
    logging_endpoint: str = "https://logging.googleapis.com"
    max_attempts: int = 5
    initial_backoff: float = 1.0
    max_backoff: float = 32.0
    poll_interval: float = 1.0
    operation_timeout: float = 300.0
    request_timeout: float = 30.0
    log_page_size: int = 1000
    log_poll_seconds: float = 5.0
    cleanup_on_harvest: bool = False

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> CloudRunSettings:
        """Validate a config mapping (``credentials`` is ignored here).

        Raises:
            ExecutorConfigurationError: for a missing project or region, an
                unknown key, or a value of the wrong type or format.

        Example:
            >>> CloudRunSettings.from_config({"region": "us-central1"})
            Traceback (most recent call last):
            ...
            executor_kit.errors.ExecutorConfigurationError: cloudrun config needs 'project' and 'region'
        """
        values = {key: value for key, value in config.items() if key != "credentials"}
        unknown = sorted(set(values) - set(_CHECKS), key=str)
        if unknown:
            raise _fail(f"unknown cloudrun config keys {unknown!r}; known: credentials, {', '.join(_CHECKS)}")
        if not {"project", "region"} <= set(values):
            raise _fail("cloudrun config needs 'project' and 'region'")
        checked: dict[str, Any] = {key: _CHECKS[key](key, value) for key, value in values.items()}
        settings = cls(**checked)
        return settings._checked()

    def _checked(self) -> CloudRunSettings:
        if self.create_job and len(self.job) + _SUFFIX > 63:
            raise _fail(
                f"cloudrun config 'job' {self.job!r} is too long for create_job: "
                f"at most {63 - _SUFFIX} characters, as '-xxxxxxxx' is added per launch"
            )
        return self

    @property
    def parent(self) -> str:
        """The location's resource name.

        Example:
            >>> CloudRunSettings("p-1234", "us-east1").parent
            'projects/p-1234/locations/us-east1'
        """
        return f"projects/{self.project}/locations/{self.region}"

    @property
    def retry_policy(self) -> RetryPolicy:
        """The backoff schedule for 429 and 503 answers.

        Example:
            >>> CloudRunSettings("p-1234", "us-east1", max_attempts=2).retry_policy.attempts
            2
        """
        return RetryPolicy(self.max_attempts, self.initial_backoff, 2.0, self.max_backoff)


class _RejectedError(ExecutorConfigurationError):
    """The API refused a request (a 4xx other than 401/403/404/429)."""


def _error_message(response: requests.Response) -> str:
    try:
        error = response.json().get("error", {})
        return f"{error.get('status', response.reason)}: {error.get('message', '')}"
    except (ValueError, AttributeError):
        return f"{response.reason}: {response.text[:200]}"


def _retry_after(response: requests.Response) -> float | None:
    value = response.headers.get("Retry-After", "")
    return float(value) if value.isdigit() else None


_STATUS_ERRORS: dict[int, type[ExecutorError]] = {
    401: ExecutorAuthenticationError,
    403: ExecutorAuthenticationError,
    429: ExecutorResourceError,
}


def _error_class(code: int) -> type[ExecutorError]:
    if code in _STATUS_ERRORS:
        return _STATUS_ERRORS[code]
    return ExecutorConnectionError if code >= 500 else _RejectedError


class _Api:
    """JSON over an (authorized) requests session, with retries and error mapping."""

    def __init__(self, session: requests.Session, settings: CloudRunSettings, clock: Clock) -> None:
        self.session = session
        self.settings = settings
        self.clock = clock

    def _send(self, method: str, url: str, body: Any, params: Any) -> requests.Response:
        try:
            return self.session.request(method, url, json=body, params=params, timeout=self.settings.request_timeout)
        except requests.RequestException as exc:
            raise ExecutorConnectionError(f"cannot reach {url.split('/v2/')[0]}: {exc}", backend="cloudrun") from exc
        except google.auth.exceptions.GoogleAuthError as exc:
            raise ExecutorAuthenticationError(f"Google credentials failed: {exc}", backend="cloudrun") from exc

    def call(
        self, method: str, url: str, *, body: Any = None, params: Any = None, secrets: Iterable[str] = ()
    ) -> dict[str, Any] | None:
        """The decoded answer, or ``None`` for a 404; raise an ``ExecutorError`` otherwise."""
        response = retry(
            lambda: self._send(method, url, body, params),
            retryable=lambda r: r.status_code in (429, 503),
            policy=self.settings.retry_policy,
            sleep=self.clock.sleep,
            hint=_retry_after,
        )
        if response.status_code == 404:
            return None
        if response.status_code >= 400:
            message = f"{method} {url} answered {response.status_code} {_error_message(response)}"
            raise _error_class(response.status_code)(redact(message, secrets), backend="cloudrun")
        return self._decode(response)

    @staticmethod
    def _decode(response: requests.Response) -> dict[str, Any]:
        try:
            answer = response.json() if response.content else {}
        except ValueError as exc:
            raise ExecutorConnectionError(f"not JSON from {response.url}", backend="cloudrun") from exc
        return answer if isinstance(answer, dict) else {}

    def run(self, method: str, path: str, **kwargs: Any) -> dict[str, Any] | None:
        """Call the Cloud Run Admin API v2 at ``path`` (a resource name plus verb)."""
        return self.call(method, f"{self.settings.run_endpoint}/v2/{path}", **kwargs)

    def wait(self, operation: dict[str, Any] | None, secrets: Iterable[str] = ()) -> dict[str, Any]:
        """Poll a long-running operation until done; its ``response``; ``_RejectedError`` on its ``error``."""
        deadline = self.clock.monotonic() + self.settings.operation_timeout
        while operation is not None and not operation.get("done"):
            if self.clock.monotonic() >= deadline:
                raise ExecutorConnectionError(f"operation {operation.get('name')} did not finish in time")
            self.clock.sleep(self.settings.poll_interval)
            operation = self.run("GET", str(operation.get("name")))
        error = (operation or {}).get("error")
        if error:
            raise _RejectedError(redact(str(error.get("message", error)), secrets), backend="cloudrun")
        return dict((operation or {}).get("response", {}))

    def pages(self, method: str, url: str, key: str, **request: Any) -> Iterator[dict[str, Any]]:
        """Every item under ``key`` of every page (``pageToken`` / ``nextPageToken``)."""
        token = ""
        while True:
            page = self._page(method, url, token, request)
            yield from page.get(key, [])
            token = page.get("nextPageToken", "")
            if not token:
                return

    def _page(self, method: str, url: str, token: str, request: dict[str, Any]) -> dict[str, Any]:
        if method == "GET":
            params = {**request.get("params", {}), **({"pageToken": token} if token else {})}
            return self.call(method, url, params=params) or {}
        body = {**request.get("body", {}), **({"pageToken": token} if token else {})}
        return self.call(method, url, body=body) or {}


def _parse_time(value: str | None) -> dt.datetime | None:
    if not value:
        return None
    head, _, fraction = value.rstrip("Z").partition(".")
    micros = (fraction + "000000")[:6]
    return dt.datetime.fromisoformat(f"{head}.{micros}+00:00")


def _duration(seconds: float) -> str:
    """Protobuf JSON duration, rounded up to the millisecond."""
    millis = math.ceil(seconds * 1000)
    return f"{millis // 1000}s" if millis % 1000 == 0 else f"{millis / 1000:.3f}s"


def _seconds(duration: str | None) -> float:
    return float(duration[:-1]) if duration and duration.endswith("s") else 600.0


def _completed(execution: Mapping[str, Any]) -> dict[str, Any]:
    conditions = execution.get("conditions", [])
    return next((c for c in conditions if c.get("type") == "Completed"), {})


def _counted_status(execution: Mapping[str, Any]) -> ExecutionStatus:
    tasks = int(execution.get("taskCount", 1))
    done = sum(int(execution.get(key, 0)) for key in ("succeededCount", "failedCount", "cancelledCount"))
    if done < tasks or not execution.get("completionTime"):
        return ExecutionStatus.RUNNING
    ok = int(execution.get("succeededCount", 0)) >= tasks
    return ExecutionStatus.EXITED if ok else ExecutionStatus.FAILED


def _status(execution: Mapping[str, Any]) -> ExecutionStatus:
    condition = _completed(execution)
    state = condition.get("state")
    if state == "CONDITION_SUCCEEDED":
        return ExecutionStatus.EXITED
    if state == "CONDITION_FAILED":
        nonzero = condition.get("executionReason") == "NON_ZERO_EXIT_CODE"
        return ExecutionStatus.EXITED if nonzero else ExecutionStatus.FAILED
    return _counted_status(execution)


def _deadline(execution: Mapping[str, Any]) -> dt.datetime | None:
    start = _parse_time(execution.get("startTime") or execution.get("createTime"))
    timeout = _seconds(execution.get("template", {}).get("timeout"))
    return start + dt.timedelta(seconds=timeout) if start else None


def _timed_out(execution: Mapping[str, Any], now: dt.datetime) -> bool:
    condition = _completed(execution)
    if condition.get("state") == "CONDITION_SUCCEEDED" or condition.get("executionReason") == "NON_ZERO_EXIT_CODE":
        return False
    deadline = _deadline(execution)
    ended = _parse_time(execution.get("completionTime")) or now
    return deadline is not None and ended >= deadline


def _task_exit_code(tasks: list[dict[str, Any]]) -> int:
    result = (tasks[0] if tasks else {}).get("lastAttemptResult")
    if not isinstance(result, dict) or "exitCode" not in result:
        return _NO_EXIT_CODE
    return int(result["exitCode"])


#: Cloud Run's longest task timeout (seven days), for jobs without a timeout of their own.
_LONGEST_TASK_TIMEOUT = 7 * 24 * 3600


def _overrides(job: JobLike) -> dict[str, Any]:
    env = [{"name": key, "value": value} for key, value in job_environment(job).items()]
    args = list(job.command[1:])
    override: dict[str, Any] = {"args": args, "env": env} if args else {"clearArgs": True, "env": env}
    overrides: dict[str, Any] = {"containerOverrides": [override], "taskCount": 1}
    # Without one of its own, a job gets Cloud Run's longest task timeout, not its ten-minute default.
    overrides["timeout"] = _duration(job.timeout_seconds or _LONGEST_TASK_TIMEOUT)
    return overrides


def _cloud_labels(labels: dict[str, str]) -> dict[str, str]:
    """``labels`` with the kit's name and timeout values made valid Cloud Run label values.

    Cloud Run takes only lowercase letters, digits, ``_`` and ``-`` (63 at most);
    those two values are informational here (Cloud Run enforces the timeout).

    Example:
        >>> _cloud_labels({NAME_LABEL: "Nightly Run", TIMEOUT_LABEL: "2.5", "team": "a"})
        {'executor-kit-name': 'nightly_run', 'executor-kit-timeout-seconds': '2_5', 'team': 'a'}
    """
    kit = {
        key: re.sub(r"[^a-z0-9_-]", "_", labels[key].lower())[:63]
        for key in (NAME_LABEL, TIMEOUT_LABEL)
        if key in labels
    }
    return {**labels, **kit}


def _default_credentials() -> Any:
    try:
        credentials, _ = google.auth.default(scopes=[SCOPE])
    except google.auth.exceptions.GoogleAuthError as exc:
        message = f"no Application Default Credentials: {exc}"
        raise ExecutorAuthenticationError(message, backend="cloudrun") from exc
    return credentials


def _credentials(value: object) -> Any:
    if value is None:
        return _default_credentials()
    if isinstance(value, str | os.PathLike):
        return _service_account(os.fspath(value))
    if isinstance(value, google.auth.credentials.Credentials):
        return value
    raise _fail(f"cloudrun config 'credentials' must be credentials or a key file path, got {type(value).__name__}")


def _service_account(path: str) -> Any:
    try:
        load = google.oauth2.service_account.Credentials.from_service_account_file
        return load(path, scopes=[SCOPE])  # type: ignore[no-untyped-call]
    except (OSError, ValueError, KeyError) as exc:
        raise _fail(f"cannot load service-account key file {path!r}: {type(exc).__name__}") from exc


def _session(credentials: Any) -> requests.Session:
    anonymous = isinstance(credentials, google.auth.credentials.AnonymousCredentials)
    codes = () if anonymous else (401,)  # anonymous credentials cannot be refreshed
    session: requests.Session = AuthorizedSession(  # type: ignore[no-untyped-call]
        credentials, refresh_status_codes=codes
    )
    return session


class CloudRunExecutor(ContainerExecutor):
    """Runs jobs as Cloud Run Jobs executions (see the module docstring for the mapping).

    Args:
        config: ``project`` and ``region`` (required); ``job`` (the job to
            run, or the name prefix with ``create_job``); ``create_job``;
            ``credentials`` (credentials or a service-account key file; default
            Application Default Credentials); ``run_endpoint``,
            ``logging_endpoint``; ``max_attempts``, ``initial_backoff``,
            ``max_backoff`` (429/503 retries); ``poll_interval``,
            ``operation_timeout`` (long-running operations);
            ``request_timeout``; ``log_page_size``; ``log_poll_seconds``
            (seconds between the reads of ``stream_logs``); ``cleanup_on_harvest``.
        clock: Where time is read and waited (retries, deadlines, log polls).
        session: A ready ``requests.Session`` to use instead of building an
            ``AuthorizedSession`` from the credentials.

    Raises:
        ExecutorConfigurationError: for a missing project or region, or any
            malformed setting.
        ExecutorAuthenticationError: when no credentials can be found.

    Example:
        >>> import requests
        >>> ex = CloudRunExecutor({"project": "my-project", "region": "us-central1"},
        ...                       session=requests.Session())
        >>> ex.name, ex.get_capabilities()["supports_resource_limits"], ex
        ('cloudrun', False, CloudRunExecutor(project='my-project', region='us-central1', job='executor-kit'))
    """

    #: Limits, networking and storage are not applied; secrets travel as env values.
    name: ClassVar[str] = "cloudrun"

    capabilities: ClassVar[Mapping[str, bool]] = {
        "supports_resource_limits": False,
        "supports_networking": False,
        "supports_persistent_storage": False,
        "supports_secrets": True,
        "separates_output_streams": True,
        # The platform stores logs as one entry per line: where a line ends is not kept.
        "line_oriented_logs": True,
        "supports_cancel": True,
        "supports_log_streaming": True,
    }

    def __init__(
        self,
        config: Mapping[str, Any] | None = None,
        *,
        clock: Clock | None = None,
        session: requests.Session | None = None,
    ) -> None:
        super().__init__(config, clock=clock)
        self.settings = CloudRunSettings.from_config(self.config)
        http = session if session is not None else _session(_credentials(self.config.get("credentials")))
        self._api = _Api(http, self.settings, self.clock)
        self._secret_logs = SecretLogGuard(_LIBRARY_LOGGERS, owner=self)

    def __repr__(self) -> str:
        s = self.settings
        return f"CloudRunExecutor(project={s.project!r}, region={s.region!r}, job={s.job!r})"

    # -- launch --------------------------------------------------------------
    def launch_job(self, job: JobLike) -> tuple[bool, str]:
        """Run the job as a new Cloud Run execution; ``(True, execution name)``.

        Example:
            >>> from executor_kit import ContainerJob
            >>> from executor_kit.backends.cloudrun.emulator import emulated_executor
            >>> from executor_kit.probe import PROBE_IMAGE, Probe
            >>> ex = emulated_executor()  # a CloudRunExecutor on an offline emulation

            >>> job = ContainerJob(image=PROBE_IMAGE, command=Probe().out("hi").argv)
            >>> ok, eid = ex.launch_job(job)
            >>> ok, eid == job.external_execution_id, str(job.status)
            (True, True, 'running')
            >>> eid.startswith("projects/emulated-project/locations/us-central1/jobs/executor-kit-")
            True
            >>> ex.launch_job(ContainerJob(image="ghcr.io/acme/missing:1"))
            (False, "Cloud Run refused job 'ghcr.io/acme/missing:1': Image 'ghcr.io/acme/missing:1' not found.")
            >>> ex.close()
        """
        try:
            validate_job(job)
        except ExecutorConfigurationError as exc:
            return False, str(exc)
        secrets = secret_values(job)
        try:
            with self._secret_logs.hiding(secrets):
                execution = self._launch(job, secrets)
        except _RejectedError as exc:
            return False, f"Cloud Run refused job {job.image!r}: {exc}"
        self._secret_logs.keep(execution, secrets)  # an execution's GET answer carries the overrides
        mark_launched(job, execution, self.clock.now())
        return True, execution

    def _launch(self, job: JobLike, secrets: list[str]) -> str:
        if not self.settings.create_job:
            return self._run(self._existing_job(job), job, secrets)
        job_name = self._create_job(job)
        try:
            return self._run(job_name, job, secrets)
        except ExecutorError:
            self._delete_job(job_name)
            raise

    def _existing_job(self, job: JobLike) -> str:
        name = f"{self.settings.parent}/jobs/{self.settings.job}"
        found = self._api.run("GET", name)
        if found is None:
            raise _RejectedError(f"Cloud Run job {name} does not exist (set create_job to create one per launch)")
        container = found.get("template", {}).get("template", {}).get("containers", [{}])[0]
        expected = {"image": job.image, "command": list(job.command[:1]) or container.get("command")}
        actual = {"image": container.get("image"), "command": container.get("command")}
        if expected != actual:
            raise _RejectedError(f"Cloud Run job {name} runs {actual}, not {expected}; overrides cannot change that")
        return name

    def _create_job(self, job: JobLike) -> str:
        job_id = f"{self.settings.job}-{uuid.uuid4().hex[:8]}"
        labels = _cloud_labels(kit_labels(job))
        container: dict[str, Any] = {"image": job.image}
        if job.command:
            container.update(command=list(job.command[:1]), args=list(job.command[1:]))
        task = {"containers": [container], "maxRetries": 0}
        body = {"labels": labels, "template": {"labels": labels, "taskCount": 1, "template": task}}
        path = f"{self.settings.parent}/jobs"
        operation = self._api.run("POST", path, body=body, params={"jobId": job_id})
        try:
            self._api.wait(operation)
        except ExecutorError:
            self._delete_job(f"{path}/{job_id}")  # a job whose creation failed may still exist
            raise
        return f"{path}/{job_id}"

    def _run(self, job_name: str, job: JobLike, secrets: list[str]) -> str:
        body = {"overrides": _overrides(job)}
        operation = self._api.run("POST", f"{job_name}:run", body=body, secrets=secrets)
        if operation is None:
            raise _RejectedError(f"Cloud Run job {job_name} does not exist")
        if operation.get("error"):
            self._api.wait(operation, secrets)
        name = operation.get("metadata", {}).get("name")
        if not isinstance(name, str) or not _EXECUTION.fullmatch(name):
            raise ExecutorConnectionError(f"jobs.run on {job_name} answered without an execution name")
        return name

    # -- status ----------------------------------------------------------------
    def _get(self, execution_id: str) -> dict[str, Any] | None:
        if not isinstance(execution_id, str) or not _EXECUTION.fullmatch(execution_id):
            return None
        return self._api.run("GET", execution_id)

    def _observe(self, execution: dict[str, Any]) -> ExecutionStatus:
        status = _status(execution)
        deadline = _deadline(execution)
        if status is ExecutionStatus.RUNNING and deadline is not None and self.clock.now() >= deadline:
            self._cancel(execution["name"])
            return ExecutionStatus.FAILED
        return status

    def check_status(self, execution_id: str) -> ExecutionStatus:
        """``running``, ``exited``, ``failed`` or ``not-found``; cancels past the deadline.

        Example:
            >>> from executor_kit import ContainerJob
            >>> from executor_kit.backends.cloudrun.emulator import emulated_executor
            >>> from executor_kit.probe import PROBE_IMAGE, Probe
            >>> ex = emulated_executor()  # a CloudRunExecutor on an offline emulation

            >>> done = ex.launch_job(ContainerJob(image=PROBE_IMAGE, command=Probe().sleep(2).exit(3).argv))[1]
            >>> slow = ContainerJob(image=PROBE_IMAGE, command=Probe().sleep(60).argv, timeout_seconds=5)
            >>> stuck = ex.launch_job(slow)[1]
            >>> str(ex.check_status(done)), str(ex.check_status(stuck))
            ('running', 'running')
            >>> ex.clock.sleep(6)  # the first exits with 3; the second outlives its timeout and is cancelled
            >>> str(ex.check_status(done)), str(ex.check_status(stuck))
            ('exited', 'failed')
            >>> str(ex.check_status("projects/emulated-project/locations/us-central1/jobs/j/executions/j-1"))
            'not-found'
            >>> ex.close()
        """
        execution = self._get(execution_id)
        return ExecutionStatus.NOT_FOUND if execution is None else self._observe(execution)

    def _all_executions(self) -> Iterator[dict[str, Any]]:
        url = f"{self.settings.run_endpoint}/v2/{self.settings.parent}/jobs/-/executions"
        return self._api.pages("GET", url, "executions", params={"pageSize": 100})

    def check_statuses(self, execution_ids: Iterable[str]) -> dict[str, ExecutionStatus | str]:
        """Statuses from one paged listing of the region's executions.

        Example:
            >>> from executor_kit import ContainerJob
            >>> from executor_kit.backends.cloudrun.emulator import emulated_executor
            >>> from executor_kit.probe import PROBE_IMAGE, Probe
            >>> ex = emulated_executor()  # a CloudRunExecutor on an offline emulation

            >>> quick = ex.launch_job(ContainerJob(image=PROBE_IMAGE, command=Probe().exit(0).argv))[1]
            >>> slow = ex.launch_job(ContainerJob(image=PROBE_IMAGE, command=Probe().sleep(60).argv))[1]
            >>> statuses = ex.check_statuses([quick, slow, "not-an-execution"])
            >>> [str(statuses[eid]) for eid in (quick, slow, "not-an-execution")]
            ['exited', 'running', 'not-found']
            >>> ex.close()
        """
        wanted = list(execution_ids)
        found = {e["name"]: e for e in self._all_executions() if e.get("name") in set(wanted)}
        return {eid: self._observe(found[eid]) if eid in found else ExecutionStatus.NOT_FOUND for eid in wanted}

    def find_executions(self, labels: Mapping[str, str]) -> list[str]:
        """Names of the region's executions whose labels include ``labels``.

        Executions carry their job's labels, so this finds what ``create_job``
        launched with those labels (and every execution of a configured job
        that carries them).

        Example:
            >>> from executor_kit import ContainerJob
            >>> from executor_kit.backends.cloudrun.emulator import emulated_executor
            >>> from executor_kit.probe import PROBE_IMAGE, Probe
            >>> ex = emulated_executor()  # a CloudRunExecutor on an offline emulation

            >>> docs = ex.launch_job(ContainerJob(image=PROBE_IMAGE, command=["probe"], labels={"team": "docs"}))[1]
            >>> ops = ex.launch_job(ContainerJob(image=PROBE_IMAGE, command=["probe"], labels={"team": "ops"}))[1]
            >>> ex.find_executions({"team": "docs"}) == [docs], sorted(ex.find_executions({})) == sorted([docs, ops])
            (True, True)
            >>> ex.find_executions({"team": "nobody"})
            []
            >>> ex.close()
        """
        wanted = dict(labels).items()
        return [e["name"] for e in self._all_executions() if wanted <= dict(e.get("labels", {})).items()]

    # -- logs --------------------------------------------------------------------
    def _log_filter(self, execution_id: str, execution: Mapping[str, Any], since: str | None) -> str:
        match = _EXECUTION.fullmatch(execution_id)
        assert match is not None  # checked by _get
        project, region, job, name = match.groups()
        logs = " OR ".join(f'logName="projects/{project}/logs/run.googleapis.com%2F{s}"' for s in STREAMS)
        # Without a timestamp term Cloud Logging lists only the last 24 hours.
        after = since or execution.get("createTime", "1970-01-01T00:00:00Z")
        return (
            f'resource.type="cloud_run_job" AND resource.labels.job_name="{job}" '
            f'AND resource.labels.location="{region}" '
            f'AND labels."run.googleapis.com/execution_name"="{name}" AND ({logs}) '
            f'AND timestamp>="{after}"'
        )

    def _log_entries(
        self, execution_id: str, execution: Mapping[str, Any], since: str | None = None
    ) -> Iterator[dict[str, Any]]:
        """The execution's stdout and stderr entries (at or after ``since``), oldest first, every page."""
        body = {
            "resourceNames": [f"projects/{execution_id.split('/')[1]}"],
            "filter": self._log_filter(execution_id, execution, since),
            "orderBy": "timestamp asc",
            "pageSize": self.settings.log_page_size,
        }
        return self._api.pages("POST", f"{self.settings.logging_endpoint}/v2/entries:list", "entries", body=body)

    def get_logs(self, execution_id: str) -> tuple[str, str]:
        """``(stdout, stderr)`` from Cloud Logging, every page; ``("", "")`` if unknown.

        Example:
            >>> from executor_kit import ContainerJob
            >>> from executor_kit.backends.cloudrun.emulator import emulated_executor
            >>> from executor_kit.probe import PROBE_IMAGE, Probe
            >>> ex = emulated_executor()  # a CloudRunExecutor on an offline emulation

            >>> eid = ex.launch_job(ContainerJob(image=PROBE_IMAGE, command=Probe().out("hi").err("oops").argv))[1]
            >>> ex.get_logs(eid)
            ('hi\\n', 'oops\\n')
            >>> ex.get_logs("projects/emulated-project/locations/us-central1/jobs/j/executions/j-1")
            ('', '')
            >>> ex.close()
        """
        execution = self._get(execution_id)
        if execution is None:
            return "", ""
        lines: dict[str, list[str]] = {stream: [] for stream in STREAMS}
        for stream, text in log_chunks(self._log_entries(execution_id, execution)):
            lines[stream].append(text)
        return "".join(lines["stdout"]), "".join(lines["stderr"])

    def stream_logs(self, execution_id: str, *, follow: bool = True) -> Iterator[LogChunk]:
        """Live ``(stream, text)`` chunks, one per line, by polling Cloud Logging every ``log_poll_seconds``.

        Each read asks ``entries:list`` only for entries at or after the
        newest timestamp delivered and skips those already delivered (by
        ``insertId``). With ``follow`` the iterator reads until it has seen the
        execution ended (as ``check_status`` would: past its deadline it is
        cancelled), then reads once more and ends; without it, it reads once.
        Joined per stream the chunks equal ``get_logs``. An unknown, empty or
        deleted id gives an empty iterator; a deletion while following ends
        it. Nothing is contacted until the first ``next``; nothing is
        held between reads, so closing early releases everything. The waits
        are ``self.clock.sleep``: on a virtual clock they advance it.

        Raises:
            ExecutorError: (while iterating) as ``get_logs`` does, for backend-level trouble.

        Example:
            >>> from executor_kit import ContainerJob
            >>> from executor_kit.backends.cloudrun.emulator import emulated_executor
            >>> from executor_kit.probe import PROBE_IMAGE, Probe
            >>> ex = emulated_executor()  # a CloudRunExecutor on an offline emulation

            >>> eid = ex.launch_job(ContainerJob(image=PROBE_IMAGE, command=Probe().out("a").sleep(8).err("b").argv))[1]
            >>> list(ex.stream_logs(eid, follow=False))  # what was written so far
            [('stdout', 'a\\n')]
            >>> start = ex.clock.monotonic()
            >>> list(ex.stream_logs(eid)), ex.clock.monotonic() - start  # read every 5 s until it had ended
            ([('stdout', 'a\\n'), ('stderr', 'b\\n')], 10.0)
            >>> list(ex.stream_logs("projects/emulated-project/locations/us-central1/jobs/j/executions/j-1"))
            []
            >>> ex.close()
        """
        return self._tail(execution_id, follow)

    def _tail(self, execution_id: str, follow: bool) -> Iterator[LogChunk]:
        cursor = LogCursor()
        execution = self._get(execution_id)
        while execution is not None:
            # Whether it had ended is read before the logs: the read after the end is the last one.
            last = not follow or self._observe(execution) is not ExecutionStatus.RUNNING
            yield from log_chunks(cursor.fresh(self._log_entries(execution_id, execution, cursor.since)))
            if last:
                return
            self.clock.sleep(self.settings.log_poll_seconds)
            execution = self._get(execution_id)

    # -- harvest -----------------------------------------------------------------
    def harvest_job(self, job: JobLike) -> bool:
        """Record the result of a finished execution on ``job``; ``False`` while running or unknown.

        Example:
            >>> from executor_kit import ContainerJob
            >>> from executor_kit.backends.cloudrun.emulator import emulated_executor
            >>> from executor_kit.probe import PROBE_IMAGE, Probe
            >>> ex = emulated_executor()  # a CloudRunExecutor on an offline emulation

            >>> job = ContainerJob(image=PROBE_IMAGE, command=Probe().out("hi").sleep(5).exit(3).argv)
            >>> _ = ex.launch_job(job)
            >>> ex.harvest_job(job)  # still running
            False
            >>> ex.clock.sleep(5)
            >>> ex.harvest_job(job), str(job.status), job.exit_code, job.stdout
            (True, 'failed', 3, 'hi\\n')
            >>> ex.close()
        """
        if job.completed_at is not None and job.status in _HARVESTED:
            return True
        execution_id = job.external_execution_id or ""
        execution = self._get(execution_id)
        if execution is None or self._observe(execution) is ExecutionStatus.RUNNING:
            return False
        self._record(job, execution_id, self._get(execution_id) or execution)
        if self.settings.cleanup_on_harvest:
            self.cleanup(execution_id)
        return True

    def _exit_code(self, execution_id: str, execution: Mapping[str, Any]) -> int:
        if _completed(execution).get("state") == "CONDITION_SUCCEEDED":
            return 0
        url = f"{self.settings.run_endpoint}/v2/{execution_id}/tasks"
        return _task_exit_code(list(self._api.pages("GET", url, "tasks")))

    def _record(self, job: JobLike, execution_id: str, execution: dict[str, Any]) -> None:
        stdout, stderr = self.get_logs(execution_id)
        now = self.clock.now()
        condition = _completed(execution)
        failed = condition.get("state") != "CONDITION_SUCCEEDED"
        record_result(
            job,
            exit_code=self._exit_code(execution_id, execution),
            stdout=stdout,
            stderr=stderr,
            completed_at=_parse_time(execution.get("completionTime")) or now,
            timed_out=_timed_out(execution, now),
            cancelled=condition.get("executionReason") == "CANCELLED",
            reason=condition.get("message") if failed else None,
        )

    # -- cleanup -----------------------------------------------------------------
    def _cancel(self, execution_id: str) -> None:
        with contextlib.suppress(_RejectedError):  # already ended or cancelling: nothing left to stop
            self._api.wait(self._api.run("POST", f"{execution_id}:cancel", body={}))

    def cancel(self, execution_id: str) -> bool:
        """Cancel a running execution (``executions.cancel``); it stays, with its logs, until ``cleanup``.

        A cancelled execution reads ``failed`` and harvests as ``cancelled``
        (exit code ``-1``: Cloud Run reports none for a cancelled task); one that
        ended before keeps its outcome.

        Returns:
            ``True`` for a known execution, ``False`` for an unknown or deleted one.

        Example:
            >>> from executor_kit import ContainerJob
            >>> from executor_kit.backends.cloudrun.emulator import emulated_executor
            >>> from executor_kit.probe import PROBE_IMAGE, Probe
            >>> ex = emulated_executor()  # a CloudRunExecutor on an offline emulation

            >>> job = ContainerJob(image=PROBE_IMAGE, command=Probe().out("hi").sleep(60).argv)
            >>> eid = ex.launch_job(job)[1]
            >>> ex.cancel(eid), str(ex.check_status(eid)), ex.harvest_job(job), job.status, job.stdout
            (True, 'failed', True, 'cancelled', 'hi\\n')
            >>> ex.cleanup(eid), ex.cancel(eid)
            (True, False)
            >>> ex.close()
        """
        execution = self._get(execution_id)
        if execution is None:
            return False
        if self._observe(execution) is ExecutionStatus.RUNNING:
            self._cancel(execution_id)
        return True

    def _delete_job(self, job_name: str) -> None:
        self._api.wait(self._api.run("DELETE", job_name))

    def _owned_job(self, execution_id: str) -> str | None:
        job_name = execution_id.rsplit("/executions/", 1)[0]
        job = self._api.run("GET", job_name) if self.settings.create_job else None
        managed = job is not None and job.get("labels", {}).get(MANAGED_LABEL) == "true"
        return job_name if managed else None

    def cleanup(self, execution_id: str) -> bool:
        """Cancel if running, delete the execution and any job created for it; ``True``.

        Example:
            >>> from executor_kit import ContainerJob
            >>> from executor_kit.backends.cloudrun.emulator import emulated_executor
            >>> from executor_kit.probe import PROBE_IMAGE, Probe
            >>> ex = emulated_executor()  # a CloudRunExecutor on an offline emulation

            >>> eid = ex.launch_job(ContainerJob(image=PROBE_IMAGE, command=Probe().sleep(60).argv))[1]
            >>> ex.cleanup(eid), str(ex.check_status(eid)), ex.emulator.jobs  # cancelled, deleted, its job deleted too
            (True, 'not-found', {})
            >>> ex.cleanup(eid)  # again: nothing left, still True
            True
            >>> ex.close()
        """
        execution = self._get(execution_id)
        if execution is not None and _status(execution) is ExecutionStatus.RUNNING:
            self._cancel(execution_id)
        if execution is not None:
            self._api.wait(self._api.run("DELETE", execution_id))
        # Only the job of an execution that was there: an id that merely names the same job is not ours to end.
        ours = execution is not None and _EXECUTION.fullmatch(str(execution_id))
        job_name = self._owned_job(execution_id) if ours else None
        if job_name is not None:
            self._delete_job(job_name)
        self._secret_logs.release(str(execution_id))
        return True

    def close(self) -> None:
        """Close the HTTP session.

        Example:
            >>> import requests
            >>> class Session(requests.Session):
            ...     def close(self):
            ...         print("session closed")
            ...         super().close()
            >>> CloudRunExecutor({"project": "my-project", "region": "us-central1"}, session=Session()).close()
            session closed
        """
        self._api.session.close()


_HARVESTED = {JobStatus.COMPLETED.value, JobStatus.FAILED.value, JobStatus.TIMEOUT.value, JobStatus.CANCELLED.value}
