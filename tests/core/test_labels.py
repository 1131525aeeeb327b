"""One label policy: the kit's own label keys are never a job's to set, on any backend.

A job label ``executor-kit-timeout-seconds: "-1"`` used to get a Docker job
killed at its first status check; now every backend refuses such a job with
``(False, message)`` naming the key (LAUNCH-005), and puts the same kit labels,
from ``executor_kit.labels.kit_labels``, on what it creates.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterator
from typing import Any

import pytest

from executor_kit import ContainerExecutor, ContainerJob, ExecutorConfigurationError, MockExecutor
from executor_kit.job import validate_job
from executor_kit.labels import (
    CLEANED_LABEL,
    MANAGED_LABEL,
    NAME_LABEL,
    RESERVED_LABELS,
    RUN_LABEL,
    TIMEOUT_LABEL,
    kit_labels,
)
from executor_kit.probe import PROBE_IMAGE, Probe

BACKENDS = ["mock", "fargate", "kubernetes", "cloudrun"]


@pytest.fixture(params=BACKENDS)
def executor(request: pytest.FixtureRequest) -> Iterator[ContainerExecutor]:
    """The mock and each cloud backend on its emulator (the Docker case is in tests/docker/test_labels.py)."""
    if request.param == "mock":
        yield MockExecutor()
        return
    emulated = importlib.import_module(f"executor_kit.backends.{request.param}.emulator").emulated_executor()
    try:
        yield emulated
    finally:
        emulated.shutdown()


def _forged(labels: dict[str, str], **fields: Any) -> ContainerJob:
    """A job whose labels were changed after construction (construction validates too)."""
    job = ContainerJob(image=PROBE_IMAGE, command=Probe().out("kept").argv, **fields)
    job.labels = labels
    return job


def test_the_reserved_keys_are_the_kit_ones_and_run_is_not_among_them() -> None:
    assert {MANAGED_LABEL, TIMEOUT_LABEL, NAME_LABEL, CLEANED_LABEL} == RESERVED_LABELS
    assert RUN_LABEL not in RESERVED_LABELS  # set on jobs on purpose (harness, reap)


@pytest.mark.parametrize("key", sorted(RESERVED_LABELS))
def test_a_job_cannot_be_built_with_a_reserved_key(key: str) -> None:
    with pytest.raises(ExecutorConfigurationError, match=key) as caught:
        ContainerJob(image="x", labels={key: "-1"})
    assert isinstance(caught.value, ValueError)


@pytest.mark.parametrize("key", sorted(RESERVED_LABELS))
def test_every_backend_refuses_a_reserved_key(executor: ContainerExecutor, key: str) -> None:
    job = _forged({key: "-1", "team": "a"})
    ok, message = executor.launch_job(job)
    assert (ok, key in message) == (False, True), message
    assert (job.status, job.external_execution_id, job.started_at) == ("pending", None, None)
    assert executor.find_executions({"team": "a"}) == []


def test_every_backend_refuses_a_job_like_object_with_a_reserved_key(executor: ContainerExecutor) -> None:
    class Row:  # an application's own model, not a ContainerJob: nothing validated it yet
        image, command, environment, name = PROBE_IMAGE, Probe().argv, {}, None
        labels = {TIMEOUT_LABEL: "-1"}  # noqa: RUF012 (a plain class standing in for an ORM row)
        cpu_limit = memory_limit = timeout_seconds = external_execution_id = exit_code = None
        status, stdout, stderr, started_at, completed_at = "pending", "", "", None, None

    ok, message = executor.launch_job(Row())
    assert not ok and TIMEOUT_LABEL in message, message


def test_every_backend_keeps_the_kit_labels_and_the_job_ones(executor: ContainerExecutor) -> None:
    job = ContainerJob(
        image=PROBE_IMAGE,
        command=Probe().out("kept").argv,
        name="nightly",
        timeout_seconds=300,
        labels={"team": "a", RUN_LABEL: "r1", "executor-kit-case": "c1"},
    )
    ok, execution_id = executor.launch_job(job)
    assert ok, execution_id
    try:
        wanted = {"team": "a", RUN_LABEL: "r1", "executor-kit-case": "c1", MANAGED_LABEL: "true"}
        assert executor.find_executions(wanted) == [execution_id]
        assert executor.find_executions({**wanted, NAME_LABEL: "nightly", TIMEOUT_LABEL: "300"}) == [execution_id]
    finally:
        executor.cleanup(execution_id)


def test_the_builder_puts_the_kit_labels_last_and_drops_forged_ones() -> None:
    job = ContainerJob(image="x", name="n", timeout_seconds=2.5, labels={"team": "a"})
    job.labels = {"team": "a", MANAGED_LABEL: "false", TIMEOUT_LABEL: "-1", CLEANED_LABEL: "true"}
    labels = kit_labels(job, {"env": "ci", NAME_LABEL: "forged"})
    assert labels == {"env": "ci", "team": "a", MANAGED_LABEL: "true", TIMEOUT_LABEL: "2.5", NAME_LABEL: "n"}
    assert job.labels[MANAGED_LABEL] == "false"  # the caller's labels are not touched


def test_validation_names_every_reserved_key_and_passes_other_kit_keys() -> None:
    job = _forged({NAME_LABEL: "x", MANAGED_LABEL: "y", RUN_LABEL: "r"})
    with pytest.raises(ExecutorConfigurationError) as caught:
        validate_job(job)
    assert f"{[MANAGED_LABEL, NAME_LABEL]!r}" in str(caught.value)
    validate_job(_forged({RUN_LABEL: "r", "executor-kit-case": "c"}))


@pytest.mark.parametrize("backend", ["kubernetes"])
def test_configured_labels_cannot_use_a_reserved_key(backend: str) -> None:
    module = importlib.import_module(f"executor_kit.backends.{backend}.emulator")
    with pytest.raises(ExecutorConfigurationError, match="labels"):
        module.emulated_executor({"labels": {TIMEOUT_LABEL: "-1"}})
