"""MockExecutor: cancel, live logs and slow starts (issue 15)."""

from __future__ import annotations

import pytest

from executor_kit import (
    ContainerJob,
    ExecutorError,
    ExecutorNotSupportedError,
    ExecutorResourceError,
    MockExecutor,
    Outcome,
)
from executor_kit.errors import ExecutorConfigurationError
from executor_kit.probe import Probe


def _job(probe: Probe, **fields: object) -> ContainerJob:
    return ContainerJob(image="x", command=probe.argv, **fields)  # type: ignore[arg-type]


def test_cancel_stops_keeps_logs_and_harvests_cancelled() -> None:
    mock = MockExecutor()
    job = _job(Probe().out("before").sleep(60).out("after"))
    _, eid = mock.launch_job(job)
    mock.advance(5)
    assert mock.cancel(eid) is True
    assert mock.check_status(eid) == "failed"
    mock.advance(100)
    assert mock.get_logs(eid) == ("before\n", "")
    assert mock.harvest_job(job) is True
    assert (job.status, job.exit_code, job.stdout, job.failure_reason) == ("cancelled", 143, "before\n", "cancelled")
    assert mock.cleanup(eid) is True and mock.check_status(eid) == "not-found" and mock.cancel(eid) is False


def test_a_workload_ignoring_sigterm_is_killed_after_the_grace_period() -> None:
    mock = MockExecutor({"cancel_grace": 3})
    job = _job(Probe().ignore_term().out("stubborn").sleep(60))
    _, eid = mock.launch_job(job)
    mock.cancel(eid)
    assert mock.check_status(eid) == "running"
    mock.advance(3)
    assert mock.check_status(eid) == "failed"
    assert mock.harvest_job(job) and (job.status, job.exit_code) == ("cancelled", 137)


def test_cancel_is_idempotent_and_an_ended_outcome_stands() -> None:
    mock = MockExecutor()
    job = _job(Probe().out("done").exit(3))
    _, eid = mock.launch_job(job)
    assert mock.cancel(eid) is True and mock.cancel(eid) is True
    assert mock.harvest_job(job) and (job.status, job.exit_code) == ("failed", 3)
    assert mock.cancel("mock-404") is False and mock.cancel("") is False


def test_the_workloads_own_exit_within_the_grace_period_stands() -> None:
    mock = MockExecutor({"cancel_grace": 10})
    job = _job(Probe().ignore_term().sleep(2).exit(4))
    _, eid = mock.launch_job(job)
    mock.cancel(eid)
    mock.advance(2)
    assert mock.check_status(eid) == "exited"
    assert mock.harvest_job(job) and (job.status, job.exit_code) == ("failed", 4)


def test_a_rule_makes_cancel_slow_or_fail() -> None:
    mock = MockExecutor()
    mock.on(image="slow", duration=60, cancel_delay=5)
    mock.on(image="stuck", duration=60, cancel_error="the platform refused to stop it")
    _, slow = mock.launch_job(ContainerJob(image="slow"))
    _, stuck = mock.launch_job(ContainerJob(image="stuck"))
    assert mock.cancel(slow) is True and mock.check_status(slow) == "running"
    mock.advance(5)
    assert mock.check_status(slow) == "failed"
    with pytest.raises(ExecutorResourceError, match="refused"):
        mock.cancel(stuck)
    assert mock.check_status(stuck) == "running"
    assert [call.method for call in mock.journal if call.error is not None] == ["cancel"]


def test_stream_logs_follows_the_virtual_clock_per_write() -> None:
    mock = MockExecutor()
    _, eid = mock.launch_job(_job(Probe().out("a").err("é").sleep(4).out("b")))
    chunks = list(mock.stream_logs(eid))
    assert chunks == [("stdout", "a\n"), ("stderr", "é\n"), ("stdout", "b\n")]
    assert mock.clock.monotonic() == 4.0
    assert "".join(t for s, t in chunks if s == "stdout") == mock.get_logs(eid)[0]
    assert list(mock.stream_logs("mock-404")) == []


def test_a_slow_consumer_gets_what_was_written_meanwhile() -> None:
    mock = MockExecutor()
    _, eid = mock.launch_job(_job(Probe().out("1").sleep(1).out("2").sleep(1).out("3").sleep(5)))
    stream = mock.stream_logs(eid)
    assert next(stream) == ("stdout", "1\n")
    mock.advance(3)
    assert [next(stream), next(stream)] == [("stdout", "2\n"), ("stdout", "3\n")]
    stream.close()
    assert mock.clock.monotonic() == 3.0


def test_stream_stops_at_a_cleanup_and_without_follow() -> None:
    mock = MockExecutor()
    _, eid = mock.launch_job(_job(Probe().out("1").sleep(10).out("2")))
    assert list(mock.stream_logs(eid, follow=False)) == [("stdout", "1\n")]
    stream = mock.stream_logs(eid)
    next(stream)
    mock.cleanup(eid)
    assert list(stream) == []


def test_startup_phase_reads_running_without_output() -> None:
    mock = MockExecutor({"startup": 10})
    mock.on(image="pull", stdout="hi", duration=5, startup=20)
    _, probe = mock.launch_job(_job(Probe().out("p")))
    _, pulled = mock.launch_job(ContainerJob(image="pull"))
    mock.advance(9)
    assert mock.check_status(probe) == "running" and mock.get_logs(probe) == ("", "")
    mock.advance(1)
    assert mock.get_logs(probe) == ("p\n", "") and mock.check_status(probe) == "exited"
    mock.advance(19)
    assert mock.get_logs(pulled) == ("", "") and mock.check_status(pulled) == "running"
    mock.advance(1)
    assert mock.get_logs(pulled) == ("hi", "")
    mock.advance(5)
    assert mock.check_status(pulled) == "exited"


def test_never_starts_times_out_from_launch() -> None:
    mock = MockExecutor(default=Outcome.pending())
    job = ContainerJob(image="x", timeout_seconds=30)
    _, eid = mock.launch_job(job)
    mock.advance(29)
    assert mock.check_status(eid) == "running" and not mock.harvest_job(job)
    mock.advance(1)
    assert mock.check_status(eid) == "failed"
    assert mock.harvest_job(job) and job.status == "timeout"
    assert mock.run_until_complete() == 0.0


def test_never_starts_without_timeout_is_cancellable_and_its_stream_ends() -> None:
    mock = MockExecutor({"default": {"never_starts": True, "ignores_term": True}})
    job = ContainerJob(image="x")
    _, eid = mock.launch_job(job)
    assert list(mock.stream_logs(eid)) == []
    assert mock.cancel(eid) and mock.check_status(eid) == "failed"  # nothing started: no grace needed
    assert mock.harvest_job(job) and (job.status, job.exit_code) == ("cancelled", 143)


@pytest.mark.parametrize(
    ("config", "key"),
    [
        ({"cancel_grace": -1}, "cancel_grace"),
        ({"startup": "soon"}, "startup"),
        ({"default": {"cancel_error": ""}}, "default.cancel_error"),
        ({"rules": [{"outcome": {"startup": float("inf")}}]}, "rules[0].outcome.startup"),
    ],
)
def test_bad_config_names_the_key(config: dict[str, object], key: str) -> None:
    with pytest.raises(ExecutorConfigurationError, match=f"'{key}'".replace("[", r"\[").replace("]", r"\]")):
        MockExecutor(config)


def test_faults_reach_cancel_and_stream_logs() -> None:
    mock = MockExecutor()
    mock.fail("cancel")
    mock.fail("stream_logs")
    with pytest.raises(ExecutorError):
        mock.cancel("mock-1")
    with pytest.raises(ExecutorError):
        mock.stream_logs("mock-1")


def test_declared_absent_is_honoured() -> None:
    mock = MockExecutor({"capabilities": {"supports_cancel": False, "supports_log_streaming": False}})
    _, eid = mock.launch_job(_job(Probe().sleep(5)))
    with pytest.raises(ExecutorNotSupportedError, match="supports_cancel"):
        mock.cancel(eid)
    with pytest.raises(ExecutorNotSupportedError, match="supports_log_streaming"):
        mock.stream_logs(eid)
    assert mock.check_status(eid) == "running"
