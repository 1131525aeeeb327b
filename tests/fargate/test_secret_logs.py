"""Secret values never reach a log record of botocore, boto3 or urllib3 (DEBUG), nor config errors."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from executor_kit import ContainerJob
from executor_kit.backends.fargate.emulator import FargateEmulator
from executor_kit.backends.fargate.executor import FargateExecutor
from executor_kit.errors import ExecutorConfigurationError
from executor_kit.probe import Probe
from tests.logcapture import SECRET, debug_records


def test_debug_logs_hold_no_ascii_secret(
    executor: FargateExecutor, emulator: FargateEmulator, probe_job: Callable[..., ContainerJob]
) -> None:
    with debug_records() as logs:
        job = probe_job(Probe().has("API_TOKEN").sleep(1).argv, secret_environment={"API_TOKEN": SECRET})
        ok, arn = executor.launch_job(job)
        assert ok, arn
        assert str(executor.check_status(arn)) == "running"
        emulator.clock.sleep(2)
        assert executor.check_statuses([arn])[arn] == "exited"
        assert executor.harvest_job(job) and job.exit_code == 0
        failed = executor.launch_job(probe_job(["probe"], image="nope:1", secret_environment={"API_TOKEN": SECRET}))
        assert failed[0] is False
        assert executor.cleanup(arn)
    assert len(logs.records) > 20, "botocore logged nothing at DEBUG: the test would prove nothing"
    assert not logs.leaking(SECRET)
    assert any("RunTask" in r.getMessage() for r in logs.records)


@pytest.mark.parametrize("key", ["aws_secret_access_key", "aws_session_token"])
def test_wrongly_typed_secret_setting_is_not_echoed(emulator: FargateEmulator, key: str) -> None:
    with pytest.raises(ExecutorConfigurationError) as caught:
        FargateExecutor({**emulator.executor_config(), key: [SECRET]})
    assert SECRET not in str(caught.value)
    assert key in str(caught.value) and "value hidden" in str(caught.value)
