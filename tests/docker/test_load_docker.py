"""Load on the real engine: 50 probe jobs launched concurrently from a thread pool.

Checks: 50 distinct container ids; all 50 were running at once; every job is
harvested exactly once (each by one worker) with its own output; all are
cleaned up concurrently and nothing carrying the test's label is left. The wall
times are printed to the terminal whether or not ``-s`` is given, and recorded
as JUnit properties.
"""

from __future__ import annotations

import collections
import concurrent.futures
import contextlib
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from executor_kit.backends.docker.executor import DockerExecutor
from executor_kit.clock import SystemClock
from executor_kit.job import ContainerJob
from executor_kit.probe import Probe

pytestmark = pytest.mark.docker

JOBS, WORKERS = 50, 16
HOLD = 20.0  # seconds each job sleeps, so all 50 are running together before any ends
TERMINAL = {"exited", "failed"}


@pytest.fixture
def labels(run_labels: dict[str, str]) -> dict[str, str]:
    return {**run_labels, "executor-kit-test": f"load-{uuid.uuid4().hex[:8]}"}


@pytest.fixture
def executor(docker_client: Any, labels: dict[str, str], probe_image: str) -> Iterator[DockerExecutor]:
    with contextlib.closing(DockerExecutor({"labels": labels, "pull_policy": "never"})) as docker_executor:
        yield docker_executor
        leftovers = docker_executor.find_executions(labels)
        for execution_id in leftovers:
            docker_executor.cleanup(execution_id)


def statuses(executor: DockerExecutor, ids: list[str]) -> collections.Counter[str]:
    return collections.Counter(str(status) for status in executor.check_statuses(ids).values())


def wait_all_terminal(executor: DockerExecutor, ids: list[str], deadline: float) -> collections.Counter[str]:
    clock = SystemClock()
    end = clock.monotonic() + deadline
    counts = statuses(executor, ids)
    while set(counts) - TERMINAL:
        assert clock.monotonic() < end, f"not finished after {deadline} s: {dict(counts)}"
        clock.sleep(0.25)
        counts = statuses(executor, ids)
    return counts


def timed(action: Callable[[], Any]) -> tuple[float, Any]:
    start = time.perf_counter()
    result = action()
    return time.perf_counter() - start, result


def test_50_concurrent_jobs_are_launched_harvested_once_and_cleaned(
    executor: DockerExecutor,
    probe_image: str,
    labels: dict[str, str],
    capsys: pytest.CaptureFixture[str],
    record_property: Callable[[str, object], None],
) -> None:
    jobs = [
        ContainerJob(image=probe_image, command=Probe().out(f"job-{n}").sleep(HOLD).argv, labels=labels)
        for n in range(JOBS)
    ]
    harvested: collections.Counter[str] = collections.Counter()
    lock = threading.Lock()

    def harvest(job: ContainerJob) -> None:
        assert executor.harvest_job(job) is True
        with lock:
            harvested[str(job.external_execution_id)] += 1

    with concurrent.futures.ThreadPoolExecutor(WORKERS) as pool:
        launch_s, launched = timed(lambda: list(pool.map(executor.launch_job, jobs)))
        assert all(ok for ok, _ in launched), [value for ok, value in launched if not ok]
        ids = [value for _, value in launched]
        assert len(set(ids)) == JOBS and [job.external_execution_id for job in jobs] == ids
        together = statuses(executor, ids)
        assert together == {"running": JOBS}, f"launching took {launch_s:.1f} s; statuses {dict(together)}"
        assert set(executor.find_executions(labels)) == set(ids)

        run_s, counts = timed(lambda: wait_all_terminal(executor, ids, deadline=HOLD + 120))
        assert counts == {"exited": JOBS}
        harvest_s, _ = timed(lambda: list(pool.map(harvest, jobs)))
        cleanup_s, cleaned = timed(lambda: list(pool.map(executor.cleanup, ids)))

    assert set(harvested) == set(ids) and set(harvested.values()) == {1}
    for n, job in enumerate(jobs):
        assert (job.status, job.exit_code, job.stdout, job.stderr) == ("completed", 0, f"job-{n}\n", "")
    assert cleaned == [True] * JOBS
    assert executor.find_executions(labels) == []
    assert statuses(executor, ids) == {"not-found": JOBS}

    figures = {"launch_wall_s": launch_s, "launches_per_s": JOBS / launch_s, "until_all_ended_s": run_s}
    figures |= {"harvest_wall_s": harvest_s, "cleanup_wall_s": cleanup_s}
    for key, value in figures.items():
        record_property(key, round(value, 3))
    with capsys.disabled():
        print(
            f"\ndocker load: jobs={JOBS}, workers={WORKERS}, " + ", ".join(f"{k}={v:.2f}" for k, v in figures.items())
        )
