"""The unchanged conformance suite against the emulated Kubernetes API, and ``verify`` on it."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from contract_tests import ContractSuite
from executor_kit.base import ContainerExecutor
from executor_kit.cli import main
from executor_kit.emulators import kubernetes


class TestEmulatedKubernetes(ContractSuite):
    @pytest.fixture(scope="class")
    @classmethod
    def contract_executor(cls) -> Iterator[ContainerExecutor]:
        executor = kubernetes.emulated_executor()
        yield executor
        executor.close()


def test_verify_kubernetes_emulator_passes_every_must_clause(tmp_path: Path) -> None:
    report = tmp_path / "kubernetes.json"
    code = main(["verify", "executor_kit.emulators.kubernetes:emulated_executor", "--json", str(report)])
    data = json.loads(report.read_text())
    must = [c for c in data["clauses"] if c["level"] == "MUST"]
    assert code == 0
    assert all(c["verdict"] in ("pass", "n/a") for c in must), [c for c in must if c["verdict"] != "pass"]
    assert not [c for c in data["clauses"] if c["verdict"] == "n/a"], "the emulation shows every capability it declares"


def test_verify_without_split_streams_fails_logs_001_honestly(tmp_path: Path) -> None:
    report = tmp_path / "merged.json"
    config = json.dumps({"split_log_streams": False})
    code = main(
        ["verify", "executor_kit.emulators.kubernetes:emulated_executor", "--config", config, "--json", str(report)]
    )
    verdicts = {c["id"]: c["verdict"] for c in json.loads(report.read_text())["clauses"]}
    assert code != 0
    assert verdicts["LOGS-001"] == "fail"
