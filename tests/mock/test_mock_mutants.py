"""Documented MockExecutor behaviour that survived mutation testing (benchmarks/bench_mutation.py) untested."""

from __future__ import annotations

import pytest

from executor_kit import ContainerJob, ExecutorConfigurationError, ExecutorConnectionError
from executor_kit.backends.mock import MockExecutor, Outcome, Rule, UnexpectedJobError
from executor_kit.clock import MAX_SPAN
from executor_kit.probe import Probe


def test_outcome_describe_lists_only_changed_fields() -> None:
    assert Outcome().describe() == "default"
    assert Outcome(exit_code=2, duration=1.5).describe() == "exit_code=2, duration=1.5"


def test_outcome_constructors_defaults() -> None:
    assert Outcome.lost_after().duration == 0.0
    oom = Outcome.oom()
    assert (oom.stdout, oom.stderr, oom.duration, oom.exit_code) == ("", "", 0.0, 137)


def test_empty_launch_error_is_named() -> None:
    with pytest.raises(ExecutorConfigurationError, match=r"^launch_error must be a non-empty message$"):
        Outcome(launch_error="")


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"command": "run"}, "command must be a list of str"),
        ({"labels": {"a": 1}}, "labels must map str to str"),
    ],
)
def test_rule_field_errors_say_what_is_wrong(fields: dict[str, object], message: str) -> None:
    with pytest.raises(ExecutorConfigurationError, match=message):
        Rule(**fields)  # type: ignore[arg-type]


def test_configuration_errors_name_the_mock_backend() -> None:
    mock = MockExecutor()
    with pytest.raises(ExecutorConfigurationError) as bad_rule:
        mock.add_rule("not a rule")  # type: ignore[arg-type]
    with pytest.raises(ExecutorConfigurationError) as bad_field:
        mock.on(image="x", colour="red")
    assert bad_rule.value.backend == bad_field.value.backend == "mock"


def test_match_function_miss_names_the_function() -> None:
    def only_nightly(job: object) -> bool:
        return False

    assert Rule(match=only_nightly).explain(ContainerJob(image="x")) == "match function 'only_nightly' said no"


def test_strict_mock_without_rules_says_so() -> None:
    with pytest.raises(UnexpectedJobError) as error:
        MockExecutor(strict=True).launch_job(ContainerJob(image="x"))
    assert str(error.value).splitlines()[-1] == "  (no rules are configured)"


def test_run_until_complete_returns_the_seconds_advanced_from_now() -> None:
    mock = MockExecutor(default=Outcome(duration=30))
    mock.advance(100)
    mock.launch_job(ContainerJob(image="x"))
    assert mock.run_until_complete() == 30.0
    assert mock.clock.monotonic() == 130.0


def test_journal_keeps_the_summary_of_an_invalid_job() -> None:
    mock = MockExecutor()
    job = ContainerJob(image="x", command=["run"], labels={"team": "a"})
    job.memory_limit = -1
    ok, _ = mock.launch_job(job)
    assert not ok
    summary = mock.journal.calls("launch_job")[0].args[0]
    assert (summary.image, summary.command, summary.labels) == ("x", ("run",), {"team": "a"})


def test_injected_fault_names_the_execution_and_is_journaled_with_its_arguments() -> None:
    mock = MockExecutor()
    mock.fail("get_logs")
    mock.fail("find_executions")
    with pytest.raises(ExecutorConnectionError) as logs_error:
        mock.get_logs("mock-7")
    with pytest.raises(ExecutorConnectionError):
        mock.find_executions({"team": "a"})
    assert logs_error.value.execution_id == "mock-7"
    assert str(logs_error.value) == "injected fault: ExecutorConnectionError from get_logs (mock-7)"
    call = mock.journal.calls("find_executions")[0]
    assert call.args == ({"team": "a"},)
    assert isinstance(call.error, ExecutorConnectionError)


def test_a_probe_may_sleep_the_whole_span_of_the_virtual_clock() -> None:
    mock = MockExecutor()
    ok, execution_id = mock.launch_job(ContainerJob(image="x", command=list(Probe().sleep(MAX_SPAN).argv)))
    assert ok
    mock.advance(MAX_SPAN)
    assert mock.check_status(execution_id) == "exited"
