"""The job model: ``ContainerJob`` and the ``JobLike`` protocol executors depend on.

Also the helpers that validate a job and record launch and harvest results on
any ``JobLike``, so every executor applies the same rules.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import math
from collections.abc import Iterable, Mapping
from typing import Any, Protocol, runtime_checkable

from executor_kit.errors import ExecutorConfigurationError
from executor_kit.labels import reserved_label_problem
from executor_kit.status import JobStatus

__all__ = [
    "JOB_INPUTS",
    "ContainerJob",
    "JobLike",
    "already_harvested",
    "describe_job",
    "job_environment",
    "mark_launched",
    "record_result",
    "redact",
    "secret_values",
    "validate_job",
]


@runtime_checkable
class JobLike(Protocol):
    """The attributes an executor reads and writes on a job.

    Any object with them works, such as an application's own ORM model; no
    subclassing needed.

    Example:
        >>> isinstance(ContainerJob(image="busybox"), JobLike)
        True
    """

    image: str
    command: list[str]
    environment: dict[str, str]
    name: str | None
    labels: dict[str, str]
    cpu_limit: float | None
    memory_limit: int | None
    timeout_seconds: float | None
    status: str
    external_execution_id: str | None
    exit_code: int | None
    stdout: str
    stderr: str
    started_at: dt.datetime | None
    completed_at: dt.datetime | None


def _fail(field: str, problem: str) -> ExecutorConfigurationError:
    return ExecutorConfigurationError(f"ContainerJob.{field} {problem}")


#: The inputs of a ``JobLike`` every executor reads; a job without one of them is refused.
JOB_INPUTS = ("image", "command", "environment", "name", "labels", "cpu_limit", "memory_limit", "timeout_seconds")


def _check_inputs_present(job: object) -> None:
    missing = [field for field in JOB_INPUTS if not hasattr(job, field)]
    if missing:
        raise ExecutorConfigurationError(
            f"the job ({type(job).__name__}) has no {', '.join(missing)}: a JobLike has {', '.join(JOB_INPUTS)}"
        )


def _check_image(image: object) -> None:
    if not isinstance(image, str) or not image.strip():
        raise _fail("image", f"must be a non-empty str, got {image!r}")


def _check_name(name: object) -> None:
    if name is not None and not isinstance(name, str):
        raise _fail("name", f"must be a str or None, got {name!r}")


def _check_command(command: object) -> None:
    if isinstance(command, str) or not isinstance(command, list | tuple):
        raise _fail("command", f"must be a list of str (argv, no shell), got {command!r}")
    if not all(isinstance(arg, str) for arg in command):
        raise _fail("command", "must contain only str elements")
    if any("\0" in arg for arg in command):
        raise _fail("command", "must not contain NUL characters (no process can receive them)")


def _check_str_mapping(field: str, mapping: object) -> None:
    if not isinstance(mapping, Mapping):
        raise _fail(field, f"must be a dict[str, str], got {type(mapping).__name__}")
    bad = [key for key, value in mapping.items() if not (isinstance(key, str) and isinstance(value, str))]
    if bad:
        raise _fail(field, f"must map str to str; offending keys: {bad!r}")


def _check_env_names(field: str, mapping: Mapping[str, str]) -> None:
    bad = [key for key in mapping if not key or "=" in key or "\0" in key]
    if bad:
        raise _fail(field, f"has invalid variable names (empty, '=' or NUL): {bad!r}")
    with_nul = [key for key, value in mapping.items() if "\0" in value]
    if with_nul:
        raise _fail(field, f"has values containing NUL (no process can receive them): {with_nul!r}")


def _check_positive(field: str, value: object) -> None:
    if value is None:
        return
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise _fail(field, f"must be a finite number or None, got {value!r}")
    if value <= 0:
        raise _fail(field, f"must be positive, got {value!r}")


def _texts(job: JobLike) -> dict[str, list[str]]:
    name = getattr(job, "name", None)
    texts = {"image": [job.image], "name": [name] if name else [], "command": list(job.command)}
    for field in ("environment", "labels", "secret_environment"):
        mapping: Mapping[str, str] = getattr(job, field, None) or {}
        texts[field] = [*mapping, *mapping.values()]
    return texts


def _encodes(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _check_unicode(job: JobLike) -> None:
    texts = _texts(job)
    if _encodes("".join("".join(values) for values in texts.values())):
        return
    field = next(field for field, values in texts.items() if not _encodes("".join(values)))
    raise _fail(field, "contains a lone surrogate (not valid Unicode): no backend can send it")


def _check_reserved_labels(labels: Mapping[str, str]) -> None:
    problem = reserved_label_problem(labels)
    if problem:
        raise _fail("labels", problem)


def validate_job(job: JobLike) -> None:
    """Check a job's inputs; raise before anything is created if they are unusable.

    A job must have every input of ``JobLike`` (``JOB_INPUTS``; ``None`` or
    empty where unused); ``secret_environment`` is optional. Labels must not
    set a key only the kit sets (``executor_kit.labels.RESERVED_LABELS``, such
    as ``executor-kit-timeout-seconds``): every backend refuses such a job alike.

    Args:
        job: Any ``JobLike``.

    Raises:
        ExecutorConfigurationError: naming the field and the problem.

    Example:
        >>> validate_job(ContainerJob(image="busybox", command=["true"]))
        >>> class Partial: image, command = "busybox", ["true"]
        >>> validate_job(Partial())  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ...
        executor_kit.errors.ExecutorConfigurationError: the job (Partial) has no environment, name, labels, ...
        >>> job = ContainerJob(image="busybox"); job.command = "echo hi"
        >>> validate_job(job)  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ...
        executor_kit.errors.ExecutorConfigurationError: ContainerJob.command must be a list of str...
        >>> job.command, job.labels = [], {"executor-kit-managed": "false"}
        >>> validate_job(job)  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ...
        executor_kit.errors.ExecutorConfigurationError: ContainerJob.labels sets ['executor-kit-managed'], reserved...
    """
    _check_inputs_present(job)
    _check_image(job.image)
    _check_name(job.name)
    _check_command(job.command)
    for field in ("environment", "labels", "secret_environment"):
        _check_str_mapping(field, getattr(job, field, {}))
    _check_reserved_labels(job.labels)
    for field in ("environment", "secret_environment"):
        _check_env_names(field, getattr(job, field, {}))
    for field in ("cpu_limit", "memory_limit", "timeout_seconds"):
        _check_positive(field, getattr(job, field, None))
    _check_unicode(job)


@dataclasses.dataclass
class ContainerJob:
    """A containerised workload and, once run, its result.

    Inputs are validated at construction (``ExecutorConfigurationError``, a
    ``ValueError``). ``command`` is an argv list, never passed through a shell.
    ``secret_environment`` reaches the workload like ``environment`` but never
    appears in ``repr``, journals, reports or error messages.

    Example:
        >>> job = ContainerJob(image="busybox", command=["echo", "hi"],
        ...                    secret_environment={"TOKEN": "s3cr3t"})
        >>> job.status, "s3cr3t" in repr(job)
        ('pending', False)
        >>> ContainerJob(image="")
        Traceback (most recent call last):
        ...
        executor_kit.errors.ExecutorConfigurationError: ContainerJob.image must be a non-empty str, got ''
    """

    image: str
    command: list[str] = dataclasses.field(default_factory=list)
    environment: dict[str, str] = dataclasses.field(default_factory=dict)
    name: str | None = None
    labels: dict[str, str] = dataclasses.field(default_factory=dict)
    cpu_limit: float | None = None
    memory_limit: int | None = None
    timeout_seconds: float | None = None
    secret_environment: dict[str, str] = dataclasses.field(default_factory=dict, repr=False)
    status: str = JobStatus.PENDING.value
    external_execution_id: str | None = None
    exit_code: int | None = None
    stdout: str = dataclasses.field(default="", repr=False)
    stderr: str = dataclasses.field(default="", repr=False)
    started_at: dt.datetime | None = None
    completed_at: dt.datetime | None = None
    failure_reason: str | None = None

    def __post_init__(self) -> None:
        validate_job(self)
        self.command = list(self.command)


def job_environment(job: JobLike) -> dict[str, str]:
    """The environment the workload sees: ``environment`` plus secrets.

    Example:
        >>> job_environment(ContainerJob(image="x", environment={"A": "1"},
        ...                              secret_environment={"B": "2"}))
        {'A': '1', 'B': '2'}
    """
    return {**job.environment, **getattr(job, "secret_environment", {})}


def secret_values(job: object) -> list[str]:
    """The non-empty secret values of a job, for redaction.

    Example:
        >>> secret_values(ContainerJob(image="x", secret_environment={"T": "abc"}))
        ['abc']
    """
    secrets: Mapping[str, str] = getattr(job, "secret_environment", {}) or {}
    return [value for value in secrets.values() if value]


def redact(text: str, secrets: Iterable[str]) -> str:
    """``text`` with every secret value replaced by ``***`` (longest first).

    Example:
        >>> redact("token=abc123 prefix=abc", ["abc", "abc123"])
        'token=*** prefix=***'
    """
    for secret in sorted((s for s in secrets if s), key=len, reverse=True):
        text = text.replace(secret, "***")
    return text


def mark_launched(job: JobLike, execution_id: str, started_at: dt.datetime) -> None:
    """Record a successful launch on the job (what ``launch_job`` must do).

    Example:
        >>> job = ContainerJob(image="x")
        >>> mark_launched(job, "e-1", dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc))
        >>> job.status, job.external_execution_id
        ('running', 'e-1')
    """
    job.external_execution_id = execution_id
    job.status = JobStatus.RUNNING.value
    job.started_at = started_at


_HARVESTED = frozenset(
    status.value for status in (JobStatus.COMPLETED, JobStatus.FAILED, JobStatus.TIMEOUT, JobStatus.CANCELLED)
)


def already_harvested(job: JobLike) -> bool:
    """Whether ``harvest_job`` already recorded a result on ``job`` (a final status, exit code and end time).

    Example:
        >>> job = ContainerJob(image="x")
        >>> already_harvested(job)
        False
        >>> end = dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc)
        >>> record_result(job, exit_code=0, stdout="", stderr="", completed_at=end)
        >>> already_harvested(job)
        True
    """
    return str(job.status) in _HARVESTED and job.exit_code is not None and job.completed_at is not None


def _result_status(exit_code: int, *, timed_out: bool, cancelled: bool) -> JobStatus:
    if timed_out:
        return JobStatus.TIMEOUT
    if cancelled:
        return JobStatus.CANCELLED
    return JobStatus.COMPLETED if exit_code == 0 else JobStatus.FAILED


def record_result(
    job: JobLike,
    *,
    exit_code: int,
    stdout: str,
    stderr: str,
    completed_at: dt.datetime,
    timed_out: bool = False,
    cancelled: bool = False,
    reason: str | None = None,
) -> None:
    """Record a finished execution on the job (what ``harvest_job`` must do).

    ``status`` becomes ``completed`` for exit code 0, ``failed`` otherwise, and
    ``timeout`` when the kit's timeout ended it, ``cancelled`` when ``cancel``
    stopped it (the exit code is the platform's, 143 or 137 say). ``reason`` (an OOM kill, say)
    is stored as ``failure_reason``.

    Example:
        >>> job = ContainerJob(image="x")
        >>> record_result(job, exit_code=3, stdout="", stderr="boom",
        ...               completed_at=dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc))
        >>> job.status, job.exit_code
        ('failed', 3)
        >>> record_result(job, exit_code=143, stdout="", stderr="", cancelled=True,
        ...               completed_at=dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc))
        >>> job.status, job.exit_code
        ('cancelled', 143)
    """
    started = getattr(job, "started_at", None)
    if isinstance(started, dt.datetime) and started.tzinfo is not None and completed_at < started:
        completed_at = started  # a quick run the platform's clock ended before ours recorded its start
    job.status = _result_status(exit_code, timed_out=timed_out, cancelled=cancelled).value
    job.exit_code = exit_code
    job.stdout = stdout
    job.stderr = stderr
    job.completed_at = completed_at
    if reason is not None or hasattr(job, "failure_reason"):
        job.failure_reason = reason  # type: ignore[attr-defined]


def describe_job(job: JobLike) -> dict[str, Any]:
    """A redacted summary of a job's inputs, safe to log or show in errors.

    Example:
        >>> describe_job(ContainerJob(image="x", secret_environment={"T": "v"}))["secret_environment"]
        {'T': '***'}
    """
    secrets: Mapping[str, str] = getattr(job, "secret_environment", {}) or {}
    return {
        "image": job.image,
        "command": list(job.command),
        "name": job.name,
        "labels": dict(job.labels),
        "environment": dict(job.environment),
        "secret_environment": dict.fromkeys(secrets, "***"),
    }
