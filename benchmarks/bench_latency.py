"""The suite's wall time against launch latency, and on Docker against one ``docker run --rm``.

1. A real-time ``MockExecutor`` (its clock is the wall clock, so workloads take
   their real time and the suite's default time profile applies) whose
   ``launch_job`` first sleeps L seconds, as a cloud's launch-to-running does.
   ``executor-kit verify`` against it for L = 0, 1, 2: the slope is the
   suite's extra wall time per second of launch latency (goal <= 3).
2. ``executor-kit verify docker`` against the median of 5 ``docker run --rm
   busybox true`` on the same engine in the same run (goal <= 35x).

Run: ``python benchmarks/bench_latency.py [--latencies 0 1 2] [--no-docker]``
from the repository root (the target ``benchmarks.bench_latency:executor`` is
imported from there).
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from executor_kit.backends.mock import MockExecutor
from executor_kit.clock import VirtualClock

ROOT = Path(__file__).resolve().parent.parent
LATENCY_ENV = "EXECUTOR_KIT_BENCH_LATENCY"


class WallClock(VirtualClock):
    """The mock's clock made real: time passes by itself and ``sleep`` sleeps."""

    is_virtual = False

    def __init__(self) -> None:
        super().__init__()
        self._origin = time.monotonic()

    def monotonic(self) -> float:
        return time.monotonic() - self._origin

    def advance(self, seconds: float) -> None:
        time.sleep(max(0.0, seconds))

    def sleep(self, seconds: float) -> None:
        time.sleep(max(0.0, seconds))


class SlowLaunchMock(MockExecutor):
    """A real-time mock whose every launch first waits ``latency`` seconds."""

    def __init__(self, config: Any = None, *, latency: float = 0.0) -> None:
        super().__init__(config, clock=WallClock())
        self.latency = latency

    def launch_job(self, job: Any) -> tuple[bool, str]:
        result = super().launch_job(job)  # a refused or unreachable launch answers at once, as on a cloud
        time.sleep(self.latency)
        return result


def executor(config: Any = None) -> SlowLaunchMock:
    """The target ``executor-kit verify`` loads; the latency comes from the environment."""
    return SlowLaunchMock(config, latency=float(os.environ.get(LATENCY_ENV, "0")))


def _verify(target: str, env: dict[str, str]) -> tuple[float, str]:
    start = time.perf_counter()
    result = subprocess.run(
        [sys.executable, "-m", "executor_kit.cli", "verify", target],
        cwd=ROOT,
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        check=False,
    )
    badge = [line for line in result.stdout.splitlines() if line.startswith("executor-kit conformance")]
    return time.perf_counter() - start, (badge or [result.stdout[-300:] + result.stderr[-300:]])[-1]


def latency_slope(latencies: list[float]) -> None:
    times = []
    for latency in latencies:
        seconds, badge = _verify("benchmarks.bench_latency:executor", {LATENCY_ENV: str(latency)})
        times.append(seconds)
        print(f"launch latency {latency:g} s: suite {seconds:6.1f} s   {badge}")
    mean_l, mean_t = statistics.mean(latencies), statistics.mean(times)
    slope = sum((x - mean_l) * (t - mean_t) for x, t in zip(latencies, times, strict=True)) / sum(
        (x - mean_l) ** 2 for x in latencies
    )
    print(f"extra suite seconds per second of launch latency: {slope:.2f} (goal <= 3)")


def _docker_run_rm() -> float:
    start = time.perf_counter()
    subprocess.run(["docker", "run", "--rm", "busybox:latest", "true"], check=True, capture_output=True)
    return time.perf_counter() - start


def docker_ratio() -> None:
    one = statistics.median(_docker_run_rm() for _ in range(5))
    seconds, badge = _verify("docker", {})
    print(f"docker run --rm busybox true: {one * 1000:.0f} ms (median of 5)")
    print(f"suite on Docker: {seconds:.1f} s   {badge}")
    print(f"ratio: {seconds / one:.1f}x (goal <= 35x)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--latencies", type=float, nargs="+", default=[0.0, 1.0, 2.0])
    parser.add_argument("--no-docker", action="store_true")
    args = parser.parse_args()
    latency_slope(args.latencies)
    if not args.no_docker:
        docker_ratio()


if __name__ == "__main__":
    main()
