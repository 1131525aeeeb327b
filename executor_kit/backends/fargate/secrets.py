"""How a job's ``secret_environment`` reaches a Fargate task: two ways, chosen by ``secret_mode``.

* ``"environment"`` (default): the values reach the workload as container
  override environment, like ``environment``. They are never in the
  executor's messages, and never in the records of botocore, boto3 or urllib3
  loggers (a redacting filter holds them from the launch until ``cleanup``),
  but anyone allowed ``ecs:DescribeTasks`` reads them, and so does
  CloudTrail. Use it for short-lived values, or when the caller has the value
  and nowhere to store it.
* ``"value-from"`` (this module): each value is not the secret but a
  reference: the ARN of a Secrets Manager secret
  (``arn:aws:secretsmanager:REGION:ACCOUNT:secret:NAME``, optionally with
  ``:json-key:version-stage:version-id``) or of an SSM Parameter Store
  parameter (``arn:aws:ssm:REGION:ACCOUNT:parameter/NAME``). ECS cannot
  override a container's ``secrets`` per run, so the executor registers a
  revision of the configured task definition whose container adds those
  ``secrets`` (one revision per distinct set of references, reused by that
  executor), executed with ``execution_role_arn`` (or the definition's own
  execution role), and runs it. The platform fetches the values when the task
  starts: they never pass through the kit, the ``RunTask`` request,
  ``DescribeTasks`` or CloudTrail. Use it for long-lived credentials.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from executor_kit.labels import MANAGED_LABEL

__all__ = ["SECRET_MODES", "reference_problem", "references", "registration"]

#: ``environment``: values as container override environment; ``value-from``: values are ARNs.
SECRET_MODES = ("environment", "value-from")

_REFERENCE = re.compile(
    r"arn:aws[a-z-]*:(?:secretsmanager:[a-z0-9-]+:\d{12}:secret:[\w/+=.@:-]+"
    r"|ssm:[a-z0-9-]+:\d{12}:parameter/[\w/.-]+)"
)
# What register_task_definition accepts from a describe_task_definition answer.
_REGISTRABLE = (
    "family",
    "taskRoleArn",
    "executionRoleArn",
    "networkMode",
    "volumes",
    "placementConstraints",
    "requiresCompatibilities",
    "cpu",
    "memory",
    "pidMode",
    "ipcMode",
    "proxyConfiguration",
    "inferenceAccelerators",
    "ephemeralStorage",
    "runtimePlatform",
)


def references(job: object) -> tuple[tuple[str, str], ...]:
    """The job's ``(name, ARN)`` pairs, sorted.

    Example:
        >>> arn = "arn:aws:ssm:us-east-1:123456789012:parameter/db/password"
        >>> references(ContainerJob(image="x", secret_environment={"DB": arn}))
        (('DB', 'arn:aws:ssm:us-east-1:123456789012:parameter/db/password'),)
    """
    secrets: Mapping[str, str] = getattr(job, "secret_environment", {}) or {}
    return tuple(sorted(secrets.items()))


def reference_problem(pairs: tuple[tuple[str, str], ...]) -> str | None:
    """Why the pairs cannot be ``valueFrom`` references (never quoting a value), or None.

    Example:
        >>> problem = reference_problem((("TOKEN", "hunter2"),))
        >>> problem.startswith("secret_environment['TOKEN'] must be a Secrets Manager"), "hunter2" in problem
        (True, False)
    """
    for name, value in pairs:
        if not _REFERENCE.fullmatch(value):
            return (
                f"secret_environment[{name!r}] must be a Secrets Manager secret ARN or an SSM parameter ARN "
                "with secret_mode 'value-from' (the value is not shown)"
            )
    return None


def _container(container: Mapping[str, Any], pairs: tuple[tuple[str, str], ...]) -> dict[str, Any]:
    names = {name for name, _ in pairs}
    kept = [entry for entry in container.get("secrets") or [] if entry.get("name") not in names]
    return {**container, "secrets": kept + [{"name": name, "valueFrom": arn} for name, arn in pairs]}


def registration(
    definition: Mapping[str, Any], container_name: str, pairs: tuple[tuple[str, str], ...], role: str | None
) -> dict[str, Any]:
    """``register_task_definition`` arguments: ``definition`` whose container adds the secrets.

    Example:
        >>> definition = {"family": "probe", "containerDefinitions": [{"name": "probe", "image": "p"}]}
        >>> pairs = (("DB", "arn:aws:ssm:us-east-1:123456789012:parameter/db"),)
        >>> request = registration(definition, "probe", pairs, "arn:aws:iam::123456789012:role/exec")
        >>> request["containerDefinitions"][0]["secrets"] == [{"name": "DB", "valueFrom": pairs[0][1]}]
        True
    """
    request = {key: definition[key] for key in _REGISTRABLE if definition.get(key)}
    containers = [
        _container(c, pairs) if c.get("name") == container_name else dict(c)
        for c in definition.get("containerDefinitions") or []
    ]
    request.update(containerDefinitions=containers, tags=[{"key": MANAGED_LABEL, "value": "true"}])
    if role:
        request["executionRoleArn"] = role
    return request
