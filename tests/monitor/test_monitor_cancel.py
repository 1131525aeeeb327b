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


def test_on_output_delivers_live_output_that_joins_to_the_harvested_logs() -> None:
    mock = MockExecutor()
    jobs = [
        ContainerJob(image="x", name="a", command=Probe().out("a1").sleep(3).err("a-warn").out("a2").argv),
        ContainerJob(image="x", name="b", command=Probe().out("b1").sleep(10).out("b2").exit(2).argv),
        ContainerJob(image="x", name="c", command=Probe().out("c1").sleep(100).argv, timeout_seconds=5),
    ]
    seen: list[tuple[str, str, str, float]] = []
    run_jobs(
        mock,
        jobs,
        poll_interval=1,
        on_output=lambda job, stream, text: seen.append((job.name, stream, text, mock.clock.monotonic())),
    )
    for job in jobs:
        for stream in ("stdout", "stderr"):
            joined = "".join(text for name, s, text, _ in seen if name == job.name and s == stream)
            assert joined == getattr(job, stream), (job.name, stream)
    assert ("b", "stdout", "b1\n", 1.0) in seen  # live: while b still runs, not at its end
