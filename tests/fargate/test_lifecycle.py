from __future__ import annotations

from collections.abc import Callable

import pytest

from executor_kit import MANAGED_LABEL, ContainerJob, VirtualClock
from executor_kit.backends.fargate.emulator import FargateEmulator, emulated_executor
from executor_kit.backends.fargate.executor import NAME_TAG, TIMEOUT_TAG, FargateExecutor
from executor_kit.probe import Probe

ODD_TEXT = "quote ' \" $(rm -rf /) ; *\nsecond line\tüñíçødé 🚀 \\n"


def _task(emulator: FargateEmulator, arn: str) -> object:
    return emulator._ecs().tasks[emulator.cluster][arn]


def test_argv_and_environment_arrive_intact(
    executor: FargateExecutor, emulator: FargateEmulator, probe_job: Callable[..., ContainerJob]
) -> None:
    argv = Probe().out(ODD_TEXT).env("ODD").env("EMPTY").err(ODD_TEXT).argv
    job = probe_job(argv, environment={"ODD": ODD_TEXT, "EMPTY": ""}, secret_environment={"TOKEN": "s3"})
    ok, arn = executor.launch_job(job)
    assert ok
    override = _task(emulator, arn).overrides["containerOverrides"][0]  # type: ignore[attr-defined]
    assert override["command"] == argv
    assert {e["name"]: e["value"] for e in override["environment"]} == {"ODD": ODD_TEXT, "EMPTY": "", "TOKEN": "s3"}
    assert executor.check_status(arn) == "exited"
    assert executor.get_logs(arn) == (ODD_TEXT + "\n" + ODD_TEXT + "\n\n", ODD_TEXT + "\n")
    executor.cleanup(arn)


@pytest.mark.parametrize(("code", "status"), [(0, "completed"), (3, "failed"), (255, "failed")])
def test_exit_codes_are_harvested(
    executor: FargateExecutor, probe_job: Callable[..., ContainerJob], code: int, status: str
) -> None:
    job = probe_job(Probe().out("done").exit(code).argv)
    ok, arn = executor.launch_job(job)
    assert ok and job.external_execution_id == arn and job.status == "running"
    assert executor.check_status(arn) == "exited"
    assert executor.harvest_job(job) is True
    assert (job.exit_code, job.status, job.stdout, job.stderr) == (code, status, "done\n", "")
    executor.cleanup(arn)


def test_running_job_shows_logs_then_exits_and_stays_exited(
    executor: FargateExecutor, clock: VirtualClock, probe_job: Callable[..., ContainerJob]
) -> None:
    job = probe_job(Probe().out("early").sleep(10).err("late").argv)
    _, arn = executor.launch_job(job)
    assert executor.check_status(arn) == "running"
    assert executor.get_logs(arn) == ("early\n", "")
    before = (job.status, job.exit_code, job.stdout)
    assert executor.harvest_job(job) is False
    assert (job.status, job.exit_code, job.stdout) == before
    clock.advance(10)
    assert executor.check_status(arn) == "exited"
    clock.advance(1000)
    assert executor.check_status(arn) == "exited"
    assert executor.harvest_job(job) is True
    snapshot = (job.status, job.exit_code, job.stdout, job.stderr, job.completed_at)
    assert job.completed_at is not None and job.completed_at.isoformat() == "2026-01-01T00:00:10+00:00"
    clock.advance(5)
    assert executor.harvest_job(job) is True
    assert (job.status, job.exit_code, job.stdout, job.stderr, job.completed_at) == snapshot
    executor.cleanup(arn)


def test_tags_carry_labels_timeout_and_name(
    make_executor: Callable[..., FargateExecutor],
    emulator: FargateEmulator,
    probe_job: Callable[..., ContainerJob],
) -> None:
    executor = make_executor(labels={"team": "data"})
    job = probe_job(Probe().sleep(1).argv, labels={"app": "ünïcode ok"}, timeout_seconds=2.5, name="nightly")
    _, arn = executor.launch_job(job)
    tags = {t["key"]: t["value"] for t in _task(emulator, arn).tags}  # type: ignore[attr-defined]
    assert tags[MANAGED_LABEL] == "true" and tags["team"] == "data" and tags["app"] == "ünïcode ok"
    assert (tags[TIMEOUT_TAG], tags[NAME_TAG]) == ("2.5", "nightly")
    assert executor.find_executions({"app": "ünïcode ok"}) == [arn]
    assert executor.find_executions({"app": "other"}) == []
    executor.cleanup(arn)


def test_memory_limit_bounds_the_workload(
    executor: FargateExecutor, emulator: FargateEmulator, probe_job: Callable[..., ContainerJob]
) -> None:
    job = probe_job(Probe().alloc(128).out("survived").argv, memory_limit=64)
    _, arn = executor.launch_job(job)
    assert executor.check_status(arn) == "failed"
    assert executor.harvest_job(job)
    assert (job.exit_code, job.status, job.stdout) == (137, "failed", "")
    assert job.failure_reason is not None and job.failure_reason.startswith("OutOfMemoryError")
    executor.cleanup(arn)


def test_large_limits_resize_the_task(
    executor: FargateExecutor, emulator: FargateEmulator, probe_job: Callable[..., ContainerJob]
) -> None:
    job = probe_job(Probe().alloc(5000).argv, memory_limit=6000, cpu_limit=2)
    _, arn = executor.launch_job(job)
    overrides = _task(emulator, arn).overrides  # type: ignore[attr-defined]
    assert (overrides["cpu"], overrides["memory"]) == ("2048", "6144")
    assert overrides["containerOverrides"][0]["memory"] == 6000
    assert overrides["containerOverrides"][0]["cpu"] == 2048
    assert executor.check_status(arn) == "exited"
    executor.cleanup(arn)


@pytest.mark.parametrize(
    ("fields", "fragment"),
    [
        ({"image": "busybox:latest"}, "ECS cannot override the image"),
        ({"memory_limit": 500_000}, "no Fargate task size"),
        ({"labels": {"long": "x" * 257}}, "too long"),
        ({"labels": {"bad": "semi;colon"}}, "characters ECS does not accept"),
        ({"labels": {"aws:reserved": "x"}}, "characters ECS does not accept"),
        ({"labels": {f"k{i}": "v" for i in range(60)}}, "at most 50"),
        ({"name": "n" * 300}, "too long"),
        ({"environment": {"BIG": "x" * 9000}}, "at most 8192"),
    ],
)
def test_job_level_refusals_leave_nothing(
    executor: FargateExecutor,
    emulator: FargateEmulator,
    probe_job: Callable[..., ContainerJob],
    run_labels: dict[str, str],
    fields: dict[str, object],
    fragment: str,
) -> None:
    job = probe_job(Probe().out("x").argv, **fields)
    ok, message = executor.launch_job(job)
    assert not ok and fragment in message
    assert job.external_execution_id is None and job.status == "pending"
    assert emulator._ecs().tasks.get(emulator.cluster, {}) == {}


def test_job_without_command_uses_the_image_default(
    executor: FargateExecutor, emulator: FargateEmulator, probe_job: Callable[..., ContainerJob]
) -> None:
    _, arn = executor.launch_job(probe_job([]))
    assert "command" not in _task(emulator, arn).overrides["containerOverrides"][0]  # type: ignore[attr-defined]
    assert executor.check_status(arn) == "exited"
    executor.cleanup(arn)


def test_emulated_executor_target_stops_its_server_on_shutdown_not_on_close() -> None:
    executor = emulated_executor({"start_delay": 3})
    assert executor.name == "fargate"
    assert executor.get_capabilities()["supports_networking"] is False
    endpoint = executor.emulator.endpoint_url
    assert endpoint.startswith("http://127.0.0.1:")
    executor.close()  # the client only: the emulated AWS runs on, as a real one would
    assert executor.emulator.endpoint_url == endpoint
    assert executor.check_status("arn:aws:ecs:eu-west-1:123456789012:task/none") == "not-found"
    executor.shutdown()
    assert executor.emulator.endpoint_url == ""
    executor.close()
