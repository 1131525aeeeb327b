"""``KubernetesExecutor``: jobs as ``batch/v1`` Jobs, through the official ``kubernetes`` client.

How the contract maps onto Kubernetes:

* **launch** creates one Job (``backoffLimit: 0``, one pod, ``restartPolicy:
  Never``) whose container runs the job's image with its argv as ``command``
  (exec form, no shell), its environment, ``resources.limits`` from
  ``cpu_limit`` (millicores) and ``memory_limit`` (``Mi``), the labels of
  ``executor_kit.labels.kit_labels`` (configured, the job's, the kit's own)
  and ``activeDeadlineSeconds`` from ``timeout_seconds`` (rounded up), plus
  ``ttlSecondsAfterFinished`` when configured (off by default: a Job its TTL
  removed reads ``not-found``, as after cleanup, before anyone harvested it). The Job's name is the
  execution id: the job's ``name`` made a DNS-1123 label, then a random
  suffix, so every launch gets a new one. Label values Kubernetes refuses
  (over 63 characters, other characters) become ``sha256-`` digests (the
  originals go to the annotation ``executor-kit/labels``; ``find_executions``
  encodes alike); label keys it refuses are ``(False, message)``. ``secret_environment`` goes into a
  Secret of the same name, referenced with ``secretKeyRef`` (never as a plain
  ``value``) and owned by the Job, so it goes when the Job goes.
  Launch then watches the pod for up to ``launch_wait_seconds``: an image that
  cannot be pulled (``ErrImagePull``, ``ImagePullBackOff``, ...) or a container
  that cannot be configured is a job-level failure, answered ``(False,
  message)`` after removing the Job and the Secret. A 403 "exceeded quota" and
  a spec the API refuses (400/422) are ``(False, message)`` too.
* **status** from the Job's ``Complete``/``Failed`` conditions and the pod's
  container state: terminated → ``exited`` with its exit code, except
  ``OOMKilled`` and the Job's ``DeadlineExceeded`` → ``failed``; a waiting
  reason that means the container never starts → ``failed``; otherwise
  ``running``. A Job that is being deleted reads ``not-found``.
* **timeouts** run natively (``activeDeadlineSeconds``); ``check_status`` also
  compares the exact deadline (annotations) and, once it passed, sets the
  Job's ``activeDeadlineSeconds`` to 1 and marks it timed out, so the Job
  controller stops the pod and every reader sees ``failed``.
* **logs** from the pod log API, read as bytes and decoded as UTF-8. The API
  merges stdout and stderr unless the cluster serves the ``stream`` option
  (Kubernetes 1.32+ with the ``PodLogsQuerySplitStreams`` feature gate). With
  ``split_log_streams: true`` the executor asks for ``stream=Stdout`` and
  ``stream=Stderr``; by default it returns everything as stdout with an empty
  stderr and declares ``separates_output_streams: False`` (it never splits by
  guessing).
* **cleanup** deletes the Job with ``propagationPolicy: Foreground`` (its pod
  goes first, SIGTERM then SIGKILL after ``grace_period_seconds``) and the
  Secret; every 404 counts as done.
* **errors**: 401/403 → ``ExecutorAuthenticationError``; 404 for the
  namespace → ``ExecutorConfigurationError``; 429 and 5xx are retried on
  ``self.clock`` (honouring ``Retry-After``), then raise
  ``ExecutorResourceError`` (429) or ``ExecutorConnectionError`` (5xx); a name
  clash (409) at creation is retried with a new name; network errors →
  ``ExecutorConnectionError``. A missing or malformed kubeconfig is an
  ``ExecutorConfigurationError`` at construction.

Example:
    >>> ex = emulated_executor()  # a KubernetesExecutor against an offline emulation of the API
    >>> ok, eid = ex.launch_job(ContainerJob(image=PROBE_IMAGE, command=Probe().out("hi").err("oops").exit(3).argv))
    >>> ok, str(ex.check_status(eid)), ex.get_logs(eid)
    (True, 'exited', ('hi\\n', 'oops\\n'))
    >>> ex.cleanup(eid), str(ex.check_status(eid))
    (True, 'not-found')
    >>> ex.close()
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any, ClassVar

from kubernetes import client as k8s_client
from kubernetes.client.exceptions import ApiException

from executor_kit._retry import RetryPolicy, retry
from executor_kit.backends.kubernetes import manifests as man
from executor_kit.backends.kubernetes import observe as obs
from executor_kit.backends.kubernetes import support as sup
from executor_kit.backends.kubernetes.manifests import CONTAINER_NAME
from executor_kit.backends.kubernetes.settings import KubernetesSettings, make_api_client
from executor_kit.base import ContainerExecutor
from executor_kit.clock import Clock
from executor_kit.errors import ExecutorConfigurationError
from executor_kit.job import (
    JobLike,
    already_harvested,
    mark_launched,
    record_result,
    redact,
    secret_values,
    validate_job,
)
from executor_kit.labels import MANAGED_LABEL, kit_labels
from executor_kit.status import ExecutionStatus

__all__ = ["CONTAINER_NAME", "KubernetesExecutor"]

_JOB_NAME_LABEL = "job-name"
_AS_MERGE_PATCH = {"_content_type": "application/merge-patch+json"}


class KubernetesExecutor(ContainerExecutor):
    """Runs jobs as Kubernetes Jobs; see the module docstring for the design.

    Args:
        config: Settings (mapping), all optional: the options of
            ``KubernetesSettings`` (connection, namespace, job defaults, waits).
        clock: Where deadlines, waits and timestamps are read.
        api_client: A ready ``kubernetes.client.ApiClient`` to use instead of
            building one from ``config``.

    Raises:
        ExecutorConfigurationError: for an unknown or unusable setting, or a
            kubeconfig that is missing or malformed (one line).

    Example:
        >>> KubernetesExecutor({"kubeconfig": "/nonexistent/kubeconfig"})  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ...
        executor_kit.errors.ExecutorConfigurationError: kubernetes config 'kubeconfig' names no readable file: ...
    """

    name: ClassVar[str] = "kubernetes"

    capabilities: ClassVar[Mapping[str, bool]] = {
        "supports_resource_limits": True,
        "supports_networking": True,
        "supports_persistent_storage": False,
        "supports_secrets": True,
    }

    def __init__(
        self, config: Mapping[str, Any] | None = None, *, clock: Clock | None = None, api_client: Any = None
    ) -> None:
        super().__init__(config, clock=clock)
        self.settings = KubernetesSettings.from_mapping(self.config)
        self.api_client = api_client if api_client is not None else make_api_client(self.settings)
        self.batch: Any = k8s_client.BatchV1Api(self.api_client)
        self.core: Any = k8s_client.CoreV1Api(self.api_client)
        self._kept: dict[str, tuple[str, str]] = {}  # logs of workloads stopped at their timeout
        self._policy = RetryPolicy(attempts=self.settings.max_attempts, initial_backoff=0.5, max_backoff=8.0)

    @property
    def namespace(self) -> str:
        """The namespace the executor's Jobs run in.

        Example:
            >>> ex = emulated_executor({"namespace": "batch"}); ex.namespace
            'batch'
            >>> ex.close()
        """
        return self.settings.namespace

    def get_capabilities(self) -> dict[str, bool]:
        """The standard keys plus ``separates_output_streams`` (``split_log_streams``), with overrides.

        Example:
            >>> ex = emulated_executor({"split_log_streams": False})
            >>> ex.get_capabilities()["separates_output_streams"], ex.get_capabilities()["supports_secrets"]
            (False, True)
            >>> ex.close()
        """
        streams = {"separates_output_streams": self.settings.split_log_streams}
        return {**super().get_capabilities(), **streams, **self.settings.capabilities}

    # ------------------------------------------------------------------ calls

    def _call(
        self, operation: str, method: Callable[..., Any], *args: Any, execution_id: str | None = None, **kw: Any
    ) -> bytes:
        """One API call with retries for 429/5xx; the raw body of its answer."""

        def attempt() -> Any:
            try:
                return method(*args, _request_timeout=self.settings.request_timeout, _preload_content=False, **kw)
            except ApiException as exc:
                return exc

        with sup.translated(operation, execution_id):
            result = retry(
                attempt,
                retryable=lambda r: isinstance(r, ApiException) and sup.is_retryable(r),
                policy=self._policy,
                sleep=self.clock.sleep,
                hint=lambda r: sup.retry_after(r) if isinstance(r, ApiException) else None,
            )
            if isinstance(result, ApiException):
                raise result
            return sup.read_body(result)

    def _read_job(self, name: str) -> dict[str, Any] | None:
        try:
            job: dict[str, Any] = sup.parsed(
                self._call("read Job", self.batch.read_namespaced_job, name, self.namespace)
            )
        except ExecutorConfigurationError as exc:
            if sup.is_not_found(exc):
                return None
            raise
        return job

    def _pods(self, label_selector: str) -> list[dict[str, Any]]:
        answer = self._call("list Pods", self.core.list_namespaced_pod, self.namespace, label_selector=label_selector)
        return sup.items(answer)

    # ----------------------------------------------------------------- launch

    def _labels(self, job: JobLike) -> dict[str, str] | str:
        """The Job's labels, encoded, or why the job cannot run here (invalid, a label key, a variable name)."""
        try:
            validate_job(job)
        except ExecutorConfigurationError as exc:
            return str(exc)
        names = [*job.environment, *man.secrets_of(job)]
        problem = sup.env_name_problem(names)
        return problem or sup.encode_labels(kit_labels(job, self.settings.labels))

    def _create_secret(self, job: JobLike, name: str, labels: dict[str, str]) -> bool:
        if not man.secrets_of(job):
            return False
        body = man.secret_manifest(job, name, labels)
        self._call("create Secret", self.core.create_namespaced_secret, self.namespace, body, execution_id=name)
        return True

    def _create(self, job: JobLike, labels: dict[str, str], started: str) -> str:
        name = sup.job_name(job.name)
        has_secret = self._create_secret(job, name, labels)
        try:
            body = man.job_manifest(job, name, labels, started, self.settings)
            created = sup.parsed(self._call("create Job", self.batch.create_namespaced_job, self.namespace, body))
            if has_secret:
                patch = man.owner_patch(name, str(created["metadata"]["uid"]))
                self._call(
                    "patch Secret", self.core.patch_namespaced_secret, name, self.namespace, patch, **_AS_MERGE_PATCH
                )
        except BaseException:
            self._remove(name)
            raise
        return name

    def _create_unique(self, job: JobLike, labels: dict[str, str], started: str) -> str:
        for _ in range(2):
            try:
                return self._create(job, labels, started)
            except sup.RejectedError as exc:
                if not isinstance(exc.__cause__, ApiException) or exc.__cause__.status != 409:
                    raise
        return self._create(job, labels, started)

    def _start_failure(self, name: str) -> str | None:
        wait = self.settings.launch_wait_seconds
        deadline = self.clock.monotonic() + wait
        while wait:
            pods = self._pods(f"{_JOB_NAME_LABEL}={name}")
            seen = obs.observe(self._read_job(name), pods)
            if seen.status is ExecutionStatus.FAILED and seen.exit_code is None:
                return seen.reason or "the container could not start"
            if (
                not obs.pending(pods)
                or seen.status is not ExecutionStatus.RUNNING
                or self.clock.monotonic() >= deadline
            ):
                return None
            self.clock.sleep(self.settings.poll_interval)
        return None

    def launch_job(self, job: JobLike) -> tuple[bool, str]:
        """Create the Job (and its Secret); the Job's name is the execution id.

        Returns:
            ``(True, name)``, or ``(False, message)`` for a job-level failure:
            an invalid job (``validate_job``), a label key Kubernetes refuses, an image that cannot be pulled, a
            spec the API rejects, an exceeded quota; nothing is left behind.

        Raises:
            ExecutorConfigurationError: for a missing namespace.
            ExecutorAuthenticationError: for rejected credentials.
            ExecutorConnectionError: when the API server cannot be reached.
            ExecutorResourceError: when throttling outlasts the retries.

        Example:
            >>> from executor_kit.probe import MISSING_IMAGE, PROBE_IMAGE, Probe
            >>> ex = emulated_executor()
            >>> job = ContainerJob(image=PROBE_IMAGE, command=Probe().out("hi").argv, name="My Job!")
            >>> ok, eid = ex.launch_job(job)
            >>> ok, eid.startswith("my-job-"), eid == job.external_execution_id, str(job.status)
            (True, True, True, 'running')
            >>> ok, message = ex.launch_job(ContainerJob(image=MISSING_IMAGE))
            >>> ok, message.startswith("ErrImagePull")
            (False, True)
            >>> ex.close()
        """
        labels = self._labels(job)
        if isinstance(labels, str):
            return False, labels
        started = self.clock.now()
        try:
            name = self._create_unique(job, labels, started.isoformat())
        except sup.RejectedError as exc:
            return False, redact(exc.message, secret_values(job))
        failure = self._start_failure(name)
        if failure is not None:
            self._remove(name)
            return False, redact(failure, secret_values(job))
        mark_launched(job, name, started)
        return True, name

    # ----------------------------------------------------------------- status

    def _enforce_timeout(self, name: str, job: Mapping[str, Any], seen: obs.Observed) -> obs.Observed:
        deadline = obs.deadline(job)
        if seen.status is not ExecutionStatus.RUNNING or deadline is None or self.clock.now() < deadline:
            return seen
        self._kept[name] = self._logs(name, self._pods(f"{_JOB_NAME_LABEL}={name}"))  # gone with the pod
        patch = {"metadata": {"annotations": {obs.TIMED_OUT_ANNOTATION: "true"}}, "spec": {"activeDeadlineSeconds": 1}}
        self._call("patch Job", self.batch.patch_namespaced_job, name, self.namespace, patch, **_AS_MERGE_PATCH)
        return obs.Observed(ExecutionStatus.FAILED, None, "timeout: stopped by executor-kit", True)

    def _observe(self, name: str) -> tuple[obs.Observed, list[dict[str, Any]]]:
        if not sup.is_dns_label(name):
            return obs.GONE, []
        job = self._read_job(name)
        if job is None:
            return obs.GONE, []
        pods = self._pods(f"{_JOB_NAME_LABEL}={name}")
        return self._enforce_timeout(name, job, obs.observe(job, pods)), pods

    def check_status(self, execution_id: str) -> ExecutionStatus:
        """``running``, ``exited``, ``failed`` or ``not-found``, from the Job and its pod.

        Stops a Job past its job's timeout (then ``failed``).

        Example:
            >>> ex = emulated_executor()
            >>> done = ex.launch_job(ContainerJob(image=PROBE_IMAGE, command=Probe().sleep(2).exit(3).argv))[1]
            >>> oom = ex.launch_job(ContainerJob(image=PROBE_IMAGE, command=Probe().alloc(64).argv, memory_limit=32))[1]
            >>> stuck = ContainerJob(image=PROBE_IMAGE, command=Probe().sleep(60).argv, timeout_seconds=5)
            >>> slow = ex.launch_job(stuck)[1]
            >>> str(ex.check_status(done)), str(ex.check_status(oom)), str(ex.check_status(slow))
            ('running', 'failed', 'running')
            >>> ex.clock.sleep(6)
            >>> str(ex.check_status(done)), str(ex.check_status(slow)), str(ex.check_status("no-such-job"))
            ('exited', 'failed', 'not-found')
            >>> ex.close()
        """
        return self._observe(execution_id)[0].status

    def check_statuses(self, execution_ids: Iterable[str]) -> dict[str, ExecutionStatus | str]:
        """Status of many executions from one labelled list of Jobs and one of pods.

        Example:
            >>> ex = emulated_executor()
            >>> quick = ex.launch_job(ContainerJob(image=PROBE_IMAGE, command=Probe().exit(0).argv))[1]
            >>> slow = ex.launch_job(ContainerJob(image=PROBE_IMAGE, command=Probe().sleep(60).argv))[1]
            >>> answers = ex.check_statuses([quick, slow, "nope"])
            >>> [str(answers[i]) for i in (quick, slow, "nope")]
            ['exited', 'running', 'not-found']
            >>> ex.emulator.count("GET", "/jobs?"), ex.emulator.count("GET", "/pods?")  # one list each, none per id
            (1, 3)
            >>> ex.close()
        """
        ids = list(dict.fromkeys(execution_ids))
        managed = sup.selector({MANAGED_LABEL: "true"})
        answer = self._call("list Jobs", self.batch.list_namespaced_job, self.namespace, label_selector=managed)
        jobs = {str(j["metadata"]["name"]): j for j in sup.items(answer)}
        pods: dict[str, list[dict[str, Any]]] = {}
        for pod in self._pods(managed) if jobs else []:
            pods.setdefault(str((pod["metadata"].get("labels") or {}).get(_JOB_NAME_LABEL)), []).append(pod)
        seen = {i: obs.observe(jobs.get(i), pods.get(i, [])) for i in ids}
        return {i: (self._enforce_timeout(i, jobs[i], s) if i in jobs else s).status for i, s in seen.items()}

    # ------------------------------------------------------------------- logs

    def _log(self, pod_name: str, stream: str | None) -> str:
        options = {"container": CONTAINER_NAME, **({"stream": stream} if stream else {})}
        try:
            answer = self._call("read Pod log", self.core.read_namespaced_pod_log, pod_name, self.namespace, **options)
        except ExecutorConfigurationError as exc:
            if stream and isinstance(exc.__cause__, ApiException) and exc.__cause__.status == 422:
                raise ExecutorConfigurationError(
                    f"{exc.message} (does the cluster serve split log streams? set split_log_streams false)",
                    backend=sup.BACKEND,
                ) from exc
            return ""  # the pod is gone, or its container has not started
        return answer.decode("utf-8", errors="replace")

    def _logs(self, name: str, pods: Sequence[Mapping[str, Any]]) -> tuple[str, str]:
        if name in self._kept:  # stopped at its timeout: the output up to then
            return self._kept[name]
        pod = obs.newest_pod(pods)
        if pod is None or "waiting" in obs.container_state(pod) or not obs.container_state(pod):
            return "", ""
        name = str(pod["metadata"]["name"])
        if self.settings.split_log_streams:
            return self._log(name, "Stdout"), self._log(name, "Stderr")
        return self._log(name, None), ""

    def get_logs(self, execution_id: str) -> tuple[str, str]:
        """``(stdout, stderr)`` from the pod log API; ``("", "")`` for an unknown or cleaned-up id.

        Example:
            >>> merged = emulated_executor({"split_log_streams": False})  # a cluster without split streams
            >>> eid = merged.launch_job(ContainerJob(image=PROBE_IMAGE, command=Probe().out("a").err("b").argv))[1]
            >>> merged.get_logs(eid), merged.get_logs("unknown")
            (('a\\nb\\n', ''), ('', ''))
            >>> merged.close()
        """
        seen, pods = self._observe(execution_id)
        if seen.status is ExecutionStatus.NOT_FOUND:
            return "", ""
        return self._logs(execution_id, pods)

    # ---------------------------------------------------------------- harvest

    def harvest_job(self, job: JobLike) -> bool:
        """Record a finished Job's exit code, logs and finish time on the job.

        ``exit_code`` is ``-1`` when Kubernetes reports none (the container never
        started, or the pod was removed); the reason goes to ``failure_reason``.

        Example:
            >>> ex = emulated_executor()
            >>> job = ContainerJob(image=PROBE_IMAGE, command=Probe().out("hi").sleep(5).exit(3).argv)
            >>> _ = ex.launch_job(job)
            >>> ex.harvest_job(job)
            False
            >>> ex.clock.sleep(5)
            >>> ex.harvest_job(job), str(job.status), job.exit_code, job.stdout
            (True, 'failed', 3, 'hi\\n')
            >>> ex.close()
        """
        execution_id = job.external_execution_id
        if not execution_id:
            return False
        if already_harvested(job):
            return True
        return self._record(job, execution_id)

    def _record(self, job: JobLike, execution_id: str) -> bool:
        seen, pods = self._observe(execution_id)
        if not seen.status.is_terminal:
            return False
        stdout, stderr = self._logs(execution_id, pods)
        record_result(
            job,
            exit_code=-1 if seen.exit_code is None else seen.exit_code,
            stdout=stdout,
            stderr=stderr,
            completed_at=seen.finished_at or self.clock.now(),
            timed_out=seen.timed_out,
            reason=seen.reason,
        )
        if self.settings.harvest_cleans_up:
            self.cleanup(execution_id)
        return True

    # ---------------------------------------------------------------- cleanup

    def _delete(self, operation: str, method: Callable[..., Any], name: str) -> None:
        body = {"apiVersion": "v1", "kind": "DeleteOptions", "propagationPolicy": "Foreground"}
        try:
            self._call(operation, method, name, self.namespace, body=body, execution_id=name)
        except ExecutorConfigurationError as exc:
            if not sup.is_not_found(exc):
                raise

    def _remove(self, name: str) -> None:
        self._delete("delete Job", self.batch.delete_namespaced_job, name)
        self._delete("delete Secret", self.core.delete_namespaced_secret, name)

    def cleanup(self, execution_id: str) -> bool:
        """Delete the Job (foreground: its pod first) and its Secret; idempotent, ``True`` also when unknown.

        Example:
            >>> ex = emulated_executor()
            >>> job = ContainerJob(image=PROBE_IMAGE, command=Probe().sleep(60).argv, secret_environment={"T": "x"})
            >>> eid = ex.launch_job(job)[1]
            >>> sorted(ex.emulator.names("secrets")) == [eid]
            True
            >>> ex.cleanup(eid), ex.cleanup(eid), str(ex.check_status(eid)), ex.emulator.names("secrets")
            (True, True, 'not-found', [])
            >>> ex.close()
        """
        if sup.is_dns_label(execution_id):
            self._remove(execution_id)
        self._kept.pop(execution_id, None)
        return True

    def find_executions(self, labels: Mapping[str, str]) -> list[str]:
        """Names of the Jobs (not being deleted) that carry all ``labels``.

        Example:
            >>> ex = emulated_executor()
            >>> a = ex.launch_job(ContainerJob(image="executor-kit-probe:latest", labels={"team": "a"}))[1]
            >>> ex.find_executions({"team": "a"}) == [a], ex.find_executions({"team": "b"})
            (True, [])
            >>> ex.close()
        """
        encoded = sup.encode_labels(dict(labels) or {MANAGED_LABEL: "true"})
        if isinstance(encoded, str):
            return []
        answer = self._call(
            "list Jobs", self.batch.list_namespaced_job, self.namespace, label_selector=sup.selector(encoded)
        )
        return [str(j["metadata"]["name"]) for j in sup.items(answer) if not j["metadata"].get("deletionTimestamp")]

    def close(self) -> None:
        """Close the API client's connection pool; the Jobs it launched run on.

        Example:
            >>> ex = emulated_executor()
            >>> eid = ex.launch_job(ContainerJob(image=PROBE_IMAGE, command=Probe().sleep(60).argv))[1]
            >>> ex.close()
            >>> again = type(ex)(ex.emulator.executor_config(), emulator=ex.emulator)  # a new client
            >>> str(again.check_status(eid))
            'running'
            >>> again.close()
        """
        self.api_client.close()
