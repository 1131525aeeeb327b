"""The status vocabularies: of an execution (``check_status``) and of a job."""

from __future__ import annotations

import enum

__all__ = ["ExecutionStatus", "JobStatus"]


class ExecutionStatus(str, enum.Enum):
    """What ``check_status`` answers: exactly one of four words.

    ``RUNNING`` includes pending and provisioning; ``EXITED`` means the workload
    ended with a known exit code (zero or not); ``FAILED`` means it ended without
    one or the platform ended it (OOM, timeout, lost); ``NOT_FOUND`` is an
    unknown, empty or cleaned-up id. Members compare equal to the plain strings.

    Example:
        >>> ExecutionStatus.NOT_FOUND == "not-found"
        True
        >>> ExecutionStatus("exited").is_terminal
        True
    """

    RUNNING = "running"
    EXITED = "exited"
    FAILED = "failed"
    NOT_FOUND = "not-found"

    def __str__(self) -> str:
        return self.value

    @property
    def is_terminal(self) -> bool:
        """Whether the execution has ended (``exited`` or ``failed``).

        Example:
            >>> ExecutionStatus.RUNNING.is_terminal
            False
        """
        return self in (ExecutionStatus.EXITED, ExecutionStatus.FAILED)


class JobStatus(str, enum.Enum):
    """The life of a job as recorded on it by ``launch_job`` and ``harvest_job``.

    ``CANCELLED`` is recorded when ``cancel`` stopped the workload (whatever its
    exit code); ``TIMEOUT`` when the kit's timeout did.

    Example:
        >>> JobStatus.COMPLETED == "completed"
        True
    """

    PENDING = "pending"
    RUNNING = "running"
    COMPLETED = "completed"
    FAILED = "failed"
    TIMEOUT = "timeout"
    CANCELLED = "cancelled"

    def __str__(self) -> str:
        return self.value
