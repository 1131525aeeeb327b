"""Each clause of BRIEF section 2, against MockExecutor."""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest

from executor_kit import (
    STANDARD_CAPABILITIES,
    ContainerExecutor,
    ContainerJob,
    ExecutionStatus,
    VirtualClock,
    get_executor,
)
from executor_kit.backends.mock import MockExecutor, Outcome
from executor_kit.probe import MISSING_IMAGE, Probe

WORDS = {"running", "exited", "failed", "not-found"}


@pytest.fixture
def mock() -> MockExecutor:
    return MockExecutor()


def probe_job(run_labels: dict[str, str], probe: Probe, **fields: object) -> ContainerJob:
    fields.setdefault("image", "executor-kit-probe:latest")
    return ContainerJob(command=probe.argv, labels=dict(run_labels), **fields)  # type: ignore[arg-type]


def test_is_a_container_executor_named_mock() -> None:
    mock = get_executor("mock")
    assert isinstance(mock, ContainerExecutor)
    assert isinstance(mock, MockExecutor)
    assert mock.name == "mock"
    assert isinstance(mock.clock, VirtualClock)


# -- status vocabulary -------------------------------------------------------


def test_status_words_over_a_lifecycle(mock: MockExecutor, run_labels: dict[str, str]) -> None:
    job = probe_job(run_labels, Probe().sleep(5).exit(0))
    _, eid = mock.launch_job(job)
    seen = [mock.check_status(eid)]
    mock.advance(5)
    seen.append(mock.check_status(eid))
    mock.cleanup(eid)
    seen.append(mock.check_status(eid))
    assert seen == ["running", "exited", "not-found"]
    assert all(isinstance(status, ExecutionStatus) and status.value in WORDS for status in seen)


def test_nonzero_exit_is_exited_not_failed(mock: MockExecutor, run_labels: dict[str, str]) -> None:
    _, eid = mock.launch_job(probe_job(run_labels, Probe().exit(3)))
    assert mock.check_status(eid) == "exited"


@pytest.mark.parametrize("bad_id", ["", "mock-999", "nonsense", "MOCK-1"])
def test_unknown_ids_are_not_found_without_error(mock: MockExecutor, bad_id: str) -> None:
    assert mock.check_status(bad_id) == ExecutionStatus.NOT_FOUND
    assert mock.get_logs(bad_id) == ("", "")
    assert mock.cleanup(bad_id) is True


def test_oom_and_lost_are_failed(mock: MockExecutor, run_labels: dict[str, str]) -> None:
    _, oom = mock.launch_job(probe_job(run_labels, Probe().alloc(64), memory_limit=32))
    mock.on(image="lost/*", outcome=Outcome.lost_after(1))
    _, lost = mock.launch_job(ContainerJob(image="lost/x", labels=run_labels))
    mock.advance(1)
    assert mock.check_statuses([oom, lost]) == {oom: "failed", lost: "failed"}


# -- terminal states are absorbing ------------------------------------------


@pytest.mark.parametrize(("probe", "final"), [(Probe().exit(0), "exited"), (Probe().alloc(99), "failed")])
def test_terminal_states_are_absorbing(
    mock: MockExecutor, run_labels: dict[str, str], probe: Probe, final: str
) -> None:
    _, eid = mock.launch_job(probe_job(run_labels, probe, memory_limit=10))
    for _ in range(5):
        assert mock.check_status(eid) == final
        mock.advance(1000)
    mock.harvest_job(ContainerJob(image="x", external_execution_id=eid))
    assert mock.check_status(eid) == final
    mock.cleanup(eid)
    assert mock.check_status(eid) == "not-found"


# -- launch_job ---------------------------------------------------------------


def test_launch_records_on_job_and_ids_are_unique(mock: MockExecutor, run_labels: dict[str, str]) -> None:
    mock.advance(12)
    ids = set()
    for _ in range(20):
        job = probe_job(run_labels, Probe().out("x"))
        ok, eid = mock.launch_job(job)
        assert ok is True
        assert isinstance(eid, str) and eid
        assert (job.external_execution_id, job.status) == (eid, "running")
        assert job.started_at == dt.datetime(2026, 1, 1, 0, 0, 12, tzinfo=dt.timezone.utc)
        ids.add(eid)
    assert len(ids) == 20


def test_launch_failure_leaves_nothing_behind(run_labels: dict[str, str]) -> None:
    mock = MockExecutor({"rules": [{"image": "missing:*", "outcome": {"launch_error": "image not found"}}]})
    job = ContainerJob(image="missing:1", labels=run_labels)
    assert mock.launch_job(job) == (False, "image not found")
    assert (job.status, job.external_execution_id, job.started_at) == ("pending", None, None)
    assert mock.live_executions() == []
    assert mock.find_executions(run_labels) == []
    assert mock.launch_job(ContainerJob(image="ok", labels=run_labels)) == (True, "mock-1")


def test_missing_image_fails_to_launch(mock: MockExecutor, run_labels: dict[str, str]) -> None:
    job = probe_job(run_labels, Probe().out("never"), image=MISSING_IMAGE)
    ok, message = mock.launch_job(job)
    assert ok is False and MISSING_IMAGE in message
    assert mock.live_executions() == [] and job.external_execution_id is None


@dataclasses.dataclass
class PlainJob:
    """An application's own model: not a ContainerJob."""

    image: str
    command: object
    environment: dict[str, str] = dataclasses.field(default_factory=dict)
    name: str | None = None
    labels: dict[str, str] = dataclasses.field(default_factory=dict)
    cpu_limit: float | None = None
    memory_limit: int | None = None
    timeout_seconds: float | None = None
    status: str = "pending"
    external_execution_id: str | None = None
    exit_code: int | None = None
    stdout: str = ""
    stderr: str = ""
    started_at: dt.datetime | None = None
    completed_at: dt.datetime | None = None


def test_rejected_spec_is_false_with_message(mock: MockExecutor) -> None:
    job = PlainJob(image="busybox", command=["x"], memory_limit=-5)
    ok, message = mock.launch_job(job)  # type: ignore[arg-type]
    assert ok is False
    assert "memory_limit" in message
    assert mock.live_executions() == []
    assert job.status == "pending"


def test_plain_class_job_runs_end_to_end(mock: MockExecutor) -> None:
    job = PlainJob(image="busybox", command=Probe().out("hi").exit(2).argv)
    ok, _ = mock.launch_job(job)  # type: ignore[arg-type]
    assert ok
    assert mock.harvest_job(job)  # type: ignore[arg-type]
    assert (job.exit_code, job.stdout, job.status) == (2, "hi\n", "failed")


def test_secrets_need_the_capability(run_labels: dict[str, str]) -> None:
    mock = MockExecutor(capabilities={"supports_secrets": False})
    ok, message = mock.launch_job(ContainerJob(image="x", labels=run_labels, secret_environment={"TOKEN": "hunter2"}))
    assert not ok and "secret" in message and "hunter2" not in message


# -- get_logs -----------------------------------------------------------------


def test_logs_are_two_separate_complete_unicode_strings(mock: MockExecutor, run_labels: dict[str, str]) -> None:
    probe = Probe().out("error: in stdout").err("all good, in stderr").out("héllo ✓ 日本").lines("err", 2000, 40)
    _, eid = mock.launch_job(probe_job(run_labels, probe))
    stdout, stderr = mock.get_logs(eid)
    assert stdout == "error: in stdout\nhéllo ✓ 日本\n"
    assert stderr.startswith("all good, in stderr\n1.......")
    assert stderr.count("\n") == 2001
    assert stderr.endswith("2000" + "." * 36 + "\n")


def test_logs_readable_while_running_and_after_exit_until_cleanup(
    mock: MockExecutor, run_labels: dict[str, str]
) -> None:
    _, eid = mock.launch_job(probe_job(run_labels, Probe().out("one").sleep(10).out("two").err("e")))
    assert mock.get_logs(eid) == ("one\n", "")
    mock.advance(9.5)
    assert mock.check_status(eid) == "running"
    assert mock.get_logs(eid) == ("one\n", "")
    mock.advance(0.5)
    assert mock.get_logs(eid) == ("one\ntwo\n", "e\n")
    mock.advance(100)
    assert mock.get_logs(eid) == ("one\ntwo\n", "e\n")
    mock.cleanup(eid)
    assert mock.get_logs(eid) == ("", "")


def test_environment_reaches_the_probe(mock: MockExecutor, run_labels: dict[str, str]) -> None:
    job = probe_job(
        run_labels, Probe().env("A").env("B").env("UNSET"), environment={"A": "x y"}, secret_environment={"B": "s"}
    )
    _, eid = mock.launch_job(job)
    assert mock.get_logs(eid) == ("x y\ns\n\n", "")


# -- harvest_job --------------------------------------------------------------


@pytest.mark.parametrize(("code", "status"), [(0, "completed"), (1, "failed"), (255, "failed")])
def test_harvest_finished_records_everything(
    mock: MockExecutor, run_labels: dict[str, str], code: int, status: str
) -> None:
    job = probe_job(run_labels, Probe().out("o").err("e").sleep(2.5).exit(code))
    mock.launch_job(job)
    mock.advance(2.5)
    assert mock.harvest_job(job) is True
    assert (job.exit_code, job.stdout, job.stderr, job.status) == (code, "o\n", "e\n", status)
    assert job.completed_at == dt.datetime(2026, 1, 1, 0, 0, 2, 500000, tzinfo=dt.timezone.utc)


def test_harvest_running_returns_false_and_changes_nothing(mock: MockExecutor, run_labels: dict[str, str]) -> None:
    job = probe_job(run_labels, Probe().out("partial").sleep(5))
    mock.launch_job(job)
    before = dataclasses.asdict(job)
    assert mock.harvest_job(job) is False
    assert dataclasses.asdict(job) == before


def test_harvest_unknown_returns_false_and_invents_nothing(mock: MockExecutor) -> None:
    for job in (ContainerJob(image="x"), ContainerJob(image="x", external_execution_id="mock-77")):
        before = dataclasses.asdict(job)
        assert mock.harvest_job(job) is False
        assert dataclasses.asdict(job) == before


def test_second_harvest_is_true_and_unchanged(mock: MockExecutor, run_labels: dict[str, str]) -> None:
    job = probe_job(run_labels, Probe().out("o").exit(4))
    mock.launch_job(job)
    assert mock.harvest_job(job)
    first = dataclasses.asdict(job)
    mock.advance(60)
    assert mock.harvest_job(job) is True
    assert dataclasses.asdict(job) == first


def test_harvest_does_not_clean_up_by_default(mock: MockExecutor, run_labels: dict[str, str]) -> None:
    job = probe_job(run_labels, Probe().out("o"))
    _, eid = mock.launch_job(job)
    mock.harvest_job(job)
    assert mock.check_status(eid) == "exited"
    assert mock.get_logs(eid) == ("o\n", "")


def test_harvest_cleans_up_option(run_labels: dict[str, str]) -> None:
    mock = MockExecutor({"harvest_cleans_up": True})
    job = probe_job(run_labels, Probe().out("o").exit(1))
    _, eid = mock.launch_job(job)
    assert mock.harvest_job(job)
    first = dataclasses.asdict(job)
    assert mock.check_status(eid) == "not-found"
    assert mock.find_executions(run_labels) == []
    assert mock.harvest_job(job) is True
    assert dataclasses.asdict(job) == first


def test_harvest_after_cleanup_is_false(mock: MockExecutor, run_labels: dict[str, str]) -> None:
    job = probe_job(run_labels, Probe().exit(0))
    _, eid = mock.launch_job(job)
    mock.cleanup(eid)
    assert mock.harvest_job(job) is False
    assert job.exit_code is None


def test_oom_harvest(mock: MockExecutor, run_labels: dict[str, str]) -> None:
    job = probe_job(run_labels, Probe().out("before").sleep(1).alloc(256).out("never"), memory_limit=128)
    _, eid = mock.launch_job(job)
    mock.advance(1)
    assert mock.check_status(eid) == "failed"
    assert mock.harvest_job(job)
    assert (job.status, job.exit_code, job.stdout) == ("failed", 137, "before\n")
    assert job.failure_reason is not None and "OOM" in job.failure_reason


def test_lost_harvest(mock: MockExecutor, run_labels: dict[str, str]) -> None:
    mock.on(name="flaky", outcome=Outcome.lost_after(3))
    job = ContainerJob(image="x", name="flaky", labels=run_labels)
    _, eid = mock.launch_job(job)
    mock.advance(2)
    assert mock.check_status(eid) == "running"
    mock.advance(1)
    assert mock.check_status(eid) == "failed"
    assert mock.harvest_job(job)
    assert (job.status, job.exit_code, job.failure_reason) == ("failed", -1, "lost")


# -- cleanup ------------------------------------------------------------------


def test_cleanup_stops_running_and_is_idempotent(mock: MockExecutor, run_labels: dict[str, str]) -> None:
    job = probe_job(run_labels, Probe().sleep(100))
    _, eid = mock.launch_job(job)
    assert mock.cleanup(eid) is True
    assert mock.cleanup(eid) is True
    assert mock.check_status(eid) == "not-found"
    assert mock.find_executions(run_labels) == []
    mock.advance(200)
    assert mock.check_status(eid) == "not-found"
    assert mock.harvest_job(job) is False


# -- timeout_seconds ----------------------------------------------------------


@pytest.mark.parametrize(("probe", "code"), [(Probe(), 143), (Probe().ignore_term(), 137)])
def test_timeout_ends_failed_and_harvest_records_timeout(
    mock: MockExecutor, run_labels: dict[str, str], probe: Probe, code: int
) -> None:
    job = probe_job(run_labels, probe.out("start").sleep(10).out("late"), timeout_seconds=2)
    _, eid = mock.launch_job(job)
    mock.advance(1.9)
    assert mock.check_status(eid) == "running"
    mock.advance(0.2)
    assert mock.check_status(eid) == "failed"
    mock.advance(20)
    assert mock.check_status(eid) == "failed"
    assert mock.harvest_job(job)
    assert (job.status, job.exit_code, job.stdout) == ("timeout", code, "start\n")
    assert job.completed_at == dt.datetime(2026, 1, 1, 0, 0, 2, tzinfo=dt.timezone.utc)


def test_timeout_applies_to_scripted_outcomes(mock: MockExecutor) -> None:
    mock.on(image="slow", duration=60)
    job = ContainerJob(image="slow", timeout_seconds=5)
    _, eid = mock.launch_job(job)
    mock.run_until_complete()
    assert mock.clock.monotonic() == 5
    assert mock.check_status(eid) == "failed"
    assert mock.harvest_job(job) and job.status == "timeout" and job.exit_code == 143


def test_job_finishing_before_its_timeout_is_unaffected(mock: MockExecutor, run_labels: dict[str, str]) -> None:
    job = probe_job(run_labels, Probe().sleep(2).exit(0), timeout_seconds=2)
    mock.launch_job(job)
    mock.advance(10)
    assert mock.harvest_job(job) and job.status == "completed"


# -- capabilities -------------------------------------------------------------


def test_capabilities_standard_keys_bools_stable(mock: MockExecutor) -> None:
    first = mock.get_capabilities()
    assert set(STANDARD_CAPABILITIES) <= set(first)
    assert all(isinstance(value, bool) for value in first.values())
    assert first == mock.get_capabilities()
    assert first["supports_resource_limits"] and first["supports_secrets"]
    assert not first["supports_networking"] and not first["supports_persistent_storage"]
    first["supports_networking"] = True
    assert mock.get_capabilities()["supports_networking"] is False


def test_memory_limit_enforced_only_when_declared(run_labels: dict[str, str]) -> None:
    declared, undeclared = MockExecutor(), MockExecutor({"capabilities": {"supports_resource_limits": False}})
    for mock, status in ((declared, "failed"), (undeclared, "exited")):
        _, eid = mock.launch_job(probe_job(run_labels, Probe().alloc(64).out("survived"), memory_limit=32))
        assert mock.check_status(eid) == status
    _, eid = declared.launch_job(probe_job(run_labels, Probe().alloc(16).out("fits"), memory_limit=32))
    assert declared.check_status(eid) == "exited"


# -- defaults, listing, batch -------------------------------------------------


def test_non_probe_default_outcome(mock: MockExecutor) -> None:
    job = ContainerJob(image="busybox", command=["echo", "ignored"])
    _, eid = mock.launch_job(job)
    assert mock.check_status(eid) == "exited"
    assert mock.get_logs(eid) == ("", "")
    assert mock.harvest_job(job) and (job.exit_code, job.status) == (0, "completed")
    assert job.completed_at == job.started_at


def test_find_executions_by_labels(mock: MockExecutor, run_labels: dict[str, str]) -> None:
    _, a = mock.launch_job(ContainerJob(image="x", labels={**run_labels, "team": "a"}))
    _, b = mock.launch_job(ContainerJob(image="x", labels={**run_labels, "team": "b"}))
    _, c = mock.launch_job(ContainerJob(image="x"))
    assert mock.find_executions({"team": "a"}) == [a]
    assert mock.find_executions(run_labels) == [a, b]
    assert mock.find_executions({"executor-kit-managed": "true"}) == [a, b, c]
    mock.cleanup(a)
    assert mock.find_executions(run_labels) == [b]


def test_check_statuses_matches_check_status(mock: MockExecutor, run_labels: dict[str, str]) -> None:
    _, a = mock.launch_job(probe_job(run_labels, Probe().sleep(1)))
    _, b = mock.launch_job(probe_job(run_labels, Probe().exit(1)))
    batch = mock.check_statuses([a, b, "nope", ""])
    assert batch == {a: "running", b: "exited", "nope": "not-found", "": "not-found"}
    assert batch == {eid: mock.check_status(eid) for eid in batch}
    assert mock.journal.count("check_statuses") == 1
