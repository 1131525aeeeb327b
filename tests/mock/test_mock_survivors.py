"""Documented MockExecutor behaviour that the mutants surviving benchmarks/bench_mutation.py showed untested.

Each test names, in its docstring, the behaviour it pins; docs/mutation.md maps every surviving mutant to
the test that kills it (or says why it is equivalent). Only the public surface is used
(``executor_kit.backends.mock`` and ``executor_kit``), never a private name or a module path.
"""

from __future__ import annotations

import threading
import types
from collections.abc import Callable
from typing import Any

import pytest

from executor_kit import (
    ContainerJob,
    ExecutorConfigurationError,
    ExecutorConnectionError,
    ExecutorNotSupportedError,
    ExecutorResourceError,
    Probe,
)
from executor_kit.backends.mock import Fault, MockExecutor, Outcome, Rule, UnexpectedJobError
from executor_kit.clock import MAX_SPAN

# -- construction and seeds -------------------------------------------------------------------------------------


def _firing_pattern(mock: MockExecutor, calls: int = 64) -> list[bool]:
    """Which of ``calls`` check_status calls a fault firing with probability 0.5 makes raise."""
    mock.fail("check_status", probability=0.5, times=None)
    pattern = []
    for _ in range(calls):
        try:
            mock.check_status("mock-1")
        except ExecutorConnectionError:
            pattern.append(True)
        else:
            pattern.append(False)
    return pattern


def test_the_default_seed_is_zero() -> None:
    """``MockExecutor(seed=0)`` is the signature's default: the same probabilistic faults fire."""
    pattern = _firing_pattern(MockExecutor())
    assert pattern == _firing_pattern(MockExecutor(seed=0))
    assert True in pattern and False in pattern


def test_a_run_after_clear_faults_repeats_exactly() -> None:
    """Seeded faults repeat run after run, also for faults added after ``clear_faults``."""

    def run() -> list[bool]:
        mock = MockExecutor(seed=7)
        mock.fail("cleanup")
        mock.clear_faults()
        return _firing_pattern(mock)

    assert run() == run()


def test_faults_given_to_the_constructor_fire() -> None:
    """``MockExecutor(faults=[...])`` installs the faults, as the ``faults`` config key does."""
    mock = MockExecutor(faults=[Fault("cleanup", ExecutorResourceError, message="throttled")])
    with pytest.raises(ExecutorResourceError, match=r"^throttled$"):
        mock.cleanup("mock-1")
    assert mock.cleanup("mock-1") is True


def test_the_journal_shares_the_mock_lock() -> None:
    """A reader of the journal waits for a call in progress on another thread, then sees it (one lock)."""
    mock = MockExecutor()
    seen: list[int] = []
    readers: list[threading.Thread] = []
    started = threading.Event()

    def reader() -> None:
        started.set()
        seen.append(len(mock.journal))

    def match(job: object) -> bool:  # runs inside launch_job, under the mock's lock
        thread = threading.Thread(target=reader)
        readers.append(thread)
        thread.start()
        started.wait(10)
        thread.join(0.2)  # a reader with a lock of its own would be done by now
        return True

    mock.on(match=match)
    assert mock.launch_job(ContainerJob(image="x"))[0]
    readers[0].join(60)
    assert seen == [1]


# -- time -------------------------------------------------------------------------------------------------------


def test_a_timeout_counts_from_the_launch_not_from_time_zero() -> None:
    """A job launched late that ends within its ``timeout_seconds`` exits normally."""
    mock = MockExecutor(default=Outcome(duration=5))
    mock.advance(100)
    job = ContainerJob(image="x", timeout_seconds=10)
    _, execution_id = mock.launch_job(job)
    mock.advance(5)
    assert mock.check_status(execution_id) == "exited"
    assert mock.harvest_job(job) and (job.status, job.exit_code) == ("completed", 0)


def test_a_timed_out_job_is_harvested_with_reason_timeout() -> None:
    """A timeout ends the job ``failed`` with 143; harvest records status and ``failure_reason`` ``timeout``."""
    mock = MockExecutor(default=Outcome(duration=60))
    job = ContainerJob(image="x", timeout_seconds=10)
    mock.launch_job(job)
    mock.advance(10)
    assert mock.harvest_job(job)
    assert (job.status, job.exit_code, job.failure_reason) == ("timeout", 143, "timeout")


@pytest.mark.parametrize("outcome", [None, Outcome.pending()])
def test_run_until_complete_with_nothing_to_wait_for_advances_nothing(outcome: Outcome | None) -> None:
    """No execution (or only one that never ends): ``run_until_complete`` returns 0.0 and leaves the clock."""
    mock = MockExecutor()
    if outcome is not None:
        mock.on(outcome=outcome)
        mock.launch_job(ContainerJob(image="x"))
    assert mock.run_until_complete() == 0.0
    assert mock.clock.monotonic() == 0.0


def test_an_outcome_may_last_the_whole_span_of_the_virtual_clock() -> None:
    """``duration`` may be exactly ``MAX_SPAN`` (the bound is inclusive)."""
    mock = MockExecutor(default=Outcome(duration=MAX_SPAN))
    _, execution_id = mock.launch_job(ContainerJob(image="x"))
    assert mock.run_until_complete() == MAX_SPAN
    assert mock.check_status(execution_id) == "exited"


# -- probes, limits, rejections ---------------------------------------------------------------------------------


def test_a_probe_reading_the_environment_still_gets_its_memory_limit() -> None:
    """A probe with an ``env`` step (not cached) is OOM-killed like any other when it allocates past the limit."""
    mock = MockExecutor()
    job = ContainerJob(image="x", command=Probe().env("A").alloc(64).argv, environment={"A": "a"}, memory_limit=32)
    mock.launch_job(job)
    mock.run_until_complete()
    assert mock.harvest_job(job)
    assert (job.status, job.exit_code, job.stdout) == ("failed", 137, "a\n")


def test_a_probe_has_step_sees_the_job_environment() -> None:
    """``probe has NAME`` prints ``set`` for a variable the job sets, as the probe image does (no ``env`` step)."""
    mock = MockExecutor()
    job = ContainerJob(image="x", command=Probe().has("A").argv, environment={"A": "a"})
    mock.launch_job(job)
    assert mock.harvest_job(job)
    assert job.stdout == "set\n"


def test_an_oom_kill_names_the_memory_limit() -> None:
    """A probe OOM kill's ``failure_reason`` says which limit it exceeded."""
    mock = MockExecutor()
    job = ContainerJob(image="x", command=Probe().alloc(64).argv, memory_limit=32)
    mock.launch_job(job)
    assert mock.harvest_job(job)
    assert job.failure_reason == "OOM killed: exceeded the memory limit of 32 MiB"


def test_secrets_on_a_mock_without_secrets_support_are_refused_with_a_message() -> None:
    """Declared without ``supports_secrets``, a job with secrets is refused: ``(False, message)``."""
    mock = MockExecutor(capabilities={"supports_secrets": False})
    job = ContainerJob(image="x", secret_environment={"TOKEN": "v"})
    assert mock.launch_job(job) == (False, "job rejected: this MockExecutor is configured without secrets support")


# -- ids and jobs outside the typed API -------------------------------------------------------------------------


@pytest.mark.parametrize("odd", [["mock-1"], {"id": "mock-1"}, None, 1])
def test_an_id_that_is_not_a_str_is_an_unknown_id(odd: Any) -> None:
    """Any non-str id (even an unhashable one) is unknown: not-found, ``("", "")``, cancel False, no chunks."""
    mock = MockExecutor()
    mock.launch_job(ContainerJob(image="x"))
    assert mock.check_status(odd) == "not-found"
    assert mock.get_logs(odd) == ("", "")
    assert mock.cancel(odd) is False
    assert list(mock.stream_logs(odd)) == []
    assert mock.cleanup(odd) is True
    assert mock.live_executions() == ["mock-1"]


def test_a_job_object_never_launched_is_not_harvested() -> None:
    """``harvest_job`` of an object that never went through ``launch_job`` (no execution id at all): False."""
    job = types.SimpleNamespace(image="x", command=[])
    assert MockExecutor().harvest_job(job) is False  # type: ignore[arg-type]
    assert vars(job) == {"image": "x", "command": []}


def test_cleanup_forgets_an_execution_harvest_already_cleaned_up() -> None:
    """With ``harvest_cleans_up``, an explicit ``cleanup`` afterwards still forgets it: harvest then says False."""
    mock = MockExecutor(harvest_cleans_up=True)
    job = ContainerJob(image="x")
    _, execution_id = mock.launch_job(job)
    assert mock.harvest_job(job)
    assert mock.check_status(execution_id) == "not-found"
    assert mock.cleanup(execution_id)
    assert mock.harvest_job(job) is False


# -- faults and the journal -------------------------------------------------------------------------------------

Invoke = Callable[[MockExecutor, ContainerJob, str], object]
_CALLS: dict[str, tuple[Invoke, Callable[[str], tuple[Any, ...]]]] = {
    "check_status": (lambda m, j, e: m.check_status(e), lambda e: (e,)),
    "check_statuses": (lambda m, j, e: m.check_statuses([e]), lambda e: ((e,),)),
    "get_logs": (lambda m, j, e: m.get_logs(e), lambda e: (e,)),
    "harvest_job": (lambda m, j, e: m.harvest_job(j), lambda e: (e,)),
    "cleanup": (lambda m, j, e: m.cleanup(e), lambda e: (e,)),
    "cancel": (lambda m, j, e: m.cancel(e), lambda e: (e,)),
    "stream_logs": (lambda m, j, e: m.stream_logs(e), lambda e: (e,)),
    "get_capabilities": (lambda m, j, e: m.get_capabilities(), lambda e: ()),
}
_ABOUT_THE_EXECUTION = ("check_status", "get_logs", "harvest_job", "cleanup", "cancel", "stream_logs")


@pytest.mark.parametrize("method", sorted(_CALLS))
def test_a_call_failed_by_a_fault_is_journaled_with_its_arguments(method: str) -> None:
    """The journal records a call that an injected fault made raise: its arguments and the error."""
    mock = MockExecutor()
    job = ContainerJob(image="x", command=Probe().sleep(5).argv)
    _, execution_id = mock.launch_job(job)
    invoke, expected_args = _CALLS[method]
    mock.fail(method)
    with pytest.raises(ExecutorConnectionError) as error:
        invoke(mock, job, execution_id)
    [call] = mock.journal.calls(method)
    assert call.args == expected_args(execution_id)
    assert call.error is error.value and call.result is None


@pytest.mark.parametrize("method", _ABOUT_THE_EXECUTION)
def test_an_injected_fault_names_the_execution(method: str) -> None:
    """A fault on a call about one execution carries its id (attribute and message)."""
    mock = MockExecutor()
    job = ContainerJob(image="x", command=Probe().sleep(5).argv)
    _, execution_id = mock.launch_job(job)
    mock.fail(method)
    with pytest.raises(ExecutorConnectionError) as error:
        _CALLS[method][0](mock, job, execution_id)
    assert error.value.execution_id == execution_id
    assert str(error.value) == f"injected fault: ExecutorConnectionError from {method} ({execution_id})"


def test_a_launch_failed_by_a_fault_is_journaled_with_the_job() -> None:
    """A faulted ``launch_job`` is journaled with the job's summary, and launches nothing."""
    mock = MockExecutor()
    mock.fail("launch_job", ExecutorResourceError)
    with pytest.raises(ExecutorResourceError):
        mock.launch_job(ContainerJob(image="etl:1", command=["run"]))
    [call] = mock.journal.calls("launch_job")
    assert (call.args[0].image, call.args[0].command) == ("etl:1", ("run",))
    assert isinstance(call.error, ExecutorResourceError)
    assert mock.journal.launched() == [] and mock.live_executions() == []


def test_fail_with_an_error_class_keeps_message_and_probability() -> None:
    """``fail(method, ErrorClass, probability=..., message=...)`` keeps every argument."""
    mock = MockExecutor()
    fault = mock.fail("cleanup", ExecutorResourceError, times=None, probability=0.25, message="throttled")
    assert (fault.error, fault.times, fault.probability, fault.message) == (
        ExecutorResourceError,
        None,
        0.25,
        "throttled",
    )
    never = mock.fail("check_status", ExecutorResourceError, times=None, probability=0.0)
    assert never.probability == 0.0
    for _ in range(20):
        assert mock.check_status("mock-1") == "not-found"
    mock.clear_faults()
    mock.fail("get_logs", ExecutorResourceError, message="throttled")
    with pytest.raises(ExecutorResourceError, match=r"^throttled$"):
        mock.get_logs("mock-1")


def test_successful_calls_are_journaled_with_arguments_and_results() -> None:
    """Every call is journaled with its method, arguments and result."""
    mock = MockExecutor()
    _, execution_id = mock.launch_job(ContainerJob(image="x", command=Probe().sleep(5).argv))
    statuses = mock.check_statuses([execution_id, "nope"])
    capabilities = mock.get_capabilities()
    chunks = mock.stream_logs(execution_id, follow=False)
    assert mock.cancel(execution_id) is True
    assert mock.cancel("nope") is False
    assert list(chunks) == []
    journal = {
        call.method: [(c.args, c.result, c.error) for c in mock.journal.calls(call.method)] for call in mock.journal
    }
    assert journal["check_statuses"] == [(((execution_id, "nope"),), statuses, None)]
    assert journal["get_capabilities"] == [((), capabilities, None)]
    assert journal["stream_logs"] == [((execution_id,), None, None)]
    assert journal["cancel"] == [((execution_id,), True, None), (("nope",), False, None)]


def test_a_refused_cancel_is_journaled_with_its_error() -> None:
    """A cancel that raises the outcome's ``cancel_error`` is journaled with the id and the error."""
    mock = MockExecutor(default=Outcome(duration=60, cancel_error="the platform is busy"))
    _, execution_id = mock.launch_job(ContainerJob(image="x"))
    with pytest.raises(ExecutorResourceError, match="busy") as error:
        mock.cancel(execution_id)
    [call] = mock.journal.calls("cancel")
    assert (call.args, call.result, call.error) == ((execution_id,), None, error.value)


@pytest.mark.parametrize(
    ("capability", "method"), [("supports_cancel", "cancel"), ("supports_log_streaming", "stream_logs")]
)
def test_an_undeclared_optional_method_names_the_execution(capability: str, method: str) -> None:
    """Declared absent, ``cancel`` and ``stream_logs`` raise ``ExecutorNotSupportedError`` about the id given."""
    mock = MockExecutor(capabilities={capability: False})
    _, execution_id = mock.launch_job(ContainerJob(image="x"))
    with pytest.raises(ExecutorNotSupportedError) as error:
        getattr(mock, method)(execution_id)
    assert (error.value.backend, error.value.execution_id) == ("mock", execution_id)


# -- rules ------------------------------------------------------------------------------------------------------


def test_on_takes_labels_and_match_as_matchers() -> None:
    """``on(labels=..., match=...)``: both are matchers, not outcome fields."""
    mock = MockExecutor()
    mock.on(labels={"team": "ml"}, exit_code=3)
    mock.on(match=lambda job: job.name == "nightly", exit_code=4)
    ml = ContainerJob(image="x", labels={"team": "ml"})
    nightly = ContainerJob(image="x", name="nightly")
    other = ContainerJob(image="x")
    for job in (ml, nightly, other):
        mock.launch_job(job)
        assert mock.harvest_job(job)
    assert (ml.exit_code, nightly.exit_code, other.exit_code) == (3, 4, 0)


def test_add_rule_refusal_says_what_it_got() -> None:
    """``add_rule`` of something that is not a ``Rule`` names what it was given."""
    with pytest.raises(ExecutorConfigurationError, match=r"^add_rule needs a Rule, got 'image=x'$"):
        MockExecutor().add_rule("image=x")  # type: ignore[arg-type]


def test_assert_all_rules_used_lists_every_unused_rule() -> None:
    """The assertion lists each unused rule, separated by ``; ``."""
    mock = MockExecutor(rules=[Rule(image="a"), Rule(Outcome(exit_code=1), image="b", times=2)])
    mock.launch_job(ContainerJob(image="b"))
    with pytest.raises(AssertionError) as error:
        mock.assert_all_rules_used()
    assert str(error.value) == (
        "2 scripted rule(s) not used up: rule 0: Rule(image='a') -> default (used 0 times); "
        "rule 1: Rule(image='b', times=2) -> exit_code=1 (used 1 times)"
    )


def test_explain_joins_every_miss() -> None:
    """``Rule.explain`` gives every reason a job misses, separated by ``; ``."""
    rule = Rule(image="a", name="n")
    assert rule.explain(ContainerJob(image="b")) == "image 'b' does not match 'a'; name None does not match 'n'"


def test_a_match_object_without_a_name_is_shown_by_its_repr() -> None:
    """A callable object as ``match`` (no ``__name__``) is named by its repr when it says no."""

    class Nightly:
        def __call__(self, job: object) -> bool:
            return False

        def __repr__(self) -> str:
            return "Nightly()"

    assert Rule(match=Nightly()).explain(ContainerJob(image="x")) == "match function Nightly() said no"


def test_a_rule_keeps_its_own_copy_of_command_and_labels() -> None:
    """A ``Rule`` copies ``command`` (to a tuple) and ``labels``: later changes by the caller do not reach it."""
    argv, labels = ["run", "--all"], {"team": "a"}
    rule = Rule(command=argv, labels=labels)
    argv[0], labels["team"] = "stop", "b"
    assert rule.command == ("run", "--all") and rule.labels == {"team": "a"}
    assert rule.matches(ContainerJob(image="x", command=["run", "--all"], labels={"team": "a"}))


def test_a_strict_mock_reports_a_rule_that_matches_when_explained() -> None:
    """The strict error says ``matches`` for a rule whose matcher says yes when asked again; it is a mock error."""
    answers = iter([False, True])
    mock = MockExecutor(strict=True, rules=[Rule(match=lambda job: next(answers))])
    with pytest.raises(UnexpectedJobError) as error:
        mock.launch_job(ContainerJob(image="x"))
    assert str(error.value).splitlines()[-1].endswith(": matches")
    assert error.value.backend == "mock"


# -- outcomes and their checks ----------------------------------------------------------------------------------


def test_outcome_constructors_keep_their_arguments() -> None:
    """``launch_failure``, ``oom`` and ``pending`` keep what they are given."""
    assert Outcome.launch_failure("no such image").launch_error == "no such image"
    oom = Outcome.oom(after=2, stdout="a", stderr="b")
    assert (oom.duration, oom.stdout, oom.stderr, oom.exit_code, oom.oom_killed) == (2, "a", "b", 137, True)
    slow = Outcome.pending(startup=30)
    assert (slow.startup, slow.never_starts) == (30, False)
    assert Outcome.pending().never_starts


@pytest.mark.parametrize(
    ("build", "message"),
    [
        (lambda: Outcome(lost="yes"), "lost must be a bool, got 'yes'"),
        (lambda: Outcome(exit_code=1.5), "exit_code must be an int, got 1.5"),
        (lambda: Outcome(stdout=None), "stdout must be a str, got None"),
        (lambda: Outcome(duration="1"), "duration must be a finite number of seconds, got '1'"),
        (lambda: Outcome(startup=-1), "startup must not be negative, got -1"),
        (
            lambda: Outcome(duration=MAX_SPAN * 2),
            f"duration must be at most {MAX_SPAN:g} seconds (the virtual clock's span), got {MAX_SPAN * 2!r}",
        ),
        (lambda: Rule(times="2"), "times must be an int, got '2'"),
        (lambda: Rule(times=0), "times must be at least 1, got 0"),
        (lambda: Rule(match=5), "match must be callable, got 5"),
        (lambda: Rule(outcome=3), "outcome must be an Outcome, got 3"),
    ],
)
def test_field_errors_name_the_field_and_the_value(build: Callable[[], object], message: str) -> None:
    """A bad ``Outcome`` or ``Rule`` field raises ``ExecutorConfigurationError``: the field, the problem, the value."""
    with pytest.raises(ExecutorConfigurationError) as error:
        build()
    assert str(error.value) == error.value.message == message
