"""Bugs on one point of the outcome space: exit codes >= 125, 128+n, 255, OOM kills, timeouts.

Each executor maps the common run (exit 0, exit 1 or 3) right and goes wrong
only for the outcome named in its docstring, as status and result mappers of
real integrations do.
"""

from __future__ import annotations

import datetime as dt

from executor_kit.errors import ExecutorResourceError
from executor_kit.job import JobLike
from executor_kit.probe import Probe
from executor_kit.status import ExecutionStatus

from ._base import NOT_YET, Bug, Subtle, job_id, registrar
from ._witness import (
    expect_aware_utc,
    expect_harvest,
    expect_harvest_writes_only_results,
    expect_int_exit,
    expect_stable_harvest,
    expect_status,
)

P = Probe  # witness argvs: P().out("x").exit(3).argv
REGISTRY: dict[type, Bug] = {}
bug = registrar(REGISTRY)

EXITED = ExecutionStatus.EXITED
FAILED = ExecutionStatus.FAILED
RUNNING = ExecutionStatus.RUNNING
S005 = "STATUS-005: A workload that ended with an exit code reads 'exited', whatever the code."
H001_BASE = (
    "HARVEST-001: Harvesting a finished execution returns True and sets exit_code, stdout, stderr, "
    "completed_at and status"
)
H001 = H001_BASE + " (BRIEF: exit_code is an int)."
H006 = "HARVEST-006: A second harvest returns True again and changes nothing."


class _StatusMapper(Subtle):
    """A status mapper that turns some 'exited' answers into another word."""

    def _misread(self, execution_id: str) -> bool:
        return False

    def _wrong(self) -> ExecutionStatus | str:
        return FAILED

    def check_status(self, execution_id: str) -> ExecutionStatus | str:  # type: ignore[override]
        status = super().check_status(execution_id)
        return self._wrong() if status == EXITED and self._misread(execution_id) else status


@bug("STATUS", S005, "the workload exits with 255", expect_status(P().exit(255).argv, "exited", [1]))
class Exit255ReadsFailed(_StatusMapper):
    """ECS/Kubernetes mappers that read exit code 255 as 'the container runtime failed' (agent error)."""

    def _misread(self, execution_id: str) -> bool:
        return self._exit_code(execution_id) == 255


@bug("STATUS", S005, "the workload exits with 125, 126 or 127", expect_status(P().exit(126).argv, "exited", [1]))
class RuntimeCodesReadFailed(_StatusMapper):
    """Docker-CLI wrappers that read 125/126/127 as `docker run` itself failing (daemon error, not executable)."""

    def _misread(self, execution_id: str) -> bool:
        return self._exit_code(execution_id) in (125, 126, 127)


@bug(
    "STATUS",
    S005,
    "the workload exits with 128+n (129..159) by itself",
    expect_status(P().exit(143).argv, "exited", [1]),
)
class SignalCodesReadFailed(_StatusMapper):
    """Kubernetes mappers that read 128+n as 'killed by signal n' (reason Error) although the process chose it."""

    def _misread(self, execution_id: str) -> bool:
        return 129 <= (self._exit_code(execution_id) or 0) <= 159


@bug(
    "STATUS",
    "STATUS-001: check_status answers only 'running', 'exited', 'failed' or 'not-found'.",
    "OOM kill",
    expect_status(P().alloc(200).argv, "failed", [1], memory_limit=100),
)
class OomReasonAsStatus(Subtle):
    """Kubernetes: the terminated reason 'OOMKilled' leaks out as the status word."""

    def check_status(self, execution_id: str) -> ExecutionStatus | str:  # type: ignore[override]
        status = super().check_status(execution_id)
        return "oomkilled" if status == FAILED and self._oom(execution_id) else status


@bug(
    ("STATUS", "TIMEOUT"),
    "STATUS-001: check_status answers only the four words.",
    "an execution ended by timeout",
    expect_status(P().sleep(100).argv, "failed", [11], timeout_seconds=10),
)
class DeadlineWordAsStatus(Subtle):
    """Cloud Run: the condition reason 'DeadlineExceeded' leaks out as the status word of a timed-out run."""

    def check_status(self, execution_id: str) -> ExecutionStatus | str:  # type: ignore[override]
        status = super().check_status(execution_id)
        return "deadline-exceeded" if status == FAILED and self._timed_out(execution_id) else status


class _ResultMapper(Subtle):
    """A result mapper that rewrites the recorded exit code for some outcomes."""

    def _rewrite(self, job: JobLike) -> None:
        return None

    def harvest_job(self, job: JobLike) -> bool:
        done = super().harvest_job(job)
        if done:
            self._rewrite(job)
        return done


@bug(
    "HARVEST",
    "HARVEST-002: Exit codes 0, 1, 3 and 255 are recorded exactly.",
    "exit codes >= 129 (128+n, 255)",
    expect_harvest(P().exit(143).argv, [1], {"exit_code": 143}),
)
class SignalNumberAsExitCode(_ResultMapper):
    """Kubernetes: reads `terminated.signal` (code - 128) instead of `exitCode` for codes above 128."""

    def _rewrite(self, job: JobLike) -> None:
        if (job.exit_code or 0) > 128:
            job.exit_code = (job.exit_code or 0) - 128


@bug(
    "HARVEST",
    H001,
    "the workload exits with 137 by itself (no OOM, no timeout)",
    expect_int_exit(P().exit(137).argv, 1, "failed"),
)
class Exit137HasNoCode(_ResultMapper):
    """Docker: exit 137 taken for a kill by the platform, recorded with no exit code at all."""

    def _rewrite(self, job: JobLike) -> None:
        if job.exit_code == 137 and not self._oom(job_id(job)):
            job.exit_code = None


@bug(
    ("HARVEST", "TIMEOUT"),
    H001,
    "an execution ended by its timeout",
    expect_int_exit(P().sleep(100).argv, 11, "timeout", timeout_seconds=10),
)
class TimeoutHasNoExitCode(_ResultMapper):
    """Cloud Run / Batch: a run the platform ended has no exit code; None is recorded for timeouts."""

    def _rewrite(self, job: JobLike) -> None:
        if self._timed_out(job_id(job)):
            job.exit_code = None


@bug(
    ("HARVEST", "LIMITS"),
    H001,
    "an OOM-killed execution",
    expect_int_exit(P().alloc(200).argv, 1, "failed", memory_limit=100),
)
class OomHasNoExitCode(_ResultMapper):
    """ECS: a task stopped with OutOfMemoryError has no container exitCode; None is recorded."""

    def _rewrite(self, job: JobLike) -> None:
        if self._oom(job_id(job)):
            job.exit_code = None


@bug(
    "TIMEOUT",
    "TIMEOUT-002: Harvesting a timed-out execution records job status 'timeout'.",
    "timeout + SIGTERM ignored",
    expect_int_exit(P().ignore_term().sleep(100).argv, 11, "timeout", timeout_seconds=10),
)
class KilledTimeoutRecordedFailed(_ResultMapper):
    """Docker: a timed-out container that needed SIGKILL (137) is taken for an OOM kill, status 'failed'."""

    def _rewrite(self, job: JobLike) -> None:
        if self._timed_out(job_id(job)) and job.exit_code == 137:
            job.status = "failed"


@bug(
    "HARVEST",
    "HARVEST-003: A non-zero exit is harvested as True with job status 'failed'.",
    "exit codes >= 128",
    expect_harvest(P().exit(200).argv, [1], {"exit_code": 200, "status": "failed"}),
)
class HighExitCodeRaises(Subtle):
    """Airflow-style operators raising on 'killed' exit codes (>= 128) instead of recording the result."""

    def harvest_job(self, job: JobLike) -> bool:
        execution_id = job_id(job)
        if self._ended(execution_id) and (self._exit_code(execution_id) or 0) >= 128:
            raise ExecutorResourceError("container was killed", backend="mock", execution_id=execution_id)
        return super().harvest_job(job)


@bug(
    "HARVEST",
    H006,
    "second harvest of an execution that wrote more than 1,000 lines",
    expect_stable_harvest(P().lines("out", 1500, 5).argv, 1, 2),
)
class SecondHarvestReadsTail(Subtle):
    """Docker: the first harvest reads logs(tail='all'), a re-harvest uses the cached tail=1000 path."""

    def harvest_job(self, job: JobLike) -> bool:
        execution_id = job_id(job) or ""
        done = super().harvest_job(job)
        if done and execution_id in self._seen:
            job.stdout = "".join(job.stdout.splitlines(keepends=True)[-1000:])
        if done:
            self._seen.add(execution_id)
        return done


@bug(
    "HARVEST",
    H006,
    "second harvest of a timed-out execution",
    expect_stable_harvest(P().sleep(100).argv, 11, 12, timeout_seconds=10),
)
class SecondHarvestForgetsTimeout(Subtle):
    """Executors keeping 'timed out' in a one-shot dict popped by the first harvest."""

    def harvest_job(self, job: JobLike) -> bool:
        execution_id = job_id(job) or ""
        done = super().harvest_job(job)
        if done and execution_id in self._seen and job.status == "timeout":
            job.status = "failed"
        if done:
            self._seen.add(execution_id)
        return done


@bug(
    "HARVEST",
    "HARVEST-004: Harvesting a running execution returns False and changes nothing on the job.",
    "a running execution that has already written output",
    expect_harvest_writes_only_results(P().out("hi").sleep(100).argv, 60),
)
class HarvestStreamsPartialOutput(Subtle):
    """Prefect/Dagster-style runners streaming partial logs onto the job while it still runs."""

    def harvest_job(self, job: JobLike) -> bool:
        done = super().harvest_job(job)
        execution_id = job_id(job)
        if not done and self._live(execution_id) is not None:
            job.stdout, job.stderr = self.get_logs(execution_id or "")
        return done


@bug(
    "HARVEST",
    H001_BASE + " and nothing else." + NOT_YET,
    "a job without a name",
    expect_harvest_writes_only_results(P().out("hi").argv, 1),
)
class HarvestNamesTheJob(_ResultMapper):
    """Cloud Run: harvest copies the execution's generated name onto a job that had none."""

    def _rewrite(self, job: JobLike) -> None:
        if job.name is None:
            job.name = job_id(job)


@bug(
    "HARVEST",
    H001_BASE + " (completed_at: when the workload ended)." + NOT_YET,
    "harvest happens after the end",
    expect_aware_utc("completed_at"),
)
class CompletedAtIsHarvestTime(_ResultMapper):
    """Executors stamping completed_at = now() at harvest instead of the backend's finishedAt."""

    def _rewrite(self, job: JobLike) -> None:
        job.completed_at = self.clock.now()


@bug(
    "HARVEST",
    H001_BASE + " (aware UTC; started_at <= completed_at)." + NOT_YET,
    "every harvest",
    expect_aware_utc("completed_at"),
)
class CompletedAtWrongOffset(_ResultMapper):
    """Docker's FinishedAt (UTC) parsed as local wall time labelled +02:00: two hours early."""

    def _rewrite(self, job: JobLike) -> None:
        if job.completed_at is not None:
            job.completed_at = job.completed_at.replace(tzinfo=dt.timezone(dt.timedelta(hours=2)))
