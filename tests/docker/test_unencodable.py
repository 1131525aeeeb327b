"""A lone surrogate anywhere in a job is ``(False, message)`` on the real engine, and creates nothing."""

from __future__ import annotations

from typing import Any

import pytest

from executor_kit.backends.docker.executor import DockerExecutor
from tests.core.test_unencodable_input import UNENCODABLE, unencodable_job

pytestmark = pytest.mark.docker


@pytest.mark.parametrize("where", sorted(UNENCODABLE))
def test_a_lone_surrogate_is_refused(
    docker_executor: DockerExecutor, probe_image: str, run_containers: Any, where: str
) -> None:
    before = run_containers()
    ok, message = docker_executor.launch_job(unencodable_job(probe_image, where))
    assert ok is False and "surrogate" in message, message
    assert run_containers() == before
