"""Bad input to the MockExecutor and its clock: a typed error at the call, nothing left broken."""

from __future__ import annotations

import math

import pytest

from executor_kit import ContainerJob, ExecutorConfigurationError, MockExecutor, Outcome, Probe, VirtualClock
from executor_kit.clock import MAX_SPAN


def _works(mock: MockExecutor) -> None:
    """A launch, an advance and a harvest still work."""
    job = ContainerJob(image="x", command=Probe().out("fine").sleep(2).argv)
    ok, execution_id = mock.launch_job(job)
    assert ok, execution_id
    mock.advance(2)
    assert mock.harvest_job(job) and job.stdout == "fine\n"
    assert mock.cleanup(execution_id)


@pytest.mark.parametrize("seconds", [math.nan, math.inf, -math.inf, 1e300, MAX_SPAN + 1, -1, "5", True, None])
def test_advance_refuses_and_leaves_the_clock_as_it_was(seconds: object) -> None:
    mock = MockExecutor()
    mock.advance(3)
    with pytest.raises(ExecutorConfigurationError, match="advance"):
        mock.advance(seconds)  # type: ignore[arg-type]
    assert mock.clock.monotonic() == 3.0
    _works(mock)


def test_the_clock_cannot_be_pushed_past_its_span_in_steps() -> None:
    clock = VirtualClock()
    clock.advance(MAX_SPAN)
    with pytest.raises(ExecutorConfigurationError):
        clock.advance(1)
    assert clock.monotonic() == MAX_SPAN
    assert clock.now().year > 2026


@pytest.mark.parametrize("seconds", [math.nan, math.inf])
def test_virtual_sleep_refuses_non_finite(seconds: float) -> None:
    clock = VirtualClock()
    with pytest.raises(ExecutorConfigurationError):
        clock.sleep(seconds)
    assert clock.monotonic() == 0.0


@pytest.mark.parametrize("duration", [1e12, MAX_SPAN + 1])
def test_outcome_durations_beyond_the_clock_are_refused(duration: float) -> None:
    with pytest.raises(ExecutorConfigurationError, match="duration"):
        Outcome(duration=duration)
    with pytest.raises(ExecutorConfigurationError, match=r"rules\[0\]\.outcome\.duration"):
        MockExecutor({"rules": [{"outcome": {"duration": duration}}]})


@pytest.mark.parametrize("sleep", ["inf", "1e12", "1e300"])
def test_a_probe_sleep_beyond_the_clock_is_refused_at_launch(sleep: str) -> None:
    mock = MockExecutor()
    job = ContainerJob(image="x", command=["probe", "sleep", sleep, "out", "never"])
    with pytest.raises(ExecutorConfigurationError, match="sleep"):
        mock.launch_job(job)
    assert mock.live_executions() == [] and job.external_execution_id is None
    _works(mock)


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("command", None),
        ("command", "echo hi"),
        ("command", [1, 2]),
        ("environment", None),
        ("labels", "x"),
        ("image", None),
        ("name", 5),
        ("timeout_seconds", math.inf),
    ],
)
def test_a_job_mutated_after_construction_is_refused_not_a_type_error(field: str, value: object) -> None:
    mock = MockExecutor()
    job = ContainerJob(image="x", command=["probe"])
    setattr(job, field, value)
    ok, message = mock.launch_job(job)
    assert ok is False and field in message, message
    assert mock.live_executions() == []
    assert mock.journal.calls("launch_job")[-1].result == (False, message)
    _works(mock)
