from __future__ import annotations

from collections.abc import Callable

from executor_kit import ContainerJob, VirtualClock
from executor_kit.backends.fargate.emulator import FargateEmulator
from executor_kit.backends.fargate.executor import CLEANED_TAG, TIMEOUT_REASON, FargateExecutor
from executor_kit.probe import Probe


def _task(emulator: FargateEmulator, arn: str) -> object:
    return emulator._ecs().tasks[emulator.cluster][arn]


def test_timeout_stops_the_task_at_the_first_check_after_the_deadline(
    executor: FargateExecutor,
    emulator: FargateEmulator,
    clock: VirtualClock,
    probe_job: Callable[..., ContainerJob],
) -> None:
    job = probe_job(Probe().out("working").sleep(600).out("never").argv, timeout_seconds=5)
    _, arn = executor.launch_job(job)
    clock.advance(4.9)
    assert executor.check_status(arn) == "running"
    clock.advance(0.2)
    assert executor.check_status(arn) == "failed"
    task = _task(emulator, arn)
    assert task.stopped_reason.startswith(TIMEOUT_REASON)  # type: ignore[attr-defined]
    assert task.containers[0].exitCode == 143  # type: ignore[attr-defined]
    clock.advance(1000)
    assert executor.check_status(arn) == "failed"
    assert executor.harvest_job(job)
    assert (job.status, job.exit_code, job.stdout) == ("timeout", 143, "working\n")
    assert job.failure_reason is not None and job.failure_reason.startswith(TIMEOUT_REASON)
    executor.cleanup(arn)


def test_timeout_is_stateless_and_ignoring_sigterm_ends_in_sigkill(
    make_executor: Callable[..., FargateExecutor],
    emulator: FargateEmulator,
    clock: VirtualClock,
    probe_job: Callable[..., ContainerJob],
) -> None:
    first, second = make_executor(), make_executor()
    job = probe_job(Probe().ignore_term().sleep(600).argv, timeout_seconds=2)
    _, arn = first.launch_job(job)
    clock.advance(3)
    assert second.check_status(arn) == "failed"
    assert first.check_status(arn) == "failed"
    assert _task(emulator, arn).containers[0].exitCode == 137  # type: ignore[attr-defined]
    assert first.harvest_job(job) and job.status == "timeout"
    first.cleanup(arn)


def test_harvest_enforces_an_expired_timeout(
    executor: FargateExecutor, clock: VirtualClock, probe_job: Callable[..., ContainerJob]
) -> None:
    job = probe_job(Probe().sleep(600).argv, timeout_seconds=1)
    executor.launch_job(job)
    clock.advance(2)
    assert executor.harvest_job(job) and job.status == "timeout"
    assert job.external_execution_id is not None
    executor.cleanup(job.external_execution_id)


def test_cleanup_stops_forgets_and_is_idempotent(
    make_executor: Callable[..., FargateExecutor],
    emulator: FargateEmulator,
    probe_job: Callable[..., ContainerJob],
    run_labels: dict[str, str],
) -> None:
    executor = make_executor()
    _, arn = executor.launch_job(probe_job(Probe().out("x").sleep(600).argv))
    assert executor.get_logs(arn) == ("x\n", "")
    assert executor.cleanup(arn) is True
    task = _task(emulator, arn)
    assert task.status == "STOPPED" and task.stop_code == "UserInitiated"  # type: ignore[attr-defined]
    assert {t["key"] for t in task.tags} >= {CLEANED_TAG}  # type: ignore[attr-defined]
    assert emulator._logs().groups[emulator.log_group].streams == {}
    assert executor.check_status(arn) == "not-found"
    assert executor.get_logs(arn) == ("", "")
    assert executor.cleanup(arn) is True
    fresh = make_executor()
    assert fresh.check_status(arn) == "not-found"
    assert fresh.cleanup(arn) is True
    assert fresh.find_executions(run_labels) == []


def test_cleanup_of_a_finished_task_keeps_it_stopped(
    executor: FargateExecutor, emulator: FargateEmulator, probe_job: Callable[..., ContainerJob]
) -> None:
    _, arn = executor.launch_job(probe_job(Probe().exit(4).argv))
    assert executor.check_status(arn) == "exited"
    stop_calls: list[str] = []
    executor.ecs.meta.events.register("before-call.ecs.StopTask", lambda **kw: stop_calls.append("x"))
    assert executor.cleanup(arn) is True
    assert stop_calls == []
    assert _task(emulator, arn).containers[0].exitCode == 4  # type: ignore[attr-defined]
    assert executor.check_status(arn) == "not-found"


def test_harvest_can_clean_up(
    make_executor: Callable[..., FargateExecutor], probe_job: Callable[..., ContainerJob]
) -> None:
    executor = make_executor(harvest_cleans_up=True)
    job = probe_job(Probe().out("bye").argv)
    _, arn = executor.launch_job(job)
    assert executor.harvest_job(job) and job.stdout == "bye\n"
    assert executor.check_status(arn) == "not-found"
    assert executor.harvest_job(job) is True and job.stdout == "bye\n"
