"""Fault injection: any method, any ExecutorError, once, N times, always, with a seeded probability."""

from __future__ import annotations

import pytest

from executor_kit import (
    ContainerJob,
    ExecutorAuthenticationError,
    ExecutorConnectionError,
    ExecutorError,
    ExecutorResourceError,
)
from executor_kit.backends.mock import Fault, MockExecutor
from executor_kit.probe import Probe

CALLS = {
    "launch_job": lambda mock, eid: mock.launch_job(ContainerJob(image="x")),
    "check_status": lambda mock, eid: mock.check_status(eid),
    "check_statuses": lambda mock, eid: mock.check_statuses([eid]),
    "get_logs": lambda mock, eid: mock.get_logs(eid),
    "harvest_job": lambda mock, eid: mock.harvest_job(ContainerJob(image="x", external_execution_id=eid)),
    "cleanup": lambda mock, eid: mock.cleanup(eid),
    "get_capabilities": lambda mock, eid: mock.get_capabilities(),
    "find_executions": lambda mock, eid: mock.find_executions({}),
}


@pytest.mark.parametrize("method", sorted(CALLS))
@pytest.mark.parametrize("error", [ExecutorConnectionError, ExecutorResourceError, ExecutorAuthenticationError])
def test_any_method_any_error_once(method: str, error: type[ExecutorError]) -> None:
    mock = MockExecutor()
    _, eid = mock.launch_job(ContainerJob(image="x", command=Probe().out("o").argv))
    mock.fail(method, error)
    with pytest.raises(error) as info:
        CALLS[method](mock, eid)
    assert info.value.backend == "mock"
    CALLS[method](mock, eid)  # only once
    failed = [call for call in mock.journal.calls(method) if call.error is not None]
    assert len(failed) == 1 and failed[0].error is info.value


def test_faulted_call_has_no_effect() -> None:
    mock = MockExecutor()
    job = ContainerJob(image="x")
    mock.fail("launch_job")
    with pytest.raises(ExecutorConnectionError):
        mock.launch_job(job)
    assert job.status == "pending" and mock.live_executions() == []
    _, eid = mock.launch_job(job)
    mock.fail("cleanup")
    with pytest.raises(ExecutorConnectionError):
        mock.cleanup(eid)
    assert mock.check_status(eid) == "exited"
    assert mock.cleanup(eid) and mock.check_status(eid) == "not-found"


def test_n_times_and_always() -> None:
    mock = MockExecutor()
    mock.fail("get_logs", times=3)
    outcomes = []
    for _ in range(5):
        try:
            outcomes.append(mock.get_logs("x"))
        except ExecutorConnectionError:
            outcomes.append("raised")
    assert outcomes == ["raised"] * 3 + [("", "")] * 2
    mock.fail("cleanup", ExecutorResourceError, times=None)
    for _ in range(20):
        with pytest.raises(ExecutorResourceError):
            mock.cleanup("x")
    mock.clear_faults()
    assert mock.cleanup("x")


def test_error_instance_and_message() -> None:
    mock = MockExecutor()
    error = ExecutorAuthenticationError("token expired", backend="mock")
    mock.fail("check_status", error)
    with pytest.raises(ExecutorAuthenticationError) as info:
        mock.check_status("x")
    assert info.value is error
    mock.fail("cleanup", message="daemon went away")
    with pytest.raises(ExecutorConnectionError, match=r"^daemon went away$") as raised:
        mock.cleanup("mock-3")
    assert raised.value.execution_id == "mock-3"


def failures(seed: int, probability: float, calls: int = 400) -> list[bool]:
    mock = MockExecutor(seed=seed)
    mock.fail("check_status", times=None, probability=probability)
    result = []
    for _ in range(calls):
        try:
            mock.check_status("x")
            result.append(False)
        except ExecutorConnectionError:
            result.append(True)
    return result


def test_probability_is_seeded() -> None:
    first = failures(11, 0.25)
    assert first == failures(11, 0.25)
    assert first != failures(12, 0.25)
    assert 60 < sum(first) < 140
    assert not any(failures(1, 0.0)) and all(failures(1, 1.0, calls=10))


def test_probability_with_times_cap() -> None:
    mock = MockExecutor(seed=3)
    mock.fail("get_logs", times=2, probability=0.5)
    raised = 0
    for _ in range(100):
        try:
            mock.get_logs("x")
        except ExecutorConnectionError:
            raised += 1
    assert raised == 2


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"method": "explode"}, "method"),
        ({"method": "cleanup", "error": KeyError}, "error"),
        ({"method": "cleanup", "error": KeyError("x")}, "error"),
        ({"method": "cleanup", "times": 0}, "times"),
        ({"method": "cleanup", "probability": 2}, "probability"),
        ({"method": "cleanup", "probability": float("nan")}, "probability"),
    ],
)
def test_bad_faults_rejected(kwargs: dict[str, object], field: str) -> None:
    with pytest.raises(ExecutorError, match=field):
        Fault(**kwargs)  # type: ignore[arg-type]


def test_faults_from_config_with_aliases() -> None:
    mock = MockExecutor({"faults": [{"method": "cleanup", "error": "authentication", "times": 2}]})
    for _ in range(2):
        with pytest.raises(ExecutorAuthenticationError):
            mock.cleanup("x")
    assert mock.cleanup("x")
