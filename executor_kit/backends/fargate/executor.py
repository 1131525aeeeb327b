"""``FargateExecutor``: jobs as AWS ECS tasks on Fargate (``boto3``), logs from CloudWatch.

One job is one ``run_task`` (launch type ``FARGATE``) of a configured task
definition, with per-run container overrides (argv, environment, memory and
CPU) and tags. The execution id is the task ARN. Everything the executor needs
later lives on the task itself, so any process with the same configuration can
pick an execution up:

* **status** from ``describe_tasks`` (``lastStatus``, the container's
  ``exitCode`` and ``reason``, the task's ``stopCode`` and ``stoppedReason``);
  a task missing from the answer, or listed under ``failures`` (``MISSING``),
  is ``not-found``;
* **timeouts** from the tag ``executor-kit-timeout-seconds`` (seconds) and the task's
  ``startedAt`` (``createdAt`` while it provisions); ``check_status`` after the
  deadline calls ``stop_task`` with a reason starting ``executor-kit: timeout``,
  which ECS keeps on the task, so every later reader sees ``failed`` and
  ``harvest_job`` records ``timeout``;
* **cleanup** stops the task, deletes its log stream, and tags the task
  ``executor-kit-cleaned`` (ECS keeps stopped tasks visible for about an hour),
  so it reads ``not-found`` from then on, also for other executor instances.

**stdout and stderr.** The ``awslogs`` driver writes both streams into one log
stream, one event per line, and does not record which stream a line came from.
The contract wants them separated by the real streams, so the default
``log_format`` is ``"firelens-json"``: route the container's logs through
FireLens (Fluent Bit's ``cloudwatch_logs`` output) so each event is the JSON
record Docker's fluentd driver produces, whose ``source`` field is ``stdout``
or ``stderr``; set the output's stream name to ``PREFIX/CONTAINER/TASK_ID``
(or set ``log_stream_template``). With plain ``log_format="awslogs"`` all
output is returned as stdout, stderr is empty, and the capability
``separates_output_streams`` reads ``False``.

**Live logs** (``supports_log_streaming``). ``stream_logs`` reads the same log
stream with ``get_log_events``, page by page from the last
``nextForwardToken`` on, and tells stdout from stderr exactly as ``get_logs``
does (both go through ``_fargate_logs``). Following, it reads again every
``log_poll_seconds`` (default 2, slept on the executor's clock, so a
``VirtualClock`` runs it instantly) and ends with one last read once the task
has been ``STOPPED`` for ``log_settle_seconds`` (default 2, counted from its
``stoppedAt``): the log router can deliver the last lines after ECS reports
the stop. Without ``follow`` it reads once. No connection is held between
reads, so an iterator closed early leaves nothing open.

**Secrets.** Two ways, chosen by ``secret_mode``:

* ``"environment"`` (default): ``secret_environment`` reaches the workload as
  container override environment, like ``environment``. The values are never
  in this executor's messages, and never in the records of botocore, boto3 or
  urllib3 loggers (a redacting filter holds them from the launch until
  ``cleanup``), but anyone allowed ``ecs:DescribeTasks`` reads them, and so
  does CloudTrail. Use it for short-lived values, or when the caller has the
  value and nowhere to store it.
* ``"value-from"``: each ``secret_environment`` value is the ARN of a Secrets
  Manager secret or an SSM Parameter Store parameter. ECS cannot override a
  container's ``secrets`` per run, so the executor registers a revision of the
  task definition whose container adds ``secrets`` with those ``valueFrom``
  references (one revision per distinct set, reused), executed with
  ``execution_role_arn`` (or the definition's own execution role). The
  platform fetches the values when the task starts: they never pass through
  the kit, the API requests, ``DescribeTasks`` or CloudTrail. Use it for
  long-lived credentials.

**Images.** ECS cannot override a container's image per run, so a job's
``image`` must equal the image of the configured task definition's container;
any other image is refused with ``(False, message)`` before anything starts.

Example:
    >>> executor = FargateExecutor({
    ...     "region": "eu-west-1", "cluster": "jobs", "task_definition": "probe:3",
    ...     "subnets": ["subnet-0abc"], "log_group": "/ecs/probe",
    ...     "aws_access_key_id": "testing", "aws_secret_access_key": "testing"})
    >>> executor.name, executor.check_status("not-a-task-arn") == "not-found"
    ('fargate', True)
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import json
import math
import re
from collections.abc import Iterable, Iterator, Mapping
from typing import Any, ClassVar

from executor_kit.backends.fargate import logs as _fargate_logs
from executor_kit.backends.fargate import secrets as _fargate_secrets
from executor_kit.backends.fargate.errors import RejectedError, error_code, translated
from executor_kit.backends.fargate.settings import ClientFactory, FargateSettings, default_client_factory
from executor_kit.base import ContainerExecutor, LogChunk
from executor_kit.clock import Clock
from executor_kit.errors import (
    ExecutorConfigurationError,
)
from executor_kit.job import (
    JobLike,
    already_harvested,
    job_environment,
    mark_launched,
    record_result,
    secret_values,
    validate_job,
)
from executor_kit.labels import CLEANED_LABEL, NAME_LABEL, TIMEOUT_LABEL, kit_labels
from executor_kit.redaction import SecretLogGuard
from executor_kit.status import ExecutionStatus

__all__ = ["CLEANED_TAG", "NAME_TAG", "TIMEOUT_REASON", "TIMEOUT_TAG", "FargateExecutor"]

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
_STOP_EXITS = frozenset({143, 137, None})  # SIGTERM, SIGKILL after stopTimeout, or no code at all
_LONG_AGO = dt.datetime.min.replace(tzinfo=dt.timezone.utc)  # when a task that is gone stopped, as far as logs go

_ARN = re.compile(r"^arn:aws[a-z-]*:ecs:[a-z0-9-]+:\d{12}:task/([A-Za-z0-9_-]+/)?[A-Za-z0-9_-]+$")
_TAG_TEXT = re.compile(r"[\w +\-=.:/@]*")
_RUNNING_STATES = frozenset({"PROVISIONING", "PENDING", "ACTIVATING", "RUNNING", "DEACTIVATING", "STOPPING"})
_PLATFORM_STOPS = frozenset({"TaskFailedToStart", "SpotInterruption", "TerminationNotice"})
_MAX_OVERRIDES = 8192
_BATCH = 100
#: The loggers of the libraries this executor drives; secret values never reach their records.
LIBRARY_LOGGERS = ("botocore", "boto3", "urllib3", "s3transfer")

# Fargate task sizes: CPU units -> (smallest memory MiB, largest, step).
_FARGATE_SIZES: tuple[tuple[int, int, int, int], ...] = (
    (256, 512, 512, 512),
    (256, 1024, 2048, 1024),
    (512, 1024, 4096, 1024),
    (1024, 2048, 8192, 1024),
    (2048, 4096, 16384, 1024),
    (4096, 8192, 30720, 1024),
    (8192, 16384, 61440, 4096),
    (16384, 32768, 122880, 8192),
)


# ------------------------------------------------------------------- task facts


@dataclasses.dataclass(frozen=True)
class _Observed:
    """What one ``describe_tasks`` entry says about an execution."""

    status: ExecutionStatus
    exit_code: int | None = None
    reason: str | None = None
    timed_out: bool = False
    stopped_at: dt.datetime | None = None
    cancelled: bool = False


_GONE = _Observed(ExecutionStatus.NOT_FOUND)


def _utc(moment: object) -> dt.datetime | None:
    return moment.astimezone(dt.timezone.utc) if isinstance(moment, dt.datetime) else None


def _tags(task: Mapping[str, Any]) -> dict[str, str]:
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


def _stopped(task: Mapping[str, Any], container_name: str | None) -> _Observed:
    container = _container(task, container_name)
    reason = _failure_reason(task, container)
    status = ExecutionStatus.EXITED if reason is None else ExecutionStatus.FAILED
    return _Observed(status, container.get("exitCode"), reason, stopped_at=_utc(task.get("stoppedAt")))


def _observe(task: Mapping[str, Any] | None, container_name: str | None) -> _Observed:
    if task is None or CLEANED_TAG in _tags(task):
        return _GONE
    stopped_reason = str(task.get("stoppedReason") or "")
    if stopped_reason.startswith(TIMEOUT_REASON):
        exit_code = _container(task, container_name).get("exitCode")
        return _Observed(ExecutionStatus.FAILED, exit_code, stopped_reason, True, _utc(task.get("stoppedAt")))
    if task.get("lastStatus") in _RUNNING_STATES:
        return _Observed(ExecutionStatus.RUNNING)
    return _cancelled(task, container_name, stopped_reason) or _stopped(task, container_name)


def _cancelled(task: Mapping[str, Any], container_name: str | None, stopped_reason: str) -> _Observed | None:
    """A task that ``cancel`` stopped (not one that ended on its own before the stop landed)."""
    exit_code = _container(task, container_name).get("exitCode")
    if stopped_reason != CANCEL_REASON or exit_code not in _STOP_EXITS:
        return None
    return _Observed(
        ExecutionStatus.FAILED, exit_code, "cancelled", stopped_at=_utc(task.get("stoppedAt")), cancelled=True
    )


def _deadline(task: Mapping[str, Any]) -> dt.datetime | None:
    raw = _tags(task).get(TIMEOUT_TAG)
    began = task.get("startedAt") or task.get("createdAt")
    if raw is None or not isinstance(began, dt.datetime):
        return None
    return began + dt.timedelta(seconds=float(raw))


def _task_id(execution_id: str) -> str:
    return execution_id.rsplit("/", 1)[-1]


def _is_task_arn(execution_id: object) -> bool:
    return isinstance(execution_id, str) and bool(_ARN.fullmatch(execution_id))


def _chunks(items: list[str]) -> Iterator[list[str]]:
    for start in range(0, len(items), _BATCH):
        yield items[start : start + _BATCH]


# ------------------------------------------------------------- sizes and tags


def _fargate_size(cpu: int, memory: int) -> tuple[int, int] | None:
    for units, low, high, step in _FARGATE_SIZES:
        if units >= cpu and high >= memory:
            return units, max(low, math.ceil(memory / step) * step)
    return None


def _tag_problem(key: str, value: str) -> str | None:
    if not 1 <= len(key) <= 128 or len(value) > 256:
        return f"tag {key[:40]!r} is too long for ECS (keys 1-128, values up to 256 characters)"
    if key.lower().startswith("aws:") or not (_TAG_TEXT.fullmatch(key) and _TAG_TEXT.fullmatch(value)):
        return f"tag {key[:40]!r} has characters ECS does not accept (letters, digits, spaces, + - = . _ : / @)"
    return None


def _first_problem(tags: Mapping[str, str]) -> str | None:
    if len(tags) > 50:
        return f"the job has {len(tags)} tags with the kit's own; ECS accepts at most 50"
    return next((p for p in (_tag_problem(k, v) for k, v in tags.items()) if p), None)


class FargateExecutor(ContainerExecutor):
    """Runs jobs as ECS tasks on AWS Fargate; see the module docstring for the design.

    Args:
        config: Settings (mapping). Required: ``region``, ``cluster``,
            ``task_definition`` (whose container runs the job's image; ECS cannot
            override the image per run), ``subnets``, ``log_group``. Optional:
            ``container_name`` (default: the task definition's first container),
            ``security_groups``, ``assign_public_ip``, ``platform_version``,
            ``log_stream_prefix``, ``log_stream_template``, ``log_format``
            (``firelens-json`` or ``awslogs``), ``log_page_limit``,
            ``log_poll_seconds`` (how often ``stream_logs`` reads while it
            follows; default 2), ``log_settle_seconds`` (how long after a
            task's ``stoppedAt`` its last lines are awaited; default 2), ``labels``
            (tags on every task), ``capabilities`` (overrides, e.g. when the
            task definition mounts EFS), ``endpoint_url`` (VPC endpoint or an
            emulator), ``profile`` or ``aws_access_key_id`` /
            ``aws_secret_access_key`` / ``aws_session_token``, ``max_attempts``
            (botocore standard retries, for throttling), ``delete_logs_on_cleanup``,
            ``harvest_cleans_up``, ``secret_mode`` (``environment`` or
            ``value-from``) and ``execution_role_arn``.
        clock: Where deadlines and timestamps are read.
        client_factory: ``factory("ecs")`` / ``factory("logs")`` returning boto3
            clients, to replace the default session built from ``config``.

    Raises:
        ExecutorConfigurationError: naming the first unusable setting.

    Example:
        >>> FargateExecutor({"region": "eu-west-1"})  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ...
        executor_kit.errors.ExecutorConfigurationError: fargate config 'cluster' is required: ...
    """

    name: ClassVar[str] = "fargate"

    capabilities: ClassVar[Mapping[str, bool]] = {
        "supports_resource_limits": True,
        "supports_networking": True,
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
        client_factory: ClientFactory | None = None,
    ) -> None:
        super().__init__(config, clock=clock)
        self.settings = FargateSettings.from_mapping(self.config)
        with translated("client setup"):
            factory = client_factory or default_client_factory(self.settings)
            self.ecs = factory("ecs")
            self.logs = factory("logs")
        self._cleaned: set[str] = set()
        self._definition: Mapping[str, Any] | None = None
        self._registered: dict[tuple[tuple[str, str], ...], str] = {}
        self._secret_logs = SecretLogGuard(self.library_loggers, owner=self)

    #: Loggers whose records never carry a secret value of a job in flight.
    library_loggers: ClassVar[tuple[str, ...]] = LIBRARY_LOGGERS

    # ------------------------------------------------------------ capabilities

    def get_capabilities(self) -> dict[str, bool]:
        """The standard keys plus ``separates_output_streams``, with config overrides.

        Example:
            >>> FargateExecutor.capabilities["supports_persistent_storage"]
            False
        """
        streams = {"separates_output_streams": self.settings.log_format == "firelens-json"}
        return {**super().get_capabilities(), **streams, **self.settings.capabilities}

    # ------------------------------------------------------------------ launch

    def _task_definition(self) -> Mapping[str, Any]:
        if self._definition is None:
            try:
                with translated("DescribeTaskDefinition"):
                    answer = self.ecs.describe_task_definition(taskDefinition=self.settings.task_definition)
            except RejectedError as exc:
                raise self.settings.error("task_definition", f"cannot be described: {exc.message}") from exc
            self._definition = answer["taskDefinition"]
        return self._definition

    def _container_definition(self) -> Mapping[str, Any]:
        containers = self._task_definition().get("containerDefinitions") or [{}]
        wanted = self.settings.container_name or containers[0].get("name")
        found: Mapping[str, Any] | None = next((c for c in containers if c.get("name") == wanted), None)
        if found is None:
            raise self.settings.error("container_name", f"{wanted!r} is not a container of the task definition")
        return found

    def _job_tags(self, job: JobLike) -> dict[str, str]:
        return kit_labels(job, self.settings.labels)

    def _task_size(self, job: JobLike) -> dict[str, str] | str:
        definition = self._task_definition()
        cpu = math.ceil((job.cpu_limit or 0) * 1024)
        memory = math.ceil(job.memory_limit or 0)
        have_cpu, have_memory = int(definition.get("cpu") or 0), int(definition.get("memory") or 0)
        if cpu <= have_cpu and memory <= have_memory:
            return {}
        size = _fargate_size(max(cpu, have_cpu), max(memory, have_memory))
        if size is None:
            return f"no Fargate task size offers {cpu} CPU units and {memory} MiB"
        return {"cpu": str(size[0]), "memory": str(size[1])}

    def _environment(self, job: JobLike) -> dict[str, str]:
        return job_environment(job) if self.settings.secret_mode == "environment" else dict(job.environment)

    def _definition_for(self, job: JobLike, container: str) -> str:
        """The task definition to run: the configured one, or its revision with the job's ``valueFrom`` secrets."""
        pairs = _fargate_secrets.references(job)
        if self.settings.secret_mode == "environment" or not pairs:
            return str(self.settings.task_definition)
        if pairs not in self._registered:
            role = self.settings.execution_role_arn or self._task_definition().get("executionRoleArn")
            if not role:
                raise self.settings.error(
                    "execution_role_arn", "is needed with secret_mode 'value-from' (or give the task definition one)"
                )
            request = _fargate_secrets.registration(self._task_definition(), container, pairs, role)
            with translated("RegisterTaskDefinition"):
                answer = self.ecs.register_task_definition(**request)
            self._registered[pairs] = str(answer["taskDefinition"]["taskDefinitionArn"])
        return self._registered[pairs]

    def _container_override(self, job: JobLike, name: str) -> dict[str, Any]:
        override: dict[str, Any] = {
            "name": name,
            "environment": [{"name": k, "value": v} for k, v in self._environment(job).items()],
        }
        if job.command:
            override["command"] = list(job.command)
        if job.memory_limit is not None:
            override["memory"] = math.ceil(job.memory_limit)
        if job.cpu_limit is not None:
            override["cpu"] = math.ceil(job.cpu_limit * 1024)
        return override

    def _overrides(self, job: JobLike, name: str) -> dict[str, Any] | str:
        size = self._task_size(job)
        if isinstance(size, str):
            return size
        container = self._container_override(job, name)
        length = len(json.dumps([container], ensure_ascii=False).encode())
        if length > _MAX_OVERRIDES:
            return f"the container overrides take {length} bytes; ECS accepts at most {_MAX_OVERRIDES}"
        return {"containerOverrides": [container], **size}

    def _request(self, job: JobLike) -> dict[str, Any] | str:
        container = self._container_definition()
        if container.get("image") != job.image:
            return (
                f"image {job.image!r} is not the image of task definition "
                f"{self.settings.task_definition!r} ({container.get('image')!r}); ECS cannot "
                "override the image per run, so register a task definition for it"
            )
        tags = self._job_tags(job)
        overrides = self._overrides(job, container["name"])
        problem = overrides if isinstance(overrides, str) else _first_problem(tags)
        if problem is None and self.settings.secret_mode == "value-from":
            problem = _fargate_secrets.reference_problem(_fargate_secrets.references(job))
        if problem is not None:
            return problem
        return {
            "taskDefinition": self._definition_for(job, container["name"]),
            "overrides": overrides,
            "tags": [{"key": k, "value": v} for k, v in tags.items()],
        }

    def _network(self) -> dict[str, Any]:
        vpc: dict[str, Any] = {
            "subnets": list(self.settings.subnets),
            "assignPublicIp": "ENABLED" if self.settings.assign_public_ip else "DISABLED",
        }
        if self.settings.security_groups:
            vpc["securityGroups"] = list(self.settings.security_groups)
        return {"awsvpcConfiguration": vpc}

    def _run_task(self, request: Mapping[str, Any]) -> Mapping[str, Any]:
        extra = {"platformVersion": self.settings.platform_version} if self.settings.platform_version else {}
        with translated("RunTask"):
            answer: Mapping[str, Any] = self.ecs.run_task(
                cluster=self.settings.cluster,
                launchType="FARGATE",
                count=1,
                networkConfiguration=self._network(),
                enableECSManagedTags=False,
                **request,
                **extra,
            )
        return answer

    def launch_job(self, job: JobLike) -> tuple[bool, str]:
        """Start the job as one Fargate task (``run_task``); the task ARN is the id.

        Returns:
            ``(True, task_arn)``, or ``(False, message)`` when the job cannot run
            here (an image the task definition does not run, tags or overrides
            ECS rejects, ``failures`` in the answer); nothing is left behind.

        Raises:
            ExecutorConfigurationError: for an unusable job or setting (unknown
                cluster or task definition).
            ExecutorAuthenticationError: for rejected credentials.
            ExecutorConnectionError: when AWS cannot be reached.
            ExecutorResourceError: when throttling outlasts the retries.

        Example:
            >>> from executor_kit import ContainerJob
            >>> from executor_kit.backends.fargate.emulator import emulated_executor
            >>> from executor_kit.probe import PROBE_IMAGE, Probe
            >>> ex = emulated_executor()  # a FargateExecutor on moto's ECS and CloudWatch Logs, offline

            >>> job = ContainerJob(image=PROBE_IMAGE, command=Probe().out("hi").argv)
            >>> ok, arn = ex.launch_job(job)
            >>> ok, arn == job.external_execution_id, str(job.status)
            (True, True, 'running')
            >>> arn.startswith("arn:aws:ecs:us-east-1:123456789012:task/")
            True
            >>> ok, message = ex.launch_job(ContainerJob(image="busybox:latest"))  # the task definition runs the probe
            >>> ok, message.startswith("image 'busybox:latest' is not the image of task definition")
            (False, True)
            >>> ex.close()
        """
        try:
            validate_job(job)
        except ExecutorConfigurationError as exc:
            return False, str(exc)
        secrets = secret_values(job)
        with self._secret_logs.hiding(secrets):
            request = self._request(job)
            if isinstance(request, str):
                return False, request
            try:
                answer = self._run_task(request)
            except RejectedError as exc:
                return False, exc.message
            return self._launched(job, answer, secrets)

    def _launched(self, job: JobLike, answer: Mapping[str, Any], secrets: list[str]) -> tuple[bool, str]:
        tasks, failures = answer.get("tasks") or [], answer.get("failures") or []
        if failures or not tasks:
            reasons = "; ".join(f"{f.get('reason', '?')} {f.get('detail', '')}".strip() for f in failures)
            return False, f"ECS did not start the task: {reasons or 'no task in the answer'}"
        execution_id = str(tasks[0]["taskArn"])
        self._secret_logs.keep(execution_id, secrets)  # DescribeTasks answers carry the overrides
        mark_launched(job, execution_id, self.clock.now())
        return True, execution_id

    # ------------------------------------------------------------------ status

    def _describe(self, execution_ids: list[str]) -> dict[str, Mapping[str, Any]]:
        found: dict[str, Mapping[str, Any]] = {}
        for chunk in _chunks(execution_ids):
            with translated("DescribeTasks"):
                answer = self.ecs.describe_tasks(cluster=self.settings.cluster, tasks=chunk, include=["TAGS"])
            found.update({str(task["taskArn"]): task for task in answer.get("tasks", [])})
        return found

    def _known(self, execution_ids: Iterable[str]) -> list[str]:
        return [i for i in dict.fromkeys(execution_ids) if _is_task_arn(i) and i not in self._cleaned]

    def _enforce_timeout(self, execution_id: str, task: Mapping[str, Any], seen: _Observed) -> _Observed:
        deadline = _deadline(task)
        if seen.status is not ExecutionStatus.RUNNING or deadline is None or self.clock.now() < deadline:
            return seen
        reason = f"{TIMEOUT_REASON} after {_tags(task)[TIMEOUT_TAG]}s"
        self._stop(execution_id, reason)
        return _Observed(ExecutionStatus.FAILED, None, reason, True)

    def _observe_many(self, execution_ids: Iterable[str]) -> dict[str, _Observed]:
        ids = list(execution_ids)
        tasks = self._describe(self._known(ids))
        container = self.settings.container_name
        seen = {i: _observe(tasks.get(i), container) for i in ids}
        return {i: self._enforce_timeout(i, tasks[i], s) if i in tasks else s for i, s in seen.items()}

    def check_status(self, execution_id: str) -> ExecutionStatus:
        """``running``, ``exited``, ``failed`` or ``not-found``, from ``describe_tasks``.

        Stops a task past its job's timeout (then ``failed``).

        Raises:
            ExecutorConfigurationError: for an unknown cluster.
            ExecutorAuthenticationError: for rejected credentials.
            ExecutorConnectionError: when AWS cannot be reached.
            ExecutorResourceError: when throttling outlasts the retries.

        Example:
            >>> from executor_kit import ContainerJob
            >>> from executor_kit.backends.fargate.emulator import emulated_executor
            >>> from executor_kit.probe import PROBE_IMAGE, Probe
            >>> ex = emulated_executor()  # a FargateExecutor on moto's ECS and CloudWatch Logs, offline

            >>> done = ex.launch_job(ContainerJob(image=PROBE_IMAGE, command=Probe().sleep(2).exit(3).argv))[1]
            >>> slow = ContainerJob(image=PROBE_IMAGE, command=Probe().sleep(60).argv, timeout_seconds=5)
            >>> stuck = ex.launch_job(slow)[1]
            >>> str(ex.check_status(done)), str(ex.check_status(stuck))
            ('running', 'running')
            >>> ex.clock.sleep(6)  # the first exits with 3; the second outlives its timeout and is stopped
            >>> str(ex.check_status(done)), str(ex.check_status(stuck)), str(ex.check_status(done[:-12] + "0" * 12))
            ('exited', 'failed', 'not-found')
            >>> ex.close()
        """
        return self._observe_many([execution_id])[execution_id].status

    def check_statuses(self, execution_ids: Iterable[str]) -> dict[str, ExecutionStatus | str]:
        """Status of many executions with one ``describe_tasks`` call per 100 ids.

        Example:
            >>> from executor_kit import ContainerJob
            >>> from executor_kit.backends.fargate.emulator import emulated_executor
            >>> from executor_kit.probe import PROBE_IMAGE, Probe
            >>> ex = emulated_executor()  # a FargateExecutor on moto's ECS and CloudWatch Logs, offline

            >>> quick = ex.launch_job(ContainerJob(image=PROBE_IMAGE, command=Probe().exit(0).argv))[1]
            >>> slow = ex.launch_job(ContainerJob(image=PROBE_IMAGE, command=Probe().sleep(60).argv))[1]
            >>> statuses = ex.check_statuses([quick, slow, "not-a-task-arn"])
            >>> [str(statuses[eid]) for eid in (quick, slow, "not-a-task-arn")]
            ['exited', 'running', 'not-found']
            >>> ex.close()
        """
        return {i: seen.status for i, seen in self._observe_many(execution_ids).items()}

    # -------------------------------------------------------------------- logs

    def _stream_name(self, execution_id: str) -> str:
        container = self.settings.container_name or self._container_definition()["name"]
        return str(self.settings.log_stream_template).format(
            prefix=self.settings.log_stream_prefix, container=container, task_id=_task_id(execution_id)
        )

    def _page(self, stream: str, token: str | None) -> Mapping[str, Any]:
        request: dict[str, Any] = {"logGroupName": self.settings.log_group, "logStreamName": stream}
        request.update(startFromHead=True, **({"nextToken": token} if token else {}))
        if self.settings.log_page_limit:
            request["limit"] = self.settings.log_page_limit
        with translated("GetLogEvents"):
            answer: Mapping[str, Any] = self.logs.get_log_events(**request)
        return answer

    def _pages(self, stream: str, token: str | None) -> tuple[list[str], str | None]:
        messages: list[str] = []
        while True:
            page = self._page(stream, token)
            messages.extend(event["message"] for event in page.get("events", []))
            following = page.get("nextForwardToken")
            if not following or following == token:  # the same token again: the end, so far
                return messages, token
            token = following

    def _read(self, stream: str, token: str | None) -> tuple[list[str], str | None]:
        """The messages after ``token`` (``None``: from the head), all pages, and the token to go on from.

        Nothing (and ``token`` back) while the log stream or group does not exist.
        """
        try:
            return self._pages(stream, token)
        except ExecutorConfigurationError as exc:
            if error_code(exc) != "ResourceNotFoundException":
                raise
            return [], token

    def get_logs(self, execution_id: str) -> tuple[str, str]:
        """``(stdout, stderr)`` from the task's CloudWatch log stream, all pages.

        ``("", "")`` for an unknown or cleaned-up id, or before the stream exists.

        Raises:
            ExecutorAuthenticationError: for rejected credentials.
            ExecutorConnectionError: when AWS cannot be reached.
            ExecutorResourceError: when throttling outlasts the retries.

        Example:
            >>> from executor_kit import ContainerJob
            >>> from executor_kit.backends.fargate.emulator import emulated_executor
            >>> from executor_kit.probe import PROBE_IMAGE, Probe
            >>> ex = emulated_executor()  # a FargateExecutor on moto's ECS and CloudWatch Logs, offline

            >>> arn = ex.launch_job(ContainerJob(image=PROBE_IMAGE, command=Probe().out("hi").err("oops").argv))[1]
            >>> ex.get_logs(arn), ex.get_logs(arn[:-12] + "0" * 12)
            (('hi\\n', 'oops\\n'), ('', ''))
            >>> ex.close()
        """
        if not self._known([execution_id]):
            return "", ""
        messages, _ = self._read(self._stream_name(execution_id), None)
        return _fargate_logs.joined(messages, self.settings.log_format)

    def stream_logs(self, execution_id: str, *, follow: bool = True) -> Iterator[LogChunk]:
        """Live ``(stream, text)`` chunks from the task's CloudWatch log stream, read as ``get_logs`` reads it.

        Pages of ``get_log_events`` are read from the last ``nextForwardToken``
        on, and their events labelled ``stdout`` or ``stderr`` as in
        ``get_logs`` (one chunk per run of one stream's lines). Without
        ``follow`` that is one read of what was written so far. With it, the
        iterator reads again every ``log_poll_seconds`` (sleeping on the
        executor's clock) and ends with one last read once the task has
        stopped at least ``log_settle_seconds`` ago (CloudWatch can deliver the
        last lines after the stop), or is gone; like ``check_status``, it stops
        a task past its job's timeout. Nothing is contacted until the first
        ``next``; nothing is held between reads, so closing early releases all.
        An unknown, empty or cleaned-up id gives an empty iterator.

        Raises:
            ExecutorAuthenticationError: (while iterating) for rejected credentials.
            ExecutorConnectionError: (while iterating) when AWS cannot be reached.
            ExecutorResourceError: (while iterating) when throttling outlasts the retries.

        Example:
            >>> from executor_kit import ContainerJob
            >>> from executor_kit.backends.fargate.emulator import emulated_executor
            >>> from executor_kit.probe import PROBE_IMAGE, Probe
            >>> ex = emulated_executor()  # a FargateExecutor on moto's ECS and CloudWatch Logs, offline

            >>> job = ContainerJob(image=PROBE_IMAGE, command=Probe().out("a").sleep(5).err("b").out("c").argv)
            >>> arn = ex.launch_job(job)[1]
            >>> list(ex.stream_logs(arn, follow=False))  # what was written so far
            [('stdout', 'a\\n')]
            >>> list(ex.stream_logs(arn)), str(ex.check_status(arn))  # to the end, polling on the virtual clock
            ([('stdout', 'a\\n'), ('stderr', 'b\\n'), ('stdout', 'c\\n')], 'exited')
            >>> list(ex.stream_logs(arn[:-12] + "0" * 12)), list(ex.stream_logs(""))
            ([], [])
            >>> ex.close()
        """
        return self._follow_logs(execution_id, follow)

    def _follow_logs(self, execution_id: str, follow: bool) -> Iterator[LogChunk]:
        if not self._known([execution_id]):
            return
        stream, token = self._stream_name(execution_id), None
        while True:
            last = not follow or self._settled(execution_id)  # asked before the read: that read is complete
            messages, token = self._read(stream, token)
            yield from _fargate_logs.chunks(messages, self.settings.log_format)
            if last:
                return
            self.clock.sleep(self.settings.log_poll_seconds)

    def _settled(self, execution_id: str) -> bool:
        """Whether nothing more will reach the log stream: the task is gone, or stopped long enough ago."""
        stopped = self._stopped_at(execution_id)
        settle = dt.timedelta(seconds=self.settings.log_settle_seconds)
        return stopped is not None and self.clock.now() >= stopped + settle

    def _stopped_at(self, execution_id: str) -> dt.datetime | None:
        """The task's ``stoppedAt`` (long ago when it is gone), or ``None`` while it has not stopped."""
        task = self._describe(self._known([execution_id])).get(execution_id)
        if task is None or CLEANED_TAG in _tags(task):
            return _LONG_AGO
        self._enforce_timeout(execution_id, task, _observe(task, self.settings.container_name))
        if task.get("lastStatus") != "STOPPED":
            return None
        return _utc(task.get("stoppedAt")) or _LONG_AGO

    # ----------------------------------------------------------------- harvest

    def harvest_job(self, job: JobLike) -> bool:
        """Record a finished task's exit code, logs and stop time on the job.

        ``exit_code`` is ``-1`` when ECS reports none (the task failed to start,
        or a timeout stop has not finished); the reason goes to ``failure_reason``.

        Raises:
            ExecutorAuthenticationError: for rejected credentials.
            ExecutorConnectionError: when AWS cannot be reached.
            ExecutorResourceError: when throttling outlasts the retries.

        Example:
            >>> from executor_kit import ContainerJob
            >>> from executor_kit.backends.fargate.emulator import emulated_executor
            >>> from executor_kit.probe import PROBE_IMAGE, Probe
            >>> ex = emulated_executor()  # a FargateExecutor on moto's ECS and CloudWatch Logs, offline

            >>> job = ContainerJob(image=PROBE_IMAGE, command=Probe().out("hi").err("oops").sleep(5).exit(3).argv)
            >>> _ = ex.launch_job(job)
            >>> ex.harvest_job(job)  # still running
            False
            >>> ex.clock.sleep(5)
            >>> ex.harvest_job(job), str(job.status), job.exit_code, job.stdout, job.stderr
            (True, 'failed', 3, 'hi\\n', 'oops\\n')
            >>> ex.close()
        """
        execution_id = job.external_execution_id
        if not execution_id:
            return False
        if already_harvested(job):
            return True
        seen = self._observe_many([execution_id])[execution_id]
        if not seen.status.is_terminal:
            return False
        self._record(job, execution_id, seen)
        return True

    def _record(self, job: JobLike, execution_id: str, seen: _Observed) -> None:
        stdout, stderr = self.get_logs(execution_id)
        record_result(
            job,
            exit_code=-1 if seen.exit_code is None else int(seen.exit_code),
            stdout=stdout,
            stderr=stderr,
            completed_at=seen.stopped_at or self.clock.now(),
            timed_out=seen.timed_out,
            cancelled=seen.cancelled,
            reason=seen.reason,
        )
        if self.settings.harvest_cleans_up:
            self.cleanup(execution_id)

    # ----------------------------------------------------------------- cleanup

    def _stop(self, execution_id: str, reason: str) -> None:
        with contextlib.suppress(RejectedError), translated("StopTask", execution_id):
            self.ecs.stop_task(cluster=self.settings.cluster, task=execution_id, reason=reason)

    def _forget(self, execution_id: str) -> None:
        with contextlib.suppress(ExecutorConfigurationError), translated("TagResource", execution_id):
            self.ecs.tag_resource(resourceArn=execution_id, tags=[{"key": CLEANED_TAG, "value": "true"}])

    def _delete_stream(self, execution_id: str) -> None:
        if not self.settings.delete_logs_on_cleanup:
            return
        with contextlib.suppress(ExecutorConfigurationError), translated("DeleteLogStream", execution_id):
            self.logs.delete_log_stream(
                logGroupName=self.settings.log_group, logStreamName=self._stream_name(execution_id)
            )

    def cleanup(self, execution_id: str) -> bool:
        """Stop the task if it runs, delete its log stream, mark it cleaned; idempotent.

        Returns:
            ``True``, also for an unknown id.

        Raises:
            ExecutorAuthenticationError: for rejected credentials.
            ExecutorConnectionError: when AWS cannot be reached.
            ExecutorResourceError: when throttling outlasts the retries.

        Example:
            >>> from executor_kit import ContainerJob
            >>> from executor_kit.backends.fargate.emulator import emulated_executor
            >>> from executor_kit.probe import PROBE_IMAGE, Probe
            >>> ex = emulated_executor()  # a FargateExecutor on moto's ECS and CloudWatch Logs, offline

            >>> arn = ex.launch_job(ContainerJob(image=PROBE_IMAGE, command=Probe().out("hi").sleep(60).argv))[1]
            >>> ex.cleanup(arn), str(ex.check_status(arn)), ex.get_logs(arn)
            (True, 'not-found', ('', ''))
            >>> ex.ecs.describe_tasks(cluster=ex.settings.cluster, tasks=[arn])["tasks"][0]["lastStatus"]
            'STOPPED'
            >>> other = FargateExecutor(ex.emulator.executor_config(), clock=ex.clock)  # another process, same account
            >>> str(other.check_status(arn)), ex.cleanup(arn)
            ('not-found', True)
            >>> other.close(); ex.close()
        """
        task = self._describe(self._known([execution_id])).get(execution_id)
        if task is not None and CLEANED_TAG not in _tags(task):
            self._remove(execution_id, task)
        self._secret_logs.release(execution_id)
        return True

    def cancel(self, execution_id: str) -> bool:
        """Stop a running task (``stop_task``: SIGTERM, SIGKILL after the task's ``stopTimeout``), keeping it.

        The reason ``executor-kit: cancelled`` stays on the task, so every reader
        sees ``failed`` and harvests ``cancelled`` (with the container's exit
        code) once it has stopped; a task that ended on its own keeps its outcome.

        Returns:
            ``True`` for a known task, ``False`` for an unknown or cleaned-up id.

        Example:
            >>> from executor_kit import ContainerJob
            >>> from executor_kit.backends.fargate.emulator import emulated_executor
            >>> from executor_kit.probe import PROBE_IMAGE, Probe
            >>> ex = emulated_executor()  # a FargateExecutor on moto's ECS and CloudWatch Logs, offline

            >>> job = ContainerJob(image=PROBE_IMAGE, command=Probe().out("hi").sleep(60).argv)
            >>> arn = ex.launch_job(job)[1]
            >>> ex.cancel(arn), str(ex.check_status(arn)), ex.harvest_job(job), job.status, job.exit_code, job.stdout
            (True, 'failed', True, 'cancelled', 143, 'hi\\n')
            >>> ex.cleanup(arn), ex.cancel(arn)
            (True, False)
            >>> ex.close()
        """
        task = self._describe(self._known([execution_id])).get(execution_id)
        if task is None or CLEANED_TAG in _tags(task):
            return False
        seen = self._enforce_timeout(execution_id, task, _observe(task, self.settings.container_name))
        if seen.status is ExecutionStatus.RUNNING and task.get("desiredStatus") != "STOPPED":
            self._stop(execution_id, CANCEL_REASON)
        return True

    def _remove(self, execution_id: str, task: Mapping[str, Any]) -> None:
        if task.get("desiredStatus") != "STOPPED" and task.get("lastStatus") != "STOPPED":
            self._stop(execution_id, "executor-kit: cleanup")
        self._delete_stream(execution_id)
        self._forget(execution_id)
        self._cleaned.add(execution_id)

    # ----------------------------------------------------------------- listing

    def _listed(self, desired: str) -> list[str]:
        arns: list[str] = []
        with translated("ListTasks"):
            pages = self.ecs.get_paginator("list_tasks").paginate(cluster=self.settings.cluster, desiredStatus=desired)
            for page in pages:
                arns.extend(page.get("taskArns", []))
        return arns

    def find_executions(self, labels: Mapping[str, str]) -> list[str]:
        """Task ARNs (running or stopped, not cleaned up) whose tags include ``labels``.

        Example:
            >>> from executor_kit import ContainerJob
            >>> from executor_kit.backends.fargate.emulator import emulated_executor
            >>> from executor_kit.probe import PROBE_IMAGE, Probe
            >>> ex = emulated_executor()  # a FargateExecutor on moto's ECS and CloudWatch Logs, offline

            >>> docs = ex.launch_job(ContainerJob(image=PROBE_IMAGE, command=["probe"], labels={"team": "docs"}))[1]
            >>> ops = ex.launch_job(ContainerJob(image=PROBE_IMAGE, command=["probe"], labels={"team": "ops"}))[1]
            >>> ex.find_executions({"team": "docs"}) == [docs], sorted(ex.find_executions({})) == sorted([docs, ops])
            (True, True)
            >>> ex.cleanup(docs); ex.find_executions({"team": "docs"})
            True
            []
            >>> ex.close()
        """
        arns = self._known(self._listed("RUNNING") + self._listed("STOPPED"))
        tasks = self._describe(arns)
        wanted = dict(labels).items()
        return [arn for arn, task in tasks.items() if CLEANED_TAG not in _tags(task) and wanted <= _tags(task).items()]

    def close(self) -> None:
        """Close the boto3 clients' connection pools.

        Example:
            >>> closed = []
            >>> class Client:  # stands in for a boto3 client
            ...     def __init__(self, service):
            ...         self.service = service
            ...     def close(self):
            ...         closed.append(self.service)
            >>> ex = FargateExecutor({
            ...     "region": "eu-west-1", "cluster": "jobs", "task_definition": "probe:3",
            ...     "subnets": ["subnet-0abc"], "log_group": "/ecs/probe"}, client_factory=Client)
            >>> ex.close(); closed
            ['ecs', 'logs']
        """
        for client in (self.ecs, self.logs):
            with contextlib.suppress(AttributeError):
                client.close()
