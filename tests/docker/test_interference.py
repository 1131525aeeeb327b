"""Cleanup, and what others do to our containers: kill, remove, pause, SIGTERM ignored."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest

from executor_kit.labels import RUN_LABEL
from executor_kit.probe import Probe

pytestmark = pytest.mark.docker


def test_cleanup_of_a_running_execution(runner: Any, run_containers: Any) -> None:
    _, execution_id = runner.start(Probe().sleep(30))
    assert runner.executor.check_status(execution_id) == "running"
    assert runner.executor.cleanup(execution_id) is True
    assert runner.executor.check_status(execution_id) == "not-found"
    assert execution_id not in run_containers()


def test_cleanup_is_idempotent_and_accepts_unknown_ids(runner: Any) -> None:
    _, execution_id = runner.start(Probe())
    assert [runner.executor.cleanup(execution_id) for _ in range(3)] == [True] * 3
    for unknown in ("", "no-such-container", "0" * 64):
        assert runner.executor.cleanup(unknown) is True
        assert runner.executor.check_status(unknown) == "not-found"


def test_probe_ignoring_sigterm_is_still_cleaned_up_fast(runner: Any, run_containers: Any) -> None:
    _, execution_id = runner.start(Probe().ignore_term().out("stubborn").sleep(60))
    runner.clock.sleep(0.3)
    start = runner.clock.monotonic()
    assert runner.executor.cleanup(execution_id) is True
    assert runner.clock.monotonic() - start < 3
    assert execution_id not in run_containers()


def test_probe_ignoring_sigterm_with_grace_is_bounded(make_runner: Any, run_containers: Any) -> None:
    helper = make_runner(stop_timeout=1)
    _, execution_id = helper.start(Probe().ignore_term().sleep(60))
    helper.clock.sleep(0.3)
    start = helper.clock.monotonic()
    assert helper.executor.cleanup(execution_id) is True
    assert helper.clock.monotonic() - start < 5
    assert execution_id not in run_containers()


def test_killed_from_outside_reads_failed(runner: Any, docker_client: Any) -> None:
    job, execution_id = runner.start(Probe().out("alive").sleep(30))
    runner.clock.sleep(0.3)
    docker_client.api.kill(execution_id)
    assert runner.wait(execution_id, deadline=10) == "failed"
    assert runner.executor.harvest_job(job) is True
    assert (job.status, job.exit_code, job.stdout) == ("failed", 137, "alive\n")
    assert "outside" in job.failure_reason


def test_workload_exiting_137_itself_reads_exited(runner: Any) -> None:
    job, status = runner.run(Probe().exit(137))
    assert (status, job.exit_code, job.failure_reason) == ("exited", 137, None)


def test_removed_from_outside_reads_not_found(runner: Any, docker_client: Any) -> None:
    job, execution_id = runner.start(Probe().sleep(30))
    docker_client.api.remove_container(execution_id, force=True)
    before = dataclasses.asdict(job)
    assert runner.executor.check_status(execution_id) == "not-found"
    assert runner.executor.get_logs(execution_id) == ("", "")
    assert runner.executor.harvest_job(job) is False
    assert dataclasses.asdict(job) == before
    assert runner.executor.cleanup(execution_id) is True


def test_paused_from_outside_reads_running_then_finishes(runner: Any, docker_client: Any) -> None:
    job, execution_id = runner.start(Probe().sleep(0.5).out("resumed"))
    docker_client.api.pause(execution_id)
    assert runner.executor.check_status(execution_id) == "running"
    assert runner.executor.harvest_job(job) is False
    docker_client.api.unpause(execution_id)
    assert runner.wait(execution_id) == "exited"
    assert runner.executor.harvest_job(job) is True
    assert job.stdout == "resumed\n"


def test_paused_execution_can_be_cleaned_up(runner: Any, run_containers: Any, docker_client: Any) -> None:
    _, execution_id = runner.start(Probe().sleep(30))
    docker_client.api.pause(execution_id)
    assert runner.executor.cleanup(execution_id) is True
    assert execution_id not in run_containers()


def test_foreign_containers_are_not_ours(runner: Any, docker_client: Any, run_labels: dict[str, str]) -> None:
    from testcontainers.core.container import DockerContainer

    foreign = DockerContainer("busybox:latest", command="sleep 30", labels={RUN_LABEL: run_labels[RUN_LABEL]})
    with foreign:
        foreign_id = foreign.get_wrapped_container().id
        assert runner.executor.check_status(foreign_id) == "not-found"
        assert runner.executor.check_statuses([foreign_id]) == {foreign_id: "not-found"}
        assert foreign_id not in runner.executor.find_executions({RUN_LABEL: run_labels[RUN_LABEL]})
        assert runner.executor.cleanup(foreign_id) is True
        assert docker_client.api.inspect_container(foreign_id)["State"]["Running"] is True
