"""A container paused from outside past its deadline is still ended by the timeout."""

from __future__ import annotations

import time
from typing import Any

import pytest

from executor_kit.probe import Probe

pytestmark = pytest.mark.docker


def test_paused_past_deadline_is_killed_and_harvested_as_timeout(runner: Any, docker_client: Any) -> None:
    job, execution_id = runner.start(Probe().out("before pause").sleep(30), timeout_seconds=1)
    time.sleep(0.3)
    docker_client.api.pause(execution_id)
    time.sleep(1.2)
    assert runner.executor.check_status(execution_id) == "failed"
    assert runner.executor.harvest_job(job) is True
    assert (job.status, job.stdout) == ("timeout", "before pause\n")
