"""``ContainerExecutor``: the contract every backend keeps (BRIEF section 2)."""

from __future__ import annotations

import abc
import re
from collections.abc import Iterable, Mapping
from types import TracebackType
from typing import Any, ClassVar

from executor_kit.clock import Clock, SystemClock
from executor_kit.errors import ExecutorConfigurationError
from executor_kit.job import JobLike
from executor_kit.status import ExecutionStatus

__all__ = ["STANDARD_CAPABILITIES", "ContainerExecutor"]

#: The capability keys every executor reports, with their default (absent).
STANDARD_CAPABILITIES: Mapping[str, bool] = {
    "supports_resource_limits": False,
    "supports_networking": False,
    "supports_persistent_storage": False,
    "supports_secrets": False,
}


class ContainerExecutor(abc.ABC):
    """Base class of every executor.

    Subclasses implement the five abstract methods and may override
    ``check_statuses`` (batch status) and ``find_executions`` (listing by label,
    used by the leak check and ``executor-kit reap``). Set the class attribute
    ``capabilities`` to declare what the backend supports; every declared
    capability is verified by the conformance suite.

    Args:
        config: Backend settings as a plain mapping (as from a settings file).
        clock: Where the executor reads time (deadlines, timestamps).

    Raises:
        ExecutorConfigurationError: if ``config`` is not a mapping.

    Example:
        >>> class Nothing(ContainerExecutor):
        ...     def launch_job(self, job): return False, "nothing runs here"
        ...     def check_status(self, execution_id): return "not-found"
        ...     def get_logs(self, execution_id): return "", ""
        ...     def harvest_job(self, job): return False
        ...     def cleanup(self, execution_id): return True
        >>> ex = Nothing()
        >>> ex.name, ex.get_capabilities()["supports_secrets"]
        ('nothing', False)
    """

    #: Capabilities this backend declares; merged over ``STANDARD_CAPABILITIES``.
    capabilities: ClassVar[Mapping[str, bool]] = {}

    def __init__(self, config: Mapping[str, Any] | None = None, *, clock: Clock | None = None) -> None:
        if config is not None and not isinstance(config, Mapping):
            raise ExecutorConfigurationError(
                f"{type(self).__name__} config must be a mapping, got {type(config).__name__}"
            )
        self.config: dict[str, Any] = dict(config or {})
        self.clock: Clock = clock or SystemClock()

    @property
    def name(self) -> str:
        """The backend's name, from the class name (``DockerExecutor`` → ``docker``).

        Example:
            >>> from executor_kit import MockExecutor
            >>> MockExecutor().name
            'mock'
        """
        base = re.sub(r"Executor$", "", type(self).__name__) or type(self).__name__
        return base.lower()

    @abc.abstractmethod
    def launch_job(self, job: JobLike) -> tuple[bool, str]:
        """Start the job's workload.

        Returns:
            ``(True, execution_id)`` with a non-empty id unique per launch, after
            recording it on the job (``external_execution_id``, ``status`` =
            ``"running"``, ``started_at``); or ``(False, message)`` for a
            job-level failure (bad image, rejected spec, quota), leaving nothing
            behind.

        Raises:
            ExecutorError: only a subclass of it, for backend-level trouble.
        """

    @abc.abstractmethod
    def check_status(self, execution_id: str) -> ExecutionStatus | str:
        """One of ``running``, ``exited``, ``failed``, ``not-found``.

        Unknown or empty ids are ``not-found``, never an exception. Terminal
        states are absorbing. A job past its ``timeout_seconds`` is stopped here
        at the latest and reads ``failed``.

        Raises:
            ExecutorError: only for backend-level trouble.
        """

    @abc.abstractmethod
    def get_logs(self, execution_id: str) -> tuple[str, str]:
        """``(stdout, stderr)`` from the real streams, complete; ``("", "")`` if unknown.

        Raises:
            ExecutorError: only for backend-level trouble.
        """

    @abc.abstractmethod
    def harvest_job(self, job: JobLike) -> bool:
        """Record a finished execution's result on the job.

        Returns:
            ``True`` once the execution has ended (for any exit code), having set
            ``exit_code``, ``stdout``, ``stderr``, ``completed_at`` and ``status``;
            ``False`` while it runs or when it is unknown, changing nothing.

        Raises:
            ExecutorError: only for backend-level trouble.
        """

    @abc.abstractmethod
    def cleanup(self, execution_id: str) -> bool:
        """Stop the execution if running and free everything; idempotent.

        Returns:
            ``True``, also for an unknown id. Afterwards ``check_status`` reads
            ``not-found``.

        Raises:
            ExecutorError: only for backend-level trouble, never for a missing resource.
        """

    def get_capabilities(self) -> dict[str, bool]:
        """The standard capability keys (all ``bool``) plus any the backend adds.

        Example:
            >>> sorted(STANDARD_CAPABILITIES)[0]
            'supports_networking'
        """
        return {**STANDARD_CAPABILITIES, **self.capabilities}

    def check_statuses(self, execution_ids: Iterable[str]) -> dict[str, ExecutionStatus | str]:
        """Status of many executions at once; backends override it with one call.

        Example:
            >>> from executor_kit import ContainerJob, MockExecutor
            >>> ex = MockExecutor()
            >>> _, eid = ex.launch_job(ContainerJob(image="x", command=["probe", "sleep", "5"]))
            >>> answers = ex.check_statuses([eid, "nope"])
            >>> answers[eid] == "running" and answers["nope"] == "not-found"
            True
        """
        return {execution_id: self.check_status(execution_id) for execution_id in execution_ids}

    def find_executions(self, labels: Mapping[str, str]) -> list[str] | None:
        """Ids of executions carrying all ``labels``, or ``None`` if the backend cannot list.

        Example:
            >>> from executor_kit import ContainerJob, MockExecutor
            >>> ex = MockExecutor()
            >>> _, eid = ex.launch_job(ContainerJob(image="x", labels={"team": "a"}))
            >>> ex.find_executions({"team": "a"}) == [eid]
            True
        """
        return None

    def prepare_probe(self, image: str) -> str | None:
        """Make sure the backend can run the probe image; a one-line note of what was done, or ``None``.

        The conformance suite calls this once before its first launch, so a
        missing probe image stops the run with one clear line instead of
        failing every clause. The default does nothing; a backend that can
        supply the image (``DockerExecutor`` builds it) overrides this.

        Args:
            image: The probe image the suite will run (``PROBE_IMAGE`` by default).

        Returns:
            A one-line note (for the user) of what was done, or ``None`` when
            nothing was needed.

        Raises:
            ExecutorConfigurationError: with a one-line message, when the
                backend cannot get the image.

        Example:
            >>> from executor_kit import MockExecutor
            >>> MockExecutor().prepare_probe("x") is None
            True
        """
        return None

    def close(self) -> None:  # noqa: B027 - an optional hook, a no-op unless overridden
        """Release client resources (connections); the executions are unaffected.

        Example:
            >>> from executor_kit import MockExecutor
            >>> with MockExecutor() as ex:
            ...     ex.cleanup("anything")
            True
        """

    def __enter__(self) -> ContainerExecutor:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()
