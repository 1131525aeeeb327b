"""run_jobs stops with cancel where the executor declares it, so logs are complete (issue 15)."""

from __future__ import annotations

import pytest

from executor_kit import ContainerJob, MockExecutor, Probe
from executor_kit.monitor import Progress, run_jobs


def _long_job() -> ContainerJob:
    return ContainerJob(image="x", command=Probe().out("working").sleep(1000).argv)


def _methods(mock: MockExecutor) -> list[str]:
    return [call.method for call in mock.journal if call.method in ("cancel", "get_logs", "cleanup")]


def test_the_run_deadline_cancels_before_reading_the_logs() -> None:
    mock = MockExecutor()
    job = _long_job()
    result = run_jobs(mock, [job], poll_interval=1, deadline=10)
    assert result.counts == {"failed": 1}
    assert job.stdout == "working\n"
    assert _methods(mock) == ["cancel", "get_logs", "cleanup"]
    assert mock.live_executions() == []


def test_without_supports_cancel_the_deadline_only_cleans_up() -> None:
    mock = MockExecutor({"capabilities": {"supports_cancel": False}})
    run_jobs(mock, [_long_job()], poll_interval=1, deadline=10)
    assert _methods(mock) == ["get_logs", "cleanup"]


def test_an_interrupt_cancels_and_harvests_before_cleaning_up() -> None:
    mock = MockExecutor()
    job = _long_job()

    def interrupt(progress: Progress) -> None:
        if progress.running:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        run_jobs(mock, [job], poll_interval=1, on_progress=interrupt)
    assert (job.status, job.exit_code, job.stdout) == ("cancelled", 143, "working\n")
    assert mock.live_executions() == []
