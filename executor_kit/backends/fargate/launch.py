"""From a job to a ``run_task`` request: the task definition, overrides, task size, tags and ``valueFrom`` secrets.

ECS cannot override a container's image or ``secrets`` per run, so the job's
image must be the task definition's, and ``valueFrom`` secrets run on a
registered revision of it (see :mod:`executor_kit.backends.fargate.secrets`).
Whatever ECS would refuse (a size Fargate does not offer, overrides over
8 KiB, tags it does not accept) is found here, before anything starts.

Example:
    >>> fargate_size(300, 600)  # CPU units, MiB: the smallest Fargate size that holds both
    (512, 1024)
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping
from typing import Any

from executor_kit.backends.fargate import secrets as _fargate_secrets
from executor_kit.backends.fargate.errors import RejectedError, translated
from executor_kit.backends.fargate.settings import FargateSettings
from executor_kit.job import JobLike, job_environment
from executor_kit.labels import kit_labels

__all__ = ["TaskLauncher", "fargate_size", "tag_problem"]

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
_MAX_OVERRIDES = 8192
_MAX_TAGS = 50
_TAG_TEXT = re.compile(r"[\w +\-=.:/@]*")


def fargate_size(cpu: int, memory: int) -> tuple[int, int] | None:
    """The smallest Fargate ``(CPU units, MiB)`` with at least ``cpu`` and ``memory``, or ``None``.

    Example:
        >>> fargate_size(256, 512), fargate_size(4096, 8000), fargate_size(32768, 1024)
        ((256, 512), (4096, 8192), None)
    """
    for units, low, high, step in _FARGATE_SIZES:
        if units >= cpu and high >= memory:
            return units, max(low, math.ceil(memory / step) * step)
    return None


def tag_problem(key: str, value: str) -> str | None:
    """Why ECS would refuse the tag ``key=value``, or ``None``.

    Example:
        >>> tag_problem("team", "docs") is None
        True
        >>> tag_problem("aws:team", "docs")
        "tag 'aws:team' has characters ECS does not accept (letters, digits, spaces, + - = . _ : / @)"
    """
    if not 1 <= len(key) <= 128 or len(value) > 256:
        return f"tag {key[:40]!r} is too long for ECS (keys 1-128, values up to 256 characters)"
    if key.lower().startswith("aws:") or not (_TAG_TEXT.fullmatch(key) and _TAG_TEXT.fullmatch(value)):
        return f"tag {key[:40]!r} has characters ECS does not accept (letters, digits, spaces, + - = . _ : / @)"
    return None


def _first_problem(tags: Mapping[str, str]) -> str | None:
    if len(tags) > _MAX_TAGS:
        return f"the job has {len(tags)} tags with the kit's own; ECS accepts at most {_MAX_TAGS}"
    return next((p for p in (tag_problem(k, v) for k, v in tags.items()) if p), None)


class TaskLauncher:
    """Starts jobs as tasks of one executor's task definition, read once and kept.

    Args:
        settings: The executor's settings.
        ecs: A boto3 ECS client.

    Example:
        >>> class Ecs:  # stands in for a boto3 ECS client
        ...     def describe_task_definition(self, taskDefinition):
        ...         containers = [{"name": "probe", "image": "probe:1"}]
        ...         return {"taskDefinition": {"cpu": "256", "memory": "512", "containerDefinitions": containers}}
        >>> settings = FargateSettings.from_mapping({
        ...     "region": "eu-west-1", "cluster": "jobs", "task_definition": "probe:3",
        ...     "subnets": ["subnet-0abc"], "log_group": "/ecs/probe"})
        >>> launcher = TaskLauncher(settings, Ecs())
        >>> launcher.container_definition()["name"]
        'probe'
    """

    def __init__(self, settings: FargateSettings, ecs: Any) -> None:
        self.settings = settings
        self.ecs = ecs
        self._definition: Mapping[str, Any] | None = None
        self._registered: dict[tuple[tuple[str, str], ...], str] = {}

    def task_definition(self) -> Mapping[str, Any]:
        """The configured task definition, as ``describe_task_definition`` answers (asked once).

        Raises:
            ExecutorConfigurationError: naming ``task_definition`` when ECS does not know it.

        Example:
            >>> class Ecs:  # stands in for a boto3 ECS client
            ...     def describe_task_definition(self, taskDefinition):
            ...         return {"taskDefinition": {"family": taskDefinition.split(":")[0]}}
            >>> settings = FargateSettings.from_mapping({
            ...     "region": "eu-west-1", "cluster": "jobs", "task_definition": "probe:3",
            ...     "subnets": ["subnet-0abc"], "log_group": "/ecs/probe"})
            >>> TaskLauncher(settings, Ecs()).task_definition()
            {'family': 'probe'}
        """
        if self._definition is None:
            try:
                with translated("DescribeTaskDefinition"):
                    answer = self.ecs.describe_task_definition(taskDefinition=self.settings.task_definition)
            except RejectedError as exc:
                raise self.settings.error("task_definition", f"cannot be described: {exc.message}") from exc
            self._definition = answer["taskDefinition"]
        return self._definition

    def container_definition(self) -> Mapping[str, Any]:
        """The definition of the container that runs the job: ``container_name``, or the first one.

        Raises:
            ExecutorConfigurationError: naming ``container_name`` when the task definition has no such container.

        Example:
            >>> class Ecs:  # stands in for a boto3 ECS client
            ...     def describe_task_definition(self, taskDefinition):
            ...         return {"taskDefinition": {"containerDefinitions": [{"name": "probe"}]}}
            >>> settings = FargateSettings.from_mapping({
            ...     "region": "eu-west-1", "cluster": "jobs", "task_definition": "probe:3",
            ...     "subnets": ["subnet-0abc"], "log_group": "/ecs/probe", "container_name": "sidecar"})
            >>> TaskLauncher(settings, Ecs()).container_definition()
            Traceback (most recent call last):
            ...
            executor_kit.errors.ExecutorConfigurationError: fargate config 'container_name' 'sidecar' is not ...
        """
        containers = self.task_definition().get("containerDefinitions") or [{}]
        wanted = self.settings.container_name or containers[0].get("name")
        found: Mapping[str, Any] | None = next((c for c in containers if c.get("name") == wanted), None)
        if found is None:
            raise self.settings.error("container_name", f"{wanted!r} is not a container of the task definition")
        return found

    def start(self, job: JobLike) -> Mapping[str, Any] | str:
        """``run_task``'s answer for the job, or why the job cannot run here (nothing started then).

        Raises:
            ExecutorConfigurationError: for an unusable setting (unknown cluster or task definition).
            ExecutorAuthenticationError: for rejected credentials.
            ExecutorConnectionError: when AWS cannot be reached.
            ExecutorResourceError: when throttling outlasts the retries.

        Example:
            >>> ex = emulated_executor()  # a FargateExecutor on moto's ECS and CloudWatch Logs, offline
            >>> TaskLauncher(ex.settings, ex.ecs).start(ContainerJob(image="busybox:latest"))[:34]
            "image 'busybox:latest' is not the "
            >>> ex.close()
        """
        request = self._request(job)
        if isinstance(request, str):
            return request
        try:
            return self._run_task(request)
        except RejectedError as exc:
            return exc.message

    def _task_size(self, job: JobLike) -> dict[str, str] | str:
        definition = self.task_definition()
        cpu = math.ceil((job.cpu_limit or 0) * 1024)
        memory = math.ceil(job.memory_limit or 0)
        have_cpu, have_memory = int(definition.get("cpu") or 0), int(definition.get("memory") or 0)
        if cpu <= have_cpu and memory <= have_memory:
            return {}
        size = fargate_size(max(cpu, have_cpu), max(memory, have_memory))
        if size is None:
            return f"no Fargate task size offers {cpu} CPU units and {memory} MiB"
        return {"cpu": str(size[0]), "memory": str(size[1])}

    def _environment(self, job: JobLike) -> dict[str, str]:
        return job_environment(job) if self.settings.secret_mode == "environment" else dict(job.environment)

    def _definition_for(self, job: JobLike, container: str) -> str:
        """The task definition to run: the configured one, or its revision with the job's ``valueFrom`` secrets."""
        pairs = _fargate_secrets.references(job)
        if self.settings.secret_mode == "environment" or not pairs:
            return self.settings.task_definition
        if pairs not in self._registered:
            self._registered[pairs] = self._register(container, pairs)
        return self._registered[pairs]

    def _register(self, container: str, pairs: tuple[tuple[str, str], ...]) -> str:
        role = self.settings.execution_role_arn or self.task_definition().get("executionRoleArn")
        if not role:
            raise self.settings.error(
                "execution_role_arn", "is needed with secret_mode 'value-from' (or give the task definition one)"
            )
        request = _fargate_secrets.registration(self.task_definition(), container, pairs, role)
        with translated("RegisterTaskDefinition"):
            answer = self.ecs.register_task_definition(**request)
        return str(answer["taskDefinition"]["taskDefinitionArn"])

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

    def _problem(self, job: JobLike, overrides: dict[str, Any] | str, tags: Mapping[str, str]) -> str | None:
        problem = overrides if isinstance(overrides, str) else _first_problem(tags)
        if problem is None and self.settings.secret_mode == "value-from":
            problem = _fargate_secrets.reference_problem(_fargate_secrets.references(job))
        return problem

    def _request(self, job: JobLike) -> dict[str, Any] | str:
        container = self.container_definition()
        if container.get("image") != job.image:
            return (
                f"image {job.image!r} is not the image of task definition "
                f"{self.settings.task_definition!r} ({container.get('image')!r}); ECS cannot "
                "override the image per run, so register a task definition for it"
            )
        tags = kit_labels(job, self.settings.labels)
        overrides = self._overrides(job, container["name"])
        problem = self._problem(job, overrides, tags)
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
