"""Speed of the monitor (``executor_kit.monitor.run_jobs``).

Prints, in one run:

* its throughput on the ``MockExecutor``: jobs per second (wall) for 10,000
  probe jobs of mixed durations and exit codes on the virtual clock, beside
  a plain loop over the same mock that runs one job at a time (launch,
  status, harvest, cleanup; no monitor), and the same with injected
  transient faults (retried launches, failed polls);
* if a Docker engine answers, its overhead on Docker: the wall time for 20
  probe jobs that each sleep ``--sleep`` seconds, against the sum of their
  container runtimes (``FinishedAt - StartedAt`` from the engine) divided by
  the concurrency used; the ratio is 1.0 for a monitor that adds nothing
  beyond the containers' own run time (container start and stop cost in the
  engine show up in it too). Measured with launches one at a time
  (``launch_workers=1``, the default) and from a thread pool
  (``launch_workers=concurrency``), at two poll intervals, with the wall
  time spent in each executor method, in the clock's sleep, and (launches
  one at a time) in the monitor's own code: the rest.

Run: ``python benchmarks/bench_monitor.py [--jobs N] [--docker-jobs N] [--concurrency N]``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import time
import uuid
from typing import Any

from executor_kit import (
    RUN_LABEL,
    ContainerJob,
    ExecutorConnectionError,
    MockExecutor,
    Probe,
    SystemClock,
)
from executor_kit.backends.mock import Fault
from executor_kit.monitor import Backoff, MonitorResult, run_jobs


def mock_jobs(count: int) -> list[ContainerJob]:
    return [
        ContainerJob(image="probe", command=Probe().out(f"job {i}").sleep(i % 7).exit(1 if i % 3 == 0 else 0).argv)
        for i in range(count)
    ]


def timed(function: Any) -> tuple[float, Any]:
    started = time.perf_counter()
    value = function()
    return time.perf_counter() - started, value


def bare_loop(mock: MockExecutor, jobs: list[ContainerJob]) -> None:
    """For reference: each job's lifecycle straight through, the clock advanced by hand."""
    for job in jobs:
        _, execution_id = mock.launch_job(job)
        mock.run_until_complete()
        mock.check_statuses([execution_id])
        mock.harvest_job(job)
        mock.cleanup(execution_id)


def mock_figures(count: int, concurrency: int) -> None:
    floor, _ = timed(lambda: bare_loop(MockExecutor(), mock_jobs(count)))
    wall, result = timed(lambda: run_jobs(MockExecutor(), mock_jobs(count), concurrency=concurrency))
    faults = [
        Fault("launch_job", ExecutorConnectionError, times=None, probability=0.05),
        Fault("check_statuses", ExecutorConnectionError, times=None, probability=0.05),
    ]
    faulty = MockExecutor(faults=faults, seed=1)
    backoff = Backoff(initial=0.5)
    faulty_wall, faulty_result = timed(
        lambda: run_jobs(faulty, mock_jobs(count), concurrency=concurrency, max_launch_attempts=10, backoff=backoff)
    )
    print(f"MockExecutor, {count:,} probe jobs, concurrency {concurrency}, poll 1 s (virtual clock):")
    print(f"  one job at a time, no monitor:  {count / floor:>9,.0f} jobs/s  ({floor:.2f} s wall)")
    describe("run_jobs", count, wall, result)
    describe("run_jobs + faults", count, faulty_wall, faulty_result)


def describe(label: str, count: int, wall: float, result: MonitorResult) -> None:
    print(
        f"  {label + ':':<29} {count / wall:>9,.0f} jobs/s  ({wall:.2f} s wall; "
        f"{result.elapsed:,.0f} virtual s, {result.status_calls} status calls, "
        f"{result.launch_attempts:,} launches, {result.poll_errors} poll errors; {result.counts})"
    )


# -- Docker ----------------------------------------------------------------------------------


def docker_client() -> Any:
    try:
        import docker

        client = docker.from_env()
        client.ping()
    except Exception as exc:  # any failure means: no usable engine here
        print(f"Docker: skipped, no engine answers ({type(exc).__name__}: {exc})")
        return None
    return client


def parse(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text[:26].rstrip("Z") + "+00:00")


def runtime(client: Any, execution_id: str) -> float:
    state = client.api.inspect_container(execution_id)["State"]
    return (parse(state["FinishedAt"]) - parse(state["StartedAt"])).total_seconds()


class Timings:
    """Wall time spent in each executor method and in the clock's sleep."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}

    def wrap(self, owner: Any, names: tuple[str, ...]) -> None:
        for name in names:
            setattr(owner, name, self.timed(name, getattr(owner, name)))

    def timed(self, name: str, method: Any) -> Any:
        def call(*args: Any) -> Any:
            started = time.perf_counter()
            try:
                return method(*args)
            finally:
                self.seconds[name] = self.seconds.get(name, 0.0) + time.perf_counter() - started

        return call


def docker_run(client: Any, count: int, concurrency: int, sleep: float, poll: float, workers: int) -> None:
    from executor_kit.backends.docker.executor import DockerExecutor
    from executor_kit.probe.build import build_probe_image

    image = build_probe_image(client)
    labels = {RUN_LABEL: f"bench-{uuid.uuid4().hex[:10]}"}  # the kit adds MANAGED_LABEL
    executor = DockerExecutor({"labels": labels, "pull_policy": "never"}, clock=SystemClock())
    timings = Timings()
    timings.wrap(executor, ("launch_job", "check_statuses", "harvest_job", "cleanup"))
    timings.wrap(executor.clock, ("sleep",))
    jobs = [ContainerJob(image=image, command=Probe().sleep(sleep).argv, labels=labels) for _ in range(count)]
    try:
        wall, result = timed(
            lambda: run_jobs(
                executor, jobs, concurrency=concurrency, poll_interval=poll, launch_workers=workers, cleanup=False
            )
        )
        spent = dict(timings.seconds)  # before the cleanup below
        runtimes = [runtime(client, str(job.external_execution_id)) for job in jobs]
    finally:
        for execution_id in executor.find_executions(labels):
            executor.cleanup(execution_id)
        executor.close()
    ideal = sum(runtimes) / concurrency
    own = wall - sum(spent.values()) if workers == 1 else None
    print(
        f"  poll {poll} s, launch_workers {workers}: wall {wall:5.2f} s vs sum of runtimes "
        f"{sum(runtimes):5.2f} s / {concurrency} = {ideal:4.2f} s: ratio {wall / ideal:4.2f}  "
        f"({result.counts}, {result.status_calls} status calls)"
    )
    calls = ", ".join(f"{name} {seconds:.2f}" for name, seconds in sorted(spent.items()))
    mine = "" if own is None else f"; the monitor's own code {own:.2f} s"
    print(f"      wall seconds in: {calls}{mine}")


def docker_figures(count: int, concurrency: int, sleep: float) -> None:
    client = docker_client()
    if client is None:
        return
    print(f"Docker, {count} probe jobs of `sleep {sleep}`, concurrency {concurrency} (cleanup after timing):")
    try:
        for poll, workers in ((0.1, 1), (0.5, 1), (0.1, concurrency)):
            docker_run(client, count, concurrency, sleep, poll, workers)
    finally:
        client.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=10_000)
    parser.add_argument("--mock-concurrency", type=int, default=100)
    parser.add_argument("--docker-jobs", type=int, default=20)
    parser.add_argument("--concurrency", type=int, default=5)
    parser.add_argument("--sleep", type=float, default=2.0)
    args = parser.parse_args()
    mock_figures(args.jobs, args.mock_concurrency)
    docker_figures(args.docker_jobs, args.concurrency, args.sleep)


if __name__ == "__main__":
    main()
