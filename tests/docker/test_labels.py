"""The one label policy on the real engine: a job cannot forge the kit's labels.

Before it, a job label ``executor-kit-timeout-seconds: "-1"`` reached the
container, so the first ``check_status`` found it past its "deadline", killed
it and its output was lost. Now the launch is refused, naming the key, and
nothing is created; the kit's labels on the containers it creates are its own.
"""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from executor_kit.backends.docker.executor import DockerExecutor
from executor_kit.errors import ExecutorConfigurationError
from executor_kit.labels import CLEANED_LABEL, MANAGED_LABEL, NAME_LABEL, RESERVED_LABELS, RUN_LABEL, TIMEOUT_LABEL
from executor_kit.probe import Probe

pytestmark = pytest.mark.docker


@pytest.mark.parametrize("key", sorted(RESERVED_LABELS))
def test_a_reserved_job_label_is_refused_and_nothing_is_created(
    runner: Any, run_containers: Any, run_labels: dict[str, str], key: str
) -> None:
    case = {"executor-kit-case": uuid.uuid4().hex[:12]}
    job = runner.job(Probe().out("kept"), labels={**run_labels, **case})
    job.labels = {**job.labels, key: "-1"}  # after construction, which refuses it too
    before = run_containers()
    ok, message = runner.executor.launch_job(job)
    assert not ok and key in message, message
    assert (job.status, job.external_execution_id) == ("pending", None)
    assert run_containers() == before
    assert runner.executor.find_executions(case) == []


def test_the_forged_timeout_no_longer_kills_the_job_its_output_is_kept(runner: Any) -> None:
    """The reported failure, replayed: the job is refused; the same job without the forged label runs intact."""
    forged = runner.job(Probe().out("kept").sleep(0.5))
    forged.labels = {**forged.labels, TIMEOUT_LABEL: "-1"}
    ok, message = runner.executor.launch_job(forged)
    assert not ok and TIMEOUT_LABEL in message

    job, status = runner.run(Probe().out("kept").sleep(0.5))
    assert (status, job.exit_code, job.stdout, job.status) == ("exited", 0, "kept\n", "completed")


def test_the_kit_labels_are_the_kits_beside_the_users(runner: Any, docker_client: Any) -> None:
    user = {"team": "blue", RUN_LABEL: "r-1", "executor-kit-case": "c-1"}
    _, execution_id = runner.start(Probe().out("hi"), labels=user, name="nightly", timeout_seconds=60.5)
    labels = docker_client.api.inspect_container(execution_id)["Config"]["Labels"]
    assert {key: labels[key] for key in user} == user
    assert (labels[MANAGED_LABEL], labels[TIMEOUT_LABEL], labels[NAME_LABEL]) == ("true", "60.5", "nightly")
    assert CLEANED_LABEL not in labels
    assert runner.executor.find_executions({**user, MANAGED_LABEL: "true", NAME_LABEL: "nightly"}) == [execution_id]
    assert runner.wait(execution_id) == "exited"


def test_configured_labels_cannot_use_a_reserved_key() -> None:
    with pytest.raises(ExecutorConfigurationError, match="labels"):
        DockerExecutor({"labels": {MANAGED_LABEL: "false"}, "pull_policy": "never"})
