"""``ContainerExecutor``: the contract every backend keeps (BRIEF section 2)."""

from __future__ import annotations

import abc
import re
from collections.abc import Iterable, Iterator, Mapping
from types import TracebackType
from typing import Any, ClassVar

from executor_kit.clock import Clock, SystemClock
from executor_kit.errors import ExecutorConfigurationError, ExecutorNotSupportedError
from executor_kit.job import JobLike
from executor_kit.status import ExecutionStatus

__all__ = ["OPTIONAL_CAPABILITIES", "STANDARD_CAPABILITIES", "ContainerExecutor", "LogChunk"]

#: The capability keys every executor reports, with their default (absent).
STANDARD_CAPABILITIES: Mapping[str, bool] = {
    "supports_resource_limits": False,
    "supports_networking": False,
    "supports_persistent_storage": False,
    "supports_secrets": False,
}

#: Capabilities of the optional operations: a backend that overrides ``cancel`` or
#: ``stream_logs`` declares the key ``True``; absent (or ``False``) means not
#: offered, and the clauses about it are not applicable. Not part of the
#: standard keys, so an executor written before they existed stays conformant.
OPTIONAL_CAPABILITIES: Mapping[str, bool] = {
    "supports_cancel": False,
    "supports_log_streaming": False,
}

#: One piece of live output from ``stream_logs``: ``("stdout" | "stderr", text)``.
LogChunk = tuple[str, str]


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
        >>> from executor_kit import MockExecutor
        >>> class MyMock(MockExecutor): pass
        >>> MyMock.name, MyMock().name
        ('mock', 'mock')
    """

    #: Capabilities this backend declares; merged over ``STANDARD_CAPABILITIES``.
    capabilities: ClassVar[Mapping[str, bool]] = {}

    #: The backend's name (``docker``): what errors, reports and the conformance time profiles go by.
    #: Set it on a backend class, as fsspec sets ``protocol``; a subclass keeps it
    #: (``class MyDocker(DockerExecutor)`` is still ``docker``). A class that sets
    #: none is named after itself (``DockerExecutor`` → ``docker``), and so are its subclasses.
    name: ClassVar[str] = "container"

    #: Whether two instances with the same config reach the same backend, so one sees the
    #: other's executions (a daemon, a cloud project). ``False`` for an executor that keeps
    #: its executions in memory (the mock): the conformance suite then does not look for
    #: one instance's executions from another (LAUNCH-006, CLOSE-001).
    instances_share_backend: ClassVar[bool] = True

    #: Whether ``name`` was set on this class or an ancestor (rather than derived from a class name).
    _name_declared: ClassVar[bool] = False

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if "name" in cls.__dict__:
            cls._name_declared = True
        elif not cls._name_declared:
            cls.name = (re.sub(r"Executor$", "", cls.__name__) or cls.__name__).lower()

    def __init__(self, config: Mapping[str, Any] | None = None, *, clock: Clock | None = None) -> None:
        if config is not None and not isinstance(config, Mapping):
            raise ExecutorConfigurationError(
                f"{type(self).__name__} config must be a mapping, got {type(config).__name__}"
            )
        self.config: dict[str, Any] = dict(config or {})
        self.clock: Clock = clock or SystemClock()

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

    def cancel(self, execution_id: str) -> bool:
        """Stop the workload (gracefully, then forced after a grace period), keeping its record and logs.

        Optional: a backend that implements it declares ``supports_cancel``.
        Afterwards the execution reads ``failed`` (until ``cleanup``), its logs up
        to the stop stay readable, and ``harvest_job`` records job status
        ``cancelled`` with the exit code the platform gave (143 after SIGTERM,
        137 when it had to kill). Idempotent. An execution that already ended
        keeps its outcome (``True``, nothing changes).

        Returns:
            ``True`` for a known execution (stopped now, before, or ended on its
            own); ``False`` for an unknown, empty or cleaned-up id.

        Raises:
            ExecutorNotSupportedError: here, in the default; a backend that
                declares ``supports_cancel`` overrides it.
            ExecutorError: only for backend-level trouble.

        Example:
            >>> from executor_kit import ExecutorNotSupportedError
            >>> class Nothing(ContainerExecutor):
            ...     def launch_job(self, job): return False, "nothing runs here"
            ...     def check_status(self, execution_id): return "not-found"
            ...     def get_logs(self, execution_id): return "", ""
            ...     def harvest_job(self, job): return False
            ...     def cleanup(self, execution_id): return True
            >>> try:
            ...     Nothing().cancel("x")
            ... except ExecutorNotSupportedError as exc:
            ...     print(exc)
            nothing does not support cancel (it does not declare supports_cancel)
        """
        raise ExecutorNotSupportedError(
            f"{self.name} does not support cancel (it does not declare supports_cancel)",
            backend=self.name,
            execution_id=execution_id,
        )

    def stream_logs(self, execution_id: str, *, follow: bool = True) -> Iterator[LogChunk]:
        """Live output as ``(stream, text)`` chunks, ``stream`` being ``"stdout"`` or ``"stderr"``.

        Optional: a backend that implements it declares ``supports_log_streaming``.
        Chunks come in order per stream and never split a character; joined per
        stream they equal ``get_logs``. With ``follow`` the iterator ends once
        the workload has ended and everything was delivered; without it, once
        what was written so far was delivered. An unknown id gives an empty
        iterator; closing the iterator early (``close()``, or leaving a ``for``
        loop and dropping it) releases the connection.

        Raises:
            ExecutorNotSupportedError: here, in the default (when called).
            ExecutorError: only for backend-level trouble.

        Example:
            >>> from executor_kit import MockExecutor
            >>> ContainerExecutor.stream_logs(MockExecutor(), "mock-1")  # doctest: +ELLIPSIS
            Traceback (most recent call last):
            ...
            executor_kit.errors.ExecutorNotSupportedError: mock does not support stream_logs (...)
        """
        raise ExecutorNotSupportedError(
            f"{self.name} does not support stream_logs (it does not declare supports_log_streaming)",
            backend=self.name,
            execution_id=execution_id,
        )

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
