"""Secret values never reach a log record of requests or urllib3 (DEBUG)."""

from __future__ import annotations

from executor_kit import ContainerJob
from executor_kit.backends.cloudrun.emulator import CloudRunEmulator
from executor_kit.backends.cloudrun.executor import CloudRunExecutor
from executor_kit.probe import PROBE_IMAGE, Probe
from tests.logcapture import SECRET, debug_records


def test_debug_logs_hold_no_ascii_secret(executor: CloudRunExecutor, cloud: CloudRunEmulator) -> None:
    with debug_records() as logs:
        job = ContainerJob(
            image=PROBE_IMAGE, command=Probe().has("API_TOKEN").argv, secret_environment={"API_TOKEN": SECRET}
        )
        ok, name = executor.launch_job(job)
        assert ok, name
        executor.check_statuses([name])
        cloud.clock.sleep(5)
        assert executor.harvest_job(job), executor.check_status(name)
        assert executor.cleanup(name)
    assert not logs.leaking(SECRET)
