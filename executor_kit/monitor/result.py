"""What ``run_jobs`` reports: ``Progress`` after every tick, ``MonitorResult`` at the end."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping

from executor_kit.job import JobLike
from executor_kit.status import JobStatus

__all__ = ["MonitorResult", "Progress"]


@dataclasses.dataclass(frozen=True)
class Progress:
    """Where a run stands, passed to ``on_progress`` after every tick.

    ``pending`` jobs are not launched yet (including those waiting for a launch
    retry), ``running`` ones are launched and not settled, ``finished`` ones have
    their final status (any), and ``failed`` counts those among them whose final
    status is not ``completed``. ``pending`` only falls, ``finished`` and
    ``failed`` only rise, and ``pending + running + finished == total``.

    Example:
        >>> p = Progress(pending=2, running=3, finished=5, failed=1, elapsed=12.0)
        >>> p.total, p.succeeded
        (10, 4)
    """

    pending: int
    running: int
    finished: int
    failed: int
    elapsed: float

    @property
    def total(self) -> int:
        """All jobs of the run.

        Example:
            >>> Progress(1, 1, 1, 0, 0.0).total
            3
        """
        return self.pending + self.running + self.finished

    @property
    def succeeded(self) -> int:
        """Finished jobs whose status is ``completed``.

        Example:
            >>> Progress(0, 0, 3, 1, 0.0).succeeded
            2
        """
        return self.finished - self.failed


@dataclasses.dataclass(frozen=True, repr=False)
class MonitorResult:
    """The outcome of ``run_jobs``.

    Attributes:
        jobs: The jobs, in the order given, each carrying its final status.
        by_status: The jobs grouped by final status (``completed``, ``failed``, ``timeout``).
        reasons: Why the monitor itself failed a job (launch refused or given up,
            execution vanished, timeout guard), by the job's index in ``jobs``.
        elapsed: Seconds the run took on the executor's clock.
        status_calls: ``check_statuses`` calls made (one per tick with something to poll).
        launch_attempts: ``launch_job`` calls made, retries included.
        poll_errors: Transient errors met while polling, harvesting or cleaning up.

    Example:
        >>> from executor_kit import ContainerJob, MockExecutor, run_jobs
        >>> result = run_jobs(MockExecutor(), [ContainerJob(image="x")])
        >>> result.counts, result.ok, result.status_calls
        ({'completed': 1}, True, 1)
    """

    jobs: tuple[JobLike, ...]
    by_status: Mapping[str, tuple[JobLike, ...]]
    reasons: Mapping[int, str]
    elapsed: float
    status_calls: int
    launch_attempts: int
    poll_errors: int

    def __repr__(self) -> str:
        """A one-line summary: counts and figures, never the jobs themselves.

        Example:
            >>> MonitorResult((), {"completed": ()}, {}, 2.0, 1, 0, 0)  # doctest: +ELLIPSIS
            MonitorResult(jobs=0, counts={'completed': 0}, reasons=0, elapsed=2.0, status_calls=1, ...)
        """
        return (
            f"MonitorResult(jobs={len(self.jobs)}, counts={self.counts}, reasons={len(self.reasons)}, "
            f"elapsed={self.elapsed!r}, status_calls={self.status_calls}, launch_attempts={self.launch_attempts}, "
            f"poll_errors={self.poll_errors})"
        )

    @property
    def counts(self) -> dict[str, int]:
        """How many jobs ended in each status.

        Example:
            >>> MonitorResult((), {"failed": ()}, {}, 0.0, 0, 0, 0).counts
            {'failed': 0}
        """
        return {status: len(jobs) for status, jobs in self.by_status.items()}

    @property
    def ok(self) -> bool:
        """Whether every job completed (exit code 0).

        Example:
            >>> MonitorResult((), {}, {}, 0.0, 0, 0, 0).ok
            True
        """
        return set(self.by_status) <= {JobStatus.COMPLETED.value}
