"""Error mappings, through HTTP against the emulator (real botocore parsing and retries)."""

from __future__ import annotations

import socket
from collections.abc import Callable, Iterator

import pytest
import requests

from executor_kit import (
    ContainerJob,
    ExecutorAuthenticationError,
    ExecutorConfigurationError,
    ExecutorConnectionError,
    ExecutorError,
    ExecutorResourceError,
)
from executor_kit.backends.fargate.emulator import FargateEmulator
from executor_kit.backends.fargate.executor import FargateExecutor
from executor_kit.probe import Probe

ARN = "arn:aws:ecs:us-east-1:123456789012:task/c/0123456789abcdef0123456789abcdef"


@pytest.fixture
def moto_auth(emulator: FargateEmulator) -> Iterator[None]:
    """moto's own credential check: unknown access keys are refused (as AWS does)."""
    requests.post(f"{emulator.endpoint_url}/moto-api/reset-auth", data=b"0", timeout=5).raise_for_status()
    yield
    requests.post(f"{emulator.endpoint_url}/moto-api/reset-auth", data=b"inf", timeout=5).raise_for_status()


def test_unknown_credentials_are_an_authentication_error(executor: FargateExecutor, moto_auth: None) -> None:
    # moto answers this JSON API with an XML error body, so botocore sees only the 403.
    with pytest.raises(ExecutorAuthenticationError) as caught:
        executor.check_status(ARN)
    assert "InvalidClientTokenId" in str(caught.value) and caught.value.backend == "fargate"


@pytest.mark.usefixtures("no_backoff")
@pytest.mark.parametrize(
    "code",
    ["UnrecognizedClientException", "InvalidSignatureException", "ExpiredTokenException", "AccessDeniedException"],
)
def test_credential_errors_map_to_authentication(
    executor: FargateExecutor, emulator: FargateEmulator, code: str
) -> None:
    emulator.inject_fault("DescribeTasks", code, status=403 if "Access" in code else 400)
    with pytest.raises(ExecutorAuthenticationError):
        executor.check_status(ARN)


@pytest.mark.usefixtures("no_backoff")
def test_throttling_is_retried(
    make_executor: Callable[..., FargateExecutor],
    emulator: FargateEmulator,
    probe_job: Callable[..., ContainerJob],
) -> None:
    executor = make_executor(max_attempts=3)
    emulator.inject_fault("RunTask", "ThrottlingException", times=2)
    ok, arn = executor.launch_job(probe_job(Probe().argv))
    assert ok
    executor.cleanup(arn)


@pytest.mark.usefixtures("no_backoff")
def test_throttling_beyond_the_retries_is_a_resource_error(
    make_executor: Callable[..., FargateExecutor], emulator: FargateEmulator
) -> None:
    executor = make_executor(max_attempts=2)
    emulator.inject_fault("GetLogEvents", "ThrottlingException", times=2)
    with pytest.raises(ExecutorResourceError):
        executor.get_logs(ARN)


@pytest.mark.usefixtures("no_backoff")
def test_server_errors_beyond_the_retries_are_connection_errors(
    executor: FargateExecutor, emulator: FargateEmulator
) -> None:
    emulator.inject_fault("DescribeTasks", "ServerException", status=500, times=5)
    with pytest.raises(ExecutorConnectionError):
        executor.check_status(ARN)


def test_unreachable_endpoint_is_a_connection_error(emulator: FargateEmulator) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    config = {**emulator.executor_config(), "endpoint_url": f"http://127.0.0.1:{port}", "max_attempts": 1}
    with FargateExecutor(config) as executor, pytest.raises(ExecutorConnectionError):
        executor.check_status(ARN)


def test_missing_credentials_are_an_authentication_error(
    emulator: FargateEmulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"):
        monkeypatch.delenv(name)
    config = {**emulator.executor_config(), "aws_access_key_id": None, "aws_secret_access_key": None}
    with FargateExecutor(config) as executor, pytest.raises(ExecutorAuthenticationError):
        executor.check_status(ARN)


def test_unknown_profile_is_a_configuration_error(emulator: FargateEmulator) -> None:
    config = {**emulator.executor_config(), "aws_access_key_id": None, "aws_secret_access_key": None}
    with pytest.raises(ExecutorConfigurationError, match="profile"):
        FargateExecutor({**config, "profile": "no-such-profile"})


def test_unknown_cluster_is_a_configuration_error(
    make_executor: Callable[..., FargateExecutor], probe_job: Callable[..., ContainerJob]
) -> None:
    executor = make_executor(cluster="no-such-cluster")
    with pytest.raises(ExecutorConfigurationError, match="ClusterNotFoundException"):
        executor.launch_job(probe_job(Probe().argv))
    with pytest.raises(ExecutorConfigurationError, match="ClusterNotFoundException"):
        executor.check_status(ARN)


def test_unknown_task_definition_is_a_configuration_error(
    make_executor: Callable[..., FargateExecutor], probe_job: Callable[..., ContainerJob]
) -> None:
    executor = make_executor(task_definition="no-such-family:7")
    with pytest.raises(ExecutorConfigurationError, match="'task_definition'"):
        executor.launch_job(probe_job(Probe().argv))


def test_unknown_container_is_a_configuration_error(
    make_executor: Callable[..., FargateExecutor], probe_job: Callable[..., ContainerJob]
) -> None:
    executor = make_executor(container_name="sidecar")
    with pytest.raises(ExecutorConfigurationError, match="'container_name'"):
        executor.launch_job(probe_job(Probe().argv))


@pytest.mark.usefixtures("no_backoff")
def test_rejected_run_task_parameters_are_job_level(
    executor: FargateExecutor, emulator: FargateEmulator, probe_job: Callable[..., ContainerJob]
) -> None:
    emulator.inject_fault("RunTask", "InvalidParameterException")
    job = probe_job(Probe().argv)
    ok, message = executor.launch_job(job)
    assert not ok and "InvalidParameterException" in message and job.external_execution_id is None


@pytest.mark.usefixtures("no_backoff")
@pytest.mark.parametrize("operation", ["DescribeTasks", "StopTask", "TagResource", "DeleteLogStream"])
def test_only_executor_errors_escape_cleanup(
    executor: FargateExecutor,
    emulator: FargateEmulator,
    probe_job: Callable[..., ContainerJob],
    operation: str,
) -> None:
    _, arn = executor.launch_job(probe_job(Probe().sleep(60).argv))
    emulator.inject_fault(operation, "ExpiredTokenException")
    with pytest.raises(ExecutorError):
        executor.cleanup(arn)
    assert executor.cleanup(arn) is True
    assert executor.check_status(arn) == "not-found"


def test_the_network_guard_refuses_other_hosts() -> None:
    with pytest.raises(pytest.fail.Exception, match=r"only 127\.0\.0\.1"):
        socket.getaddrinfo("ecs.us-east-1.amazonaws.com", 443)
    with socket.socket() as sock, pytest.raises(pytest.fail.Exception, match=r"only 127\.0\.0\.1"):
        sock.connect(("192.0.2.1", 443))
