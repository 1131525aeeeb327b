"""The monitor (``executor_kit.monitor.run_jobs``) on the MockExecutor and its virtual clock."""

from __future__ import annotations

import datetime as dt
import itertools
import threading
import time
from collections import Counter
from collections.abc import Iterable
from typing import Any

import pytest

from executor_kit import (
    ContainerExecutor,
    ContainerJob,
    ExecutionStatus,
    ExecutorAuthenticationError,
    ExecutorConfigurationError,
    ExecutorConnectionError,
    ExecutorError,
    ExecutorResourceError,
    MockExecutor,
    Outcome,
    Probe,
    Rule,
)
from executor_kit.backends.mock import Fault
from executor_kit.job import JobLike
from executor_kit.monitor import Backoff, MonitorResult, Progress, run_jobs

# -- helpers ---------------------------------------------------------------------------------


def probe_job(probe: Probe, **fields: Any) -> ContainerJob:
    return ContainerJob(image="executor-kit-probe:latest", command=probe.argv, **fields)


def successful(mock: MockExecutor, method: str) -> Counter[str]:
    """How many times ``method`` succeeded per execution id (harvest: returned True)."""
    calls = [call for call in mock.journal.calls(method) if call.error is None and call.result is True]
    return Counter(call.args[0] for call in calls)


def assert_monotone(progress: list[Progress], total: int) -> None:
    assert progress, "on_progress was never called"
    for before, after in itertools.pairwise(progress):
        assert after.pending <= before.pending
        assert after.finished >= before.finished
        assert after.failed >= before.failed
        assert after.elapsed >= before.elapsed
    assert all(p.total == total and 0 <= p.failed <= p.finished for p in progress)
    assert (progress[0].pending, progress[0].finished) == (total, 0)
    assert (progress[-1].pending, progress[-1].running, progress[-1].finished) == (0, 0, total)


class Watched(MockExecutor):
    """A mock that records, at every launch, how many executions are live and running."""

    def __init__(self, *args: Any, count_running: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.count_running = count_running
        self.peak_live = 0
        self.peak_running = 0

    def launch_job(self, job: JobLike) -> tuple[bool, str]:
        result = super().launch_job(job)
        live = self.live_executions()
        self.peak_live = max(self.peak_live, len(live))
        if self.count_running:
            running = [eid for eid in live if self.check_status(eid) == ExecutionStatus.RUNNING]
            self.peak_running = max(self.peak_running, len(running))
        return result


class IgnoresTimeouts(MockExecutor):
    """A backend that does not enforce ``timeout_seconds`` (the monitor's guard must)."""

    def launch_job(self, job: JobLike) -> tuple[bool, str]:
        timeout, job.timeout_seconds = job.timeout_seconds, None
        try:
            return super().launch_job(job)
        finally:
            job.timeout_seconds = timeout


class Delegating(ContainerExecutor):
    """A minimal executor over a mock, keeping the base class's ``check_statuses``."""

    def __init__(self, mock: MockExecutor) -> None:
        super().__init__(clock=mock.clock)
        self.mock = mock
        self.status_checks = 0

    def launch_job(self, job: JobLike) -> tuple[bool, str]:
        return self.mock.launch_job(job)

    def check_status(self, execution_id: str) -> ExecutionStatus:
        self.status_checks += 1
        return self.mock.check_status(execution_id)

    def get_logs(self, execution_id: str) -> tuple[str, str]:
        return self.mock.get_logs(execution_id)

    def harvest_job(self, job: JobLike) -> bool:
        return self.mock.harvest_job(job)

    def cleanup(self, execution_id: str) -> bool:
        return self.mock.cleanup(execution_id)


@pytest.fixture
def no_real_sleep(monkeypatch: pytest.MonkeyPatch) -> None:
    def forbidden(seconds: float) -> None:
        raise AssertionError(f"time.sleep({seconds}) called: the monitor must sleep on executor.clock")

    monkeypatch.setattr(time, "sleep", forbidden)


# -- 10,000 jobs -----------------------------------------------------------------------------

KINDS = ("ok", "fail", "timeout", "refused", "ok", "fail", "ok")
EXPECTED = {"ok": ("completed", 0), "fail": ("failed", 1), "timeout": ("timeout", 143), "refused": ("failed", None)}


def mixed_job(index: int) -> ContainerJob:
    kind = KINDS[index % len(KINDS)]
    naps = index % 5
    probes = {
        "ok": Probe().out(f"job {index}").sleep(naps),
        "fail": Probe().err("boom").sleep(naps).exit(1),
        "timeout": Probe().out("started").sleep(100),
        "refused": Probe(),
    }
    timeout = 5.0 if kind == "timeout" else 60.0
    return probe_job(probes[kind], name=f"job-{index}", labels={"kind": kind}, timeout_seconds=timeout)


def mixed_mock() -> Watched:
    faults = [
        Fault("launch_job", ExecutorConnectionError, times=None, probability=0.05),
        Fault("launch_job", ExecutorResourceError, times=None, probability=0.03),
        Fault("check_statuses", ExecutorConnectionError, times=None, probability=0.05),
        Fault("harvest_job", ExecutorConnectionError, times=None, probability=0.02),
        Fault("cleanup", ExecutorConnectionError, times=None, probability=0.02),
    ]
    refused = Rule(Outcome.launch_failure("image not found: executor-kit-missing"), labels={"kind": "refused"})
    return Watched(seed=7, rules=[refused], faults=faults)


@pytest.mark.usefixtures("no_real_sleep")
def test_ten_thousand_mixed_jobs_end_harvested_once_and_cleaned_up() -> None:
    mock = mixed_mock()
    jobs = [mixed_job(index) for index in range(10_000)]
    progress: list[Progress] = []
    result = run_jobs(
        mock,
        jobs,
        concurrency=200,
        poll_interval=1.0,
        max_launch_attempts=8,
        backoff=Backoff(initial=0.5, multiplier=2, maximum=8),
        on_progress=progress.append,
    )

    for job in jobs:
        status, exit_code = EXPECTED[job.labels["kind"]]
        assert (job.status, job.exit_code) == (status, exit_code), job
    refused = [job for job in jobs if job.labels["kind"] == "refused"]
    assert {job.failure_reason for job in refused} == {"image not found: executor-kit-missing"}
    assert all(job.external_execution_id is None for job in refused)
    assert all(job.stdout == f"job {i}\n" for i, job in enumerate(jobs) if job.labels["kind"] == "ok")
    assert all(job.failure_reason == "timeout" for job in jobs if job.labels["kind"] == "timeout")

    launched = [job.external_execution_id for job in jobs if job.external_execution_id is not None]
    assert len(launched) == len(set(launched)) == len(jobs) - len(refused)
    assert successful(mock, "harvest_job") == Counter(dict.fromkeys(launched, 1))
    assert successful(mock, "cleanup") == Counter(dict.fromkeys(launched, 1))
    assert mock.find_executions({}) == [] and mock.live_executions() == []
    assert mock.peak_live <= 200

    counts = Counter(job.status for job in jobs)
    assert result.counts == dict(counts) and set(counts) == {"completed", "failed", "timeout"}
    assert [id(job) for job in result.jobs] == [id(job) for job in jobs]
    refused_at = [index for index, job in enumerate(jobs) if job.labels["kind"] == "refused"]
    assert result.reasons == dict.fromkeys(refused_at, "image not found: executor-kit-missing")
    assert result.status_calls == mock.journal.count("check_statuses")
    assert result.launch_attempts == mock.journal.count("launch_job") > len(jobs)  # transient faults retried
    assert result.poll_errors > 0 and result.elapsed == mock.clock.monotonic() > 0
    assert_monotone(progress, len(jobs))
    assert progress[-1].failed == len(jobs) - counts["completed"]


# -- concurrency -----------------------------------------------------------------------------


@pytest.mark.parametrize("concurrency", [1, 7, 50])
def test_concurrency_bound_is_respected_and_used(concurrency: int) -> None:
    mock = Watched(faults=[Fault("cleanup", times=None, probability=0.3)])
    jobs = [probe_job(Probe().sleep(index % 4)) for index in range(300)]
    result = run_jobs(mock, jobs, concurrency=concurrency, poll_interval=0.5)
    assert result.counts == {"completed": 300}
    assert mock.peak_live == concurrency  # never more, and the bound is reached
    assert mock.live_executions() == []


def test_without_cleanup_harvested_executions_stay_but_running_ones_are_bounded() -> None:
    mock = Watched(count_running=True)
    jobs = [probe_job(Probe().sleep(2)) for _ in range(40)]
    result = run_jobs(mock, jobs, concurrency=4, poll_interval=1, cleanup=False)
    assert result.ok and mock.peak_running == 4
    assert sorted(mock.live_executions()) == sorted(str(job.external_execution_id) for job in jobs)
    assert mock.journal.count("cleanup") == 0
    for execution_id in mock.live_executions():
        mock.cleanup(execution_id)


def test_more_slots_than_jobs_launches_everything_at_once() -> None:
    mock = MockExecutor()
    jobs = [probe_job(Probe().sleep(10)) for _ in range(5)]
    result = run_jobs(mock, jobs, concurrency=100, poll_interval=1)
    assert result.ok and result.elapsed == 10.0 and result.status_calls == 10


# -- launch failures -------------------------------------------------------------------------


@pytest.mark.usefixtures("no_real_sleep")
def test_transient_launch_errors_are_retried_with_exponential_backoff_on_the_clock() -> None:
    mock = MockExecutor()
    mock.fail("launch_job", ExecutorConnectionError, times=2)
    mock.fail("launch_job", ExecutorResourceError, times=1)
    job = probe_job(Probe().out("hi"))
    result = run_jobs(mock, [job], poll_interval=100, backoff=Backoff(initial=2, multiplier=3, maximum=100))
    assert [call.at for call in mock.journal.calls("launch_job")] == [0.0, 2.0, 8.0, 26.0]
    assert result.launch_attempts == 4 and result.reasons == {}
    assert (job.status, job.stdout) == ("completed", "hi\n")


def test_backoff_is_capped_at_its_maximum() -> None:
    mock = MockExecutor()
    mock.fail("launch_job", times=4)
    run_jobs(mock, [probe_job(Probe())], backoff=Backoff(initial=1, multiplier=10, maximum=5))
    assert [call.at for call in mock.journal.calls("launch_job")] == [0.0, 1.0, 6.0, 11.0, 16.0]


def test_a_job_that_keeps_failing_to_launch_fails_after_max_attempts() -> None:
    mock = MockExecutor()
    mock.fail("launch_job", ExecutorResourceError, times=None, message="quota exceeded")
    job = probe_job(Probe())
    result = run_jobs(mock, [job], max_launch_attempts=3, backoff=Backoff(initial=1))
    assert mock.journal.count("launch_job") == 3
    assert job.status == "failed" and job.external_execution_id is None
    assert job.failure_reason == "launch failed 3 times; last error: ExecutorResourceError: quota exceeded"
    assert result.reasons == {0: job.failure_reason} and result.counts == {"failed": 1}


def test_a_transient_launch_error_does_not_block_polling_of_running_jobs() -> None:
    class FlakySecond(MockExecutor):
        failures = 3

        def launch_job(self, job: JobLike) -> tuple[bool, str]:
            if job.name == "second" and self.failures:
                self.failures -= 1
                raise ExecutorConnectionError("daemon busy")
            return super().launch_job(job)

    mock = FlakySecond()
    jobs = [probe_job(Probe().sleep(1), name="first"), probe_job(Probe().sleep(1), name="second")]
    result = run_jobs(mock, jobs, poll_interval=1, backoff=Backoff(initial=10, multiplier=1))
    assert result.ok and result.launch_attempts == 5
    assert [call.at for call in mock.journal.calls("launch_job")] == [0.0, 30.0]  # successes only
    assert [call.at for call in mock.journal.calls("harvest_job")] == [1.0, 31.0]


def test_a_refused_launch_is_a_permanent_job_failure() -> None:
    mock = MockExecutor(rules=[Rule(Outcome.launch_failure("no such image"), image="missing:*")])
    bad, good = ContainerJob(image="missing:1", command=["x"]), probe_job(Probe())
    result = run_jobs(mock, [bad, good])
    assert (bad.status, bad.failure_reason, bad.exit_code) == ("failed", "no such image", None)
    assert mock.journal.count("launch_job") == 2  # not retried
    assert good.status == "completed" and result.reasons == {0: "no such image"}


def test_a_configuration_error_from_launch_fails_only_that_job() -> None:
    mock = MockExecutor(strict=True, rules=[Rule(image="known")])
    unknown, known = ContainerJob(image="unknown"), ContainerJob(image="known")
    result = run_jobs(mock, [unknown, known])
    assert unknown.status == "failed"
    assert str(unknown.failure_reason).startswith("job rejected: strict MockExecutor has no rule for job")
    assert known.status == "completed" and mock.journal.count("launch_job") == 2
    assert result.counts == {"completed": 1, "failed": 1}


@pytest.mark.parametrize("error", [ExecutorAuthenticationError, ExecutorError])
def test_a_fatal_backend_error_aborts_and_cleans_up_what_was_launched(error: type[ExecutorError]) -> None:
    class BreaksOnFourth(MockExecutor):
        def launch_job(self, job: JobLike) -> tuple[bool, str]:
            if job.name == "fourth":
                raise error("token expired")
            return super().launch_job(job)

    mock = BreaksOnFourth()
    jobs = [probe_job(Probe().sleep(30)) for _ in range(3)]
    jobs.append(probe_job(Probe(), name="fourth"))
    with pytest.raises(error, match="token expired"):
        run_jobs(mock, jobs, concurrency=10)
    assert mock.journal.count("launch_job") == 3 and mock.journal.count("cleanup") == 3
    assert mock.live_executions() == []


# -- parallel launches -----------------------------------------------------------------------


class SlowLaunch(Watched):
    """Launches that take real time and run on several threads at once, counted."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.threads: set[int] = set()

    def launch_job(self, job: JobLike) -> tuple[bool, str]:
        self.threads.add(threading.get_ident())
        if job.name == "fatal":
            raise ExecutorAuthenticationError("token expired")
        if job.name == "flaky" and job.labels.setdefault("tries", "") != "x":
            job.labels["tries"] = "x"
            raise ExecutorConnectionError("daemon busy")
        return super().launch_job(job)


def test_parallel_launches_keep_the_bound_and_the_results() -> None:
    mock = SlowLaunch()
    jobs = [probe_job(Probe().sleep(index % 3).exit(index % 2)) for index in range(200)]
    jobs[5].name = "flaky"
    result = run_jobs(mock, jobs, concurrency=10, launch_workers=4, poll_interval=1)
    assert result.counts == {"completed": 100, "failed": 100}
    assert len(mock.threads - {threading.get_ident()}) > 1  # pool threads (a batch of one runs inline)
    assert mock.peak_live <= 10 and mock.live_executions() == []
    assert result.launch_attempts == 201 and jobs[5].status == "failed"  # 5 is odd: exit 1


def test_a_fatal_error_in_a_parallel_batch_still_cleans_up_the_rest_of_it() -> None:
    mock = SlowLaunch()
    jobs = [probe_job(Probe().sleep(30)) for _ in range(8)]
    jobs[3].name = "fatal"
    with pytest.raises(ExecutorAuthenticationError):
        run_jobs(mock, jobs, concurrency=8, launch_workers=8)
    assert len(mock.journal.launched()) == 7
    assert mock.journal.count("cleanup") == 7 and mock.live_executions() == []


# -- polling, harvesting, cleaning up --------------------------------------------------------


def test_connection_errors_while_polling_are_retried_next_tick() -> None:
    mock = MockExecutor()
    mock.fail("check_statuses", times=5)
    mock.fail("harvest_job", times=2)
    mock.fail("cleanup", times=2)
    jobs = [probe_job(Probe().sleep(1)) for _ in range(3)]
    result = run_jobs(mock, jobs, poll_interval=1)
    assert result.ok and result.poll_errors == 9
    assert result.status_calls == mock.journal.count("check_statuses") == 7
    assert mock.live_executions() == []


def test_resource_errors_while_polling_are_retried_too() -> None:
    mock = MockExecutor()
    mock.fail("check_statuses", ExecutorResourceError, times=3)
    result = run_jobs(mock, [probe_job(Probe())], poll_interval=2)
    assert result.ok and result.poll_errors == 3 and result.elapsed == 8.0


def test_too_many_failed_polls_abort_and_clean_up() -> None:
    mock = MockExecutor()
    mock.fail("check_statuses", times=None)
    jobs = [probe_job(Probe().sleep(5)) for _ in range(3)]
    with pytest.raises(ExecutorConnectionError, match="check_statuses"):
        run_jobs(mock, jobs, max_poll_failures=4)
    assert mock.journal.count("check_statuses") == 4
    assert mock.live_executions() == []


def test_status_polling_is_one_batch_call_per_tick() -> None:
    mock = MockExecutor()
    jobs = [probe_job(Probe().sleep(3)) for _ in range(20)]
    result = run_jobs(mock, jobs, concurrency=20, poll_interval=1)
    assert mock.journal.count("check_status") == 0
    assert result.status_calls == mock.journal.count("check_statuses") == 3
    assert [len(call.args[0]) for call in mock.journal.calls("check_statuses")] == [20, 20, 20]


def test_works_on_an_executor_without_a_batch_status_method() -> None:
    delegate = Delegating(MockExecutor())
    jobs = [probe_job(Probe().sleep(index).exit(index % 2)) for index in range(6)]
    result = run_jobs(delegate, jobs, concurrency=3, poll_interval=1)
    assert result.counts == {"completed": 3, "failed": 3}
    assert delegate.status_checks > 0 and delegate.mock.live_executions() == []


def test_a_vanished_execution_fails_its_job() -> None:
    mock = MockExecutor()
    jobs = [probe_job(Probe().sleep(5)), probe_job(Probe().sleep(5))]

    def reap_first(progress: Progress) -> None:
        if progress.running == 2:
            mock.cleanup(str(jobs[0].external_execution_id))

    result = run_jobs(mock, jobs, on_progress=reap_first)
    assert jobs[0].status == "failed"
    assert str(jobs[0].failure_reason).endswith("disappeared (not-found) before it was harvested")
    assert jobs[1].status == "completed" and list(result.reasons) == [0]


def test_a_harvest_that_keeps_returning_false_fails_the_job_after_a_few_ticks() -> None:
    class NeverHarvests(MockExecutor):
        def harvest_job(self, job: JobLike) -> bool:
            super().harvest_job(job)
            return False

    mock = NeverHarvests()
    job = probe_job(Probe())
    result = run_jobs(mock, [job], poll_interval=1)
    assert job.status == "failed" and "harvest_job kept returning False" in str(job.failure_reason)
    assert mock.journal.count("harvest_job") == 5 and mock.live_executions() == []
    assert result.counts == {"failed": 1}


# -- timeouts --------------------------------------------------------------------------------


def test_the_executor_enforces_timeouts_and_harvest_records_them() -> None:
    mock = MockExecutor()
    job = probe_job(Probe().sleep(100), timeout_seconds=5)
    result = run_jobs(mock, [job], poll_interval=1)
    assert (job.status, job.exit_code, job.failure_reason) == ("timeout", 143, "timeout")
    assert result.reasons == {} and result.elapsed == 5.0


def test_the_monitor_stops_a_job_its_backend_lets_overrun() -> None:
    mock = IgnoresTimeouts()
    slow = probe_job(Probe().out("started").sleep(100), timeout_seconds=5)
    quick = probe_job(Probe().sleep(2), timeout_seconds=5)
    result = run_jobs(mock, [slow, quick], poll_interval=1, timeout_grace=3)
    assert (slow.status, slow.stdout, slow.exit_code) == ("timeout", "started\n", None)
    assert slow.failure_reason == "timeout: still running 3 s after its 5 s timeout; stopped by the monitor"
    assert quick.status == "completed" and result.elapsed == 8.0
    assert result.counts == {"completed": 1, "timeout": 1} and mock.live_executions() == []
    assert successful(mock, "cleanup") == Counter(dict.fromkeys([slow.external_execution_id], 1)) + Counter(
        dict.fromkeys([quick.external_execution_id], 1)
    )


def test_the_guard_stops_overdue_jobs_even_without_cleanup() -> None:
    mock = IgnoresTimeouts()
    job = probe_job(Probe().sleep(100), timeout_seconds=1)
    run_jobs(mock, [job], poll_interval=1, timeout_grace=0, cleanup=False)
    assert job.status == "timeout" and mock.live_executions() == []


# -- progress and results --------------------------------------------------------------------


def test_progress_is_reported_from_start_to_end() -> None:
    progress: list[Progress] = []
    jobs = [probe_job(Probe().sleep(index % 3).exit(index % 2)) for index in range(30)]
    run_jobs(MockExecutor(), jobs, concurrency=4, poll_interval=1, on_progress=progress.append)
    assert_monotone(progress, 30)
    assert max(p.running for p in progress) == 4
    assert progress[-1].failed == 15 and progress[-1].succeeded == 15


def test_a_progress_callback_that_raises_aborts_and_cleans_up() -> None:
    mock = MockExecutor()

    def explode(progress: Progress) -> None:
        if progress.running:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        run_jobs(mock, [probe_job(Probe().sleep(9)) for _ in range(3)], on_progress=explode)
    assert mock.journal.count("launch_job") == 3 and mock.live_executions() == []


def test_no_jobs_is_an_empty_result() -> None:
    progress: list[Progress] = []
    result = run_jobs(MockExecutor(), [], on_progress=progress.append)
    assert result == MonitorResult((), {}, {}, 0.0, 0, 0, 0)
    assert progress == [Progress(0, 0, 0, 0, 0.0)] and result.ok


def test_any_joblike_works_including_a_plain_class() -> None:
    class Plain:
        def __init__(self, image: str) -> None:
            self.image, self.command = image, Probe().out("plain").argv
            self.environment: dict[str, str] = {}
            self.labels: dict[str, str] = {}
            self.name: str | None = None
            self.cpu_limit: float | None = None
            self.memory_limit: int | None = None
            self.timeout_seconds: float | None = None
            self.status, self.stdout, self.stderr = "pending", "", ""
            self.external_execution_id: str | None = None
            self.exit_code: int | None = None
            self.started_at: dt.datetime | None = None
            self.completed_at: dt.datetime | None = None

    mock = MockExecutor(rules=[Rule(Outcome.launch_failure("nope"), image="bad")])
    good, bad = Plain("probe"), Plain("bad")
    result = run_jobs(mock, [good, bad])
    assert (good.status, good.stdout) == ("completed", "plain\n")
    assert (bad.status, getattr(bad, "failure_reason", None)) == ("failed", "nope")
    assert result.counts == {"completed": 1, "failed": 1}


# -- bad input -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("option", "value"),
    [
        ("concurrency", 0),
        ("concurrency", 2.5),
        ("concurrency", True),
        ("poll_interval", 0),
        ("poll_interval", -1),
        ("poll_interval", float("nan")),
        ("max_launch_attempts", 0),
        ("timeout_grace", -1),
        ("max_poll_failures", 0),
        ("backoff", 3),
        ("launch_workers", 0),
    ],
)
def test_bad_options_are_refused_before_anything_runs(option: str, value: Any) -> None:
    mock = MockExecutor()
    with pytest.raises(ExecutorConfigurationError, match=f"run_jobs config {option!r}"):
        run_jobs(mock, [probe_job(Probe())], **{option: value})
    assert len(mock.journal) == 0


@pytest.mark.parametrize("fields", [{"initial": -1}, {"multiplier": 0.5}, {"maximum": float("inf")}])
def test_bad_backoff_is_refused(fields: dict[str, float]) -> None:
    with pytest.raises(ExecutorConfigurationError, match="Backoff"):
        Backoff(**fields)


def test_the_same_job_twice_is_refused() -> None:
    mock, job = MockExecutor(), probe_job(Probe())
    jobs: Iterable[ContainerJob] = iter([job, job])
    with pytest.raises(ExecutorConfigurationError, match="more than once"):
        run_jobs(mock, jobs)
    assert len(mock.journal) == 0
