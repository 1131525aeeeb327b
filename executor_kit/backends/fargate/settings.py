"""The Fargate executor's options (:class:`FargateSettings`) and the boto3 clients built from them.

Example:
    >>> settings = FargateSettings.from_mapping({
    ...     "region": "eu-west-1", "cluster": "jobs", "task_definition": "probe:3",
    ...     "subnets": ["subnet-0abc"], "log_group": "/ecs/probe"})
    >>> settings.log_format, settings.log_poll_seconds, settings.harvest_cleans_up
    ('firelens-json', 2.0, False)
"""

from __future__ import annotations

import dataclasses
import functools
import re
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import boto3
import botocore.config
import botocore.loaders
import botocore.session

from executor_kit.backends.fargate import logs as _fargate_logs
from executor_kit.backends.fargate import secrets as _fargate_secrets
from executor_kit.labels import is_label_mapping
from executor_kit.settings import Settings, setting

__all__ = ["ClientFactory", "FargateSettings", "default_client_factory"]

#: A client factory: ``factory("ecs")`` / ``factory("logs")`` returns a boto3 client.
ClientFactory = Callable[[str], Any]

_REGION = re.compile(r"^[a-z]{2}(-[a-z]+)+-\d{1,2}$")
_ENDPOINT = re.compile(r"https?://[A-Za-z0-9._~\-]+(?::[0-9]{1,5})?(?:/[!-~]*)?")


def _is_text(value: object) -> bool:
    return isinstance(value, str) and bool(value.strip())


def _is_optional_text(value: object) -> bool:
    return value is None or _is_text(value)


def _is_text_list(value: object) -> bool:
    return isinstance(value, list | tuple) and all(_is_text(item) for item in value)


def _is_flags(value: object) -> bool:
    return isinstance(value, Mapping) and all(isinstance(v, bool) for v in value.values())


def _is_bool(value: object) -> bool:
    return isinstance(value, bool)


def _is_attempts(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and 1 <= value <= 20


def _is_page_limit(value: object) -> bool:
    return value is None or (isinstance(value, int) and not isinstance(value, bool) and 1 <= value <= 10000)


def _is_poll(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and 0 < value <= 300


def _is_settle(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and 0 <= value <= 300


def _is_region(value: object) -> bool:
    return isinstance(value, str) and bool(_REGION.fullmatch(value))


def _is_endpoint(value: object) -> bool:
    return value is None or (isinstance(value, str) and bool(_ENDPOINT.fullmatch(value)))


def _is_log_format(value: object) -> bool:
    return value in _fargate_logs.LOG_FORMATS


def _is_secret_mode(value: object) -> bool:
    return value in _fargate_secrets.SECRET_MODES


def _is_template(value: object) -> bool:
    return isinstance(value, str) and "{task_id}" in value


@dataclasses.dataclass(frozen=True, kw_only=True)
class FargateSettings(Settings):
    """The Fargate executor's options, validated once.

    Required: ``region``, ``cluster``, ``task_definition`` (whose container
    runs the job's image; ECS cannot override the image per run),
    ``subnets``, ``log_group``. Optional: ``container_name`` (default: the
    task definition's first container), ``security_groups``,
    ``assign_public_ip``, ``platform_version``, ``log_stream_prefix``,
    ``log_stream_template``, ``log_format`` (``firelens-json`` or
    ``awslogs``), ``log_page_limit``, ``log_poll_seconds`` (how often
    ``stream_logs`` reads while it follows; default 2),
    ``log_settle_seconds`` (how long after a task's ``stoppedAt`` its last
    lines are awaited; default 2), ``labels`` (tags on every task),
    ``capabilities`` (overrides, e.g. when the task definition mounts EFS),
    ``endpoint_url`` (VPC endpoint or an emulator), ``profile`` or
    ``aws_access_key_id`` / ``aws_secret_access_key`` /
    ``aws_session_token``, ``max_attempts`` (botocore standard retries, for
    throttling), ``delete_logs_on_cleanup``, ``harvest_cleans_up``,
    ``secret_mode`` (``environment`` or ``value-from``) and
    ``execution_role_arn``.

    Example:
        >>> FargateSettings.from_mapping({
        ...     "region": "eu-west-1", "cluster": "jobs", "task_definition": "probe:3",
        ...     "subnets": [], "log_group": "/ecs/probe"})
        Traceback (most recent call last):
        ...
        executor_kit.errors.ExecutorConfigurationError: fargate config 'subnets' must name at least one subnet
    """

    backend = "fargate"

    region: str = setting(_is_region, "an AWS region name such as 'eu-west-1'")
    cluster: str = setting(_is_text, "a non-empty cluster name or ARN")
    task_definition: str = setting(_is_text, "a non-empty task definition 'family[:revision]' or ARN")
    subnets: Sequence[str] = setting(_is_text_list, "a non-empty list of subnet ids")
    log_group: str = setting(_is_text, "the CloudWatch Logs group the container logs to")
    log_stream_prefix: str = setting(_is_text, "the log stream prefix (awslogs-stream-prefix)", "executor-kit")
    log_stream_template: str = setting(_is_template, "a str containing '{task_id}'", "{prefix}/{container}/{task_id}")
    log_format: str = setting(_is_log_format, "'firelens-json' or 'awslogs'", "firelens-json")
    log_page_limit: int | None = setting(_is_page_limit, "None or an int from 1 to 10000", None)
    log_poll_seconds: float = setting(_is_poll, "a number of seconds above 0, at most 300", 2.0)
    log_settle_seconds: float = setting(_is_settle, "a number of seconds from 0 to 300", 2.0)
    container_name: str | None = setting(_is_optional_text, "None or a container name", None)
    security_groups: Sequence[str] = setting(_is_text_list, "a list of security group ids", ())
    assign_public_ip: bool = setting(_is_bool, "a bool", False)
    platform_version: str | None = setting(_is_optional_text, "None or a Fargate platform version", None)
    labels: Mapping[str, str] = setting(
        is_label_mapping, "a dict[str, str] of tags for every task, none reserved for the kit", {}
    )
    capabilities: Mapping[str, bool] = setting(_is_flags, "a dict[str, bool] of capability overrides", {})
    endpoint_url: str | None = setting(_is_endpoint, "None or an http(s):// URL", None)
    profile: str | None = setting(_is_optional_text, "None or an AWS profile name", None)
    aws_access_key_id: str | None = setting(_is_optional_text, "None or an access key id", None)
    aws_secret_access_key: str | None = setting(_is_optional_text, "None or a secret access key", None, secret=True)
    aws_session_token: str | None = setting(_is_optional_text, "None or a session token", None, secret=True)
    max_attempts: int = setting(_is_attempts, "an int from 1 to 20 (botocore standard retry mode)", 5)
    delete_logs_on_cleanup: bool = setting(_is_bool, "a bool", True)
    harvest_cleans_up: bool = setting(_is_bool, "a bool", False)
    secret_mode: str = setting(_is_secret_mode, "'environment' or 'value-from'", "environment")
    execution_role_arn: str | None = setting(
        _is_optional_text, "None or the IAM role ARN ECS fetches 'value-from' secrets with", None
    )

    def validate(self) -> None:
        """At least one subnet; an access key id and its secret key together or not at all.

        Example:
            >>> FargateSettings.from_mapping({
            ...     "region": "eu-west-1", "cluster": "jobs", "task_definition": "probe:3",
            ...     "subnets": ["subnet-0abc"], "log_group": "/ecs/probe", "aws_access_key_id": "AKIA"})
            Traceback (most recent call last):
            ...
            executor_kit.errors.ExecutorConfigurationError: fargate config 'aws_secret_access_key' and ...
        """
        if not self.subnets:
            raise self.error("subnets", "must name at least one subnet")
        if (self.aws_access_key_id is None) != (self.aws_secret_access_key is None):
            raise self.error("aws_secret_access_key", "and 'aws_access_key_id' must be given together")


@functools.lru_cache(maxsize=1)
def _shared_loader() -> Any:
    """The botocore data loader, shared so each new executor skips re-reading its JSON models."""
    return botocore.loaders.create_loader()


def default_client_factory(settings: FargateSettings) -> ClientFactory:
    """boto3 clients for ``settings``: its credentials or profile, region, endpoint and standard retries.

    Raises:
        botocore.exceptions.ProfileNotFound: for an unknown ``profile``.

    Example:
        >>> settings = FargateSettings.from_mapping({
        ...     "region": "eu-west-1", "cluster": "jobs", "task_definition": "probe:3",
        ...     "subnets": ["subnet-0abc"], "log_group": "/ecs/probe",
        ...     "aws_access_key_id": "testing", "aws_secret_access_key": "testing"})
        >>> ecs = default_client_factory(settings)("ecs")
        >>> ecs.meta.region_name, ecs.meta.config.retries["total_max_attempts"]
        ('eu-west-1', 5)
    """
    core = botocore.session.Session()
    core.register_component("data_loader", _shared_loader())
    session = boto3.session.Session(
        botocore_session=core,
        profile_name=settings.profile,
        aws_access_key_id=settings.aws_access_key_id,
        aws_secret_access_key=settings.aws_secret_access_key,
        aws_session_token=settings.aws_session_token,
        region_name=settings.region,
    )
    retries = botocore.config.Config(retries={"mode": "standard", "total_max_attempts": settings.max_attempts})
    return lambda service: session.client(service, endpoint_url=settings.endpoint_url, config=retries)
