"""The application's own model goes through any executor unchanged."""

from __future__ import annotations

from executor_kit import JobLike, MockExecutor

from .models import BuildJob


def test_model_is_a_joblike() -> None:
    assert isinstance(BuildJob("repo", "abcdef123"), JobLike)


def test_model_round_trip_through_mock_executor() -> None:
    mock = MockExecutor()
    mock.on(image="builder:*", exit_code=0, stdout="built\n", duration=90)
    job = BuildJob("git@example.org/app.git", "abcdef123")
    ok, execution_id = mock.launch_job(job)
    job.save()
    assert ok and job.status == "running" and job.external_execution_id == execution_id
    mock.advance(90)
    assert mock.harvest_job(job) is True
    assert (job.status, job.exit_code, job.stdout) == ("completed", 0, "built\n")
    assert job.completed_at is not None and job.started_at is not None
    assert (job.completed_at - job.started_at).total_seconds() == 90
    mock.journal.assert_launched(image="builder:latest", times=1)


def test_invalid_model_row_is_refused_not_crashed() -> None:
    job = BuildJob("repo", "abcdef123")
    job.command = "build repo abcdef123"  # type: ignore[assignment]  # a str slipped in from a form
    ok, message = MockExecutor().launch_job(job)
    assert ok is False and "command" in message
