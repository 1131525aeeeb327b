"""The monitor on the real Docker engine: a few dozen probe jobs, nothing left behind."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from executor_kit.backends.docker.executor import DockerExecutor
from executor_kit.job import ContainerJob
from executor_kit.monitor import Progress, run_jobs
from executor_kit.probe import MISSING_IMAGE, Probe

pytestmark = pytest.mark.docker

CONCURRENCY = 6


def _job(index: int, image: str, labels: dict[str, str]) -> tuple[str, ContainerJob]:
    kinds = {
        0: ("timeout", Probe().out("started").sleep(30), 1.0),
        1: ("missing", Probe(), None),
        2: ("fail", Probe().err(f"boom {index}").sleep(0.2).exit(3), None),
    }
    default = ("ok", Probe().out(f"job {index}").sleep(0.1 * (index % 4)), None)
    kind, probe, timeout = kinds.get(index % 10, default)
    job = ContainerJob(
        image=MISSING_IMAGE if kind == "missing" else image,
        command=probe.argv,
        name=f"monitor-{index}",
        labels=dict(labels),
        timeout_seconds=timeout,
    )
    return kind, job


def _held(docker_client: Any, labels: dict[str, str]) -> int:
    selector = [f"{key}={value}" for key, value in labels.items()]
    return len(docker_client.api.containers(all=True, filters={"label": selector}))


def test_a_few_dozen_probe_jobs_run_to_the_end_and_leave_nothing(
    docker_client: Any, docker_executor: DockerExecutor, probe_image: str, run_labels: dict[str, str]
) -> None:
    labels = {**run_labels, "executor-kit-test": f"monitor-{uuid.uuid4().hex[:8]}"}
    kinds, jobs = zip(*(_job(index, probe_image, labels) for index in range(30)), strict=True)
    progress: list[Progress] = []
    peak = [0]

    def watch(update: Progress) -> None:
        progress.append(update)
        peak[0] = max(peak[0], _held(docker_client, labels))

    try:
        result = run_jobs(
            docker_executor, jobs, concurrency=CONCURRENCY, launch_workers=3, poll_interval=0.1, on_progress=watch
        )
    finally:
        for job in jobs:  # only if the run itself broke; a no-op otherwise
            docker_executor.cleanup(job.external_execution_id or "")

    expected = {
        "ok": ("completed", 0),
        "fail": ("failed", 3),
        "timeout": ("timeout", None),
        "missing": ("failed", None),
    }
    for index, (kind, job) in enumerate(zip(kinds, jobs, strict=True)):
        status, code = expected[kind]
        assert job.status == status, (index, job, job.failure_reason)
        assert code is None or job.exit_code == code, (index, job.exit_code)
    oks = [(index, job) for index, (kind, job) in enumerate(zip(kinds, jobs, strict=True)) if kind == "ok"]
    assert all(job.stdout == f"job {index}\n" and job.stderr == "" for index, job in oks)
    assert all(job.stderr == f"boom {i}\n" for i, (k, job) in enumerate(zip(kinds, jobs, strict=True)) if k == "fail")
    assert all(job.stdout.startswith("started") for k, job in zip(kinds, jobs, strict=True) if k == "timeout")
    assert all(job.exit_code in (137, 143) for k, job in zip(kinds, jobs, strict=True) if k == "timeout")
    assert all("pull_policy" in str(job.failure_reason) for k, job in zip(kinds, jobs, strict=True) if k == "missing")

    assert result.counts == {"completed": 21, "failed": 6, "timeout": 3}
    assert set(result.reasons) == {index for index, kind in enumerate(kinds) if kind == "missing"}
    assert 0 < peak[0] <= CONCURRENCY
    assert progress[-1] == Progress(0, 0, 30, 9, progress[-1].elapsed)
    assert docker_executor.find_executions(labels) == []
    assert _held(docker_client, labels) == 0


def test_without_cleanup_the_harvested_containers_stay_until_cleaned(
    docker_client: Any, docker_executor: DockerExecutor, probe_image: str, run_labels: dict[str, str]
) -> None:
    labels = {**run_labels, "executor-kit-test": f"monitor-{uuid.uuid4().hex[:8]}"}
    jobs = [
        ContainerJob(image=probe_image, command=Probe().out(str(index)).argv, labels=dict(labels)) for index in range(4)
    ]
    try:
        result = run_jobs(docker_executor, jobs, concurrency=2, poll_interval=0.1, cleanup=False)
        assert result.ok and [job.stdout for job in jobs] == ["0\n", "1\n", "2\n", "3\n"]
        assert sorted(docker_executor.find_executions(labels)) == sorted(str(job.external_execution_id) for job in jobs)
    finally:
        for job in jobs:
            docker_executor.cleanup(job.external_execution_id or "")
    assert _held(docker_client, labels) == 0
