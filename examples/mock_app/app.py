"""A small application: run a batch of containerised jobs to completion.

It depends only on the contract (``ContainerExecutor``), so production code
passes a Docker, Cloud Run or Fargate executor, and its unit tests pass a
``MockExecutor`` (see ``test_mock_app.py``). Time is read through
``executor.clock``, so on the mock's virtual clock the polling loop never sleeps.

Example:
    >>> from executor_kit import ContainerJob, get_executor
    >>> report = run_batch(get_executor("mock"), [ContainerJob(image="busybox", name="hello")])
    >>> [(r.name, r.outcome, r.exit_code) for r in report]
    [('hello', 'completed', 0)]
"""

from __future__ import annotations

import contextlib
import dataclasses
from collections.abc import Sequence

from executor_kit import ContainerExecutor, ContainerJob, ExecutorConnectionError, ExecutorError

__all__ = ["JobReport", "run_batch"]


@dataclasses.dataclass
class JobReport:
    """What happened to one job of the batch.

    ``outcome`` is the job's final status (``completed``, ``failed``,
    ``timeout``), or ``not-launched`` / ``abandoned`` / ``lost``.
    """

    name: str
    outcome: str
    exit_code: int | None = None
    detail: str = ""


@dataclasses.dataclass
class _Batch:
    executor: ContainerExecutor
    poll_interval: float
    running: dict[str, ContainerJob] = dataclasses.field(default_factory=dict)
    reports: dict[str, JobReport] = dataclasses.field(default_factory=dict)


def _label(job: ContainerJob) -> str:
    return job.name or job.image


def _launch(batch: _Batch, job: ContainerJob, attempts: int) -> None:
    message = "no attempt made"
    for _ in range(attempts):
        ok, message = batch.executor.launch_job(job)
        if ok:
            batch.running[message] = job
            return
    batch.reports[_label(job)] = JobReport(_label(job), "not-launched", detail=message)


def _finish(batch: _Batch, execution_id: str) -> None:
    job = batch.running.pop(execution_id)
    if batch.executor.harvest_job(job):
        tail = job.stderr.strip().splitlines()[-1:] or [""]
        report = JobReport(_label(job), job.status, job.exit_code, tail[0])
    else:
        report = JobReport(_label(job), "lost", detail="the backend no longer knows this execution")
    batch.reports[_label(job)] = report
    _cleanup(batch.executor, execution_id)


def _cleanup(executor: ContainerExecutor, execution_id: str) -> None:
    with contextlib.suppress(ExecutorError):  # best effort; a reaper removes leftovers by label
        executor.cleanup(execution_id)


def _poll(batch: _Batch) -> None:
    try:
        statuses = batch.executor.check_statuses(list(batch.running))
    except ExecutorConnectionError:
        return  # transient: try again at the next poll
    for execution_id, status in statuses.items():
        if status != "running":
            _finish(batch, execution_id)


def _abandon(batch: _Batch) -> None:
    for execution_id, job in list(batch.running.items()):
        _cleanup(batch.executor, execution_id)
        batch.reports[_label(job)] = JobReport(_label(job), "abandoned", detail="batch deadline passed")
    batch.running.clear()


def run_batch(
    executor: ContainerExecutor,
    jobs: Sequence[ContainerJob],
    *,
    poll_interval: float = 5.0,
    deadline: float = 3600.0,
    launch_attempts: int = 2,
) -> list[JobReport]:
    """Launch ``jobs``, poll until all end (or ``deadline`` seconds pass), harvest, clean up.

    Returns one ``JobReport`` per job, in the order given.
    """
    batch = _Batch(executor, poll_interval)
    for job in jobs:
        _launch(batch, job, launch_attempts)
    give_up = executor.clock.monotonic() + deadline
    while batch.running and executor.clock.monotonic() < give_up:
        _poll(batch)
        if batch.running:
            executor.clock.sleep(poll_interval)
    _abandon(batch)
    return [batch.reports[_label(job)] for job in jobs]
