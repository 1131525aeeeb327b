"""Hostile and arbitrary argv and environment on the real engine, fuzzed with Hypothesis.

Each example is a batch (several texts and variables) run in one container, so a
handful of containers cover a dozen and more cases: every text arrives byte for
byte on stdout and stderr, every value through ``env``, and nothing is ever
interpreted by a shell. Bounded (``max_examples``, ``database=None``). Defects
found are pinned by strict ``xfail`` tests (they fail loudly once fixed).
"""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import Iterator
from typing import Any

import docker.errors
import pytest
from hypothesis import HealthCheck, example, given, settings

from executor_kit.backends.docker.executor import DockerExecutor
from executor_kit.clock import SystemClock
from executor_kit.errors import ExecutorConfigurationError, ExecutorError
from executor_kit.job import ContainerJob
from tests.conformance.test_fuzz_inputs import HOSTILE_PAYLOAD, PAYLOADS, expected_output, probe_argv

pytestmark = pytest.mark.docker

TERMINAL = ("exited", "failed")
Payload = tuple[list[str], dict[str, str], dict[str, str]]


def wait_terminal(executor: DockerExecutor, execution_id: str, deadline: float = 60.0) -> str:
    clock = SystemClock()
    end = clock.monotonic() + deadline
    status = str(executor.check_status(execution_id))
    while status not in TERMINAL:
        assert clock.monotonic() < end, f"{execution_id} still {status} after {deadline} s"
        clock.sleep(0.05)
        status = str(executor.check_status(execution_id))
    return status


@pytest.fixture(scope="module")
def labels(run_labels: dict[str, str]) -> dict[str, str]:
    """The run labels plus one of this module, so ``find_executions`` sees only its containers."""
    return {**run_labels, "executor-kit-test": f"fuzz-{uuid.uuid4().hex[:8]}"}


@pytest.fixture(scope="module")
def executor(docker_client: Any, labels: dict[str, str], probe_image: str) -> Iterator[DockerExecutor]:
    with contextlib.closing(DockerExecutor({"labels": labels, "pull_policy": "never"})) as docker_executor:
        yield docker_executor
        leftovers = docker_executor.find_executions(labels)
        for execution_id in leftovers:
            docker_executor.cleanup(execution_id)
    assert leftovers == []


@settings(
    max_examples=6,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(PAYLOADS)
@example(HOSTILE_PAYLOAD)
def test_argv_and_environment_arrive_byte_for_byte(
    executor: DockerExecutor, probe_image: str, labels: dict[str, str], payload: Payload
) -> None:
    texts, environment, secrets = payload
    everything = {**environment, **secrets}
    job = ContainerJob(
        image=probe_image,
        command=probe_argv(texts, list(everything)),
        environment=environment,
        secret_environment=secrets,
        labels=labels,
    )
    ok, execution_id = executor.launch_job(job)
    assert ok, execution_id
    try:
        assert wait_terminal(executor, execution_id) == "exited"
        assert executor.harvest_job(job) is True
        assert (job.stdout, job.stderr, job.exit_code) == (*expected_output(texts, everything), 0)
    finally:
        executor.cleanup(execution_id)


def test_the_shell_is_never_involved(
    executor: DockerExecutor, docker_client: Any, probe_image: str, labels: dict[str, str]
) -> None:
    marker = f"/pwned-{uuid.uuid4().hex[:6]}"  # the root is writable; busybox has no /tmp
    hostile = [f"$(touch {marker})", f"`touch {marker}`", f"; touch {marker}", f"&& touch {marker}", "*"]
    argv = ["probe"] + [part for text in hostile for part in ("out", text)]
    job = ContainerJob(image=probe_image, command=argv, labels=labels)
    ok, execution_id = executor.launch_job(job)
    assert ok, execution_id
    try:
        wait_terminal(executor, execution_id)
        assert executor.harvest_job(job) is True
        assert (job.stdout, job.exit_code) == ("".join(f"{text}\n" for text in hostile), 0)
        docker_client.api.get_archive(execution_id, "/bin/probe")  # readable: the check below means something
        with pytest.raises(docker.errors.NotFound):
            docker_client.api.get_archive(execution_id, marker)
    finally:
        executor.cleanup(execution_id)


def _unvalidated(**fields: Any) -> ContainerJob:
    """A job carrying ``fields`` as an ORM row might: set after construction, never validated."""
    job = ContainerJob(image="placeholder")
    for key, value in fields.items():
        setattr(job, key, value)
    return job


@pytest.mark.parametrize(
    "fields", [{"environment": {"A": "x\x00y"}}, {"command": ["probe", "out", "a\x00b"]}], ids=["env", "argv"]
)
def test_nul_is_refused_at_construction_and_at_launch(
    executor: DockerExecutor, probe_image: str, labels: dict[str, str], fields: dict[str, Any]
) -> None:
    spec = {"image": probe_image, "command": ["probe"], "labels": labels, **fields}
    with pytest.raises(ExecutorConfigurationError, match="NUL"):
        ContainerJob(**spec)
    job = _unvalidated(**spec)
    ok, message = executor.launch_job(job)
    assert ok is False and "NUL" in message
    assert executor.find_executions(labels) == []


def _launch_expecting_refusal(executor: DockerExecutor, job: ContainerJob) -> tuple[bool, str]:
    try:
        return executor.launch_job(job)
    except ExecutorError as exc:
        return False, str(exc)


def test_an_enormous_cpu_limit_is_refused_not_raised(
    executor: DockerExecutor, probe_image: str, labels: dict[str, str]
) -> None:
    job = ContainerJob(image=probe_image, command=["probe"], cpu_limit=1e300, labels=labels)
    try:
        ok, message = _launch_expecting_refusal(executor, job)
    finally:
        assert executor.find_executions(labels) == []
    assert ok is False and message


def test_a_tiny_memory_limit_never_means_unlimited(
    executor: DockerExecutor, probe_image: str, labels: dict[str, str]
) -> None:
    job = ContainerJob(image=probe_image, command=["probe"], memory_limit=1e-300, labels=labels)  # type: ignore[arg-type]
    ok, value = _launch_expecting_refusal(executor, job)
    if ok:
        try:
            memory = executor.api.inspect_container(value)["HostConfig"]["Memory"]
        finally:
            executor.cleanup(value)
        assert memory > 0, "memory_limit=1e-300 MiB launched with no memory limit at all"
