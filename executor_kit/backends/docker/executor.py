"""``DockerExecutor``: the reference executor, on a Docker engine (``pip install executor-kit[docker]``).

One execution is one container; its id is the full container id. Everything
the executor needs later is kept on the container itself (labels, state), so a
new ``DockerExecutor`` (another process, after a restart) answers for
executions launched by an earlier one:

* every container carries ``executor_kit.labels.kit_labels``: the configured
  labels, the job's labels, ``MANAGED_LABEL=true`` and, when the job has them,
  ``TIMEOUT_LABEL`` (``timeout_seconds``) and ``NAME_LABEL`` (``name``);
* the deadline is ``Created + timeout`` (a timeout counts from the launch); ``check_status`` kills a
  container found past it, and a container whose ``FinishedAt - Created``
  reaches its timeout was ended by the timeout (harvest records ``timeout``);
* ``check_statuses`` answers for many executions with one list call, plus an
  inspect only for containers that finished (or may be past their deadline).

Containers the kit did not launch (no ``MANAGED_LABEL``) and ids that are not
full container ids read ``not-found``, and ``cleanup`` leaves them alone.

Configuration: a plain mapping, checked once into ``DockerSettings`` (its docstring lists
the options; unknown keys are refused); the checked values are ``executor.settings``.

Status mapping: ``created``/``running``/``paused``/``restarting`` →
``running``; ``exited`` → ``exited``, except ``failed`` when the kernel
OOM-killed it, the engine reported an error, its timeout ended it, or it was
killed with SIGKILL from outside; ``dead`` → ``failed``; ``removing`` or
missing → ``not-found``. An external SIGKILL is told apart from a workload
that itself exits 137 by the engine's ``kill`` event (looked up once per such
container, then remembered); the engine keeps a bounded event history, so on a
very busy engine an old external kill may read ``exited`` with code 137. An OOM
kill is told by the engine's ``oom`` event, heard live from before a
memory-limited container is created (the ``OOMKilled`` flag alone is cleared
when the engine handles the exit after the event). A workload OOM-killed right
at its start (containerd attaches its OOM monitor only after the process has
started) can die before the engine watches; the engine then reports nothing,
and it reads ``exited`` with code 137. The probe's ``alloc`` waits a second first.

Cancel (``supports_cancel``): ``docker stop`` with ``cancel_grace``; the
container, its state and its logs stay until ``cleanup``. A stopped container
whose exit code is 143 (SIGTERM) or 137 (killed after the grace period) reads
``failed`` and harvests as ``cancelled``; one that exited with its own code
during the grace period keeps it. Another ``DockerExecutor`` recognises the
cancel by the engine's ``stop`` event (looked up once, then remembered).

Live logs (``supports_log_streaming``): ``stream_logs`` reads the multiplexed
log stream (``follow`` as asked) frame by frame, one incremental UTF-8 decoder
per stream; closing the iterator closes the HTTP response.

Restarts from outside: an execution id follows the container's *first* run;
the kit never restarts a container, so a ``docker start`` of a finished one is
a new life the id does not follow. An executor that saw the run end keeps that
end (status, exit code, ``FinishedAt``) and reads logs only up to it. An
executor that did not (another process) recognises the restart by the
``FinishedAt`` the engine keeps while the container runs again, and reads
``failed`` (reason "restarted from outside the kit ...", exit code -1: the
engine no longer keeps the first run's code). Terminal stays terminal either
way. Limitation: once the second life has ended too, an executor that saw
neither end reads the second one.

Secrets (``secret_environment``) reach the workload as environment variables;
Docker stores them in the container's configuration, readable by anyone with
access to the daemon. The kit never echoes them in its messages.
"""

from __future__ import annotations

import collections
import contextlib
import datetime as dt
import re
import struct
import threading
import uuid
import weakref
from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import Any, ClassVar

import docker
import docker.constants
import docker.errors
import docker.tls
import docker.transport
import docker.transport.unixconn
import docker.utils
import requests  # type: ignore[import-untyped,unused-ignore]
import urllib3

from executor_kit.backends.docker.client import client_kwargs, connect
from executor_kit.backends.docker.errors import docker_errors, refusal
from executor_kit.backends.docker.hooks import DockerHooks
from executor_kit.backends.docker.oom import OomWatch
from executor_kit.backends.docker.settings import DockerSettings
from executor_kit.backends.docker.stream import decoded_frames, read_frames
from executor_kit.base import ContainerExecutor, LogChunk
from executor_kit.clock import Clock
from executor_kit.errors import (
    ExecutorConfigurationError,
    ExecutorConnectionError,
    ExecutorError,
    ExecutorResourceError,
)
from executor_kit.job import (
    JobLike,
    already_harvested,
    job_environment,
    mark_launched,
    record_result,
    redact,
    secret_values,
    validate_job,
)
from executor_kit.labels import MANAGED_LABEL, TIMEOUT_LABEL, kit_labels
from executor_kit.probe import PROBE_DIGEST_LABEL, probe_digest
from executor_kit.probe.build import build_probe_image
from executor_kit.redaction import SecretLogGuard
from executor_kit.status import ExecutionStatus

__all__ = ["DockerExecutor", "docker_errors", "image_reference_problem"]

_RUNNING_STATES = frozenset({"created", "running", "paused", "restarting"})
_SIGKILL_EXIT = 137
# How long (s) a limit-killed container's ``oom`` event is awaited after its exit.
_OOM_EVENT_WAIT = 3.0
_OOM_EVENT_SLACK = 5.0  # s after the exit within which the event still counts
_STOPPED_EXITS = frozenset({143, 137})  # SIGTERM, or SIGKILL after the grace period
_CANCEL_REASON = "cancelled"
_KILL_MEMO_SIZE = 1024
_END_MEMO_SIZE = 4096
#: Marks, in a followed state, a container found running again after an end (restarted from outside).
RESTARTED_KEY = "ExecutorKitRestartedFromOutside"
_RAN_AGAIN = "ExecutorKitRanAgain"  # in a kept end: the container has been started again since
#: The loggers of the libraries this executor drives; secret values never reach their records.
_LIBRARY_LOGGERS = ("docker", "urllib3", "requests")

# -- images ------------------------------------------------------------------------------------

_ALNUM = r"[a-z0-9]+"
_COMPONENT = rf"{_ALNUM}(?:(?:[._]|__|-+){_ALNUM})*"
_HOST_PART = r"(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])"
_DOMAIN = rf"(?:{_HOST_PART}(?:\.{_HOST_PART})*|\[[0-9a-fA-F:]+\])(?::[0-9]+)?"
_TAG = r"\w[\w.-]{0,127}"
_DIGEST = r"[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}"
_REFERENCE = re.compile(rf"(?:{_DOMAIN}/)?{_COMPONENT}(?:/{_COMPONENT})*(?::{_TAG})?(?:@{_DIGEST})?", re.ASCII)


def image_reference_problem(image: str) -> str | None:
    """Why ``image`` is not a valid Docker image reference, or ``None`` if it is.

    Checked before anything is sent to the daemon, so a bad name never creates
    anything. The grammar is Docker's (``distribution/reference``): lowercase
    repository path, optional registry host, ``:tag`` and ``@digest``.

    Example:
        >>> image_reference_problem("registry.local:5000/team/probe:1.2") is None
        True
        >>> image_reference_problem("Busybox; rm -rf /")
        "image 'Busybox; rm -rf /' is not a valid Docker image reference (lowercase name[:tag][@digest])"
    """
    if _REFERENCE.fullmatch(image) and len(image) <= 255:
        return None
    return f"image {image!r} is not a valid Docker image reference (lowercase name[:tag][@digest])"


# -- container state ---------------------------------------------------------------------------

_DOCKER_TIME = re.compile(r"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d+))?(Z|[+-]\d\d:\d\d)")


def _parse_time(text: object) -> dt.datetime | None:
    match = _DOCKER_TIME.fullmatch(text) if isinstance(text, str) else None
    if match is None or match.group(1).startswith("0001-"):
        return None
    whole, fraction, zone = match.groups()
    micro = (fraction or "0")[:6].ljust(6, "0")
    return dt.datetime.fromisoformat(f"{whole}.{micro}{zone.replace('Z', '+00:00')}")


def _labels(info: Mapping[str, Any]) -> Mapping[str, str]:
    return (info.get("Config") or {}).get("Labels") or info.get("Labels") or {}


def _timeout_of(info: Mapping[str, Any]) -> float | None:
    try:
        return float(_labels(info)[TIMEOUT_LABEL])
    except (KeyError, ValueError):
        return None


def _launched_at(info: Mapping[str, Any]) -> dt.datetime | None:
    """When the container was created: a job's timeout counts from its launch, not from its start.

    ``Created`` is an ISO time in an inspect answer and a Unix time in a list row.
    """
    created = info.get("Created")
    if isinstance(created, int | float):
        return dt.datetime.fromtimestamp(created, dt.timezone.utc)
    return _parse_time(created) or _parse_time((info.get("State") or {}).get("StartedAt"))


def _run_seconds(info: Mapping[str, Any]) -> float | None:
    launched, finished = _launched_at(info), _parse_time((info.get("State") or {}).get("FinishedAt"))
    if launched is None or finished is None:
        return None
    return (finished - launched).total_seconds()


def _timed_out(info: Mapping[str, Any]) -> bool:
    timeout, ran = _timeout_of(info), _run_seconds(info)
    return timeout is not None and ran is not None and ran >= timeout


def _oom_reason(info: Mapping[str, Any]) -> str | None:
    oom = (info.get("State") or {}).get("OOMKilled")
    return "OOM: the kernel killed the workload for exceeding its memory limit" if oom else None


def _timeout_reason(info: Mapping[str, Any]) -> str | None:
    return f"timeout: stopped after its {_timeout_of(info):g} s timeout" if _timed_out(info) else None


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


def _platform_reason(info: Mapping[str, Any]) -> str | None:
    return next((reason for reason in (check(info) for check in _REASONS) if reason), None)


def _is_managed(info: Mapping[str, Any], execution_id: str) -> bool:
    return info.get("Id") == execution_id and _labels(info).get(MANAGED_LABEL) == "true"


def _container_name(job: JobLike, suffix: str) -> str:
    """A unique name, known before the engine answers, so an interrupted create can be undone."""
    if not job.name:
        return f"executor-kit-{suffix}"
    cleaned = re.sub(r"[^a-zA-Z0-9_.-]+", "-", job.name).strip("-_.")[:100] or "job"
    return f"{cleaned}-{suffix}"


# What the engine accepts: at least 6 MiB of memory; nano-CPUs must fit an int64.
_MEMORY_MIB = (6, 2**40)
_CPUS = (0.001, 1e6)


def _limits_problem(job: JobLike) -> str | None:
    memory, cpus = job.memory_limit, job.cpu_limit
    if memory is not None and not _MEMORY_MIB[0] <= memory <= _MEMORY_MIB[1]:
        return f"memory_limit {memory!r} MiB is outside what Docker accepts ({_MEMORY_MIB[0]} MiB to 1 EiB)"
    if cpus is not None and not _CPUS[0] <= cpus <= _CPUS[1]:
        return f"cpu_limit {cpus!r} is outside what Docker accepts ({_CPUS[0]} to {_CPUS[1]:g} cores)"
    return None


_FRAME_HEADER = struct.Struct(">BxxxL")  # stream id (1 stdout, 2 stderr), 3 zero bytes, length


_CHUNK = 1 << 20


def _drain(buffer: bytearray, streams: dict[int, bytearray]) -> int:
    """Move every complete frame of ``buffer`` to its stream; return how many bytes were used."""
    offset = 0
    while len(buffer) - offset >= _FRAME_HEADER.size:
        kind, length = _FRAME_HEADER.unpack_from(buffer, offset)
        end = offset + _FRAME_HEADER.size + length
        if end > len(buffer):
            break
        streams.get(kind, bytearray()).extend(buffer[offset + _FRAME_HEADER.size : end])
        offset = end
    return offset


def _demultiplex(raw: Any) -> tuple[str, str]:
    """Split Docker's multiplexed log stream, read in 1 MiB chunks; each stream is decoded once at the end."""
    streams = {1: bytearray(), 2: bytearray()}
    pending = bytearray()
    for chunk in iter(lambda: raw.read(_CHUNK), b""):
        pending += chunk
        del pending[: _drain(pending, streams)]
    return streams[1].decode("utf-8", errors="replace"), streams[2].decode("utf-8", errors="replace")


def _chunks_of(res: Any, execution_id: str) -> Iterator[LogChunk]:
    try:
        yield from decoded_frames(read_frames(res.raw))
    except (urllib3.exceptions.HTTPError, requests.exceptions.RequestException, OSError) as exc:
        raise ExecutorConnectionError(
            f"Docker: the log stream broke: {exc}", backend="docker", execution_id=execution_id
        ) from exc


class DockerExecutor(ContainerExecutor):
    """Runs each job as a container on a Docker engine.

    The daemon is contacted lazily, on the first call that needs it, so an
    executor can be built (and its configuration checked) without an engine.

    Args:
        config: The options of ``DockerSettings``; unknown keys are refused.
        clock: Where deadlines and ``started_at`` are read.

    Raises:
        ExecutorConfigurationError: naming the offending key.

    Example:
        >>> ex = DockerExecutor({"pull_policy": "never", "labels": {"team": "a"}})
        >>> ex.name, ex.get_capabilities()["supports_resource_limits"]
        ('docker', True)
        >>> DockerExecutor({"pull_policy": "sometimes"})  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ...
        executor_kit.errors.ExecutorConfigurationError: docker config 'pull_policy' must be one of ...
    """

    name: ClassVar[str] = "docker"

    capabilities: ClassVar[Mapping[str, bool]] = {
        "supports_resource_limits": True,
        "supports_networking": True,
        "supports_persistent_storage": False,
        "supports_secrets": True,
        "separates_output_streams": True,
        "supports_cancel": True,
        "supports_log_streaming": True,
    }

    def __init__(self, config: Mapping[str, Any] | None = None, *, clock: Clock | None = None) -> None:
        super().__init__(config, clock=clock)
        self.settings = DockerSettings.from_mapping(self.config)
        self._client_settings = client_kwargs(self.settings)
        self._client: Any = None
        self._lock = threading.Lock()
        self._killed: collections.OrderedDict[str, str | None] = collections.OrderedDict()
        self._cancels: collections.OrderedDict[str, bool] = collections.OrderedDict()
        self._ended: collections.OrderedDict[str, dict[str, Any]] = collections.OrderedDict()
        self._memo_lock = threading.Lock()
        self._oom_watch = OomWatch()
        weakref.finalize(self, self._oom_watch.close)
        self._secret_logs = SecretLogGuard(_LIBRARY_LOGGERS, owner=self)

    # -- the client ------------------------------------------------------------------------
    @property
    def client(self) -> Any:
        """The ``docker.DockerClient``, connected on first use.

        Raises:
            ExecutorConnectionError: when the daemon cannot be reached.
            ExecutorAuthenticationError: when it refuses the TLS handshake.

        Example:
            >>> DockerExecutor({"base_url": "unix:///nonexistent/docker.sock"}).client  # doctest: +ELLIPSIS
            Traceback (most recent call last):
            ...
            executor_kit.errors.ExecutorConnectionError: Docker: could not reach the daemon at unix:///nonexistent/...
        """
        with self._lock:
            if self._client is None:
                with docker_errors("connect to the daemon"):
                    self._client = connect(self._client_settings)
            return self._client

    @property
    def api(self) -> Any:
        """The low-level ``docker.APIClient`` (one HTTP request per call).

        Example:
            >>> DockerExecutor({"base_url": "unix:///nonexistent/docker.sock"}).api  # doctest: +ELLIPSIS
            Traceback (most recent call last):
            ...
            executor_kit.errors.ExecutorConnectionError: Docker: could not reach the daemon at unix:///nonexistent/...
        """
        return self.client.api

    def point_client_at(self, base_url: str | None) -> str | None:
        """Send later calls to the daemon at ``base_url`` (a new connection); return the address used so far.

        The conformance suite's outage hook points the executor where no daemon
        listens, then back (``executor_kit.backends.docker.hooks``).

        Example:
            >>> ex = DockerExecutor({"base_url": "unix:///var/run/docker.sock"})
            >>> ex.point_client_at("unix:///nonexistent.sock")
            'unix:///var/run/docker.sock'
        """
        with self._lock:
            previous: str | None = self._client_settings.get("base_url")
            self._client_settings = {**self._client_settings, "base_url": base_url}
            client, self._client = self._client, None
        if client is not None:
            client.close()
        return previous

    @property
    def conformance_hooks(self) -> DockerHooks:
        """Hooks for the conformance suite: a foreign container and an outage (see ``contract_tests.hooks``).

        Example:
            >>> type(DockerExecutor().conformance_hooks).__name__
            'DockerHooks'
        """
        return DockerHooks(self)

    def close(self) -> None:
        """Close the connection pool; containers are unaffected.

        Example:
            >>> DockerExecutor().close()
        """
        self._oom_watch.close()
        with self._lock:
            client, self._client = self._client, None
        if client is not None:
            client.close()

    # -- the probe image -------------------------------------------------------------------
    def prepare_probe(self, image: str) -> str | None:
        """Make sure the engine has the probe image ``image``; build it when it is missing.

        A missing image (under any tag) is built from the packaged probe
        Dockerfile (``FROM busybox``, never pulled when ``busybox:latest`` is
        local) with ``build_probe_image`` on this executor's client, and tagged
        ``image``. A present image is left as it is.

        Args:
            image: The probe image the conformance suite will run.

        Returns:
            ``None`` when the image is present; after building it,
            ``"built probe image IMAGE from local busybox (it was missing)"``.

        Raises:
            ExecutorConfigurationError: in one line, when ``image`` is not a valid
                reference or the build fails (for instance without a base image).
            ExecutorConnectionError: when the daemon cannot be reached.

        Example:
            >>> DockerExecutor().prepare_probe("Not An Image")  # doctest: +ELLIPSIS
            Traceback (most recent call last):
            ...
            executor_kit.errors.ExecutorConfigurationError: probe image 'Not An Image' cannot be used: ... reference ...
        """
        problem = image_reference_problem(image)
        if problem is not None:
            raise ExecutorConfigurationError(f"probe image {image!r} cannot be used: {problem}", backend="docker")
        digest = self._probe_digest_of(image)
        if digest is not None and digest in ("", probe_digest()):
            return None  # up to date, or an image the kit did not build: left as it is
        self._build_probe(image)
        return f"built probe image {image} from local busybox ({'it was missing' if digest is None else 'out of date'})"

    def _probe_digest_of(self, image: str) -> str | None:
        """The probe digest label of a kit-built image, ``""`` for another image, ``None`` when missing."""
        with docker_errors(f"inspect image {image!r}"):
            try:
                info = self.api.inspect_image(image)
            except docker.errors.NotFound:
                return None
        return str(((info.get("Config") or {}).get("Labels") or {}).get(PROBE_DIGEST_LABEL, ""))

    def _build_probe(self, image: str) -> None:
        """Build the probe as ``image``; any build failure becomes one configuration-error line."""
        try:
            build_probe_image(self.client, tag=image)
        except (ExecutorConfigurationError, ExecutorResourceError, docker.errors.NotFound) as exc:
            reason = str(exc).strip().partition("\n")[0]
            raise ExecutorConfigurationError(
                f"probe image {image} is missing and could not be built: {reason}; "
                "run `executor-kit build-probe` or pass --probe-image",
                backend="docker",
            ) from exc

    # -- launch ----------------------------------------------------------------------------
    def launch_job(self, job: JobLike) -> tuple[bool, str]:
        """Check the job, make sure the image is there, create and start the container.

        Returns:
            ``(True, container_id)``, or ``(False, message)`` for an invalid job,
            an image that is absent and may not (or cannot) be pulled, a spec the
            engine rejects, or a start failure (the container is then removed).

        Raises:
            ExecutorConnectionError: when the daemon cannot be reached.
            ExecutorAuthenticationError: when it refuses the credentials.

        Example:
            >>> DockerExecutor().launch_job(type("J", (), {"image": "", "command": []})())
            (False, "ContainerJob.image must be a non-empty str, got ''")
        """
        problem = self._job_problem(job)
        if problem is None and self.settings.pull_policy == "always":
            problem = self._pull(job.image)
        if problem is not None:
            return False, redact(problem, secret_values(job))
        if job.memory_limit:
            with docker_errors("listen for OOM events"):
                self._oom_watch.start(self.api.events)
        return self._create_and_start(job)

    @staticmethod
    def _job_problem(job: JobLike) -> str | None:
        try:
            validate_job(job)
        except ExecutorConfigurationError as exc:
            return str(exc)
        return image_reference_problem(job.image) or _limits_problem(job)

    def _absent_image(self, image: str) -> str:
        if self.settings.pull_policy == "never":
            return f"image {image!r} is not present on the engine and pull_policy is 'never'"
        return self._pull(image) or ""

    def _pull(self, image: str) -> str | None:
        with docker_errors(f"pull image {image!r}"):
            try:
                self.api.pull(image)
            except docker.errors.APIError as exc:
                return f"image {image!r} is not present on the engine and could not be pulled: {exc.explanation}"
        return None

    def _create_spec(self, job: JobLike) -> dict[str, Any]:
        memory = int(job.memory_limit * 1024 * 1024) if job.memory_limit else None
        host_config = self.api.create_host_config(
            mem_limit=memory,
            memswap_limit=memory,
            nano_cpus=round(job.cpu_limit * 1e9) if job.cpu_limit else None,
            network_mode=self.settings.network,
            auto_remove=self.settings.auto_remove,
            log_config={"Type": self.settings.log_driver, "Config": {}} if self.settings.log_driver else None,
        )
        return {
            "image": job.image,
            "command": list(job.command) or None,
            "environment": job_environment(job),
            "labels": kit_labels(job, self.settings.labels),
            "name": _container_name(job, uuid.uuid4().hex[:12]),
            "host_config": host_config,
            "detach": True,
        }

    def _create(self, spec: dict[str, Any], secrets: list[str]) -> tuple[str | None, str]:
        with docker_errors("create a container", secrets=secrets):
            try:
                return str(self.api.create_container(**spec)["Id"]), ""
            except docker.errors.NotFound:
                raise
            except docker.errors.APIError as exc:
                return None, refusal(exc, secrets)

    def _create_container(self, job: JobLike, spec: dict[str, Any], secrets: list[str]) -> tuple[str | None, str]:
        """Create; if the image is missing, pull it when the policy allows and create again."""
        try:
            return self._create(spec, secrets)
        except docker.errors.NotFound:
            problem = self._absent_image(job.image)
        if problem:
            return None, problem
        try:
            return self._create(spec, secrets)
        except docker.errors.NotFound as exc:
            return None, f"image {job.image!r} is still absent after pulling it: {exc.explanation}"

    def _create_and_start(self, job: JobLike) -> tuple[bool, str]:
        secrets = secret_values(job)
        with self._secret_logs.hiding(secrets):
            return self._create_and_start_hidden(job, secrets)

    def _create_and_start_hidden(self, job: JobLike, secrets: list[str]) -> tuple[bool, str]:
        spec = self._create_spec(job)
        try:
            container_id, problem = self._create_container(job, spec, secrets)
            started_at = self.clock.now()  # before start: never later than the workload's own end
            problem = problem if container_id is None else self._start_or_discard(container_id, secrets) or ""
        except BaseException:  # even Ctrl-C while the engine creates it: leave nothing behind
            self._discard(spec["name"])
            raise
        if container_id is None or problem:
            return False, redact(problem, secrets)
        self._secret_logs.keep(container_id, secrets)
        mark_launched(job, container_id, started_at)
        return True, container_id

    def _start_or_discard(self, container_id: str, secrets: list[str]) -> str | None:
        try:
            with docker_errors("start a container", execution_id=container_id, secrets=secrets):
                self.api.start(container_id)
        except BaseException as exc:  # whatever happens (even Ctrl-C), leave nothing behind
            self._discard(container_id)
            if isinstance(exc, ExecutorError) and isinstance(exc.__cause__, docker.errors.APIError):
                return redact(f"the container could not start: {exc.__cause__.explanation}", secrets)
            raise
        return None

    def _discard(self, container_id: str) -> None:
        with contextlib.suppress(Exception):
            self.api.remove_container(container_id, force=True, v=True)

    # -- state -----------------------------------------------------------------------------
    def _inspect(self, execution_id: object) -> dict[str, Any] | None:
        if not isinstance(execution_id, str) or not execution_id:
            return None
        with docker_errors("inspect a container", execution_id=execution_id):
            try:
                info: dict[str, Any] = self.api.inspect_container(execution_id)
            except docker.errors.NotFound:
                return None
        return self._as_followed(self._oom_settled(execution_id, info)) if _is_managed(info, execution_id) else None

    def _oom_settled(self, execution_id: str, info: dict[str, Any]) -> dict[str, Any]:
        """A limit-killed container marked OOM-killed when the engine reported an ``oom`` event for it.

        The engine's ``OOMKilled`` flag alone is unreliable (see ``executor_kit.backends.docker.oom``).
        The event is heard live when the watch ran since the container started (it
        can trail the exit, so it is awaited briefly), else looked up in the
        engine's event log. Decided once per container: the end is memoised.
        """
        if not self._may_be_oom(execution_id, info):
            return info
        state = info.get("State") or {}
        listened = self._oom_watch.covers(_parse_time(state.get("StartedAt")))
        heard = self._oom_watch.heard(execution_id, wait=_OOM_EVENT_WAIT if listened else 0.0)
        if heard or self._has_event(execution_id, state, "oom", slack=_OOM_EVENT_SLACK):
            return {**info, "State": {**state, "OOMKilled": True}}
        return info

    def _may_be_oom(self, execution_id: str, info: Mapping[str, Any]) -> bool:
        state, limited = info.get("State") or {}, bool((info.get("HostConfig") or {}).get("Memory"))
        if state.get("Running") or state.get("ExitCode") != _SIGKILL_EXIT or state.get("OOMKilled") or not limited:
            return False
        with self._memo_lock:
            return execution_id not in self._ended

    def _as_followed(self, info: dict[str, Any]) -> dict[str, Any]:
        """The container as its execution id follows it: its first run, whose end, once seen, is kept.

        A container restarted from outside (``docker start``) keeps the ``FinishedAt``
        of its earlier run while it runs again; the kit never restarts one, so that
        is a new life the id does not follow.
        """
        execution_id = str(info["Id"])
        with self._memo_lock:
            ended = self._ended.get(execution_id)
        if ended is not None:
            return {**info, "State": self._kept_end(execution_id, ended, info.get("State") or {})}
        state = info.get("State") or {}
        if state.get("Status") in _RUNNING_STATES and _parse_time(state.get("FinishedAt")) is not None:
            state = {**state, "Status": "exited", "ExitCode": -1, RESTARTED_KEY: True}
            info = {**info, "State": state}
        if state.get("Status") not in (*_RUNNING_STATES, "removing"):
            self._remember_end(execution_id, state)
        return info

    def _kept_end(self, execution_id: str, ended: dict[str, Any], now: Mapping[str, Any]) -> dict[str, Any]:
        """The end seen before; marked when the container has been started again since."""
        if now.get("StartedAt") != ended.get("StartedAt") and not ended.get(_RAN_AGAIN):
            ended = {**ended, _RAN_AGAIN: True}
            self._remember_end(execution_id, ended)
        return ended

    def _remember_end(self, execution_id: str, state: dict[str, Any]) -> None:
        with self._memo_lock:
            self._ended[execution_id] = state
            while len(self._ended) > _END_MEMO_SIZE:
                self._ended.popitem(last=False)

    def _overdue(self, info: Mapping[str, Any]) -> bool:
        state = info.get("State") or {}
        timeout, launched = _timeout_of(info), _launched_at(info)
        if state.get("Status") not in _RUNNING_STATES or timeout is None or launched is None:
            return False
        return (self.clock.now() - launched).total_seconds() >= timeout

    def _kill(self, execution_id: str) -> None:
        with docker_errors("kill a container", execution_id=execution_id):
            try:
                self.api.kill(execution_id)
            except docker.errors.APIError as exc:
                if exc.status_code not in (404, 409):  # gone, or no longer running
                    raise

    def _killed_from_outside(self, info: Mapping[str, Any]) -> str | None:
        """A reason when a SIGKILL from outside the kit ended the container (memoised)."""
        state, execution_id = info.get("State") or {}, str(info.get("Id"))
        if state.get("ExitCode") != _SIGKILL_EXIT:
            return None
        with self._memo_lock:
            if execution_id in self._killed:
                return self._killed[execution_id]
        reason = self._kill_event(execution_id, state)
        with self._memo_lock:
            self._killed[execution_id] = reason
            while len(self._killed) > _KILL_MEMO_SIZE:
                self._killed.popitem(last=False)
        return reason

    def _kill_event(self, execution_id: str, state: Mapping[str, Any]) -> str | None:
        return "killed from outside the kit (SIGKILL)" if self._has_event(execution_id, state, "kill") else None

    def _has_event(self, execution_id: str, state: Mapping[str, Any], event: str, slack: float = 1.0) -> bool:
        """Whether the engine logged ``event`` for the container between its start and ``slack`` s after its end."""
        started, finished = _parse_time(state.get("StartedAt")), _parse_time(state.get("FinishedAt"))
        if started is None or finished is None:
            return False
        until = min(finished + dt.timedelta(seconds=slack), self.clock.now())
        with docker_errors("read container events", execution_id=execution_id):
            events = self.api.events(
                since=f"{started.timestamp():.6f}",
                until=f"{max(until, finished).timestamp():.6f}",
                filters={"container": execution_id, "event": event},
                decode=True,
            )
            return any(True for _ in events)

    def _cancel_reason(self, info: Mapping[str, Any]) -> str | None:
        """``cancelled`` when ``cancel`` stopped the container (its SIGTERM or the kill after the grace)."""
        state, execution_id = info.get("State") or {}, str(info.get("Id"))
        if state.get("ExitCode") not in _STOPPED_EXITS:
            return None
        with self._memo_lock:
            known = self._cancels.get(execution_id)
        if known is None:
            known = self._has_event(execution_id, state, "stop")
            self._remember_cancel(execution_id, known)
        return _CANCEL_REASON if known else None

    def _remember_cancel(self, execution_id: str, cancelled: bool) -> None:
        with self._memo_lock:
            self._cancels[execution_id] = cancelled
            while len(self._cancels) > _KILL_MEMO_SIZE:
                self._cancels.popitem(last=False)

    def _failure_reason(self, info: Mapping[str, Any]) -> str | None:
        status = (info.get("State") or {}).get("Status")
        if status == "dead":
            return "the engine reports the container dead"
        return _platform_reason(info) or self._cancel_reason(info) or self._killed_from_outside(info)

    def _status_of(self, info: Mapping[str, Any] | None) -> ExecutionStatus:
        if info is None or (info.get("State") or {}).get("Status") == "removing":
            return ExecutionStatus.NOT_FOUND
        if self._overdue(info):
            self._kill(str(info["Id"]))
            return ExecutionStatus.FAILED
        if (info.get("State") or {}).get("Status") in _RUNNING_STATES:
            return ExecutionStatus.RUNNING
        return ExecutionStatus.FAILED if self._failure_reason(info) else ExecutionStatus.EXITED

    def check_status(self, execution_id: str) -> ExecutionStatus:
        """The container's state in the kit's four words; kills it past its deadline.

        Raises:
            ExecutorConnectionError: when the daemon cannot be reached.

        Example:
            >>> DockerExecutor().check_status("")
            <ExecutionStatus.NOT_FOUND: 'not-found'>
        """
        return self._status_of(self._inspect(execution_id))

    def check_statuses(self, execution_ids: Iterable[str]) -> dict[str, ExecutionStatus | str]:
        """Status of many executions: one list call, plus an inspect per finished one.

        Containers that may be past their deadline are inspected too (and
        killed if they are).

        Raises:
            ExecutorConnectionError: when the daemon cannot be reached.

        Example:
            >>> DockerExecutor().check_statuses([])
            {}
        """
        wanted = list(execution_ids)
        if not wanted:
            return {}
        with docker_errors("list containers"):
            rows = self.api.containers(all=True, filters={"label": f"{MANAGED_LABEL}=true"})
        by_id = {row["Id"]: row for row in rows}
        return {execution_id: self._status_from_row(by_id.get(execution_id)) for execution_id in wanted}

    def _status_from_row(self, row: Mapping[str, Any] | None) -> ExecutionStatus:
        if row is None or row.get("State") == "removing":
            return ExecutionStatus.NOT_FOUND
        if row.get("State") in _RUNNING_STATES and not self._may_be_overdue(row) and not self._saw_end(row):
            return ExecutionStatus.RUNNING
        return self.check_status(str(row["Id"]))

    def _saw_end(self, row: Mapping[str, Any]) -> bool:
        with self._memo_lock:
            return row.get("Id") in self._ended

    def _may_be_overdue(self, row: Mapping[str, Any]) -> bool:
        timeout = _timeout_of(row)
        created = dt.datetime.fromtimestamp(int(row.get("Created") or 0), dt.timezone.utc)
        return timeout is not None and (self.clock.now() - created).total_seconds() >= timeout

    def find_executions(self, labels: Mapping[str, str]) -> list[str]:
        """Ids of the kit's containers carrying all ``labels`` (one list call).

        Raises:
            ExecutorConnectionError: when the daemon cannot be reached.

        Example:
            >>> ex = DockerExecutor({"base_url": "unix:///nonexistent/docker.sock"})  # no daemon there
            >>> ex.find_executions({"team": "docs"})  # doctest: +ELLIPSIS
            Traceback (most recent call last):
            ...
            executor_kit.errors.ExecutorConnectionError: Docker: could not reach the daemon at unix:///nonexistent/...
            >>> ex.close()
        """
        wanted = [f"{MANAGED_LABEL}=true", *(f"{key}={value}" for key, value in labels.items())]
        with docker_errors("list containers"):
            rows = self.api.containers(all=True, filters={"label": wanted})
        return [str(row["Id"]) for row in rows]

    # -- logs and harvest ------------------------------------------------------------------
    def _logs_response(self, execution_id: str, *, follow: bool) -> Any:
        """The open response of the engine's multiplexed log stream (the caller closes it)."""
        api = self.api
        url = f"{api.base_url}/v{api.api_version}/containers/{execution_id}/logs"
        params: dict[str, Any] = {"stdout": 1, "stderr": 1, "follow": int(follow), "tail": "all"}
        params.update(self._logs_until(execution_id))
        timeout = self.settings.request_timeout
        res = api.get(url, params=params, stream=True, timeout=(timeout, None) if follow else timeout)  # quiet is fine
        try:
            res.raise_for_status()
        except requests.exceptions.HTTPError as exc:
            res.close()
            docker.errors.create_api_error_from_http_exception(exc)  # raises the SDK's typed error
        return res

    def _multiplexed_logs(self, execution_id: str) -> tuple[str, str]:
        with contextlib.closing(self._logs_response(execution_id, follow=False)) as res:
            return _demultiplex(res.raw)

    def _logs_until(self, execution_id: str) -> dict[str, str]:
        """For a container restarted from outside: only the output of the run the id follows."""
        with self._memo_lock:
            state = self._ended.get(execution_id) or {}
        finished = _parse_time(state.get("FinishedAt"))
        if finished is None or not (state.get(RESTARTED_KEY) or state.get(_RAN_AGAIN)):
            return {}
        return {"until": f"{finished.timestamp() + 0.001:.6f}"}

    def _logs(self, execution_id: str) -> tuple[str, str]:
        """Both streams in one request, split by the stream id Docker puts on each frame."""
        with docker_errors("read logs", execution_id=execution_id):
            try:
                return self._multiplexed_logs(execution_id)
            except docker.errors.NotFound:
                return "", ""

    def get_logs(self, execution_id: str) -> tuple[str, str]:
        """``(stdout, stderr)`` from Docker's two streams, decoded as UTF-8.

        One request returns both streams; each frame carries Docker's stream id,
        so nothing is guessed. Frames are appended to one buffer per stream as
        they arrive and decoded once (no second copy of the raw response).
        Undecodable bytes become U+FFFD.

        Raises:
            ExecutorConnectionError: when the daemon cannot be reached.

        Example:
            >>> DockerExecutor().get_logs("")
            ('', '')
        """
        if self._inspect(execution_id) is None:
            return "", ""
        return self._logs(execution_id)

    def stream_logs(self, execution_id: str, *, follow: bool = True) -> Iterator[LogChunk]:
        """Live ``(stream, text)`` chunks from the engine's log stream, one per frame, whole characters.

        With ``follow`` the engine ends the stream when the container stops;
        closing the iterator early closes the HTTP response. An unknown id
        gives an empty iterator. Nothing is contacted until the first ``next``.

        Raises:
            ExecutorConnectionError: (while iterating) when the daemon cannot be reached.

        Example:
            >>> list(DockerExecutor().stream_logs(""))
            []
        """
        return self._stream(execution_id, follow)

    def _stream(self, execution_id: str, follow: bool) -> Iterator[LogChunk]:
        if self._inspect(execution_id) is None:
            return
        with docker_errors("stream logs", execution_id=execution_id):
            try:
                res = self._logs_response(execution_id, follow=follow)
            except docker.errors.NotFound:
                return
        with contextlib.closing(res):
            yield from _chunks_of(res, execution_id)

    def cancel(self, execution_id: str) -> bool:
        """Stop a running container (``docker stop`` with ``cancel_grace``), keeping it and its logs.

        Returns:
            ``True`` for a known execution (stopped now, or ended before: then
            nothing changes); ``False`` for an unknown id.

        Raises:
            ExecutorConnectionError: when the daemon cannot be reached.

        Example:
            >>> DockerExecutor().cancel("")
            False
        """
        info = self._inspect(execution_id)
        if info is None:
            return False
        if self._status_of(info) is not ExecutionStatus.RUNNING:
            return True
        self._remember_cancel(execution_id, True)
        # NotFound: removed meanwhile (a cleanup), so it is stopped
        with docker_errors("stop a container", execution_id=execution_id), contextlib.suppress(docker.errors.NotFound):
            self.api.stop(execution_id, timeout=self.settings.cancel_grace)
        return True

    def harvest_job(self, job: JobLike) -> bool:
        """Record the container's real result on the job once it has ended.

        ``exit_code`` is the container's, ``completed_at`` its ``FinishedAt``
        (so a second harvest writes the same values); an OOM kill or an external
        kill is stored as ``failure_reason``, a timeout as status ``timeout``.
        With ``harvest_cleans_up`` the container is removed afterwards, and a
        later harvest of the same job returns ``True`` without changes.

        Raises:
            ExecutorConnectionError: when the daemon cannot be reached.

        Example:
            >>> from executor_kit.job import ContainerJob
            >>> DockerExecutor().harvest_job(ContainerJob(image="busybox"))
            False
        """
        execution_id = job.external_execution_id
        info = self._inspect(execution_id)
        if info is None:
            return bool(self.settings.harvest_cleans_up and execution_id and already_harvested(job))
        if self._status_of(info) not in (ExecutionStatus.EXITED, ExecutionStatus.FAILED):
            return False
        self._record(job, info)
        if self.settings.harvest_cleans_up:
            self.cleanup(str(execution_id))
        return True

    def _record(self, job: JobLike, info: Mapping[str, Any]) -> None:
        state = info.get("State") or {}
        stdout, stderr = self._logs(str(info["Id"]))
        reason = self._failure_reason(info)
        record_result(
            job,
            exit_code=int(state.get("ExitCode", -1)),
            stdout=stdout,
            stderr=stderr,
            completed_at=_parse_time(state.get("FinishedAt")) or self.clock.now(),
            timed_out=_timed_out(info),
            cancelled=reason == _CANCEL_REASON,
            reason=reason,
        )

    # -- cleanup ---------------------------------------------------------------------------
    def cleanup(self, execution_id: str) -> bool:
        """Remove the container (stopping it first if running); ``True`` also if unknown.

        With ``stop_timeout`` 0 (the default) a running container is killed at
        once (SIGKILL), so a workload that ignores SIGTERM cannot delay it.

        Raises:
            ExecutorConnectionError: when the daemon cannot be reached.

        Example:
            >>> DockerExecutor().cleanup("")
            True
        """
        if self._inspect(execution_id) is not None:
            with docker_errors("remove a container", execution_id=execution_id):
                self._stop_gracefully(execution_id)
                self._remove(execution_id)
        self._secret_logs.release(execution_id)
        with self._memo_lock:
            self._ended.pop(execution_id, None)
        return True

    def _stop_gracefully(self, execution_id: str) -> None:
        if self.settings.stop_timeout > 0:
            with contextlib.suppress(docker.errors.NotFound):
                self.api.stop(execution_id, timeout=self.settings.stop_timeout)

    def _remove(self, execution_id: str) -> None:
        try:
            self.api.remove_container(execution_id, force=True, v=True)
        except docker.errors.NotFound:
            return
        except docker.errors.APIError as exc:
            if "already in progress" not in str(exc):
                raise
