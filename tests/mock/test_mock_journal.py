"""The journal: every call in order, assertion helpers, and no secret anywhere."""

from __future__ import annotations

import pytest

from executor_kit import ContainerJob
from executor_kit.backends.mock import Call, JobSummary, MockExecutor, Outcome, UnexpectedJobError
from executor_kit.probe import Probe

SECRET = "hunter2-very-secret"


def test_every_call_in_order_with_arguments_and_results() -> None:
    mock = MockExecutor()
    job = ContainerJob(image="busybox", command=Probe().out("o").sleep(1).argv, name="n")
    _, eid = mock.launch_job(job)
    mock.check_status(eid)
    mock.advance(1)
    mock.get_logs(eid)
    mock.harvest_job(job)
    mock.cleanup(eid)
    mock.get_capabilities()
    mock.find_executions({"a": "b"})
    calls = mock.journal.calls()
    assert [call.method for call in calls] == [
        "launch_job",
        "check_status",
        "get_logs",
        "harvest_job",
        "cleanup",
        "get_capabilities",
        "find_executions",
    ]
    assert [call.number for call in calls] == list(range(7))
    assert calls[0].args[0] == JobSummary("busybox", tuple(job.command), "n", {}, {}, ())
    assert calls[0].result == (True, eid)
    assert calls[1] == Call(1, "check_status", (eid,), "running", None, 0.0)
    assert calls[2].result == ("o\n", "") and calls[2].at == 1.0
    assert calls[3].result is True and calls[4].result is True
    assert calls[6].args == ({"a": "b"},) and calls[6].result == []


def test_journal_keeps_launch_inputs_as_they_were() -> None:
    mock = MockExecutor()
    job = ContainerJob(image="x", labels={"a": "1"})
    mock.launch_job(job)
    job.labels["a"] = "changed"
    assert mock.journal.launched()[0].labels == {"a": "1"}
    assert mock.find_executions({"a": "1"}) == ["mock-1"]


def test_assert_launched_and_counts() -> None:
    mock = MockExecutor()
    mock.on(image="broken", launch_error="nope")
    mock.launch_job(ContainerJob(image="etl:1", command=["run", "x"], labels={"team": "data"}))
    mock.launch_job(ContainerJob(image="etl:2", command=["run", "y"], name="second"))
    mock.launch_job(ContainerJob(image="broken"))
    journal = mock.journal
    assert len(journal.assert_launched(image="etl:*", times=2)) == 2
    journal.assert_launched(command=["run", "x"], labels={"team": "data"}, times=1)
    journal.assert_launched(name="second")
    journal.assert_not_launched(image="broken")
    journal.assert_called("launch_job", times=3)
    journal.assert_not_called("cleanup")
    assert journal.count("launch_job") == 3
    with pytest.raises(AssertionError, match=r"exactly 1 launch\(es\) matching Rule\(image='etl:\*'\), found 2"):
        journal.assert_launched(image="etl:*", times=1)
    with pytest.raises(AssertionError, match="at least one launch matching Rule\\(image='web'\\), found 0; launched:"):
        journal.assert_launched(image="web")
    with pytest.raises(AssertionError, match="expected exactly 0 call"):
        journal.assert_not_called("launch_job")
    with pytest.raises(AssertionError, match="at least one call"):
        journal.assert_called("get_logs")


def test_secrets_never_in_journal_repr_or_errors() -> None:
    mock = MockExecutor(strict=True)
    mock.on(image="app", stdout=f"leaked {SECRET}\n")
    job = ContainerJob(
        image="app",
        command=Probe().env("TOKEN").argv,
        environment={"PUBLIC": "p"},
        secret_environment={"TOKEN": SECRET},
    )
    _, eid = mock.launch_job(job)
    assert mock.get_logs(eid) == (f"leaked {SECRET}\n", "")  # the workload's own output is the workload's
    mock.harvest_job(job)
    with pytest.raises(UnexpectedJobError) as info:
        mock.launch_job(ContainerJob(image="other", secret_environment={"TOKEN": SECRET}))
    texts = [repr(mock), repr(mock.journal.calls()), mock.journal.summary(), str(info.value), repr(job)]
    assert all(SECRET not in text for text in texts)
    assert mock.journal.calls("get_logs")[0].result == ("leaked ***\n", "")
    assert mock.journal.launched()[0].secret_names == ("TOKEN",)


def test_probe_echoing_a_secret_is_redacted_in_the_journal() -> None:
    mock = MockExecutor()
    job = ContainerJob(image="x", command=Probe().env("TOKEN").argv, secret_environment={"TOKEN": SECRET})
    _, eid = mock.launch_job(job)
    assert mock.get_logs(eid) == (f"{SECRET}\n", "")
    assert SECRET not in repr(mock.journal.calls())


def test_journal_is_cleared_by_reset_and_iterable() -> None:
    mock = MockExecutor(default=Outcome(exit_code=1))
    mock.check_status("a")
    mock.cleanup("a")
    assert [call.method for call in mock.journal] == ["check_status", "cleanup"]
    assert mock.journal.summary() == "check_status('a'), cleanup('a')"
    mock.reset()
    assert len(mock.journal) == 0 and mock.journal.summary() == "none"
