"""Scripted outcomes, matchers, strict mode, probe interpretation and determinism."""

from __future__ import annotations

import re

import pytest

from executor_kit import ContainerJob, ExecutorConfigurationError
from executor_kit.backends.mock import MockExecutor, Outcome, Rule, UnexpectedJobError
from executor_kit.probe import Probe


def test_first_matching_rule_wins() -> None:
    mock = MockExecutor()
    mock.on(image="python:*", exit_code=1)
    mock.on(image="python:3.12", exit_code=2)
    mock.on(exit_code=3)
    codes = []
    for image in ("python:3.12", "busybox"):
        job = ContainerJob(image=image)
        mock.launch_job(job)
        mock.harvest_job(job)
        codes.append(job.exit_code)
    assert codes == [1, 3]


@pytest.mark.parametrize(
    ("rule", "matching", "other"),
    [
        (Rule(image="etl:*"), ContainerJob(image="etl:2"), ContainerJob(image="web:2")),
        (Rule(name="job-?"), ContainerJob(image="x", name="job-1"), ContainerJob(image="x")),
        (
            Rule(command=["python", "-m"]),
            ContainerJob(image="x", command=["python", "-m", "app"]),
            ContainerJob(image="x", command=["python"]),
        ),
        (
            Rule(labels={"team": "a"}),
            ContainerJob(image="x", labels={"team": "a", "more": "1"}),
            ContainerJob(image="x", labels={"team": "b"}),
        ),
        (
            Rule(match=lambda job: job.cpu_limit == 2),
            ContainerJob(image="x", cpu_limit=2),
            ContainerJob(image="x", cpu_limit=1),
        ),
    ],
)
def test_matchers(rule: Rule, matching: ContainerJob, other: ContainerJob) -> None:
    assert rule.matches(matching)
    assert rule.explain(matching) is None
    reason = rule.explain(other)
    assert reason and not rule.matches(other)


def test_rule_times_then_falls_through() -> None:
    mock = MockExecutor()
    mock.on(image="flaky", times=2, launch_error="temporarily unavailable")
    results = [mock.launch_job(ContainerJob(image="flaky"))[0] for _ in range(3)]
    assert results == [False, False, True]
    mock.assert_all_rules_used()


def test_matcher_exception_becomes_executor_error() -> None:
    mock = MockExecutor(rules=[Rule(match=lambda job: 1 / 0)])
    with pytest.raises(ExecutorConfigurationError, match="ZeroDivisionError"):
        mock.launch_job(ContainerJob(image="x"))


def test_scripted_rule_beats_the_probe() -> None:
    mock = MockExecutor()
    mock.on(command=["probe"], stdout="scripted\n")
    _, eid = mock.launch_job(ContainerJob(image="x", command=Probe().out("real").argv))
    assert mock.get_logs(eid) == ("scripted\n", "")


def test_scripted_output_visible_at_once_and_end_after_duration() -> None:
    mock = MockExecutor(default=Outcome(stdout="o\n", stderr="e\n", duration=3, exit_code=5))
    job = ContainerJob(image="x")
    _, eid = mock.launch_job(job)
    assert mock.get_logs(eid) == ("o\n", "e\n")
    assert mock.check_status(eid) == "running"
    assert mock.run_until_complete() == 3
    assert mock.check_status(eid) == "exited"
    assert mock.harvest_job(job) and (job.exit_code, job.stdout, job.stderr) == (5, "o\n", "e\n")


def test_scripted_oom() -> None:
    mock = MockExecutor(rules=[Rule(Outcome.oom(after=4, stdout="loading\n"), image="big")])
    job = ContainerJob(image="big")
    _, eid = mock.launch_job(job)
    mock.advance(4)
    assert mock.check_status(eid) == "failed"
    assert mock.harvest_job(job)
    assert (job.exit_code, job.status, job.stdout) == (137, "failed", "loading\n")
    assert "OOM" in (job.failure_reason or "")


def test_probe_unknown_step_exits_64() -> None:
    mock = MockExecutor()
    job = ContainerJob(image="x", command=["probe", "dance"])
    mock.launch_job(job)
    assert mock.harvest_job(job)
    assert (job.exit_code, job.stderr) == (64, "probe: unknown step dance\n")


def test_probe_interpretation_is_shared_but_environment_is_per_job() -> None:
    mock = MockExecutor()
    argv = Probe().env("WHO").argv
    outputs = []
    for who in ("a", "b"):
        _, eid = mock.launch_job(ContainerJob(image="x", command=argv, environment={"WHO": who}))
        outputs.append(mock.get_logs(eid)[0])
    assert outputs == ["a\n", "b\n"]


def test_strict_mode_fails_loudly_with_job_and_rules() -> None:
    mock = MockExecutor(strict=True)
    mock.on(image="etl:*", exit_code=0)
    mock.on(name="web", times=1)
    mock.launch_job(ContainerJob(image="x", name="web"))
    job = ContainerJob(image="busybox", name="web", secret_environment={"TOKEN": "hunter2"})
    with pytest.raises(UnexpectedJobError) as info:
        mock.launch_job(job)
    message = str(info.value)
    assert "'image': 'busybox'" in message
    assert "rule 0: Rule(image='etl:*')" in message and "image 'busybox' does not match 'etl:*'" in message
    assert re.search(r"rule 1: .*used up \(1 of 1 times\)", message)
    assert "hunter2" not in message and "'TOKEN': '***'" in message
    assert isinstance(info.value, ExecutorConfigurationError)
    assert job.status == "pending" and mock.live_executions() == ["mock-1"]
    assert mock.journal.calls("launch_job")[-1].error is info.value


def test_strict_mode_without_rules() -> None:
    with pytest.raises(UnexpectedJobError, match="no rules are configured"):
        MockExecutor({"strict": True}).launch_job(ContainerJob(image="x", command=["probe", "out", "x"]))


def test_assert_all_rules_used() -> None:
    mock = MockExecutor()
    mock.on(image="a")
    mock.on(image="b", times=2)
    mock.launch_job(ContainerJob(image="a"))
    mock.launch_job(ContainerJob(image="b"))
    with pytest.raises(AssertionError, match=r"rule 1: Rule\(image='b', times=2\).*used 1 times"):
        mock.assert_all_rules_used()
    mock.launch_job(ContainerJob(image="b"))
    mock.assert_all_rules_used()


def test_reset_restores_construction_state() -> None:
    mock = MockExecutor({"rules": [{"image": "a", "outcome": {"exit_code": 1}}]})
    mock.on(image="b")
    mock.fail("check_status", times=None)
    mock.launch_job(ContainerJob(image="a"))
    mock.reset()
    assert [(rule.image, used) for rule, used in mock.rules] == [("a", 0)]
    assert len(mock.journal) == 0 and mock.live_executions() == []
    assert mock.check_status("mock-1") == "not-found"
    assert mock.launch_job(ContainerJob(image="a")) == (True, "mock-1")


def scenario(seed: int) -> list[object]:
    mock = MockExecutor({"seed": seed, "faults": [{"method": "check_status", "probability": 0.5, "times": None}]})
    mock.on(image="a", duration=2, exit_code=1)
    trace: list[object] = []
    for index in range(30):
        job = ContainerJob(image="a" if index % 2 else "b", command=Probe().out(str(index)).sleep(index % 3).argv)
        trace.append(mock.launch_job(job))
        mock.advance(0.5)
        try:
            trace.append(mock.check_status(job.external_execution_id or ""))
        except Exception as exc:
            trace.append(type(exc).__name__)
        trace.append(mock.harvest_job(job))
        trace.append((job.exit_code, job.stdout, job.completed_at))
    return trace


def test_same_seed_same_results() -> None:
    first = scenario(1)
    assert first == scenario(1)
    assert "ExecutorConnectionError" in first and "running" in first and "exited" in first
    assert first != scenario(2)
