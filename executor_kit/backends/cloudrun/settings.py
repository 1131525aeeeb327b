"""``CloudRunSettings``: the validated options of a ``CloudRunExecutor``.

Example:
    >>> s = CloudRunSettings.from_mapping({"project": "my-project", "region": "europe-west1"})
    >>> s.job, s.create_job, s.parent
    ('executor-kit', False, 'projects/my-project/locations/europe-west1')
"""

from __future__ import annotations

import dataclasses
import os
import re
from collections.abc import Callable, Mapping
from typing import Any, ClassVar

import google.auth.credentials

from executor_kit._retry import RetryPolicy
from executor_kit.settings import Settings, setting

__all__ = ["CloudRunSettings"]

_REGION = re.compile(r"[a-z]+-[a-z]+[1-9][0-9]?")
_PROJECT = re.compile(r"[a-z][-a-z0-9]{4,28}[a-z0-9]|[0-9]{1,20}")
_JOB = re.compile(r"[a-z](?:[-a-z0-9]{0,61}[a-z0-9])?")
_URL = re.compile(r"https?://[^\s/?#]+")
#: "-" and 8 hex digits added to the job name per launch with ``create_job``.
JOB_SUFFIX = 9
_LONGEST_NAME = 63


def _text(pattern: re.Pattern[str]) -> Callable[[Any], bool]:
    return lambda value: isinstance(value, str) and pattern.fullmatch(value) is not None


def _is_bool(value: Any) -> bool:
    return isinstance(value, bool)


def _number(low: float, high: float, *, whole: bool = False) -> Callable[[Any], bool]:
    def check(value: Any) -> bool:
        kinds = int if whole else int | float
        return isinstance(value, kinds) and not isinstance(value, bool) and low <= value <= high

    return check


def _is_credentials(value: Any) -> bool:
    return value is None or isinstance(value, str | os.PathLike | google.auth.credentials.Credentials)


def _whole(low: int, high: int, default: int) -> Any:
    return setting(_number(low, high, whole=True), f"an int in [{low}, {high}]", default)


def _seconds(low: float, high: float, default: float) -> Any:
    return setting(_number(low, high), f"a float in [{low:g}, {high:g}]", default, convert=float)


@dataclasses.dataclass(frozen=True, kw_only=True)
class CloudRunSettings(Settings):
    """The options of a ``CloudRunExecutor`` (see its docstring for what each does).

    ``credentials`` is Google credentials, a service-account key file path, or
    ``None`` for Application Default Credentials; it is loaded when the
    executor is built.

    Example:
        >>> CloudRunSettings.from_mapping({"project": "my-project", "region": "Europe"})
        Traceback (most recent call last):
        ...
        executor_kit.errors.ExecutorConfigurationError: cloudrun config 'region' must be ... got 'Europe'
        >>> CloudRunSettings.from_mapping({"project": "p-1234", "region": "us-east1", "max_attempts": 2}).max_attempts
        2
    """

    backend = "cloudrun"
    renamed: ClassVar[Mapping[str, str]] = {"cleanup_on_harvest": "harvest_cleans_up"}

    project: str = setting(_text(_PROJECT), "a Google Cloud project id (like 'my-project-1') or number")
    region: str = setting(_text(_REGION), "a Cloud Run region like 'us-central1'")
    job: str = setting(
        _text(_JOB), "a Cloud Run job name (lowercase letters, digits, dashes; at most 63)", "executor-kit"
    )
    create_job: bool = setting(_is_bool, "a bool", False)
    # An object, not a string: loaded when the executor is built. setting() builds a dataclasses.field.
    credentials: Any = setting(_is_credentials, "Google credentials or a service-account key file path", None)
    run_endpoint: str = setting(
        _text(_URL), "an http(s) URL without a path, like 'https://run.googleapis.com'", "https://run.googleapis.com"
    )
    logging_endpoint: str = setting(
        _text(_URL),
        "an http(s) URL without a path, like 'https://logging.googleapis.com'",
        "https://logging.googleapis.com",
    )
    max_attempts: int = _whole(1, 100, 5)
    initial_backoff: float = _seconds(0, 3600, 1.0)
    max_backoff: float = _seconds(0, 3600, 32.0)
    poll_interval: float = _seconds(0.001, 3600, 1.0)
    operation_timeout: float = _seconds(0.001, 86400, 300.0)
    request_timeout: float = _seconds(0.001, 3600, 30.0)
    log_page_size: int = _whole(1, 1000, 1000)
    log_poll_seconds: float = _seconds(0.001, 3600, 5.0)
    harvest_cleans_up: bool = setting(_is_bool, "a bool", False)

    def validate(self) -> None:
        """With ``create_job``, the job name leaves room for the per-launch suffix.

        Raises:
            ExecutorConfigurationError: for a ``job`` longer than 54 characters with ``create_job``.

        Example:
            >>> CloudRunSettings.from_mapping({"project": "p-1234", "region": "us-east1",
            ...                                "job": "j" * 55, "create_job": True})
            Traceback (most recent call last):
            ...
            executor_kit.errors.ExecutorConfigurationError: cloudrun config 'job' 'jjj...' is too long for create_job...
        """
        if self.create_job and len(self.job) + JOB_SUFFIX > _LONGEST_NAME:
            raise self.error(
                "job",
                f"{self.job!r} is too long for create_job: "
                f"at most {_LONGEST_NAME - JOB_SUFFIX} characters, as '-xxxxxxxx' is added per launch",
            )

    @property
    def parent(self) -> str:
        """The location's resource name.

        Example:
            >>> CloudRunSettings(project="p-1234", region="us-east1").parent
            'projects/p-1234/locations/us-east1'
        """
        return f"projects/{self.project}/locations/{self.region}"

    @property
    def retry_policy(self) -> RetryPolicy:
        """The backoff schedule for 429 and 503 answers.

        Example:
            >>> CloudRunSettings(project="p-1234", region="us-east1", max_attempts=2).retry_policy.attempts
            2
        """
        return RetryPolicy(self.max_attempts, self.initial_backoff, 2.0, self.max_backoff)
