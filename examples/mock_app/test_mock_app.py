"""Unit tests of the application, with MockExecutor standing in for the real backend."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from executor_kit import ContainerJob, ExecutorConnectionError
from executor_kit.backends.mock import MockExecutor, Outcome

from .app import JobReport, run_batch


@pytest.fixture
def mock() -> Iterator[MockExecutor]:
    # Strict: a job the test did not script is a bug in the test or the app;
    # verify() at teardown fails the test if a scripted rule was never used.
    executor = MockExecutor({"strict": True, "assert_all_rules_used": True})
    yield executor
    executor.verify()


def job(name: str, image: str = "etl:1", **fields: object) -> ContainerJob:
    return ContainerJob(image=image, name=name, command=["etl", name], **fields)  # type: ignore[arg-type]


def test_batch_reports_each_outcome(mock: MockExecutor) -> None:
    mock.on(name="ok", duration=30)
    mock.on(name="bad", duration=10, exit_code=2, stderr="loading\nbad row 17\n")
    mock.on(name="hog", outcome=Outcome.oom(after=5))
    report = run_batch(mock, [job("ok"), job("bad"), job("hog")], poll_interval=5)
    assert report == [
        JobReport("ok", "completed", 0, ""),
        JobReport("bad", "failed", 2, "bad row 17"),
        JobReport("hog", "failed", 137, ""),
    ]
    assert mock.clock.monotonic() == 30  # polled every 5 s, no real sleep
    assert mock.live_executions() == []  # everything cleaned up
    mock.journal.assert_launched(image="etl:*", times=3)
    mock.assert_all_rules_used()


def test_launch_is_retried_once(mock: MockExecutor) -> None:
    mock.on(name="flaky", times=1, launch_error="quota exceeded")
    mock.on(name="flaky")
    mock.on(name="never", times=2, launch_error="image not found")
    report = run_batch(mock, [job("flaky"), job("never")])
    assert report[0].outcome == "completed"
    assert report[1] == JobReport("never", "not-launched", None, "image not found")
    mock.journal.assert_called("launch_job", times=4)


def test_timeout_is_reported(mock: MockExecutor) -> None:
    mock.on(name="slow", duration=600)
    (report,) = run_batch(mock, [job("slow", timeout_seconds=60)], poll_interval=10)
    assert (report.outcome, report.exit_code) == ("timeout", 143)
    assert mock.clock.monotonic() == 60


def test_deadline_abandons_and_cleans_up(mock: MockExecutor) -> None:
    mock.on(name="forever", duration=10_000)
    (report,) = run_batch(mock, [job("forever")], deadline=100, poll_interval=10)
    assert report.outcome == "abandoned"
    assert mock.live_executions() == []
    mock.journal.assert_called("cleanup", times=1)


def test_transient_connection_errors_are_survived(mock: MockExecutor) -> None:
    mock.on(name="ok", duration=20)
    mock.fail("check_statuses", ExecutorConnectionError, times=3)
    mock.fail("cleanup", times=1)
    (report,) = run_batch(mock, [job("ok")], poll_interval=5)
    assert report.outcome == "completed"
    assert mock.clock.monotonic() == 20
    failed = [call for call in mock.journal.calls("check_statuses") if call.error]
    assert len(failed) == 3


def test_lost_execution(mock: MockExecutor) -> None:
    mock.on(name="gone", outcome=Outcome.lost_after(15))
    (report,) = run_batch(mock, [job("gone")], poll_interval=5)
    assert (report.outcome, report.exit_code) == ("failed", -1)


def test_the_probe_runs_unscripted_when_not_strict() -> None:
    mock = MockExecutor()
    probe = ContainerJob(image="executor-kit-probe:latest", name="p", command=["probe", "sleep", "7", "err", "x"])
    (report,) = run_batch(mock, [probe], poll_interval=1)
    assert report == JobReport("p", "completed", 0, "x")
    assert mock.clock.monotonic() == 7
