"""Broken executors for the clauses of the conformance-depth round: one (at least) per new clause.

Each breaks its clause the way a real integration has: a counter restarted
after cleanup, a sanitizing step, a TTL on finished records, a decode of the
wait status, a host environment passed through. ``broken.GALLERY`` includes
them.
"""

from __future__ import annotations

import contextlib
import os
import unicodedata
from collections.abc import Iterator, Mapping
from typing import Any

from executor_kit.errors import ExecutorConnectionError
from executor_kit.job import ContainerJob, JobLike
from executor_kit.probe import interpret

from .broken import Status, Wrapper, _Remembering, _Renaming, _swapped

__all__ = ["DEPTH"]


class CounterAfterCleanup(_Renaming):
    """LAUNCH-006: ids count the live executions, so an id comes back after a cleanup."""

    clause = "LAUNCH-006"
    observed = "ids were reused"

    def _new_id(self, job: JobLike, inner_id: str) -> str:
        return f"exec-{len(self._ids) + 1}"


class AddsToCallersEnvironment(Wrapper):
    """LAUNCH-007: adds its own variable to the caller's ``job.environment`` dict in place."""

    clause = "LAUNCH-007"
    observed = "changed the caller's command/environment/labels"

    def launch_job(self, job: JobLike) -> tuple[bool, str]:
        job.environment["EXECUTOR"] = "mock"
        return self.inner.launch_job(job)


class HighExitIsFailed(_Remembering):
    """STATUS-008: exit codes from 125 up are taken for the platform's own errors and read 'failed'."""

    clause = "STATUS-008"
    observed = "exit 125 read: 'failed' (want 'exited')"

    def check_status(self, execution_id: str) -> Status:
        status = self.inner.check_status(execution_id)
        job = self.launched.get(execution_id)
        if status == "exited" and job is not None and interpret(job.command).exit_code >= 125:
            return "failed"
        return status


class StripsLines(Wrapper):
    """LOGS-009: normalizes output (splitlines, rstrip, joined with newlines), as a line-based log shipper does."""

    clause = "LOGS-009"
    observed = "get_logs stdout"

    def get_logs(self, execution_id: str) -> tuple[str, str]:
        stdout, stderr = self.inner.get_logs(execution_id)
        return _lines(stdout), _lines(stderr)


def _lines(text: str) -> str:
    return "".join(line.rstrip() + "\n" for line in text.splitlines())


class WaitStatusDecoded(Wrapper):
    """HARVEST-007: decodes the exit code as a raw wait status would be (``code & 0x7f``): 137 becomes 9."""

    clause = "HARVEST-007"
    observed = "exit_code 9 (want 137)"

    def harvest_job(self, job: JobLike) -> bool:
        done = self.inner.harvest_job(job)
        if done and job.exit_code is not None and job.exit_code > 128:
            job.exit_code &= 0x7F
        return done


class CompletedWhenHarvested(Wrapper):
    """HARVEST-008: ``completed_at`` is the time of the harvest, not of the workload's end."""

    clause = "HARVEST-008"
    observed = "after the end was seen: the harvest time?"

    def harvest_job(self, job: JobLike) -> bool:
        done = self.inner.harvest_job(job)
        if done:
            job.completed_at = self.clock.now()
        return done


class FinishedRecordsExpire(Wrapper):
    """HARVEST-009: finished records expire five minutes after the first harvest (a TTL controller)."""

    clause = "HARVEST-009"
    observed = "a later harvest returned False"

    def __init__(self, config: Mapping[str, Any] | None = None) -> None:
        super().__init__(config)
        self.first_harvest: dict[str, float] = {}

    def harvest_job(self, job: JobLike) -> bool:
        key = str(job.external_execution_id)
        first = self.first_harvest.setdefault(key, self.clock.monotonic())
        return self.clock.monotonic() - first <= 300 and self.inner.harvest_job(job)


class LabelsHarvested(Wrapper):
    """HARVEST-010: marks the job harvested by adding a label to it."""

    clause = "HARVEST-010"
    observed = "harvest_job wrote ['labels']"

    def harvest_job(self, job: JobLike) -> bool:
        done = self.inner.harvest_job(job)
        if done:
            job.labels = {**job.labels, "harvested": "yes"}
        return done


class LogsOutliveCleanup(Wrapper):
    """CLEANUP-006: cleanup deletes the workload but the log stream stays readable (CloudWatch-like)."""

    clause = "CLEANUP-006"
    observed = "get_logs: ("

    def __init__(self, config: Mapping[str, Any] | None = None) -> None:
        super().__init__(config)
        self.kept: dict[str, tuple[str, str]] = {}

    def cleanup(self, execution_id: str) -> bool:
        self.kept[execution_id] = self.inner.get_logs(execution_id)
        return self.inner.cleanup(execution_id)

    def get_logs(self, execution_id: str) -> tuple[str, str]:
        return self.kept.get(execution_id) or self.inner.get_logs(execution_id)


class HostEnvironment(Wrapper):
    """ENV-003: the workload gets the host's environment with the job's on top (``env={**os.environ, ...}``)."""

    clause = "ENV-003"
    observed = "the workload saw 'set\\n"

    def launch_job(self, job: JobLike) -> tuple[bool, str]:
        with _swapped(job, environment={**os.environ, **job.environment}):
            return self.inner.launch_job(job)


class PrintableEnvironment(Wrapper):
    """ENV-004: drops control characters from environment values ("sanitized" for an env file)."""

    clause = "ENV-004"
    observed = "generated values arrived as"

    def launch_job(self, job: JobLike) -> tuple[bool, str]:
        clean = {name: "".join(c for c in value if c.isprintable()) for name, value in job.environment.items()}
        with _swapped(job, environment=clean):
            return self.inner.launch_job(job)


class NormalizedArgv(Wrapper):
    """ARGV-002: NFKC-normalizes argv and drops control characters (a "safe" command line)."""

    clause = "ARGV-002"
    observed = "generated argv arrived as"

    def launch_job(self, job: JobLike) -> tuple[bool, str]:
        argv = [unicodedata.normalize("NFKC", "".join(c for c in a if c.isprintable())) for a in job.command]
        with _swapped(job, command=argv):
            return self.inner.launch_job(job)


class CloseStopsEverything(Wrapper):
    """CLOSE-001: ``close()`` cleans up every live execution (a client torn down with its workloads)."""

    clause = "CLOSE-001"
    observed = "after close() the execution read"

    def close(self) -> None:
        for execution_id in self.inner.live_executions():
            self.inner.cleanup(execution_id)


class PrefixLabels(Wrapper):
    """FIND-001: label values match by prefix (a ``startswith`` filter)."""

    clause = "FIND-001"
    observed = "find_executions answered"

    def __init__(self, config: Mapping[str, Any] | None = None) -> None:
        super().__init__(config)
        self.labels: dict[str, dict[str, str]] = {}

    def launch_job(self, job: JobLike) -> tuple[bool, str]:
        ok, value = self.inner.launch_job(job)
        if ok:
            self.labels[value] = dict(job.labels)
        return ok, value

    def find_executions(self, labels: Mapping[str, str]) -> list[str] | None:
        live = self.inner.live_executions()
        return [
            eid for eid in live if all(self.labels.get(eid, {}).get(k, "").startswith(v) for k, v in labels.items())
        ]


class _ForeignHooks:
    """A foreign execution for a wrapper: launched on its inner mock directly, behind its back."""

    def __init__(self, wrapper: Wrapper) -> None:
        self.inner = wrapper.inner

    @contextlib.contextmanager
    def foreign_execution(self, image: str) -> Iterator[tuple[str, Any]]:
        ok, execution_id = self.inner.launch_job(ContainerJob(image=image, command=["probe", "sleep", "600"]))
        assert ok
        try:
            yield execution_id, lambda: self.inner.check_status(execution_id) != "not-found"
        finally:
            self.inner.cleanup(execution_id)


class AdoptsForeign(Wrapper):
    """FOREIGN-001: answers for (and cleans up) any container the engine has, its own or not."""

    clause = "FOREIGN-001"
    observed = "a foreign execution was answered for"

    @property
    def conformance_hooks(self) -> _ForeignHooks:
        return _ForeignHooks(self)


class OutageReadsGone(Wrapper):
    """OUTAGE-001: a connection error while reading status is taken for a vanished container: 'not-found'."""

    clause = "OUTAGE-001"
    observed = "'check_status': 'not-found'"

    def check_status(self, execution_id: str) -> Status:
        try:
            return self.inner.check_status(execution_id)
        except ExecutorConnectionError:
            return "not-found"


DEPTH: tuple[type[Wrapper], ...] = (
    CounterAfterCleanup,
    AddsToCallersEnvironment,
    HighExitIsFailed,
    StripsLines,
    WaitStatusDecoded,
    CompletedWhenHarvested,
    FinishedRecordsExpire,
    LabelsHarvested,
    LogsOutliveCleanup,
    HostEnvironment,
    PrintableEnvironment,
    NormalizedArgv,
    CloseStopsEverything,
    PrefixLabels,
    AdoptsForeign,
    OutageReadsGone,
)
