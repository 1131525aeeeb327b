"""DockerExecutor: cancel and live logs on the real engine (issue 15)."""

from __future__ import annotations

import time
from typing import Any

import pytest

from executor_kit.backends.docker.executor import DockerExecutor
from executor_kit.probe import Probe

pytestmark = pytest.mark.docker


def _wait_output(runner: Any, execution_id: str, text: str) -> None:
    end = time.monotonic() + 30
    while text not in runner.executor.get_logs(execution_id)[0]:
        assert time.monotonic() < end, f"no {text!r} on stdout"
        time.sleep(0.05)


def test_cancel_keeps_the_container_and_another_executor_sees_the_cancel(
    make_runner: Any, run_labels: dict[str, str]
) -> None:
    runner = make_runner(cancel_grace=1)
    job, execution_id = runner.start(Probe().ignore_term().out("started").sleep(60))
    _wait_output(runner, execution_id, "started")
    began = time.monotonic()
    assert runner.executor.cancel(execution_id) is True
    assert time.monotonic() - began < 10  # the grace period (1 s), then the kill
    assert runner.executor.check_status(execution_id) == "failed"
    assert runner.executor.cancel(execution_id) is True
    with DockerExecutor({"labels": run_labels}) as other:  # knows the cancel only from the engine's events
        assert other.check_status(execution_id) == "failed"
        assert other.harvest_job(job) is True
    assert (job.status, job.exit_code, job.stdout, job.failure_reason) == ("cancelled", 137, "started\n", "cancelled")
    assert runner.executor.cleanup(execution_id) is True
    assert runner.executor.cancel(execution_id) is False


def test_an_own_exit_with_143_is_not_a_cancel(runner: Any) -> None:
    job, status = runner.run(Probe().out("bye").exit(143))
    assert (status, job.status, job.exit_code) == ("exited", "failed", 143)


def test_stream_follows_until_the_end_and_decodes_whole_characters(runner: Any) -> None:
    line = "é€😀" * 50 + "\n"  # under the engine's 16 KiB piece size (it puts U+FFFD where it cuts longer lines)
    probe = Probe().out("first").sleep(1).raw("err", "oops\n").repeat("out", 300, line)
    _, execution_id = runner.start(probe)
    chunks = list(runner.executor.stream_logs(execution_id))
    assert runner.wait(execution_id, 5) == "exited"
    stdout = "".join(t for s, t in chunks if s == "stdout")
    stderr = "".join(t for s, t in chunks if s == "stderr")
    assert (stdout, stderr) == ("first\n" + line * 300, "oops\n")
    assert not [t for _, t in chunks if "\ufffd" in t]
    assert (stdout, stderr) == runner.executor.get_logs(execution_id)


def test_closing_a_stream_closes_the_response(runner: Any) -> None:
    _, execution_id = runner.start(Probe().out("tick").sleep(60))
    stream = runner.executor.stream_logs(execution_id)
    assert next(stream) == ("stdout", "tick\n")
    stream.close()
    assert list(stream) == []
    assert runner.executor.check_status(execution_id) == "running"
