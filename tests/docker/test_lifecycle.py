"""DockerExecutor lifecycle on the real engine: launch, status, logs, harvest, cleanup."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest

from executor_kit.labels import MANAGED_LABEL, NAME_LABEL, TIMEOUT_LABEL
from executor_kit.probe import Probe

pytestmark = pytest.mark.docker


def test_streams_are_separate_and_unicode_safe(runner: Any) -> None:
    text = "héllo wörld ✓ 日本 🚀"
    job, status = runner.run(Probe().out(text).err("only on stderr").out("second"))
    assert status == "exited"
    assert (job.stdout, job.stderr) == (f"{text}\nsecond\n", "only on stderr\n")
    assert runner.executor.get_logs(job.external_execution_id or "") == (job.stdout, job.stderr)


def test_large_output_arrives_complete(runner: Any) -> None:
    job, _ = runner.run(Probe().lines("out", 20000, 60).lines("err", 5000, 10))
    expected_out = "".join(str(i).ljust(60, ".") + "\n" for i in range(1, 20001))
    expected_err = "".join(str(i).ljust(10, ".") + "\n" for i in range(1, 5001))
    assert job.stdout == expected_out
    assert job.stderr == expected_err


def test_invalid_utf8_is_replaced_not_fatal(runner: Any) -> None:
    job, status = runner.run(["sh", "-c", "printf 'ok\\377\\n'"], image="busybox:latest")
    assert status == "exited"
    assert job.stdout == "ok\ufffd\n"


ENV_VALUES = {
    "SPACES": "a value with  spaces ",
    "EQUALS": "k=v=w",
    "QUOTES": 'it\'s "quoted" `tick`',
    "NEWLINES": "line one\nline two",
    "UNICODE": "ünïcødé ✓",
    "SHELLISH": "$(echo pwned); echo $HOME *",
    "EMPTY": "",
}


def test_environment_values_arrive_unchanged(runner: Any) -> None:
    probe = Probe()
    for name in ENV_VALUES:
        probe.env(name)
    job, _ = runner.run(probe, environment=dict(ENV_VALUES))
    assert job.stdout == "".join(f"{value}\n" for value in ENV_VALUES.values())


def test_secret_environment_reaches_the_workload(runner: Any) -> None:
    job, _ = runner.run(Probe().env("TOKEN"), secret_environment={"TOKEN": "s3cr3t-value"})
    assert job.stdout == "s3cr3t-value\n"


ARGS = ["it's", 'say "hi"', "$(id)", "`id`", "a; rm -rf /", "*", "/bin/*", "two\nlines", " padded ", "&& echo x"]


def test_argv_is_never_interpreted_by_a_shell(runner: Any) -> None:
    probe = Probe()
    for arg in ARGS:
        probe.out(arg)
    job, _ = runner.run(probe)
    assert job.stdout == "".join(f"{arg}\n" for arg in ARGS)


@pytest.mark.parametrize(("code", "job_status"), [(0, "completed"), (1, "failed"), (3, "failed"), (255, "failed")])
def test_exit_codes(runner: Any, code: int, job_status: str) -> None:
    job, status = runner.run(Probe().out(f"code {code}").exit(code))
    assert status == "exited"
    assert (job.exit_code, job.status, job.stdout) == (code, job_status, f"code {code}\n")
    assert job.failure_reason is None  # type: ignore[attr-defined]


def test_harvest_fields_and_times(runner: Any) -> None:
    job, _ = runner.run(Probe().sleep(0.2).out("x"))
    assert job.started_at is not None and job.completed_at is not None
    assert job.started_at <= job.completed_at
    assert job.completed_at.tzinfo is not None


def test_logs_readable_while_running(runner: Any) -> None:
    _, execution_id = runner.start(Probe().out("early").err("warn").sleep(30))
    end = runner.clock.monotonic() + 10
    while runner.executor.get_logs(execution_id) != ("early\n", "warn\n"):
        assert runner.clock.monotonic() < end, runner.executor.get_logs(execution_id)
        runner.clock.sleep(0.05)
    assert runner.executor.check_status(execution_id) == "running"


def test_harvest_of_running_changes_nothing(runner: Any) -> None:
    job, _ = runner.start(Probe().sleep(30))
    before = dataclasses.asdict(job)
    assert runner.executor.harvest_job(job) is False
    assert dataclasses.asdict(job) == before


def test_second_harvest_changes_nothing(runner: Any) -> None:
    job, _ = runner.run(Probe().out("a").exit(3))
    before = dataclasses.asdict(job)
    assert runner.executor.harvest_job(job) is True
    assert dataclasses.asdict(job) == before


def test_harvest_unknown_invents_nothing(runner: Any) -> None:
    job = runner.job(Probe())
    job.external_execution_id = "f" * 64
    before = dataclasses.asdict(job)
    assert runner.executor.harvest_job(job) is False
    assert dataclasses.asdict(job) == before


def test_terminal_state_is_absorbing_until_cleanup(runner: Any) -> None:
    job, status = runner.run(Probe().exit(1))
    execution_id = job.external_execution_id or ""
    assert [runner.executor.check_status(execution_id) for _ in range(3)] == [status] * 3
    assert runner.executor.cleanup(execution_id) is True
    assert runner.executor.check_status(execution_id) == "not-found"
    assert runner.executor.get_logs(execution_id) == ("", "")


def test_labels_limits_and_name_reach_the_container(runner: Any, docker_client: Any) -> None:
    _, execution_id = runner.start(
        Probe().sleep(30),
        labels={"team": "blue"},
        name="nightly report #1",
        memory_limit=64,
        cpu_limit=0.5,
        timeout_seconds=60,
    )
    info = docker_client.api.inspect_container(execution_id)
    labels, host = info["Config"]["Labels"], info["HostConfig"]
    assert labels[MANAGED_LABEL] == "true"
    assert labels["team"] == "blue"
    assert (labels[NAME_LABEL], float(labels[TIMEOUT_LABEL])) == ("nightly report #1", 60.0)
    assert info["Name"].startswith("/nightly-report-1-")
    assert (host["Memory"], host["MemorySwap"], host["NanoCpus"]) == (64 << 20, 64 << 20, 500_000_000)


def test_same_job_twice_gets_distinct_ids(runner: Any) -> None:
    job = runner.job(Probe().sleep(30), name="twice")
    first = runner.executor.launch_job(job)
    second = runner.executor.launch_job(dataclasses.replace(job))
    runner.launched += [first[1], second[1]]
    assert first[0] and second[0] and first[1] != second[1]


def test_harvest_cleans_up_when_configured(make_runner: Any) -> None:
    runner = make_runner(harvest_cleans_up=True)
    job, _ = runner.run(Probe().out("bye"))
    assert runner.executor.check_status(job.external_execution_id or "") == "not-found"
    before = dataclasses.asdict(job)
    assert runner.executor.harvest_job(job) is True
    assert dataclasses.asdict(job) == before
    assert job.stdout == "bye\n"


def test_stop_timeout_gives_sigterm_grace(make_runner: Any) -> None:
    runner = make_runner(stop_timeout=5)
    _, execution_id = runner.start(Probe().sleep(30))
    start = runner.clock.monotonic()
    assert runner.executor.cleanup(execution_id) is True
    assert runner.clock.monotonic() - start < 4  # the probe ends on SIGTERM, no need to wait 5 s
    assert runner.executor.check_status(execution_id) == "not-found"


def test_auto_remove_lets_the_daemon_delete_finished_containers(make_runner: Any) -> None:
    runner = make_runner(auto_remove=True)
    _, execution_id = runner.start(Probe().out("gone"))
    end = runner.clock.monotonic() + 10
    while runner.executor.check_status(execution_id) != "not-found":
        assert runner.clock.monotonic() < end
        runner.clock.sleep(0.05)
