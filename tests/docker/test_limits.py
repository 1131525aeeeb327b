"""Memory limits (OOM kills), CPU limits and timeouts on the real engine."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from executor_kit.probe import Probe

pytestmark = pytest.mark.docker


def test_oom_kill_is_failed_with_137_and_a_reason(runner: Any, docker_client: Any) -> None:
    job, status = runner.run(Probe().out("before").alloc(64).out("after"), memory_limit=32)
    assert status == "failed"
    assert (job.status, job.exit_code, job.stdout) == ("failed", 137, "before\n")
    assert "OOM" in job.failure_reason


def test_many_oom_kills_at_once_all_read_failed(runner: Any) -> None:
    # The engine's OOMKilled flag loses a race with the exit when many containers end
    # at once (seen: 4 in 60 with the flag cleared); the executor hears the oom events.
    with ThreadPoolExecutor(max_workers=12) as pool:
        ended = list(pool.map(lambda _: runner.run(Probe().alloc(64), memory_limit=32), range(24)))
    assert [(status, job.status, job.exit_code) for job, status in ended] == [("failed", "failed", 137)] * 24


def test_a_limited_workload_killing_itself_is_exited_not_oom(runner: Any) -> None:
    job, status = runner.run(Probe().out("bye").die(9), memory_limit=64)
    assert (status, job.status, job.exit_code, job.stdout) == ("exited", "failed", 137, "bye\n")
    assert "OOM" not in (job.failure_reason or "")


def test_allocation_under_the_limit_succeeds(runner: Any) -> None:
    job, status = runner.run(Probe().alloc(8).out("fine"), memory_limit=64)
    assert (status, job.status, job.exit_code, job.stdout) == ("exited", "completed", 0, "fine\n")


def test_cpu_limit_still_runs(runner: Any) -> None:
    job, status = runner.run(Probe().out("slow but sure"), cpu_limit=0.25)
    assert (status, job.exit_code) == ("exited", 0)


def test_timeout_is_enforced_by_check_status(runner: Any, docker_client: Any) -> None:
    job, execution_id = runner.start(Probe().out("started").sleep(30), timeout_seconds=1)
    start = runner.clock.monotonic()
    assert runner.wait(execution_id, deadline=10) == "failed"
    assert runner.clock.monotonic() - start < 5
    assert docker_client.api.inspect_container(execution_id)["State"]["Running"] is False
    assert runner.executor.check_status(execution_id) == "failed"  # absorbing
    assert runner.executor.harvest_job(job) is True
    assert (job.status, job.stdout) == ("timeout", "started\n")
    assert "timeout" in job.failure_reason


def test_timeout_is_enforced_by_batch_status(runner: Any, docker_client: Any) -> None:
    _, late = runner.start(Probe().sleep(30), timeout_seconds=1)
    _, calm = runner.start(Probe().sleep(30), timeout_seconds=120)
    runner.clock.sleep(1.5)
    assert runner.executor.check_statuses([late, calm]) == {late: "failed", calm: "running"}
    assert docker_client.api.inspect_container(late)["State"]["Running"] is False


def test_job_finishing_within_its_timeout_is_not_a_timeout(runner: Any) -> None:
    job, status = runner.run(Probe().out("quick"), timeout_seconds=30)
    assert (status, job.status, job.failure_reason) == ("exited", "completed", None)


def test_paused_past_its_deadline_is_killed(runner: Any, docker_client: Any) -> None:
    job, execution_id = runner.start(Probe().sleep(30), timeout_seconds=1)
    docker_client.api.pause(execution_id)
    assert runner.executor.check_status(execution_id) == "running"
    assert runner.wait(execution_id, deadline=10) == "failed"
    assert runner.executor.harvest_job(job) is True
    assert job.status == "timeout"
