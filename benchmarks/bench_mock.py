"""Speed and memory of the MockExecutor.

Prints, in one run:

* full lifecycles per second (launch -> status -> logs -> harvest -> cleanup)
  of ``MockExecutor`` and of a bare dictionary-backed executor defined here as
  the floor (it validates and records on the job as the contract requires,
  and nothing more), and their ratio (goal >= 0.3);
* the same for probe jobs (the argv is interpreted at launch);
* peak memory with 100,000 live jobs, measured in a fresh subprocess with
  tracemalloc (goal <= 200 MiB), split into the jobs themselves and what the
  executor (with its journal) adds, plus the child's peak RSS.

Run: ``python benchmarks/bench_mock.py [--lifecycles N] [--live N]``.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
from collections.abc import Callable
from typing import Any

from executor_kit import ContainerExecutor, ContainerJob, ExecutionStatus, VirtualClock
from executor_kit.backends.mock import MockExecutor
from executor_kit.job import JobLike, mark_launched, record_result, validate_job
from executor_kit.probe import Probe

MIB = 1024 * 1024


class BareExecutor(ContainerExecutor):
    """The floor: a dict of ids, every job exits 0 at once with no output."""

    def __init__(self) -> None:
        super().__init__(clock=VirtualClock())
        self._jobs: dict[str, JobLike] = {}
        self._counter = 0

    def launch_job(self, job: JobLike) -> tuple[bool, str]:
        validate_job(job)
        self._counter += 1
        execution_id = f"bare-{self._counter}"
        self._jobs[execution_id] = job
        mark_launched(job, execution_id, self.clock.now())
        return True, execution_id

    def check_status(self, execution_id: str) -> ExecutionStatus:
        return ExecutionStatus.EXITED if execution_id in self._jobs else ExecutionStatus.NOT_FOUND

    def get_logs(self, execution_id: str) -> tuple[str, str]:
        return "", ""

    def harvest_job(self, job: JobLike) -> bool:
        if job.external_execution_id not in self._jobs:
            return False
        record_result(job, exit_code=0, stdout="", stderr="", completed_at=self.clock.now())
        return True

    def cleanup(self, execution_id: str) -> bool:
        self._jobs.pop(execution_id, None)
        return True


def lifecycles_per_second(executor: ContainerExecutor, jobs: list[ContainerJob]) -> float:
    started = time.perf_counter()
    for job in jobs:
        _, execution_id = executor.launch_job(job)
        executor.check_status(execution_id)
        executor.get_logs(execution_id)
        executor.harvest_job(job)
        executor.cleanup(execution_id)
    return len(jobs) / (time.perf_counter() - started)


def make_jobs(count: int, command: list[str]) -> list[ContainerJob]:
    labels = {"executor-kit-managed": "true", "bench": "yes"}
    return [ContainerJob(image="busybox", command=command, labels=labels) for _ in range(count)]


def best_of(runs: int, measure: Callable[[], float]) -> float:
    return max(measure() for _ in range(runs))


def speed(count: int) -> dict[str, float]:
    plain, probe = ["true"], Probe().out("hello").exit(0).argv
    figures = {
        "bare": best_of(3, lambda: lifecycles_per_second(BareExecutor(), make_jobs(count, plain))),
        "mock": best_of(3, lambda: lifecycles_per_second(MockExecutor(), make_jobs(count, plain))),
        "mock_probe": best_of(3, lambda: lifecycles_per_second(MockExecutor(), make_jobs(count, probe))),
    }
    figures["ratio"] = figures["mock"] / figures["bare"]
    figures["ratio_probe"] = figures["mock_probe"] / figures["bare"]
    return figures


def live_jobs(count: int) -> tuple[list[ContainerJob], MockExecutor]:
    jobs = make_jobs(count, Probe().out("hello").sleep(3600).argv)
    executor = MockExecutor()
    for job in jobs:
        executor.launch_job(job)
    assert len(executor.live_executions()) == count
    assert executor.check_status(f"mock-{count}") == "running"
    return jobs, executor


def traced_child(count: int) -> dict[str, float]:
    """Runs in a subprocess: launch ``count`` jobs, keep them live, trace allocations."""
    import tracemalloc

    tracemalloc.start()
    jobs = make_jobs(count, Probe().out("hello").sleep(3600).argv)
    jobs_bytes = tracemalloc.get_traced_memory()[0]
    del jobs
    kept = live_jobs(count)
    current, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    del kept
    return {
        "jobs_mib": jobs_bytes / MIB,
        "executor_mib": (current - jobs_bytes) / MIB,
        "peak_mib": peak / MIB,
    }


def rss_child(count: int) -> dict[str, float]:
    """Runs in a subprocess without tracing: the peak resident set size."""
    kept = live_jobs(count)
    rss_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    del kept
    return {"rss_mib": rss_kib / 1024}


def child(function: str, count: int) -> dict[str, float]:
    code = f"import bench_mock, json; print(json.dumps(bench_mock.{function}({count})))"
    here = __file__.rsplit("/", 1)[0] or "."
    output = subprocess.run([sys.executable, "-c", code], cwd=here, check=True, capture_output=True, text=True)
    figures: dict[str, float] = json.loads(output.stdout)
    return figures


def memory(count: int) -> dict[str, float]:
    return {**child("traced_child", count), **child("rss_child", count)}


def report(speeds: dict[str, float], memories: dict[str, Any], live: int) -> None:
    print(f"lifecycles/s  bare dict executor (floor): {speeds['bare']:>10,.0f}")
    print(f"lifecycles/s  MockExecutor, plain jobs:   {speeds['mock']:>10,.0f}")
    print(f"lifecycles/s  MockExecutor, probe jobs:   {speeds['mock_probe']:>10,.0f}")
    print(f"ratio mock/floor: {speeds['ratio']:.2f} (plain), {speeds['ratio_probe']:.2f} (probe)  goal >= 0.30")
    print(f"memory, {live:,} live probe jobs (tracemalloc, fresh process):")
    print(f"  jobs themselves:            {memories['jobs_mib']:8.1f} MiB")
    print(f"  executor + journal:         {memories['executor_mib']:8.1f} MiB")
    print(f"  peak (jobs + executor):     {memories['peak_mib']:8.1f} MiB  goal <= 200 MiB")
    print(f"  peak RSS, untraced process: {memories['rss_mib']:8.1f} MiB (interpreter included)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lifecycles", type=int, default=20_000)
    parser.add_argument("--live", type=int, default=100_000)
    args = parser.parse_args()
    report(speed(args.lifecycles), memory(args.live), args.live)


if __name__ == "__main__":
    main()
