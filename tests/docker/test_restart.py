"""A finished container restarted from outside (``docker start``): its execution id stays terminal."""

from __future__ import annotations

import time
from typing import Any

import pytest

from executor_kit.backends.docker.executor import DockerExecutor
from executor_kit.probe import Probe
from tests.docker.conftest import Runner

pytestmark = pytest.mark.docker


def _restart(docker_client: Any, execution_id: str) -> None:
    """``docker start`` it and wait until the engine says it runs again."""
    docker_client.api.start(execution_id)
    for _ in range(100):
        if docker_client.api.inspect_container(execution_id)["State"]["Running"]:
            return
        time.sleep(0.05)
    pytest.fail("the engine did not restart the container")


def test_an_observed_end_is_kept_and_harvested(runner: Runner, docker_client: Any) -> None:
    job, execution_id = runner.start(Probe().out("first life").sleep(0.3).exit(3))
    assert runner.wait(execution_id) == "exited"
    _restart(docker_client, execution_id)
    for _ in range(5):
        assert str(runner.executor.check_status(execution_id)) == "exited"
        assert str(runner.executor.check_statuses([execution_id])[execution_id]) == "exited"
    assert runner.executor.harvest_job(job)
    assert (job.exit_code, job.stdout, str(job.status)) == (3, "first life\n", "failed")
    assert runner.executor.get_logs(execution_id) == ("first life\n", "")


def test_an_executor_that_did_not_see_the_end_reads_failed(
    runner: Runner, docker_client: Any, run_labels: dict[str, str]
) -> None:
    job, execution_id = runner.start(Probe().out("first life").sleep(3))
    _, other_id = runner.start(Probe().sleep(0.2).exit(0))
    assert runner.wait(execution_id) == "exited"
    _restart(docker_client, execution_id)
    fresh = DockerExecutor({"labels": run_labels, "pull_policy": "never"})
    try:
        assert str(fresh.check_status(execution_id)) == "failed"
        assert str(fresh.check_statuses([execution_id])[execution_id]) == "failed"
        assert fresh.harvest_job(job)
        assert job.exit_code == -1 and "restarted from outside" in str(job.failure_reason)
        assert job.stdout == "first life\n", "the output of the second life is not the job's"
        assert str(fresh.check_status(other_id)) == "exited"
    finally:
        fresh.close()
