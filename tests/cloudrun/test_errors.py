"""Error mapping and retries of the Cloud Run executor, against injected answers."""

from __future__ import annotations

import pytest

from executor_kit import ContainerJob
from executor_kit.errors import (
    ExecutorAuthenticationError,
    ExecutorConnectionError,
    ExecutorError,
    ExecutorResourceError,
)
from executor_kit.probe import PROBE_IMAGE, Probe

SOME_ID = "projects/emulated-project/locations/us-central1/jobs/j/executions/j-abcde"


@pytest.mark.parametrize("status", [401, 403])
def test_auth_refusals_raise_authentication_errors_without_retry(executor, cloud, status):
    cloud.inject(status)
    with pytest.raises(ExecutorAuthenticationError, match=str(status)) as info:
        executor.check_status(SOME_ID)
    assert isinstance(info.value, PermissionError) and info.value.backend == "cloudrun"
    assert len(cloud.calls) == 1


def test_auth_refusal_at_launch_raises_too(executor, cloud, run_labels):
    cloud.inject(403, path="/jobs")
    with pytest.raises(ExecutorAuthenticationError):
        executor.launch_job(ContainerJob(image=PROBE_IMAGE, command=["probe"], labels=run_labels))
    assert cloud.jobs == {}


def test_429_is_retried_with_backoff_then_resource_error(executor, cloud):
    cloud.inject(429, times=10)
    start = executor.clock.monotonic()
    with pytest.raises(ExecutorResourceError, match="RESOURCE_EXHAUSTED"):
        executor.check_status(SOME_ID)
    assert len(cloud.calls) == 4  # max_attempts
    assert executor.clock.monotonic() - start == 0.5 + 1.0 + 2.0


def test_503_is_retried_then_connection_error(executor, cloud):
    cloud.inject(503, times=10)
    with pytest.raises(ExecutorConnectionError, match="UNAVAILABLE"):
        executor.get_logs(SOME_ID)
    assert len(cloud.calls) == 4


def test_transient_503_and_429_are_absorbed(executor, cloud, run_labels):
    cloud.inject(503, times=2, path=":run")
    cloud.inject(429, times=1, path="entries:list")
    job = ContainerJob(image=PROBE_IMAGE, command=Probe().out("ok").argv, labels=run_labels)
    ok, execution_id = executor.launch_job(job)
    assert ok and cloud.count("POST", ":run") == 3
    assert executor.get_logs(execution_id) == ("ok\n", "")
    assert cloud.count("POST", "entries:list") == 2
    executor.cleanup(execution_id)


def test_other_5xx_is_a_connection_error_without_retry(executor, cloud):
    cloud.inject(500)
    with pytest.raises(ExecutorConnectionError):
        executor.check_status(SOME_ID)
    assert len(cloud.calls) == 1


def test_network_failure_is_a_connection_error(executor, cloud):
    cloud.inject(None)
    with pytest.raises(ExecutorConnectionError, match="emulated network failure"):
        executor.cleanup(SOME_ID)


def test_retries_exhausted_after_job_creation_leave_no_job(executor, cloud, run_labels):
    cloud.inject(503, times=4, path=":run")
    with pytest.raises(ExecutorConnectionError):
        executor.launch_job(ContainerJob(image=PROBE_IMAGE, command=["probe"], labels=run_labels))
    assert cloud.jobs == {}


def test_secrets_never_appear_in_errors(executor, cloud, run_labels):
    secret = "tok-1234-secret"
    cloud.inject(403, path=":run", message=f"caller may not use env value {secret}")
    job = ContainerJob(image=PROBE_IMAGE, command=["probe"], labels=run_labels, secret_environment={"T": secret})
    with pytest.raises(ExecutorError) as info:
        executor.launch_job(job)
    assert secret not in str(info.value) and secret not in repr(info.value) and "***" in str(info.value)
    assert cloud.jobs == {}
