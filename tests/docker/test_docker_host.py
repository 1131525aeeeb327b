"""A malformed ``DOCKER_HOST`` is a one-line ``ExecutorConfigurationError``, also from ``executor-kit reap``."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

pytest.importorskip("docker")

from executor_kit.backends.docker.executor import DockerExecutor
from executor_kit.errors import ExecutorConfigurationError

MALFORMED = ["tcp://localhost:99999", "http://[::1", "tcp://:2375x", "ftp://host"]


@pytest.mark.parametrize("host", MALFORMED)
def test_the_executor_refuses_it_in_one_line(monkeypatch: pytest.MonkeyPatch, host: str) -> None:
    monkeypatch.setenv("DOCKER_HOST", host)
    with pytest.raises(ExecutorConfigurationError) as caught:
        DockerExecutor().check_status("anything")
    message = str(caught.value)
    assert "\n" not in message and host in message and "DOCKER_HOST" in message


@pytest.mark.parametrize("host", MALFORMED)
def test_a_malformed_base_url_is_refused_too(host: str) -> None:
    with pytest.raises(ExecutorConfigurationError, match="base_url"):
        DockerExecutor({"base_url": host})


@pytest.mark.parametrize("host", MALFORMED[:2])
def test_reap_prints_one_line_and_no_traceback(host: str) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "executor_kit.cli", "reap", "--backend", "docker"],
        env={**os.environ, "DOCKER_HOST": host},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 2, done
    assert "Traceback" not in done.stderr and len(done.stderr.strip().splitlines()) == 1, done.stderr
    assert host in done.stderr
