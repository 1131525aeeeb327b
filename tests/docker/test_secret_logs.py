"""Secret values never reach a log record of docker, urllib3 or requests (DEBUG), on the real engine."""

from __future__ import annotations

from executor_kit.probe import MISSING_IMAGE, Probe
from tests.docker.conftest import Runner
from tests.logcapture import SECRET, debug_records


def test_debug_logs_hold_no_ascii_secret(runner: Runner) -> None:
    secrets = {"API_TOKEN": SECRET}
    with debug_records() as logs:
        job, status = runner.run(Probe().has("API_TOKEN"), secret_environment=secrets)
        assert (status, job.exit_code) == ("exited", 0)
        ok, message = runner.executor.launch_job(runner.job(Probe(), image=MISSING_IMAGE, secret_environment=secrets))
        assert ok is False and SECRET not in message
        assert runner.executor.cleanup(str(job.external_execution_id))
    assert any(r.name.startswith("urllib3") for r in logs.records), "urllib3 logged nothing: the test proves nothing"
    assert not logs.leaking(SECRET)
