"""The MockExecutor keeps secret values out of every log record (DEBUG)."""

from __future__ import annotations

from executor_kit import ContainerJob, MockExecutor
from executor_kit.probe import PROBE_IMAGE, Probe
from tests.logcapture import SECRET, debug_records


def test_debug_logs_hold_no_ascii_secret() -> None:
    executor = MockExecutor()
    with debug_records() as logs:
        job = ContainerJob(
            image=PROBE_IMAGE, command=Probe().has("API_TOKEN").argv, secret_environment={"API_TOKEN": SECRET}
        )
        ok, execution_id = executor.launch_job(job)
        assert ok, execution_id
        executor.clock.advance(1)
        assert executor.harvest_job(job) and job.exit_code == 0
        assert executor.cleanup(execution_id)
    assert not logs.leaking(SECRET)
    assert SECRET not in repr(executor.journal)
