"""The unchanged conformance suite against the emulated Kubernetes API, and ``verify`` on it."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from contract_tests import CLAUSES, ContractSuite
from contract_tests.runner import evaluate
from executor_kit.backends.kubernetes import emulator as kubernetes
from executor_kit.base import OPTIONAL_CAPABILITIES, ContainerExecutor
from executor_kit.cli import main


class TestEmulatedKubernetes(ContractSuite):
    @pytest.fixture(scope="class")
    @classmethod
    def contract_executor(cls) -> Iterator[ContainerExecutor]:
        executor = kubernetes.emulated_executor()
        yield executor
        executor.shutdown()


def test_verify_kubernetes_emulator_passes_every_must_clause(tmp_path: Path) -> None:
    report = tmp_path / "kubernetes.json"
    code = main(["verify", "executor_kit.backends.kubernetes.emulator:emulated_executor", "--json", str(report)])
    data = json.loads(report.read_text())
    must = [c for c in data["clauses"] if c["level"] == "MUST"]
    assert code == 0
    assert all(c["verdict"] in ("pass", "n/a") for c in must), [c for c in must if c["verdict"] != "pass"]
    hookless = {c.id for c in CLAUSES if c.hook}  # it offers no conformance hooks (contract_tests.hooks)
    not_applicable = [
        c
        for c in data["clauses"]
        if c["verdict"] == "n/a" and c["capability"] not in OPTIONAL_CAPABILITIES and c["id"] not in hookless
    ]
    assert not not_applicable, "the emulation shows every standard capability it declares"


def test_without_split_streams_logs_001_fails_honestly() -> None:
    executor = kubernetes.emulated_executor({"split_log_streams": False})
    try:
        (result,) = evaluate(executor, ["LOGS-001"])
    finally:
        executor.shutdown()
    assert executor.get_capabilities()["separates_output_streams"] is False
    assert result.verdict == "fail", result
