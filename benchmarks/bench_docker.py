"""DockerExecutor speed on the real engine (issue 5, "Speed"); prints figures and ratios.

1. Lifecycle: launch -> exited -> logs -> harvest -> cleanup of ``probe out hi``,
   median over N runs, through ``DockerExecutor`` and through raw ``docker``
   SDK calls doing the same (create, start, wait, both log streams, inspect,
   remove). Goal: ratio <= 1.10.
2. Status of 50 running containers: one ``check_statuses`` call vs. 50
   ``check_status`` calls. Goal: batch >= 10x faster.
3. The whole conformance suite on Docker vs. (containers it launched x median
   ``docker run --rm busybox true``). Goal: ratio <= 1.0.

Run: ``python benchmarks/bench_docker.py [--runs 15] [--containers 50]``.
Everything carries the labels ``executor-kit-managed=true`` and
``executor-kit-run=bench-...``, and is removed at the end.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import time
import uuid
from collections.abc import Callable
from typing import Any

import docker

from contract_tests import CLAUSES
from contract_tests.runner import new_harness
from contract_tests.schedule import Schedule
from executor_kit.backends.docker.executor import DockerExecutor
from executor_kit.job import ContainerJob
from executor_kit.labels import MANAGED_LABEL, RUN_LABEL
from executor_kit.probe import PROBE_IMAGE, Probe
from executor_kit.probe.build import build_probe_image

RUN_ID = f"bench-{uuid.uuid4().hex[:8]}"
LABELS = {MANAGED_LABEL: "true", RUN_LABEL: RUN_ID}
POLL = 0.01


def _timed(action: Callable[[], Any]) -> float:
    start = time.perf_counter()
    action()
    return time.perf_counter() - start


def median_ms(action: Callable[[], Any], runs: int) -> float:
    action()  # warm-up: connections, page cache
    return statistics.median(_timed(action) for _ in range(runs)) * 1000


def paired_medians_ms(first: Callable[[], Any], second: Callable[[], Any], runs: int) -> tuple[float, float]:
    """Medians of two actions run alternately, so drift in the engine's load hits both alike."""
    first(), second()  # warm-up
    pairs = [(_timed(first), _timed(second)) for _ in range(runs)]
    return statistics.median(a for a, _ in pairs) * 1000, statistics.median(b for _, b in pairs) * 1000


def executor_lifecycle(executor: DockerExecutor) -> None:
    job = ContainerJob(image=PROBE_IMAGE, command=Probe().out("hi").argv, labels={RUN_LABEL: RUN_ID})
    ok, execution_id = executor.launch_job(job)
    assert ok, execution_id
    while executor.check_status(execution_id) == "running":
        time.sleep(POLL)
    executor.get_logs(execution_id)
    assert executor.harvest_job(job) and job.stdout == "hi\n"
    executor.cleanup(execution_id)


def raw_lifecycle(client: Any) -> None:
    api = client.api
    container_id = api.create_container(PROBE_IMAGE, Probe().out("hi").argv, labels=dict(LABELS))["Id"]
    api.start(container_id)
    while api.inspect_container(container_id)["State"]["Status"] == "running":
        time.sleep(POLL)
    api.logs(container_id, stdout=True, stderr=False)
    api.logs(container_id, stdout=False, stderr=True)
    state = api.inspect_container(container_id)["State"]
    stdout = api.logs(container_id, stdout=True, stderr=False)
    api.logs(container_id, stdout=False, stderr=True)
    assert state["ExitCode"] == 0 and stdout == b"hi\n"
    api.remove_container(container_id, force=True)


def engine_floor(executor: DockerExecutor, ids: list[str], runs: int) -> None:
    """What the engine itself costs: the one list call a batch makes, and one inspect."""
    managed = {"label": f"{MANAGED_LABEL}=true"}
    listed = median_ms(lambda: executor.api.containers(all=True, filters=managed), runs)
    by_id = median_ms(lambda: executor.api.containers(all=True, filters={"id": ids}), runs)
    inspect = median_ms(lambda: executor.api.inspect_container(ids[0]), runs)
    print(f"  engine: list {len(ids)} by label {listed:.1f} ms, by id {by_id:.1f} ms; one inspect {inspect:.2f} ms")
    print(
        f"  the engine's own ceiling for the speed-up: {len(ids)} x inspect / list = {len(ids) * inspect / listed:.1f}x"
    )


def batch_vs_single(executor: DockerExecutor, count: int, runs: int) -> tuple[float, float]:
    ids = []
    try:
        for _ in range(count):
            job = ContainerJob(image=PROBE_IMAGE, command=Probe().sleep(300).argv, labels={RUN_LABEL: RUN_ID})
            ok, execution_id = executor.launch_job(job)
            assert ok, execution_id
            ids.append(execution_id)
        batch, single = paired_medians_ms(
            lambda: executor.check_statuses(ids),
            lambda: [executor.check_status(execution_id) for execution_id in ids],
            runs,
        )
        assert set(executor.check_statuses(ids).values()) == {"running"}
        engine_floor(executor, ids, runs)
        return batch, single
    finally:
        for execution_id in ids:
            executor.cleanup(execution_id)


def docker_run_true() -> None:
    labels = [f"--label={key}={value}" for key, value in LABELS.items()]
    subprocess.run(["docker", "run", "--rm", *labels, "busybox:latest", "true"], check=True, capture_output=True)


def suite_vs_containers(executor: DockerExecutor, true_ms: float) -> None:
    """The whole conformance suite's wall time vs. (containers it launched x docker run --rm).

    The clauses are judged as the plugin judges them on a real clock: scheduled
    ahead, concurrently (``contract_tests.schedule``).
    """
    harness = new_harness(executor)
    start = time.perf_counter()
    schedule = Schedule(harness, CLAUSES).start()
    verdicts = [schedule.result(clause).verdict for clause in CLAUSES]
    wall = time.perf_counter() - start
    harness.close()
    launched = len(harness.launched)
    baseline = launched * true_ms / 1000
    print(
        f"conformance suite on Docker: {wall:.1f} s, {verdicts.count('pass')}/{len(verdicts)} pass, "
        f"{launched} containers launched"
    )
    print(
        f"  ratio suite / ({launched} x docker run --rm) = {wall:.1f} / {baseline:.1f} = {wall / baseline:.2f}"
        " (goal <= 1.0)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--containers", type=int, default=50)
    args = parser.parse_args()
    client = docker.from_env()
    build_probe_image(client)
    executor = DockerExecutor({"pull_policy": "never"})
    try:
        kit, raw = paired_medians_ms(lambda: executor_lifecycle(executor), lambda: raw_lifecycle(client), args.runs)
        print(f"lifecycle median: DockerExecutor {kit:.1f} ms, raw docker SDK {raw:.1f} ms")
        print(f"  ratio executor/raw = {kit / raw:.3f} (goal <= 1.10)")
        batch, single = batch_vs_single(executor, args.containers, args.runs)
        print(f"status of {args.containers} running: batch {batch:.1f} ms, {args.containers} single {single:.1f} ms")
        print(f"  speed-up single/batch = {single / batch:.1f}x (goal >= 10x)")
        true_ms = median_ms(docker_run_true, args.runs)
        print(f"docker run --rm busybox true: median {true_ms:.1f} ms (suite baseline per launched container)")
        suite_vs_containers(executor, true_ms)
    finally:
        leftovers = client.api.containers(all=True, filters={"label": f"{RUN_LABEL}={RUN_ID}"})
        for row in leftovers:
            client.api.remove_container(row["Id"], force=True)
        executor.close()
        client.close()
        print(f"left behind: {len(leftovers)}")


if __name__ == "__main__":
    main()
