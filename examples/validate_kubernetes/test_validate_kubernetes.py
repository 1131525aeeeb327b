"""Validate a Kubernetes executor of one's own offline: the conformance suite against the emulated API.

``TeamExecutor`` stands for an application's executor built on
``KubernetesExecutor``; it connects through a kubeconfig file, as it would to
a real cluster. The built-in executor runs the same suite in
``tests/kubernetes/test_kubernetes_conformance.py``:
``ContractSuite`` with ``contract_executor`` returning
``executor_kit.backends.kubernetes.emulator.emulated_executor()``.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest

from contract_tests import ContractSuite
from executor_kit import VirtualClock
from executor_kit.backends.kubernetes.emulator import KubernetesEmulator
from executor_kit.backends.kubernetes.executor import KubernetesExecutor
from executor_kit.job import JobLike


class TeamExecutor(KubernetesExecutor):
    """An application's own executor: every Job carries the team's label."""

    def __init__(self, config: Mapping[str, Any], **kwargs: Any) -> None:
        super().__init__({**config, "labels": {"team": "data"}}, **kwargs)

    name = "team-kubernetes"

    def launch_job(self, job: JobLike) -> tuple[bool, str]:
        if not job.image:
            return False, "the team runs no job without an image"
        return super().launch_job(job)


class TestTeamKubernetes(ContractSuite):
    @pytest.fixture(scope="class")
    @classmethod
    def contract_executor(cls, tmp_path_factory: pytest.TempPathFactory) -> Iterator[TeamExecutor]:
        with KubernetesEmulator(VirtualClock()) as emulator:
            kubeconfig: Path = tmp_path_factory.mktemp("kube") / "config"
            kubeconfig.write_text(emulator.kubeconfig())
            config = {"kubeconfig": str(kubeconfig), "split_log_streams": True}
            executor = TeamExecutor({**config, "capabilities": {"supports_networking": False}}, clock=emulator.clock)
            yield executor
            executor.close()
