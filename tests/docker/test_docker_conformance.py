"""The whole conformance suite against DockerExecutor on the real engine."""

from __future__ import annotations

import pytest

from contract_tests import ContractSuite
from executor_kit.backends.docker.executor import DockerExecutor

pytestmark = pytest.mark.docker


class TestDockerConformance(ContractSuite):
    @pytest.fixture(scope="class")
    @classmethod
    def contract_executor(cls, docker_executor: DockerExecutor, probe_image: str) -> DockerExecutor:
        return docker_executor
