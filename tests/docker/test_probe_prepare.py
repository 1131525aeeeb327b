"""``DockerExecutor.prepare_probe``: builds a missing probe image, leaves a present one, fails in one line."""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import docker.errors
import pytest

import executor_kit.probe.build
from contract_tests import CLAUSES
from executor_kit.backends.docker.executor import DockerExecutor
from executor_kit.errors import ExecutorConfigurationError
from executor_kit.probe import PROBE_DIR

pytestmark = pytest.mark.docker


def _remove_tag(client: Any, tag: str) -> None:
    """Untag (never force): an image shared with another tag, such as the build cache's, stays."""
    with contextlib.suppress(docker.errors.NotFound):
        client.images.remove(tag)


def _present(client: Any, tag: str) -> bool:
    try:
        client.images.get(tag)
    except docker.errors.ImageNotFound:
        return False
    return True


@pytest.fixture
def throwaway_tag(docker_client: Any) -> Iterator[str]:
    """A probe tag no other test uses, absent at the start and removed at teardown."""
    tag = f"executor-kit-probe-test-{uuid.uuid4().hex[:12]}:latest"
    assert not _present(docker_client, tag)
    yield tag
    _remove_tag(docker_client, tag)


@pytest.fixture
def no_base_image(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, docker_client: Any) -> str:
    """Point the probe build at a copy of its context whose base image does not exist."""
    base = f"executor-kit-missing-base-{uuid.uuid4().hex[:12]}:absent"
    assert not _present(docker_client, base)
    shutil.copy2(PROBE_DIR / "probe", tmp_path / "probe")
    dockerfile = (PROBE_DIR / "Dockerfile").read_text(encoding="utf-8")
    assert "\nFROM busybox\n" in dockerfile
    (tmp_path / "Dockerfile").write_text(dockerfile.replace("\nFROM busybox\n", f"\nFROM {base}\n"), encoding="utf-8")
    monkeypatch.setattr(executor_kit.probe.build, "PROBE_DIR", tmp_path)
    return base


def test_a_missing_probe_image_is_built_and_reported_once(
    docker_executor: DockerExecutor, docker_client: Any, throwaway_tag: str
) -> None:
    note = docker_executor.prepare_probe(throwaway_tag)

    assert note == f"built probe image {throwaway_tag} from local busybox (it was missing)"
    assert "\n" not in note
    assert _present(docker_client, throwaway_tag)
    assert docker_executor.prepare_probe(throwaway_tag) is None  # present now: nothing to do


def test_the_built_image_runs_the_probe(
    docker_executor: DockerExecutor, docker_client: Any, throwaway_tag: str, run_labels: dict[str, str]
) -> None:
    docker_executor.prepare_probe(throwaway_tag)

    output = docker_client.containers.run(
        throwaway_tag, ["probe", "out", "ready"], labels=run_labels, remove=True, stdout=True, stderr=True
    )

    assert output == b"ready\n"


def test_a_present_image_is_left_alone(docker_executor: DockerExecutor, docker_client: Any, throwaway_tag: str) -> None:
    docker_client.images.get("busybox:latest").tag(throwaway_tag)
    before = docker_client.images.get(throwaway_tag).id

    assert docker_executor.prepare_probe(throwaway_tag) is None
    assert docker_client.images.get(throwaway_tag).id == before  # not rebuilt


def test_an_unbuildable_probe_image_fails_in_one_line(
    docker_executor: DockerExecutor, docker_client: Any, throwaway_tag: str, no_base_image: str
) -> None:
    with pytest.raises(ExecutorConfigurationError) as caught:
        docker_executor.prepare_probe(throwaway_tag)

    message = str(caught.value)
    assert "\n" not in message
    assert message.startswith(f"probe image {throwaway_tag} is missing and could not be built: ")
    assert message.endswith("; run `executor-kit build-probe` or pass --probe-image")
    assert caught.value.backend == "docker"
    assert not _present(docker_client, throwaway_tag)


def test_an_invalid_reference_is_refused_before_the_engine_is_asked() -> None:
    executor = DockerExecutor({"base_url": "unix:///nonexistent/docker.sock"})  # no daemon there

    with pytest.raises(ExecutorConfigurationError, match=r"^probe image 'Not An Image' cannot be used: ") as caught:
        executor.prepare_probe("Not An Image")

    assert "\n" not in str(caught.value)
    executor.close()


# -- end to end, as a user runs it ------------------------------------------------------------
ROOT = Path(__file__).resolve().parents[2]


def _run(command: list[str], cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True, timeout=600, check=False)


def _verdicts(path: Path) -> dict[str, str]:
    return {entry["id"]: entry["verdict"] for entry in json.loads(path.read_text(encoding="utf-8"))["clauses"]}


def test_verify_docker_builds_a_missing_probe_image_in_one_line_then_runs(
    docker_client: Any, throwaway_tag: str, run_labels: dict[str, str], tmp_path: Path
) -> None:
    report = tmp_path / "r.json"
    config = json.dumps({"labels": run_labels, "pull_policy": "never"})
    command = [sys.executable, "-m", "executor_kit.cli", "verify", "docker", "--config", config]
    result = _run([*command, "--probe-image", throwaway_tag, "--json", str(report), "-k", "LAUNCH_001 or LOGS_001"])

    assert result.returncode == 2, result.stdout + result.stderr  # a partial run
    notes = [line for line in result.stderr.splitlines() if "probe image" in line]
    assert notes == [f"executor-kit verify: built probe image {throwaway_tag} from local busybox (it was missing)"]
    verdicts = _verdicts(report)
    assert verdicts["LAUNCH-001"] == verdicts["LOGS-001"] == "pass"
    assert _present(docker_client, throwaway_tag)


def test_verify_docker_with_an_unusable_probe_image_stops_in_one_line(run_labels: dict[str, str]) -> None:
    config = json.dumps({"labels": run_labels})
    command = [sys.executable, "-m", "executor_kit.cli", "verify", "docker", "--config", config]
    result = _run([*command, "--probe-image", "Not An Image"])

    assert result.returncode == 2
    assert result.stdout == ""
    assert len(result.stderr.splitlines()) == 1 and "probe image 'Not An Image' cannot be used" in result.stderr


def test_the_pytest_plugin_builds_a_missing_probe_image_too(
    docker_client: Any, throwaway_tag: str, run_labels: dict[str, str], tmp_path: Path
) -> None:
    config = json.dumps({"labels": run_labels, "pull_policy": "never"})
    options = ["--executor=docker", f"--executor-config={config}", f"--probe-image={throwaway_tag}"]
    result = _run([sys.executable, "-m", "pytest", "-p", "no:cacheprovider", *options, "-k", "LAUNCH_001"], tmp_path)

    assert f"executor-kit: built probe image {throwaway_tag} from local busybox (it was missing)" in result.stderr
    assert "1 passed" in result.stdout, result.stdout + result.stderr


def test_xdist_on_docker_gives_a_complete_report_that_agrees_with_pytest(
    docker_client: Any, run_labels: dict[str, str], tmp_path: Path
) -> None:
    pytest.importorskip("xdist")
    report = tmp_path / "r.json"
    config = json.dumps({"labels": run_labels, "pull_policy": "never"})
    options = ["-n", "2", "--executor=docker", f"--executor-config={config}", "--contract-json", str(report)]
    result = _run([sys.executable, "-m", "pytest", "-p", "no:cacheprovider", *options], tmp_path)

    data = json.loads(report.read_text(encoding="utf-8"))
    verdicts = _verdicts(report)
    assert len(verdicts) == len(CLAUSES)
    assert not {"not-run", "inconclusive"} & set(verdicts.values()), verdicts
    assert data["exit_code"] == result.returncode == 0, result.stdout[-3000:] + result.stderr
