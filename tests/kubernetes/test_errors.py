"""How API answers and network failures map onto the kit's errors and ``(False, message)``."""

from __future__ import annotations

import socket
from collections.abc import Callable

import pytest

from executor_kit import ContainerJob
from executor_kit.backends.kubernetes.emulator import KubernetesEmulator
from executor_kit.backends.kubernetes.executor import KubernetesExecutor
from executor_kit.errors import (
    ExecutorAuthenticationError,
    ExecutorConfigurationError,
    ExecutorConnectionError,
    ExecutorResourceError,
)
from executor_kit.probe import Probe

Make = Callable[..., KubernetesExecutor]
Job = Callable[..., ContainerJob]


def test_wrong_token_is_an_authentication_error(make_executor: Make) -> None:
    executor = make_executor(token="not-the-token")
    with pytest.raises(ExecutorAuthenticationError, match="HTTP 401"):
        executor.check_status("some-job")


def test_forbidden_is_an_authentication_error(make_executor: Make, emulator: KubernetesEmulator) -> None:
    emulator.inject(403, method="GET", path="/jobs/", message='jobs.batch "x" is forbidden: User "u" cannot get')
    with pytest.raises(ExecutorAuthenticationError, match="forbidden"):
        make_executor().check_status("x")


def test_exceeded_quota_is_a_job_failure_that_leaves_nothing(
    make_executor: Make, emulator: KubernetesEmulator, probe_job: Job
) -> None:
    quota = 'jobs.batch "x" is forbidden: exceeded quota: compute, requested: count/jobs.batch=1, limited: 0'
    emulator.inject(403, method="POST", path="/jobs", message=quota)
    job = probe_job(Probe().out("hi").argv, secret_environment={"TOKEN": "s3cr3t-value"})
    ok, message = make_executor().launch_job(job)
    assert (ok, "exceeded quota" in message, "s3cr3t-value" in message) == (False, True, False)
    assert emulator.names("jobs") == [] and emulator.names("secrets") == []
    assert job.external_execution_id is None


def test_missing_namespace_is_a_configuration_error(make_executor: Make, probe_job: Job) -> None:
    with pytest.raises(ExecutorConfigurationError, match="namespace does not exist"):
        make_executor(namespace="absent").launch_job(probe_job(Probe().argv))


def test_rejected_spec_is_a_job_failure(make_executor: Make, emulator: KubernetesEmulator, probe_job: Job) -> None:
    emulator.inject(422, method="POST", path="/jobs", message='Job.batch "x" is invalid: spec: Invalid value')
    ok, message = make_executor().launch_job(probe_job(Probe().argv))
    assert (ok, "HTTP 422" in message) == (False, True)
    assert emulator.names("jobs") == []


def test_a_name_clash_is_retried_with_a_new_name(
    make_executor: Make, emulator: KubernetesEmulator, probe_job: Job
) -> None:
    emulator.inject(409, method="POST", path="/jobs", message="jobs.batch already exists")
    executor = make_executor()
    ok, name = executor.launch_job(probe_job(Probe().argv))
    assert ok and emulator.count("POST", "/jobs") == 2
    assert emulator.names("jobs") == [name]
    executor.cleanup(name)


def test_throttling_is_retried_after_the_servers_delay(
    make_executor: Make, emulator: KubernetesEmulator, clock: object
) -> None:
    executor = make_executor()
    emulator.inject(429, times=2, method="GET", message="too many requests", headers={"Retry-After": "7"})
    before = executor.clock.monotonic()
    assert executor.check_status("some-job") == "not-found"
    assert executor.clock.monotonic() - before >= 14
    assert emulator.count("GET", "/jobs/some-job") == 3


def test_persistent_throttling_is_a_resource_error(make_executor: Make, emulator: KubernetesEmulator) -> None:
    emulator.inject(429, times=3, method="GET")
    with pytest.raises(ExecutorResourceError, match="HTTP 429"):
        make_executor(max_attempts=3).check_status("some-job")
    assert emulator.count("GET", "/jobs/some-job") == 3


def test_server_errors_are_retried_then_a_connection_error(make_executor: Make, emulator: KubernetesEmulator) -> None:
    emulator.inject(503, times=1, method="GET")
    executor = make_executor(max_attempts=2)
    assert executor.check_status("some-job") == "not-found"
    emulator.inject(500, times=2, method="GET")
    with pytest.raises(ExecutorConnectionError, match="HTTP 500"):
        executor.check_status("some-job")


def test_an_unreachable_server_is_a_connection_error(make_executor: Make) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]  # closed again below: nothing listens there
    executor = make_executor(host=f"http://127.0.0.1:{port}", request_timeout=2)
    with pytest.raises(ExecutorConnectionError, match="cannot be reached"):
        executor.check_status("some-job")


def test_split_streams_on_a_cluster_without_them_is_a_configuration_error(
    emulator: KubernetesEmulator, probe_job: Job, make_executor: Make
) -> None:
    emulator.split_streams = False
    executor = make_executor(split_log_streams=True)
    _, name = executor.launch_job(probe_job(Probe().out("hi").argv))
    with pytest.raises(ExecutorConfigurationError, match="split_log_streams false"):
        executor.get_logs(name)
    executor.cleanup(name)
