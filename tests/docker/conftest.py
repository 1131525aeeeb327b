"""Fixtures for the DockerExecutor tests, on the real engine (never a mocked API).

Every container carries the session's run labels (``run_labels``), so the
session's leak check in ``tests/conftest.py`` sees anything left behind; the
``runner`` fixture also cleans up what each test launched, even when it fails.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import pytest

from executor_kit.backends.docker.executor import DockerExecutor
from executor_kit.clock import SystemClock
from executor_kit.job import ContainerJob
from executor_kit.probe import Probe
from executor_kit.probe.build import build_probe_image

os.environ.setdefault("TESTCONTAINERS_RYUK_DISABLED", "true")

TERMINAL = ("exited", "failed")


@pytest.fixture(scope="session")
def probe_image(docker_client: Any) -> str:
    """The probe image, built once per session from the packaged Dockerfile."""
    return build_probe_image(docker_client)


@pytest.fixture(scope="session")
def docker_executor(docker_client: Any, run_labels: dict[str, str]) -> Iterator[DockerExecutor]:
    """An executor that labels everything with the run labels and never pulls."""
    executor = DockerExecutor({"labels": run_labels, "pull_policy": "never"})
    yield executor
    executor.close()


class Runner:
    """Launches probe jobs, waits on them with short polls, and cleans up after the test."""

    def __init__(self, executor: DockerExecutor, image: str) -> None:
        self.executor = executor
        self.image = image
        self.launched: list[str] = []
        self.clock = SystemClock()

    def job(self, command: Probe | list[str], **fields: Any) -> ContainerJob:
        argv = command.argv if isinstance(command, Probe) else command
        return ContainerJob(image=fields.pop("image", self.image), command=list(argv), **fields)

    def start(self, command: Probe | list[str], **fields: Any) -> tuple[ContainerJob, str]:
        job = self.job(command, **fields)
        ok, value = self.executor.launch_job(job)
        assert ok, value
        self.launched.append(value)
        return job, value

    def wait(self, execution_id: str, deadline: float = 30.0) -> str:
        end = self.clock.monotonic() + deadline
        status = str(self.executor.check_status(execution_id))
        while status not in TERMINAL:
            assert self.clock.monotonic() < end, f"{execution_id} still {status} after {deadline} s"
            self.clock.sleep(0.05)
            status = str(self.executor.check_status(execution_id))
        return status

    def run(self, command: Probe | list[str], **fields: Any) -> tuple[ContainerJob, str]:
        """Run to the end and harvest; returns the job and the terminal status."""
        job, execution_id = self.start(command, **fields)
        status = self.wait(execution_id)
        assert self.executor.harvest_job(job) is True
        return job, status

    def close(self) -> None:
        for execution_id in self.launched:
            self.executor.cleanup(execution_id)


@pytest.fixture
def runner(docker_executor: DockerExecutor, probe_image: str) -> Iterator[Runner]:
    """A ``Runner`` whose containers are removed at teardown."""
    helper = Runner(docker_executor, probe_image)
    yield helper
    helper.close()


@pytest.fixture
def run_containers(docker_client: Any, run_labels: dict[str, str]) -> Any:
    """A function listing the ids of this session's containers (all states)."""
    selector = [f"{key}={value}" for key, value in run_labels.items()]

    def ids() -> set[str]:
        return {row["Id"] for row in docker_client.api.containers(all=True, filters={"label": selector})}

    return ids


@pytest.fixture
def make_runner(docker_client: Any, run_labels: dict[str, str], probe_image: str) -> Iterator[Any]:
    """A factory of ``Runner`` objects over executors with extra config; all cleaned up."""
    made: list[Runner] = []

    def make(**config: Any) -> Runner:
        made.append(Runner(DockerExecutor({"labels": run_labels, **config}), probe_image))
        return made[-1]

    yield make
    for helper in made:
        helper.close()
        helper.executor.close()
