"""A workload writing 50 MB of logs: harvest completes, exact, and within memory bounds.

The probe writes 500,000 numbered lines of 100 characters (50.5 MB) to stdout.
``get_logs`` and ``harvest_job`` must return every byte, and the peak Python
memory they allocate (``tracemalloc``) must stay below three times the log size:
the stream is appended once per frame and decoded once, never buffered twice.
The figures are printed to the terminal whether or not ``-s`` is given.
"""

from __future__ import annotations

import contextlib
import hashlib
import time
import tracemalloc
import uuid
from collections.abc import Callable, Iterator
from typing import Any, TypeVar

import pytest

from executor_kit.backends.docker.executor import DockerExecutor
from executor_kit.clock import SystemClock
from executor_kit.job import ContainerJob
from executor_kit.probe import Probe

pytestmark = pytest.mark.docker

LINES, WIDTH = 500_000, 100
LOG_BYTES = LINES * (WIDTH + 1)
MEMORY_FACTOR = 3.0
MIB = 1024 * 1024
T = TypeVar("T")


def expected_digest() -> str:
    """SHA-256 of what the probe's ``lines out LINES WIDTH`` writes, built in chunks."""
    digest = hashlib.sha256()
    for start in range(1, LINES + 1, 10_000):
        chunk = "".join(str(i).ljust(WIDTH, ".") + "\n" for i in range(start, min(start + 10_000, LINES + 1)))
        digest.update(chunk.encode())
    return digest.hexdigest()


def measured(action: Callable[[], T]) -> tuple[T, int, float]:
    """Run ``action``; its result, the peak bytes it allocated, and its wall time."""
    tracemalloc.start()
    try:
        start = time.perf_counter()
        result = action()
        elapsed = time.perf_counter() - start
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return result, peak, elapsed


@pytest.fixture
def executor(docker_client: Any, run_labels: dict[str, str], probe_image: str) -> Iterator[DockerExecutor]:
    labels = {**run_labels, "executor-kit-test": f"big-logs-{uuid.uuid4().hex[:8]}"}
    with contextlib.closing(DockerExecutor({"labels": labels, "pull_policy": "never"})) as docker_executor:
        yield docker_executor
        for execution_id in docker_executor.find_executions(labels):
            docker_executor.cleanup(execution_id)


def wait_terminal(executor: DockerExecutor, execution_id: str, deadline: float) -> str:
    clock = SystemClock()
    end = clock.monotonic() + deadline
    status = str(executor.check_status(execution_id))
    while status not in ("exited", "failed"):
        assert clock.monotonic() < end, f"still {status} after {deadline} s"
        clock.sleep(0.5)
        status = str(executor.check_status(execution_id))
    return status


def test_50_mb_of_logs_are_harvested_exactly_within_memory_bounds(
    executor: DockerExecutor,
    probe_image: str,
    capsys: pytest.CaptureFixture[str],
    record_property: Callable[[str, object], None],
) -> None:
    job = ContainerJob(image=probe_image, command=Probe().lines("out", LINES, WIDTH).err("done").argv)
    ok, execution_id = executor.launch_job(job)
    assert ok, execution_id
    start = time.perf_counter()
    assert wait_terminal(executor, execution_id, deadline=300) == "exited"
    run_s = time.perf_counter() - start

    (stdout, stderr), logs_peak, logs_s = measured(lambda: executor.get_logs(execution_id))
    assert (len(stdout), stderr) == (LOG_BYTES, "done\n")
    del stdout
    harvested, harvest_peak, harvest_s = measured(lambda: executor.harvest_job(job))
    assert harvested is True and (job.exit_code, job.status, job.stderr) == (0, "completed", "done\n")
    assert len(job.stdout) == LOG_BYTES
    assert job.stdout.startswith("1" + "." * (WIDTH - 1) + "\n2.") and job.stdout.endswith(
        f"{LINES}".ljust(WIDTH, ".") + "\n"
    )
    assert hashlib.sha256(job.stdout.encode()).hexdigest() == expected_digest()
    assert executor.cleanup(execution_id) is True

    figures = {
        "log_mib": LOG_BYTES / MIB,
        "workload_s": run_s,
        "get_logs_s": logs_s,
        "get_logs_peak_mib": logs_peak / MIB,
        "harvest_s": harvest_s,
        "harvest_peak_mib": harvest_peak / MIB,
        "peak_ratio": max(logs_peak, harvest_peak) / LOG_BYTES,
    }
    for key, value in figures.items():
        record_property(key, round(value, 3))
    with capsys.disabled():
        print("\nbig logs: " + ", ".join(f"{key}={value:.2f}" for key, value in figures.items()))
    assert logs_peak < MEMORY_FACTOR * LOG_BYTES, f"get_logs peaked at {logs_peak / MIB:.0f} MiB"
    assert harvest_peak < MEMORY_FACTOR * LOG_BYTES, f"harvest_job peaked at {harvest_peak / MIB:.0f} MiB"
