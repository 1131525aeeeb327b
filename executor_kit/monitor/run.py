"""``run_jobs``: the monitor's one entry point."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING

from executor_kit.errors import ExecutorConfigurationError
from executor_kit.job import JobLike
from executor_kit.monitor.loop import _Run
from executor_kit.monitor.options import Backoff, RunJobsSettings
from executor_kit.monitor.output_relay import OnOutput
from executor_kit.monitor.result import MonitorResult, Progress

if TYPE_CHECKING:
    from executor_kit.base import ContainerExecutor

__all__ = ["run_jobs"]


def _unique(jobs: Iterable[JobLike]) -> tuple[JobLike, ...]:
    given = tuple(jobs)
    if len({id(job) for job in given}) != len(given):
        raise ExecutorConfigurationError("run_jobs: the same job object appears more than once (it would run twice)")
    return given


def run_jobs(
    executor: ContainerExecutor,
    jobs: Iterable[JobLike],
    *,
    concurrency: int = 16,
    poll_interval: float = 1.0,
    max_launch_attempts: int = 5,
    backoff: Backoff | None = None,
    timeout_grace: float = 10.0,
    max_poll_failures: int | None = None,
    launch_workers: int = 1,
    on_progress: Callable[[Progress], object] | None = None,
    cleanup: bool = True,
    deadline: float | None = None,
    on_output: OnOutput | None = None,
) -> MonitorResult:
    """Run ``jobs`` on ``executor`` to the end: launch, poll, harvest, clean up.

    Every job ends with a final status on it: ``completed``, ``failed`` or
    ``timeout`` (the ``executor_kit.monitor`` docstring says who decides
    which). Time is read and slept only through ``executor.clock``.

    Args:
        executor: Any ``ContainerExecutor``.
        jobs: The jobs (any ``JobLike``), each object at most once.
        concurrency: At most this many executions held on the backend at once.
        poll_interval: Seconds between status polls.
        max_launch_attempts: Launch calls per job, the first included, when
            they raise a transient error.
        backoff: Waits between those attempts (default ``Backoff()``: 1, 2, 4 ... 60 s).
        timeout_grace: Seconds past a job's ``timeout_seconds`` after which the
            monitor stops an execution the backend still reports running.
        max_poll_failures: Consecutive failed polls after which the run aborts
            (``None``: retry for ever).
        launch_workers: Launch up to this many jobs at once from a thread pool,
            for backends whose launch is slow (a Docker create and start takes
            a few hundred milliseconds). Above 1, the executor's ``launch_job``
            must be thread-safe (the kit's Docker and Mock executors are); every
            other call stays in the calling thread.
        on_progress: Called with a ``Progress`` at the start and after every tick.
        cleanup: Clean up each execution once harvested (overdue ones are always
            stopped and cleaned up; so is everything held when the run aborts).
        deadline: Seconds (executor clock) after which the run ends whatever
            remains: held executions are stopped and cleaned up, unfinished
            jobs are ``failed`` with the reason (``None``: no limit).
        on_output: Called as ``on_output(job, stream, text)`` with the output
            each job wrote since the last tick (read with ``get_logs``), and
            with the rest once it is harvested: joined per job and stream,
            exactly its ``stdout`` and ``stderr``.

    Returns:
        The jobs by final status, with counts, elapsed clock time and call counts.

    Raises:
        ExecutorConfigurationError: for a bad option or a job given twice.
        ExecutorError: a non-transient backend error (authentication, say), or a
            transient one after ``max_poll_failures`` failed polls; what the
            monitor held has been cleaned up.

    Example:
        >>> from executor_kit import ContainerJob, MockExecutor, Probe
        >>> mock = MockExecutor()
        >>> jobs = [ContainerJob(image="x", command=Probe().sleep(s).exit(s % 2).argv) for s in range(6)]
        >>> result = run_jobs(mock, jobs, concurrency=2, poll_interval=1)
        >>> result.counts, result.elapsed, mock.live_executions()
        ({'completed': 3, 'failed': 3}, 9.0, [])
    """
    settings = RunJobsSettings.from_mapping(
        {
            "concurrency": concurrency,
            "poll_interval": poll_interval,
            "max_launch_attempts": max_launch_attempts,
            "backoff": backoff,
            "timeout_grace": timeout_grace,
            "max_poll_failures": max_poll_failures,
            "launch_workers": launch_workers,
            "deadline": deadline,
        }
    )
    run = _Run(executor, _unique(jobs), settings, on_progress=on_progress, on_output=on_output, cleanup=cleanup)
    return run.run()
