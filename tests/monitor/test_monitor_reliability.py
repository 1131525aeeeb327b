"""The monitor under interrupts, broken batch status and a run deadline; its result's repr."""

from __future__ import annotations

import signal
import threading
import time
from collections.abc import Iterable
from typing import Any

import pytest

from executor_kit import ContainerJob, ExecutionStatus, ExecutorError, MockExecutor, Probe
from executor_kit.job import JobLike
from executor_kit.monitor import run_jobs


def _jobs(count: int, probe: Probe | None = None) -> list[ContainerJob]:
    argv = (probe or Probe().sleep(5)).argv
    return [ContainerJob(image="executor-kit-probe:latest", command=argv) for _ in range(count)]


class InterruptedMidLaunch(MockExecutor):
    """The first launch interrupts the main thread (a real SIGINT); every launch returns after it."""

    def __init__(self) -> None:
        super().__init__()
        self.signalled = threading.Event()
        self.returned = 0

    def launch_job(self, job: JobLike) -> tuple[bool, str]:
        if not self.signalled.is_set():
            self.signalled.set()
            signal.pthread_kill(threading.main_thread().ident or 0, signal.SIGINT)
        time.sleep(0.2)  # still launching when the interrupt lands
        launched = super().launch_job(job)
        self.returned += 1
        return launched


def test_launches_that_return_after_an_interrupt_are_cleaned_up() -> None:
    mock = InterruptedMidLaunch()
    with pytest.raises(KeyboardInterrupt):
        run_jobs(mock, _jobs(8), launch_workers=8, concurrency=8)
    assert mock.returned >= 1, "no launch returned after the interrupt: the test proves nothing"
    assert mock.live_executions() == []  # launches not started when it landed are dropped, never run


class Forgetful(MockExecutor):
    """A batch status that omits some ids, or answers None."""

    def __init__(self, answer_none: bool = False) -> None:
        super().__init__()
        self.answer_none = answer_none
        self.single_calls = 0

    def check_statuses(self, execution_ids: Iterable[str]) -> dict[str, ExecutionStatus | str]:
        answer = super().check_statuses(execution_ids)
        return None if self.answer_none else dict(list(answer.items())[::2])  # type: ignore[return-value]

    def check_status(self, execution_id: str) -> ExecutionStatus:
        self.single_calls += 1
        return super().check_status(execution_id)


@pytest.mark.parametrize("answer_none", [False, True])
def test_ids_missing_from_a_batch_status_are_asked_one_by_one(answer_none: bool) -> None:
    mock = Forgetful(answer_none)
    result = run_jobs(mock, _jobs(6), poll_interval=1)
    assert result.counts == {"completed": 6}
    assert mock.single_calls >= (6 if answer_none else 3)
    assert mock.live_executions() == []


class Gibberish(MockExecutor):
    def check_status(self, execution_id: str) -> Any:
        return "zombie"

    def check_statuses(self, execution_ids: Iterable[str]) -> dict[str, ExecutionStatus | str]:
        return {}


def test_a_status_outside_the_vocabulary_is_a_typed_error_and_nothing_is_left() -> None:
    mock = Gibberish()
    with pytest.raises(ExecutorError, match="zombie"):
        run_jobs(mock, _jobs(3))
    assert mock.live_executions() == []


class NeverEnds(MockExecutor):
    def check_statuses(self, execution_ids: Iterable[str]) -> dict[str, ExecutionStatus | str]:
        return dict.fromkeys(execution_ids, ExecutionStatus.RUNNING)


def test_the_run_deadline_ends_a_run_that_would_never_end() -> None:
    mock = NeverEnds()
    jobs = _jobs(4)
    result = run_jobs(mock, jobs, concurrency=2, poll_interval=1, deadline=30)
    assert result.counts == {"failed": 4}
    assert 30 <= result.elapsed < 32
    assert all("deadline" in reason for reason in result.reasons.values()) and len(result.reasons) == 4
    assert mock.live_executions() == []


@pytest.mark.parametrize("bad", [-1, 0, float("nan"), float("inf"), "10", True])
def test_a_bad_deadline_is_refused(bad: object) -> None:
    with pytest.raises(ExecutorError, match="deadline"):
        run_jobs(MockExecutor(), _jobs(1), deadline=bad)  # type: ignore[arg-type]


def test_the_result_repr_is_short() -> None:
    jobs = _jobs(500, Probe().out("x" * 100))
    result = run_jobs(MockExecutor(), jobs, concurrency=100)
    shown = repr(result)
    assert len(shown) < 300, shown
    assert "completed" in shown and "500" in shown
