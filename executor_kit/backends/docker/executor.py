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

How a container's state reads (status mapping, OOM kills, kills from outside,
restarts from outside): ``executor_kit.backends.docker.observe``.

Cancel (``supports_cancel``): ``docker stop`` with ``cancel_grace``; the
container, its state and its logs stay until ``cleanup``. A stopped container
whose exit code is 143 (SIGTERM) or 137 (killed after the grace period) reads
``failed`` and harvests as ``cancelled``; one that exited with its own code
during the grace period keeps it. Another ``DockerExecutor`` recognises the
cancel by the engine's ``stop`` event (looked up once, then remembered).

Live logs (``supports_log_streaming``): ``stream_logs`` reads the multiplexed
log stream (``follow`` as asked) frame by frame, one incremental UTF-8 decoder
per stream; closing the iterator closes the HTTP response.

Secrets (``secret_environment``) reach the workload as environment variables;
Docker stores them in the container's configuration, readable by anyone with
access to the daemon. The kit never echoes them in its messages.
"""

from __future__ import annotations

import contextlib
import threading
import weakref
from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import Any, ClassVar

import docker.errors
import requests  # type: ignore[import-untyped,unused-ignore]

from executor_kit.backends.docker.client import client_kwargs, connect
from executor_kit.backends.docker.errors import docker_errors, refusal
from executor_kit.backends.docker.hooks import DockerHooks
from executor_kit.backends.docker.observe import ContainerObserver
from executor_kit.backends.docker.probe_image import ensure_probe_image
from executor_kit.backends.docker.settings import DockerSettings
from executor_kit.backends.docker.spec import create_spec, image_reference_problem, job_problem
from executor_kit.backends.docker.stream import demultiplex, live_chunks
from executor_kit.base import ContainerExecutor, LogChunk
from executor_kit.clock import Clock
from executor_kit.errors import ExecutorConfigurationError, ExecutorError
from executor_kit.job import JobLike, already_harvested, mark_launched, record_result, redact, secret_values
from executor_kit.labels import MANAGED_LABEL
from executor_kit.redaction import SecretLogGuard
from executor_kit.status import ExecutionStatus

__all__ = ["DockerExecutor"]

#: The loggers of the libraries this executor drives; secret values never reach their records.
_LIBRARY_LOGGERS = ("docker", "urllib3", "requests")


def _weak_api(executor: DockerExecutor) -> Callable[[], Any]:
    """``executor.api``, without keeping the executor alive (its finalizers run once it is dropped)."""
    ref = weakref.ref(executor)

    def api() -> Any:
        alive = ref()
        if alive is None:
            raise ReferenceError("the DockerExecutor is gone")
        return alive.api

    return api


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
        self._states = ContainerObserver(_weak_api(self), self.clock)
        weakref.finalize(self, self._states.close)
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
            >>> ex = DockerExecutor(); first = ex.client; ex.close()
            >>> ex.client is first, ex.client.ping()  # the next use connects again
            (False, True)
            >>> ex.close()
        """
        self._states.close()
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
        return ensure_probe_image(self.client, image)

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
            >>> job = ContainerJob(image="busybox"); job.image = ""  # changed after its own checks
            >>> DockerExecutor().launch_job(job)
            (False, "ContainerJob.image must be a non-empty str, got ''")
        """
        problem = job_problem(job)
        if problem is None and self.settings.pull_policy == "always":
            problem = self._pull(job.image)
        if problem is not None:
            return False, redact(problem, secret_values(job))
        if job.memory_limit:
            self._states.listen_for_oom()
        return self._create_and_start(job)

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
        spec = create_spec(self.api, job, self.settings)
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

    # -- status ------------------------------------------------------------------------------
    def check_status(self, execution_id: str) -> ExecutionStatus:
        """The container's state in the kit's four words; kills it past its deadline.

        Raises:
            ExecutorConnectionError: when the daemon cannot be reached.

        Example:
            >>> DockerExecutor().check_status("")
            <ExecutionStatus.NOT_FOUND: 'not-found'>
        """
        return self._states.status_of(self._states.inspect(execution_id))

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
        if self._states.surely_running(row):
            return ExecutionStatus.RUNNING
        return self.check_status(str(row["Id"]))

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
        params.update(self._states.logs_until(execution_id))
        timeout = self.settings.request_timeout
        res = api.get(url, params=params, stream=True, timeout=(timeout, None) if follow else timeout)  # quiet is fine
        try:
            res.raise_for_status()
        except requests.exceptions.HTTPError as exc:
            res.close()
            docker.errors.create_api_error_from_http_exception(exc)  # raises the SDK's typed error
        return res

    def _logs(self, execution_id: str) -> tuple[str, str]:
        """Both streams in one request, split by the stream id Docker puts on each frame."""
        with docker_errors("read logs", execution_id=execution_id):
            try:
                with contextlib.closing(self._logs_response(execution_id, follow=False)) as res:
                    return demultiplex(res.raw)
            except docker.errors.NotFound:
                return "", ""

    def get_logs(self, execution_id: str) -> tuple[str, str]:
        """``(stdout, stderr)`` from Docker's two streams, decoded as UTF-8.

        One request returns both streams; each frame carries Docker's stream id,
        so nothing is guessed (``executor_kit.backends.docker.stream.demultiplex``).
        Undecodable bytes become U+FFFD.

        Raises:
            ExecutorConnectionError: when the daemon cannot be reached.

        Example:
            >>> DockerExecutor().get_logs("")
            ('', '')
        """
        if self._states.inspect(execution_id) is None:
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
        if self._states.inspect(execution_id) is None:
            return
        with docker_errors("stream logs", execution_id=execution_id):
            try:
                res = self._logs_response(execution_id, follow=follow)
            except docker.errors.NotFound:
                return
        with contextlib.closing(res):
            yield from live_chunks(res.raw, execution_id)

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
        info = self._states.inspect(execution_id)
        if info is None:
            return False
        if self._states.status_of(info) is not ExecutionStatus.RUNNING:
            return True
        self._states.remember_cancel(execution_id, True)
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
        info = self._states.inspect(execution_id)
        if info is None:
            return bool(self.settings.harvest_cleans_up and execution_id and already_harvested(job))
        if self._states.status_of(info) not in (ExecutionStatus.EXITED, ExecutionStatus.FAILED):
            return False
        stdout, stderr = self._logs(str(info["Id"]))
        record_result(job, stdout=stdout, stderr=stderr, **self._states.result_of(info))
        if self.settings.harvest_cleans_up:
            self.cleanup(str(execution_id))
        return True

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
        if self._states.inspect(execution_id) is not None:
            with docker_errors("remove a container", execution_id=execution_id):
                self._stop_gracefully(execution_id)
                self._remove(execution_id)
        self._secret_logs.release(execution_id)
        self._states.forget(execution_id)
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
