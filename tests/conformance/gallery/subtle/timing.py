"""Bugs that need time: late in a workload's life, after a long quiet period, timeouts, timestamps.

On the virtual clock the suite can wait hours for free; these executors are
right for the first minutes and go wrong later, as record expiry, restart
policies, log query windows and deadline arithmetic of real backends do.
"""

from __future__ import annotations

import math
from typing import Any

from executor_kit.backends.mock import MockExecutor
from executor_kit.job import JobLike
from executor_kit.probe import Probe
from executor_kit.status import ExecutionStatus

from ._base import NOT_YET, Bug, Subtle, job_id, naive_utc, registrar
from ._witness import expect_aware_utc, expect_logs, expect_stable_harvest, expect_status, launch

P = Probe  # witness argvs: P().out("x").exit(3).argv
REGISTRY: dict[type, Bug] = {}
bug = registrar(REGISTRY)

EXITED = ExecutionStatus.EXITED
FAILED = ExecutionStatus.FAILED
RUNNING = ExecutionStatus.RUNNING
NOT_FOUND = ExecutionStatus.NOT_FOUND
HOUR = 3600.0
S006 = "STATUS-006: Terminal states are absorbing (BRIEF: only cleanup moves them to 'not-found')."
T001 = "TIMEOUT-001: An execution past its timeout_seconds reads 'failed' at the first check_status after the deadline."


def _cleaned_stays_gone(ex: Any) -> None:
    _, execution_id = launch(ex, P().out("x").argv)
    ex.advance(1)
    assert ex.cleanup(execution_id) is True
    for _ in range(8):
        ex.advance(300)
        assert ex.check_status(execution_id) == "not-found", "a cleaned-up execution came back"


def _capabilities_stay(ex: Any) -> None:
    first = ex.get_capabilities()
    ex.advance(400)
    assert ex.get_capabilities() == first, "capabilities changed over time"


def _ignores_term(record: Any) -> bool:
    source = record.run if record.run is not None else record.outcome
    return bool(source is not None and source.ignores_term)


@bug(
    "STATUS",
    S006,
    "non-zero exit, status read again 10 s or more after the end",
    expect_status(P().exit(1).argv, "exited", [1, 15, 100]),
)
class RestartPolicyRunsAgain(Subtle):
    """Docker restart policy on-failure / Kubernetes restartPolicy OnFailure: the workload is re-run."""

    def check_status(self, execution_id: str) -> ExecutionStatus:
        status = super().check_status(execution_id)
        late = self._since_end(execution_id) - 10.0
        if status == EXITED and self._exit_code(execution_id) != 0 and late >= 0 and late % 60.0 < 30.0:
            return RUNNING
        return status


@bug(
    "STATUS",
    S006,
    "an exited execution read again an hour or more after its end",
    expect_status(P().out("x").argv, "exited", [1, 3700]),
)
class ExitedTurnsFailedLater(Subtle):
    """ECS: once the stopped task ages out of DescribeTasks, the executor reports it lost ('failed')."""

    def check_status(self, execution_id: str) -> ExecutionStatus:
        status = super().check_status(execution_id)
        return FAILED if status == EXITED and self._since_end(execution_id) >= HOUR else status


@bug(
    ("STATUS", "LOGS"),
    S006 + " LOGS-007: Logs stay readable after exit until cleanup.",
    "read a day after the end",
    expect_status(P().out("x").argv, "exited", [1, 90000]),
)
class FinishedRecordExpires(Subtle):
    """Cloud Run / Batch: finished executions are garbage-collected after a retention period (here a day)."""

    def _expired(self, execution_id: str) -> bool:
        return self._since_end(execution_id) >= 24 * HOUR

    def check_status(self, execution_id: str) -> ExecutionStatus:
        status = super().check_status(execution_id)
        return NOT_FOUND if self._expired(execution_id) else status

    def get_logs(self, execution_id: str) -> tuple[str, str]:
        logs = super().get_logs(execution_id)
        return ("", "") if self._expired(execution_id) else logs


@bug(
    "STATUS",
    S006,
    "an OOM-killed execution read again 5 minutes or more after the kill",
    expect_status(P().alloc(200).argv, "failed", [1, 400], memory_limit=100),
)
class OomTurnsExitedLater(Subtle):
    """Docker: State.OOMKilled reads false after a daemon restart; the executor then sees exit 137 ('exited')."""

    def check_status(self, execution_id: str) -> ExecutionStatus:
        status = super().check_status(execution_id)
        late = self._oom(execution_id) and self._since_end(execution_id) >= 300.0
        return EXITED if status == FAILED and late else status


@bug(
    "STATUS",
    "STATUS-004: A workload that is still running reads 'running'.",
    "a running workload silent for 300 s",
    expect_status(P().sleep(1000).argv, "running", [1, 400]),
)
class SilentWorkloadDeclaredLost(Subtle):
    """Airflow/Batch heartbeat logic: no log line for 5 minutes means a zombie, reported 'failed'."""

    def _quiet_for(self, record: Any) -> float:
        elapsed = self._now() - record.start
        events = record.run.events if record.run is not None else ()
        last = max((event.at for event in events if event.at <= elapsed), default=0.0)
        return elapsed - last

    def check_status(self, execution_id: str) -> ExecutionStatus:
        status = super().check_status(execution_id)
        record = self._live(execution_id)
        return FAILED if status == RUNNING and self._quiet_for(record) >= 300.0 else status


@bug(
    "STATUS",
    "STATUS-004: A workload that is still running reads 'running'.",
    "status read within 2 s of launch",
    expect_status(P().sleep(10).argv, "running", [0]),
)
class PendingReadsNotFound(Subtle):
    """Kubernetes: the Job exists but its pod is not scheduled yet; a pod lookup finds nothing."""

    def check_status(self, execution_id: str) -> ExecutionStatus:
        status = super().check_status(execution_id)
        record = self._live(execution_id)
        return NOT_FOUND if record is not None and self._now() - record.start < 2.0 else status


@bug(
    "TIMEOUT",
    T001,
    "a fractional timeout_seconds (e.g. 1.5)",
    expect_status(P().sleep(100).argv, "failed", [1.6], timeout_seconds=1.5),
)
class TimeoutRoundedUp(Subtle):
    """Cloud Run/ECS take whole seconds: timeout formatted as f'{math.ceil(t)}s', so it fires late."""

    @staticmethod
    def _apply_timeout(execution: Any, timeout: float | None, ignores_term: bool) -> None:
        rounded = None if timeout is None else float(math.ceil(timeout))
        MockExecutor._apply_timeout(execution, rounded, ignores_term)


@bug(
    "TIMEOUT",
    T001,
    "a workload that ignores SIGTERM",
    expect_status(P().ignore_term().sleep(100).argv, "failed", [11], timeout_seconds=10),
)
class TimeoutSendsOnlyTerm(Subtle):
    """Executors that stop timed-out containers with SIGTERM and never escalate to SIGKILL."""

    @staticmethod
    def _apply_timeout(execution: Any, timeout: float | None, ignores_term: bool) -> None:
        if not ignores_term:
            MockExecutor._apply_timeout(execution, timeout, ignores_term)


@bug(
    "TIMEOUT",
    T001,
    "a job with both memory_limit and timeout_seconds",
    expect_status(P().sleep(100).argv, "failed", [11], timeout_seconds=10, memory_limit=64),
)
class TimeoutDroppedWithMemoryLimit(Subtle):
    """ECS overrides built in two branches; the one with memory overrides forgets the stop deadline."""

    def _play(self, job: JobLike, summary: Any, outcome: Any, now: float) -> Any:
        self._drop = job.memory_limit is not None
        return super()._play(job, summary, outcome, now)

    def _apply_timeout(self, execution: Any, timeout: float | None, ignores_term: bool) -> None:  # type: ignore[override]
        if not getattr(self, "_drop", False):
            MockExecutor._apply_timeout(execution, timeout, ignores_term)


@bug(
    "LIMITS",
    "LIMITS-001: A declared memory limit bounds the workload: beyond it ends in 'failed'.",
    "a job with both memory_limit and timeout_seconds",
    expect_status(P().alloc(200).argv, "failed", [1], memory_limit=100, timeout_seconds=60),
)
class MemoryLimitDroppedWithTimeout(Subtle):
    """Kubernetes: activeDeadlineSeconds set on a spec copy that loses the container's resources block."""

    def _memory_limit(self, job: JobLike) -> int | None:
        return None if job.timeout_seconds is not None else super()._memory_limit(job)


@bug(
    "TIMEOUT",
    T001,
    "the first check_status comes late after launch",
    expect_status(P().sleep(100).argv, "failed", [11], timeout_seconds=10),
)
class TimeoutCountedFromFirstPoll(Subtle):
    """Airflow-style sensors that start the deadline at the first poke instead of at launch."""

    def launch_job(self, job: JobLike) -> tuple[bool, str]:
        ok, execution_id = super().launch_job(job)
        if ok and job.timeout_seconds is not None:
            self._pending_deadline[execution_id] = job.timeout_seconds
        return ok, execution_id

    @property
    def _pending_deadline(self) -> dict[str, float]:
        return self.__dict__.setdefault("_deadlines", {})  # type: ignore[no-any-return]

    @staticmethod
    def _apply_timeout(execution: Any, timeout: float | None, ignores_term: bool) -> None:
        return None

    def check_status(self, execution_id: str) -> ExecutionStatus:
        timeout = self._pending_deadline.pop(execution_id, None) if isinstance(execution_id, str) else None
        record = self._live(execution_id)
        if timeout is not None and record is not None and record.end > self._now():
            start, record.start = record.start, self._now()
            MockExecutor._apply_timeout(record, timeout, _ignores_term(record))
            record.start = start
        return super().check_status(execution_id)


@bug(
    ("TIMEOUT", "STATUS", "HARVEST"),
    S006 + " TIMEOUT-002: harvest records 'timeout'.",
    "a timed-out execution read again 10 minutes or more after the deadline",
    expect_status(P().sleep(100).argv, "failed", [11, 700], timeout_seconds=10),
)
class TimeoutForgottenLater(Subtle):
    """Executors keeping 'timed out' in a TTL cache: later the backend's own record (exit 143) wins."""

    def _forgotten(self, execution_id: object) -> bool:
        return self._timed_out(execution_id) and self._since_end(execution_id) >= 600.0

    def check_status(self, execution_id: str) -> ExecutionStatus:
        status = super().check_status(execution_id)
        return EXITED if status == FAILED and self._forgotten(execution_id) else status

    def harvest_job(self, job: JobLike) -> bool:
        done = super().harvest_job(job)
        if done and self._forgotten(job_id(job)):
            job.status = "failed"
        return done


@bug(
    "LOGS",
    "LOGS-006: Logs are readable while the workload runs (BRIEF: complete).",
    "a running workload whose output is older than 5 minutes",
    expect_logs(P().out("early").sleep(1000).argv, 400, ("early\n", "")),
)
class LiveLogsQueryWindow(Subtle):
    """Cloud Logging / CloudWatch queries with a default window (timestamp >= now - 5m) while running."""

    def get_logs(self, execution_id: str) -> tuple[str, str]:
        record = self._live(execution_id)
        if record is None or record.run is None or self._ended(execution_id):
            return super().get_logs(execution_id)
        elapsed = self._now() - record.start
        out = [e.text for e in record.run.events if elapsed - 300.0 <= e.at <= elapsed and e.stream == "stdout"]
        err = [e.text for e in record.run.events if elapsed - 300.0 <= e.at <= elapsed and e.stream == "stderr"]
        return "".join(out), "".join(err)


@bug(
    "HARVEST",
    "HARVEST-006: A second harvest returns True again and changes nothing.",
    "second harvest an hour or more after the end",
    expect_stable_harvest(P().out("x").argv, 1, 4000),
)
class SecondHarvestAfterExpiry(Subtle):
    """ECS: a re-harvest after the stopped task aged out of DescribeTasks returns False."""

    def harvest_job(self, job: JobLike) -> bool:
        if self._since_end(job_id(job)) >= HOUR and self._ended(job_id(job)):
            return False
        return super().harvest_job(job)


@bug(
    "CLEANUP",
    "CLEANUP-004: A finished execution reads 'not-found' after cleanup (BRIEF: afterwards, forever).",
    "status read 10 minutes or more after cleaning up a finished execution",
    _cleaned_stays_gone,
)
class CleanupTombstoneExpires(Subtle):
    """ECS: stopped tasks stay in DescribeTasks for an hour; the executor's 'deleted' cache expires after 10 min."""

    @property
    def _ghosts(self) -> dict[str, tuple[Any, float]]:
        return self.__dict__.setdefault("_ghost_records", {})  # type: ignore[no-any-return]

    def cleanup(self, execution_id: str) -> bool:
        if self._ended(execution_id):
            self._ghosts[execution_id] = (self._live(execution_id), self._now())
        return super().cleanup(execution_id)

    def check_status(self, execution_id: str) -> ExecutionStatus:
        status = super().check_status(execution_id)
        record, since = self._ghosts.get(execution_id, (None, 0.0)) if isinstance(execution_id, str) else (None, 0)
        if status == NOT_FOUND and record is not None and 600.0 <= self._now() - since < HOUR:
            return record.ending.status  # type: ignore[no-any-return]
        return status


@bug(
    "LAUNCH",
    "LAUNCH-001: launch_job records started_at on the job (an aware UTC datetime)." + NOT_YET,
    "every launch",
    expect_aware_utc("started_at"),
)
class StartedAtNaive(Subtle):
    """Executors using datetime.utcnow() (naive) for started_at."""

    def launch_job(self, job: JobLike) -> tuple[bool, str]:
        result = super().launch_job(job)
        if result[0]:
            job.started_at = naive_utc(job.started_at)
        return result


@bug(
    "HARVEST",
    "HARVEST-001: harvest sets completed_at (an aware UTC datetime)." + NOT_YET,
    "every harvest",
    expect_aware_utc("completed_at"),
)
class CompletedAtNaive(Subtle):
    """Docker's FinishedAt parsed with strptime and no tz: a naive datetime."""

    def harvest_job(self, job: JobLike) -> bool:
        done = super().harvest_job(job)
        if done:
            job.completed_at = naive_utc(job.completed_at)
        return done


@bug("CAPS", "CAPS-002: get_capabilities is stable across calls.", "calls 5 minutes or more apart", _capabilities_stay)
class CapabilitiesReprobed(Subtle):
    """Executors caching a capability probe with a TTL; the re-probe answers differently (networking)."""

    def get_capabilities(self) -> dict[str, bool]:
        capabilities = super().get_capabilities()
        first = self.__dict__.setdefault("_first_caps_call", self._now())
        if self._now() - first >= 300.0:
            capabilities["supports_networking"] = not capabilities["supports_networking"]
        return capabilities
