"""Interrupting the conformance run on the real engine: SIGINT, SIGTERM, SIGKILL + ``executor-kit reap``.

Each test starts ``pytest --executor=docker`` (the conformance suite, as
``executor-kit verify`` runs it) in a subprocess. The executor is configured
with one extra label holding a token unique to the test, so the test finds
exactly the containers of its own run even when other runs share the engine;
the suite's own run label (``executor-kit-run: contract-...``) is on them too.

* SIGINT and SIGTERM, sent early (as soon as the first container exists) or
  mid-run (after a seeded random delay), must end the run through the suite's
  own teardown (pytest exit code 2, "interrupted") with no container left.
* SIGKILL gives no chance to clean up: containers remain, ``executor-kit reap
  --dry-run`` lists them without removing, ``executor-kit reap`` removes them.

Set ``EXECUTOR_KIT_INTERRUPT_SEED`` to replay the random delays of a run.
"""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

import executor_kit
from contract_tests.session import SUITE_MODULE
from executor_kit.backends.docker.executor import DockerExecutor
from executor_kit.backends.docker.hooks import FOREIGN_LABEL
from executor_kit.job import ContainerJob
from executor_kit.labels import MANAGED_LABEL, RUN_LABEL
from executor_kit.probe import Probe

pytestmark = pytest.mark.docker

#: The extra label (set through the executor's config) that marks one test's run.
TOKEN_LABEL = "executor-kit-interrupt-test"

SEED = int(os.environ.get("EXECUTOR_KIT_INTERRUPT_SEED", "20250101"))

#: How long a container may take to appear, and the interrupted run to end.
APPEAR_DEADLINE = 30.0
EXIT_DEADLINE = 60.0

#: The delay after the first container before the signal: (low, high) seconds.
POINTS = {"early": (0.0, 0.1), "mid": (2.0, 8.0)}

_PROJECT = str(Path(executor_kit.__file__).resolve().parent.parent)
_INI = str(Path(SUITE_MODULE).with_name("verify.ini"))


def _default_sigint() -> None:  # pragma: no cover - runs in the child between fork and exec
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def _sigint_reset() -> Callable[[], None] | None:
    """Only when this process ignores SIGINT (a background job): the child would inherit that and never see it."""
    return _default_sigint if signal.getsignal(signal.SIGINT) == signal.SIG_IGN else None


class SuiteRun:
    """One conformance run in a subprocess, with its containers found by token label."""

    def __init__(self, client: Any, workdir: Path, probe_image: str) -> None:
        self.client = client
        self.token = uuid.uuid4().hex[:16]
        self.output = workdir / "suite-output.txt"
        self.workdir = workdir
        self.probe_image = probe_image
        self.proc: subprocess.Popen[bytes] | None = None

    def argv(self) -> list[str]:
        config = {"labels": {TOKEN_LABEL: self.token}, "pull_policy": "never"}
        return [
            sys.executable,
            "-m",
            "pytest",
            SUITE_MODULE,
            "-c",
            _INI,
            "--rootdir",
            str(Path(SUITE_MODULE).parent),
            "-q",
            "-p",
            "no:cacheprovider",
            "--executor=docker",
            "--executor-config",
            json.dumps(config),
            "--probe-image",
            self.probe_image,
        ]

    def start(self) -> None:
        env = {key: value for key, value in os.environ.items() if key != "PYTEST_ADDOPTS"}
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [_PROJECT, env.get("PYTHONPATH")]))
        with self.output.open("wb") as sink:
            self.proc = subprocess.Popen(
                self.argv(),
                cwd=self.workdir,
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=sink,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # our signals only, never the terminal's
                preexec_fn=_sigint_reset(),
            )

    def containers(self) -> list[dict[str, Any]]:
        rows: list[dict[str, Any]] = self.client.api.containers(
            all=True, filters={"label": f"{TOKEN_LABEL}={self.token}"}
        )
        return rows

    def tail(self) -> str:
        return self.output.read_text(errors="replace")[-3000:] if self.output.exists() else ""

    def wait_for_containers(self, count: int = 1) -> list[dict[str, Any]]:
        assert self.proc is not None
        end = time.monotonic() + APPEAR_DEADLINE
        while len(rows := self.containers()) < count:
            assert self.proc.poll() is None, f"the suite ended (exit {self.proc.returncode}) early:\n{self.tail()}"
            assert time.monotonic() < end, f"no {count} container(s) within {APPEAR_DEADLINE} s:\n{self.tail()}"
            time.sleep(0.05)
        return rows

    def signal_and_wait(self, signum: int) -> int:
        assert self.proc is not None
        self.proc.send_signal(signum)
        try:
            return self.proc.wait(timeout=EXIT_DEADLINE)
        except subprocess.TimeoutExpired:
            pytest.fail(f"the suite did not end within {EXIT_DEADLINE} s of signal {signum}:\n{self.tail()}")

    def close(self) -> None:
        """Kill the subprocess if still alive and remove every container of the run."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(timeout=30)
        for row in self.containers():
            self.client.api.remove_container(row["Id"], force=True, v=True)


@pytest.fixture
def suite_run(docker_client: Any, probe_image: str, tmp_path: Path) -> Iterator[SuiteRun]:
    """A ``SuiteRun`` whose process and containers are gone after the test, whatever happened."""
    run = SuiteRun(docker_client, tmp_path, probe_image)
    yield run
    run.close()


def _run_labels(rows: list[dict[str, Any]]) -> set[str]:
    return {row["Labels"].get(RUN_LABEL, "") for row in rows}


def _reap(*options: str) -> subprocess.CompletedProcess[str]:
    argv = [sys.executable, "-m", "executor_kit.cli", "reap", "--backend", "docker", *options]
    return subprocess.run(argv, capture_output=True, text=True, timeout=60, check=False)


@pytest.mark.parametrize("point", sorted(POINTS))
@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_interrupted_run_leaves_no_container(suite_run: SuiteRun, signum: int, point: str) -> None:
    delay = random.Random(f"{SEED}-{signum}-{point}").uniform(*POINTS[point])  # same delay whatever runs first
    suite_run.start()
    seen = suite_run.wait_for_containers()
    time.sleep(delay)
    seen += suite_run.containers()
    code = suite_run.signal_and_wait(signum)
    context = f"seed {SEED}, delay {delay:.2f} s, signal {signum}\n{suite_run.tail()}"
    launched = [row for row in seen if FOREIGN_LABEL not in row["Labels"]]  # FOREIGN-001's is not the kit's
    assert all(label.startswith("contract-") for label in _run_labels(launched)), context
    assert all(row["Labels"].get(MANAGED_LABEL) == "true" for row in launched), context
    assert code == pytest.ExitCode.INTERRUPTED, f"exit {code}; {context}"
    left = suite_run.containers()
    assert left == [], f"{len(left)} container(s) left after the suite's teardown; {context}"


@pytest.mark.parametrize("step", ["create_container", "start"])
def test_interrupt_inside_launch_leaves_no_container(
    docker_client: Any, probe_image: str, run_labels: dict[str, str], step: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The signal lands while the daemon's answer to one launch call is being read: deterministic replay."""
    token = uuid.uuid4().hex[:16]
    executor = DockerExecutor({"labels": {**run_labels, TOKEN_LABEL: token}, "pull_policy": "never"})
    selector = {"label": f"{TOKEN_LABEL}={token}"}
    real = getattr(executor.api, step)

    def interrupted(*args: Any, **kwargs: Any) -> Any:
        real(*args, **kwargs)  # the engine has done it ...
        raise KeyboardInterrupt(f"SIGINT while reading the answer to {step}")  # ... the caller never hears

    monkeypatch.setattr(executor.api, step, interrupted)
    try:
        with pytest.raises(KeyboardInterrupt):
            executor.launch_job(ContainerJob(image=probe_image, command=Probe().sleep(30).argv))
        left = docker_client.api.containers(all=True, filters=selector)
        assert left == [], f"an interrupt inside {step} left {len(left)} container(s) nobody knows about"
    finally:
        for row in docker_client.api.containers(all=True, filters=selector):
            docker_client.api.remove_container(row["Id"], force=True, v=True)
        executor.close()


def test_sigkill_leaves_containers_that_reap_removes(suite_run: SuiteRun) -> None:
    suite_run.start()
    suite_run.wait_for_containers(count=3)
    assert suite_run.signal_and_wait(signal.SIGKILL) == -signal.SIGKILL
    time.sleep(2)  # creates the engine had already received finish after the kill (clauses launch at once)
    left = {row["Id"] for row in suite_run.containers()}
    assert left, "SIGKILL left nothing behind: the test proves nothing"
    (run_id,) = _run_labels(suite_run.containers())
    assert run_id.startswith("contract-")

    dry = _reap("--run-label", run_id, "--dry-run")
    assert dry.returncode == 0, dry.stderr
    assert sorted(dry.stdout.splitlines()) == sorted(f"would remove {eid}" for eid in left), dry.stdout
    assert {row["Id"] for row in suite_run.containers()} == left, "--dry-run removed something"

    reaped = _reap("--run-label", run_id)
    assert reaped.returncode == 0, reaped.stderr
    assert sorted(reaped.stdout.splitlines()) == sorted(f"removed {eid}" for eid in left)
    assert suite_run.containers() == []

    again = _reap("--run-label", run_id)
    assert again.stdout.strip() == "nothing to reap on docker"
