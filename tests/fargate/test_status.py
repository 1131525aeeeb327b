"""Status mapping: the emulator for what moto can show, botocore's Stubber for the rest.

moto never lists a task under ``failures`` and never reports ``stopCode``
``TaskFailedToStart``; those answers come from a Stubber on a real client,
shaped as the ECS API documents them.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from typing import Any

import boto3
import pytest
from botocore.stub import ANY, Stubber

from executor_kit import ContainerJob, VirtualClock
from executor_kit.backends.fargate.emulator import FargateEmulator
from executor_kit.backends.fargate.executor import CLEANED_TAG, TIMEOUT_REASON, FargateExecutor
from executor_kit.probe import Probe

ARN = "arn:aws:ecs:us-east-1:123456789012:task/jobs/0123456789abcdef0123456789abcdef"
CONFIG = {
    "region": "us-east-1",
    "cluster": "jobs",
    "task_definition": "probe:1",
    "container_name": "probe",
    "subnets": ["subnet-1"],
    "log_group": "/ecs/probe",
}


@pytest.fixture
def stubbed() -> Iterator[tuple[FargateExecutor, Stubber]]:
    session = boto3.session.Session(region_name="us-east-1")
    ecs = session.client("ecs")
    stubber = Stubber(ecs)
    clients = {"ecs": ecs, "logs": session.client("logs")}
    with stubber:
        yield FargateExecutor(CONFIG, clock=VirtualClock(), client_factory=clients.__getitem__), stubber
    stubber.assert_no_pending_responses()


def _answer(stubber: Stubber, tasks: list[dict[str, Any]], failures: list[dict[str, Any]] | None = None) -> None:
    expected = {"cluster": "jobs", "tasks": ANY, "include": ["TAGS"]}
    stubber.add_response("describe_tasks", {"tasks": tasks, "failures": failures or []}, expected)


def _task(last: str, **fields: Any) -> dict[str, Any]:
    container = {"name": "probe", **fields.pop("container", {})}
    return {"taskArn": ARN, "lastStatus": last, "containers": [container], **fields}


@pytest.mark.parametrize(
    ("task", "expected"),
    [
        *[(_task(s), "running") for s in ("PROVISIONING", "PENDING", "ACTIVATING", "RUNNING")],
        *[(_task(s), "running") for s in ("DEACTIVATING", "STOPPING")],
        (_task("STOPPED", container={"exitCode": 0}), "exited"),
        (_task("STOPPED", container={"exitCode": 2}), "exited"),
        (_task("STOPPED", stopCode="UserInitiated", container={"exitCode": 143}), "exited"),
        (_task("STOPPED", stopCode="TaskFailedToStart", stoppedReason="CannotPullContainerError"), "failed"),
        (_task("STOPPED", stopCode="TaskFailedToStart", container={"exitCode": 1}), "failed"),
        (_task("STOPPED", stopCode="SpotInterruption", container={"exitCode": 143}), "failed"),
        (_task("STOPPED", container={}), "failed"),
        (
            _task(
                "STOPPED",
                stopCode="EssentialContainerExited",
                container={"exitCode": 137, "reason": "OutOfMemoryError: Container killed due to memory usage"},
            ),
            "failed",
        ),
        (_task("STOPPING", stoppedReason=f"{TIMEOUT_REASON} after 5s"), "failed"),
        (_task("STOPPED", tags=[{"key": CLEANED_TAG, "value": "true"}], container={"exitCode": 0}), "not-found"),
    ],
)
def test_task_answers_map_to_the_four_words(
    stubbed: tuple[FargateExecutor, Stubber], task: dict[str, Any], expected: str
) -> None:
    executor, stubber = stubbed
    _answer(stubber, [task])
    assert executor.check_status(ARN) == expected


def test_failures_missing_is_not_found(stubbed: tuple[FargateExecutor, Stubber]) -> None:
    executor, stubber = stubbed
    _answer(stubber, [], [{"arn": ARN, "reason": "MISSING"}])
    assert executor.check_status(ARN) == "not-found"


def test_run_task_failures_are_job_level(stubbed: tuple[FargateExecutor, Stubber]) -> None:
    executor, stubber = stubbed
    definition = {"containerDefinitions": [{"name": "probe", "image": "probe:latest"}], "cpu": "256", "memory": "512"}
    stubber.add_response("describe_task_definition", {"taskDefinition": definition})
    failure = {"arn": "arn:aws:ecs:us-east-1:123456789012:container-instance/x", "reason": "RESOURCE:MEMORY"}
    stubber.add_response("run_task", {"tasks": [], "failures": [failure]})
    job = ContainerJob(image="probe:latest", command=["probe"])
    ok, message = executor.launch_job(job)
    assert not ok and "RESOURCE:MEMORY" in message and job.external_execution_id is None


def test_odd_ids_are_not_found_without_a_call(stubbed: tuple[FargateExecutor, Stubber]) -> None:
    executor, _ = stubbed
    for odd in ("", "not-an-arn", "../x", ARN + "\n", "x" * 10_000):
        assert executor.check_status(odd) == "not-found"
        assert executor.get_logs(odd) == ("", "")
        assert executor.cleanup(odd) is True


def test_unknown_arn_in_the_emulator_is_not_found(executor: FargateExecutor) -> None:
    assert executor.check_status(ARN) == "not-found"
    assert executor.get_logs(ARN) == ("", "")
    assert executor.cleanup(ARN) is True


def test_provisioning_reads_running_and_has_no_logs_yet(
    clock: VirtualClock, run_labels: dict[str, str], probe_job: Callable[..., ContainerJob]
) -> None:
    with FargateEmulator(clock, start_delay=30) as emulator:
        executor = FargateExecutor(emulator.executor_config(), clock=clock)
        _, arn = executor.launch_job(probe_job(Probe().out("hi").argv))
        task = emulator._ecs().tasks[emulator.cluster][arn]
        assert executor.check_status(arn) == "running" and task.status == "PROVISIONING"
        assert executor.get_logs(arn) == ("", "")
        clock.advance(30)
        assert executor.check_status(arn) == "exited"
        assert executor.get_logs(arn) == ("hi\n", "")
        assert task.started_at - task.created_at == dt.timedelta(seconds=30)
        executor.cleanup(arn)


def test_check_statuses_uses_one_call_per_hundred_ids(
    executor: FargateExecutor, clock: VirtualClock, probe_job: Callable[..., ContainerJob]
) -> None:
    ids = [executor.launch_job(probe_job(Probe().sleep(s).argv))[1] for s in (0, 5, 50)]
    clock.advance(10)
    unknown = [f"{ARN[:-6]}{i:06d}" for i in range(205)]
    calls: list[str] = []
    executor.ecs.meta.events.register("before-call.ecs.DescribeTasks", lambda **kw: calls.append("x"))
    statuses = executor.check_statuses([*ids, *unknown, "garbage"])
    assert len(calls) == 3
    assert [statuses[i] for i in ids] == ["exited", "exited", "running"]
    assert {statuses[i] for i in [*unknown, "garbage"]} == {"not-found"}
    for arn in ids:
        executor.cleanup(arn)
