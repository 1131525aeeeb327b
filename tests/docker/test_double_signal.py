"""``executor-kit verify docker`` interrupted twice: the teardown's cleanup finishes whatever signals arrive.

A first SIGTERM ends the run through the suite's teardown; further SIGTERMs
(one second later, and again) arrive while it cleans up: they are reported, not
obeyed, and no container of the run is left. Only SIGKILL leaves containers,
and ``executor-kit reap --run-label RUN`` removes them.
"""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from executor_kit.labels import RUN_LABEL
from tests.docker.test_interruption import EXIT_DEADLINE, TOKEN_LABEL, SuiteRun, _reap

pytestmark = pytest.mark.docker


class VerifyRun(SuiteRun):
    """``executor-kit verify docker`` (the CLI) in a subprocess, its containers found by token label."""

    def argv(self) -> list[str]:
        config = {"labels": {TOKEN_LABEL: self.token}, "pull_policy": "never"}
        return [
            sys.executable,
            "-m",
            "executor_kit.cli",
            "verify",
            "docker",
            "--config",
            json.dumps(config),
            "--probe-image",
            self.probe_image,
        ]

    def signals_then_wait(self, *delays: float) -> int:
        """SIGTERM now, then again after each delay (seconds), then wait for the end."""
        assert self.proc is not None
        self.proc.send_signal(signal.SIGTERM)
        for delay in delays:
            time.sleep(delay)
            if self.proc.poll() is None:
                self.proc.send_signal(signal.SIGTERM)
        try:
            return self.proc.wait(timeout=EXIT_DEADLINE)
        except subprocess.TimeoutExpired:
            pytest.fail(f"verify did not end within {EXIT_DEADLINE} s of the signals:\n{self.tail()}")


@pytest.fixture
def verify_run(docker_client: Any, probe_image: str, tmp_path: Path) -> Iterator[VerifyRun]:
    """A ``VerifyRun`` whose process (SIGKILLed if still alive) and containers are gone after the test."""
    run = VerifyRun(docker_client, tmp_path, probe_image)
    try:
        yield run
    finally:
        run.close()


def test_a_second_sigterm_during_teardown_does_not_abort_the_cleanup(verify_run: VerifyRun) -> None:
    verify_run.start()
    verify_run.wait_for_containers(count=6)
    code = verify_run.signals_then_wait(1.0, *[0.25] * 16)  # and more, all through the unwinding
    output = verify_run.output.read_text(errors="replace")
    left = verify_run.containers()
    assert left == [], f"{len(left)} container(s) left after a second SIGTERM:\n{output}"
    # Whether a later signal lands during the cleanup depends on how long it takes (clauses run at once, so it can
    # be over in well under a second); tests/conformance/test_plugin_signals.py checks the reporting itself,
    # deterministically.
    # after the cleanup the default handlers are back: a signal then may end the process at once
    assert code in (2, -signal.SIGTERM), f"exit {code}:\n{output}"
    assert "Traceback" not in output, output


def test_sigkill_through_the_cli_leaves_containers_that_reap_removes(verify_run: VerifyRun) -> None:
    verify_run.start()
    verify_run.wait_for_containers(count=3)
    verify_run.signal_and_wait(signal.SIGKILL)
    time.sleep(2)  # creates the engine had already received finish after the kill (clauses launch at once)
    rows = verify_run.containers()
    assert rows, "SIGKILL left nothing behind: the test proves nothing"
    (run_id,) = {row["Labels"][RUN_LABEL] for row in rows}
    reaped = _reap("--run-label", run_id)
    assert reaped.returncode == 0, reaped.stderr
    assert {f"removed {row['Id']}" for row in rows} <= set(reaped.stdout.splitlines())
    assert verify_run.containers() == []
