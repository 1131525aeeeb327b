"""A gallery of deliberately broken executors: each breaks one clause of the contract.

Every class wraps a correct ``MockExecutor`` (``Wrapper`` delegates every
method to it) and overrides one method to break exactly one promise, in the
way real executors have broken it. ``clause`` names the clause it breaks;
the kit's tests assert that the conformance suite fails each of them on that
clause, with that clause's id in the message.

``BROKEN`` maps every clause id to its main broken executor; ``GALLERY`` lists
every broken executor (some clauses have several ways to be broken).

Each class is also a factory for ``--executor`` and ``executor-kit verify``::

    executor-kit verify tests.conformance.gallery.broken:MergedStreams
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import re
import threading
import time
from collections.abc import Iterable, Iterator, Mapping
from typing import Any, ClassVar

from executor_kit.backends.mock import MockExecutor
from executor_kit.base import ContainerExecutor, LogChunk
from executor_kit.errors import ExecutorConfigurationError
from executor_kit.job import ContainerJob, JobLike, job_environment, record_result
from executor_kit.probe import PROBE_IMAGE
from executor_kit.status import ExecutionStatus

__all__ = ["BROKEN", "GALLERY", "KNOWN_GAPS", "Wrapper"]

_log = logging.getLogger(__name__)

Status = ExecutionStatus | str
_TERMINAL = ("exited", "failed")


@contextlib.contextmanager
def _swapped(job: Any, **values: Any) -> Iterator[None]:
    """Set attributes of ``job`` for the duration of the block (what the backend is sent)."""
    saved = {name: getattr(job, name, None) for name in values}
    for name, value in values.items():
        setattr(job, name, value)
    try:
        yield
    finally:
        for name, value in saved.items():
            setattr(job, name, value)


class Wrapper(ContainerExecutor):
    """A correct executor: delegates every method to an inner ``MockExecutor``.

    Example:
        >>> from executor_kit.probe import Probe
        >>> ex = Wrapper()
        >>> ok, eid = ex.launch_job(ContainerJob(image="x", command=Probe().out("hi").argv))
        >>> ex.check_status(eid), ex.get_logs(eid)
        (<ExecutionStatus.EXITED: 'exited'>, ('hi\\n', ''))
    """

    #: The clause this executor breaks ("" for the correct base).
    clause: ClassVar[str] = ""
    #: A fragment of what the suite must report observing.
    observed: ClassVar[str] = ""

    def __init__(self, config: Mapping[str, Any] | None = None) -> None:
        super().__init__(config)
        self.inner = MockExecutor(config)
        self.clock = self.inner.clock
        profile = getattr(self.inner, "conformance_profile", None)
        if profile is not None:
            self.conformance_profile = profile

    def launch_job(self, job: JobLike) -> tuple[bool, str]:
        return self.inner.launch_job(job)

    def check_status(self, execution_id: str) -> Status:
        return self.inner.check_status(execution_id)

    def check_statuses(self, execution_ids: Iterable[str]) -> dict[str, Status]:
        # Through our own check_status, so a break of check_status stays one break.
        return {execution_id: self.check_status(execution_id) for execution_id in execution_ids}

    def get_logs(self, execution_id: str) -> tuple[str, str]:
        return self.inner.get_logs(execution_id)

    def harvest_job(self, job: JobLike) -> bool:
        return self.inner.harvest_job(job)

    def cleanup(self, execution_id: str) -> bool:
        return self.inner.cleanup(execution_id)

    def get_capabilities(self) -> dict[str, bool]:
        return self.inner.get_capabilities()

    def cancel(self, execution_id: str) -> bool:
        return self.inner.cancel(execution_id)

    def stream_logs(self, execution_id: str, *, follow: bool = True) -> Iterator[LogChunk]:
        return self.inner.stream_logs(execution_id, follow=follow)

    def find_executions(self, labels: Mapping[str, str]) -> list[str] | None:
        return self.inner.find_executions(labels)

    def close(self) -> None:
        self.inner.close()

    @property
    def conformance_hooks(self) -> Any:
        return self.inner.conformance_hooks

    def __repr__(self) -> str:
        return f"<{type(self).__name__} around {self.inner!r}>"


class _Renaming(Wrapper):
    """A wrapper that gives executions its own ids (mapped onto the inner ones)."""

    def __init__(self, config: Mapping[str, Any] | None = None) -> None:
        super().__init__(config)
        self._ids: dict[str, str] = {}
        self._ids_lock = threading.Lock()

    def _new_id(self, job: JobLike, inner_id: str) -> str:
        raise NotImplementedError

    def _inner_id(self, execution_id: str) -> str:
        with self._ids_lock:
            return self._ids.get(execution_id, f"not-ours:{execution_id}")

    def launch_job(self, job: JobLike) -> tuple[bool, str]:
        ok, value = self.inner.launch_job(job)
        if not ok:
            return ok, value
        outer = self._new_id(job, value)
        with self._ids_lock:
            self._ids[outer] = value
        job.external_execution_id = outer
        return True, outer

    def check_status(self, execution_id: str) -> Status:
        return self.inner.check_status(self._inner_id(execution_id))

    def get_logs(self, execution_id: str) -> tuple[str, str]:
        return self.inner.get_logs(self._inner_id(execution_id))

    def harvest_job(self, job: JobLike) -> bool:
        outer = job.external_execution_id
        with _swapped(job, external_execution_id=self._inner_id(outer) if outer else outer):
            return self.inner.harvest_job(job)

    def cleanup(self, execution_id: str) -> bool:
        done = self.inner.cleanup(self._inner_id(execution_id))
        with self._ids_lock:
            self._ids.pop(execution_id, None)
        return done

    def find_executions(self, labels: Mapping[str, str]) -> list[str] | None:
        with self._ids_lock:
            outer = {inner: outer for outer, inner in self._ids.items()}
        return [outer.get(inner, inner) for inner in self.inner.find_executions(labels)]


class _Remembering(Wrapper):
    """A wrapper that remembers what it launched (id -> job) and when."""

    def __init__(self, config: Mapping[str, Any] | None = None) -> None:
        super().__init__(config)
        self.launched: dict[str, JobLike] = {}
        self.launched_at: dict[str, float] = {}

    def launch_job(self, job: JobLike) -> tuple[bool, str]:
        ok, value = self.inner.launch_job(job)
        if ok:
            self.launched[value] = job
            self.launched_at[value] = self.clock.monotonic()
        return ok, value


# -- LAUNCH ------------------------------------------------------------------


class NoStartedAt(Wrapper):
    """LAUNCH-001: records the id and status on the job but never ``started_at``."""

    clause = "LAUNCH-001"
    observed = "started_at was not set"

    def launch_job(self, job: JobLike) -> tuple[bool, str]:
        result = self.inner.launch_job(job)
        job.started_at = None
        return result


class ListResult(Wrapper):
    """LAUNCH-001: returns ``[True, id]``, a list, not the 2-tuple."""

    clause = "LAUNCH-001"
    observed = "not a 2-tuple"

    def launch_job(self, job: JobLike) -> tuple[bool, str]:
        return list(self.inner.launch_job(job))  # type: ignore[return-value]


class IdFromJob(_Renaming):
    """LAUNCH-002: the id is derived from the job's spec, so relaunching reuses it."""

    clause = "LAUNCH-002"
    observed = "launches returned ids"

    def _new_id(self, job: JobLike, inner_id: str) -> str:
        return "job-" + hashlib.sha1(repr((job.image, job.command)).encode()).hexdigest()[:10]


class RacyCounter(_Renaming):
    """LAUNCH-003: an unguarded read-modify-write counter; concurrent launches collide."""

    clause = "LAUNCH-003"
    observed = "duplicate ids"
    _counter = 0

    def _new_id(self, job: JobLike, inner_id: str) -> str:
        seen = self._counter
        time.sleep(0.005)  # the round trip to the backend between the read and the write
        self._counter = seen + 1
        return f"racy-{seen + 1}"


class LeavesBehind(Wrapper):
    """LAUNCH-004: reports (False, message) but leaves the half-created container behind."""

    clause = "LAUNCH-004"
    observed = "left executions behind"

    def launch_job(self, job: JobLike) -> tuple[bool, str]:
        ok, value = self.inner.launch_job(job)
        if not ok:
            placeholder = ContainerJob(image=PROBE_IMAGE, command=["probe", "sleep", "3600"])
            placeholder.labels = dict(job.labels)
            self.inner.launch_job(placeholder)
        return ok, value


class AcceptsAnything(Wrapper):
    """LAUNCH-005: "fixes" invalid jobs (default image, shlex-split command) instead of refusing."""

    clause = "LAUNCH-005"
    observed = "were not refused"

    def launch_job(self, job: JobLike) -> tuple[bool, str]:
        command = job.command.split() if isinstance(job.command, str) else job.command
        memory = job.memory_limit if (job.memory_limit or 0) > 0 else None
        with _swapped(job, image=job.image or PROBE_IMAGE, command=command, memory_limit=memory):
            return self.inner.launch_job(job)


# -- STATUS ------------------------------------------------------------------


class PendingWord(_Remembering):
    """STATUS-001: passes the backend's 'pending' through during the first second."""

    clause = "STATUS-001"
    observed = "['pending']"

    def check_status(self, execution_id: str) -> Status:
        status = self.inner.check_status(execution_id)
        young = self.clock.monotonic() - self.launched_at.get(execution_id, -10.0) < 1.0
        return "pending" if status == "running" and young else status


class UnknownRaises(Wrapper):
    """STATUS-002: an unknown id raises KeyError (the backend's 404 leaks out)."""

    clause = "STATUS-002"
    observed = "raised KeyError"

    def check_status(self, execution_id: str) -> Status:
        status = self.inner.check_status(execution_id)
        if status == "not-found" and execution_id:
            raise KeyError(execution_id)
        return status


class EmptyIdRejected(Wrapper):
    """STATUS-003: the empty id raises ExecutorConfigurationError instead of reading not-found."""

    clause = "STATUS-003"
    observed = "raised ExecutorConfigurationError"

    def check_status(self, execution_id: str) -> Status:
        if execution_id == "":
            raise ExecutorConfigurationError("an execution id must not be empty")
        return self.inner.check_status(execution_id)


class InvisibleWhileRunning(Wrapper):
    """STATUS-004: a running workload reads 'not-found' (the list API only shows finished tasks)."""

    clause = "STATUS-004"
    observed = "read 'not-found'"

    def check_status(self, execution_id: str) -> Status:
        status = self.inner.check_status(execution_id)
        return "not-found" if status == "running" else status


class NonZeroIsFailed(Wrapper):
    """STATUS-005: a non-zero exit code reads 'failed' instead of 'exited'."""

    clause = "STATUS-005"
    observed = "['exited', 'failed']"

    def check_status(self, execution_id: str) -> Status:
        status = self.inner.check_status(execution_id)
        return "failed" if status == "exited" and self._exit_code(execution_id) != 0 else status

    def _exit_code(self, execution_id: str) -> int | None:
        probe = ContainerJob(image="x", external_execution_id=execution_id)
        self.inner.harvest_job(probe)
        return probe.exit_code


class Restarts(Wrapper):
    """STATUS-006: a restart policy: once seen ended, the workload reads 'running' again."""

    clause = "STATUS-006"
    observed = "later read ['running'"

    def __init__(self, config: Mapping[str, Any] | None = None) -> None:
        super().__init__(config)
        self.ended: set[str] = set()

    def check_status(self, execution_id: str) -> Status:
        status = self.inner.check_status(execution_id)
        if status in _TERMINAL and execution_id in self.ended:
            return "running"
        if status in _TERMINAL:
            self.ended.add(execution_id)
        return status


class BatchSkipsUnknown(Wrapper):
    """STATUS-007: check_statuses leaves unknown ids out of its answer."""

    clause = "STATUS-007"
    observed = "check_statuses answered"

    def check_statuses(self, execution_ids: Iterable[str]) -> dict[str, Status]:
        statuses = super().check_statuses(execution_ids)
        return {key: value for key, value in statuses.items() if value != "not-found"}


# -- LOGS --------------------------------------------------------------------


class MergedStreams(Wrapper):
    """LOGS-001: stdout and stderr merged into stdout, stderr always empty."""

    clause = "LOGS-001"
    observed = "get_logs returned ('to stdout\\nstdout again\\nto stderr\\n', '')"

    def get_logs(self, execution_id: str) -> tuple[str, str]:
        stdout, stderr = self.inner.get_logs(execution_id)
        return stdout + stderr, ""


class TailOnly(Wrapper):
    """LOGS-002: only the last 1000 lines (a tail limit, no paging)."""

    clause = "LOGS-002"
    observed = "got 81000 chars, want 1620000"

    def get_logs(self, execution_id: str) -> tuple[str, str]:
        stdout, stderr = self.inner.get_logs(execution_id)
        tail = "".join(stdout.splitlines(keepends=True)[-1000:])
        return tail, stderr


class SplitLongLines(Wrapper):
    """LOGS-003: 16 KiB log chunks returned as separate lines (partial messages not joined)."""

    clause = "LOGS-003"
    observed = "first difference at 16384"

    @staticmethod
    def _split(text: str) -> str:
        return re.sub(r"([^\n]{16384})(?=[^\n])", "\\1\n", text)

    def get_logs(self, execution_id: str) -> tuple[str, str]:
        stdout, stderr = self.inner.get_logs(execution_id)
        return self._split(stdout), self._split(stderr)


class AsciiDecoding(Wrapper):
    """LOGS-004: decodes the log bytes as ASCII with errors='replace'."""

    clause = "LOGS-004"
    observed = "get_logs returned ('h\ufffd\ufffdllo"

    @staticmethod
    def _ascii(text: str) -> str:
        return text.encode("utf-8").decode("ascii", errors="replace")

    def get_logs(self, execution_id: str) -> tuple[str, str]:
        stdout, stderr = self.inner.get_logs(execution_id)
        return self._ascii(stdout), self._ascii(stderr)


class LosesLastLine(Wrapper):
    """LOGS-005: beyond a 4 KiB buffer, the last line written before exit is never flushed."""

    clause = "LOGS-005"
    observed = "stdout ends with"

    def get_logs(self, execution_id: str) -> tuple[str, str]:
        stdout, stderr = self.inner.get_logs(execution_id)
        if len(stdout) > 4096:
            stdout = "".join(stdout.splitlines(keepends=True)[:-1])
        return stdout, stderr


class LogsOnlyAfterExit(Wrapper):
    """LOGS-006: logs are empty until the workload has ended."""

    clause = "LOGS-006"
    observed = "waiting for the early output"

    def get_logs(self, execution_id: str) -> tuple[str, str]:
        if self.inner.check_status(execution_id) == "running":
            return "", ""
        return self.inner.get_logs(execution_id)


class HarvestDropsLogs(Wrapper):
    """LOGS-007: harvest deletes the log stream, so logs are gone before cleanup."""

    clause = "LOGS-007"
    observed = "get_logs: ('', '')"

    def __init__(self, config: Mapping[str, Any] | None = None) -> None:
        super().__init__(config)
        self.dropped: set[str] = set()

    def harvest_job(self, job: JobLike) -> bool:
        done = self.inner.harvest_job(job)
        if done and job.external_execution_id:
            self.dropped.add(job.external_execution_id)
        return done

    def get_logs(self, execution_id: str) -> tuple[str, str]:
        return ("", "") if execution_id in self.dropped else self.inner.get_logs(execution_id)


class NoneForUnknownLogs(Wrapper):
    """LOGS-008: an unknown id gives (None, None)."""

    clause = "LOGS-008"
    observed = "(None, None)"

    def get_logs(self, execution_id: str) -> tuple[str, str]:
        if self.inner.check_status(execution_id) == "not-found":
            return None, None  # type: ignore[return-value]
        return self.inner.get_logs(execution_id)


# -- HARVEST -----------------------------------------------------------------


class NoCompletedAt(Wrapper):
    """HARVEST-001: records exit code, output and status, but not ``completed_at``."""

    clause = "HARVEST-001"
    observed = "completed_at is None"

    def harvest_job(self, job: JobLike) -> bool:
        done = self.inner.harvest_job(job)
        job.completed_at = None
        return done


class ExitCodeCollapsed(Wrapper):
    """HARVEST-002: every non-zero exit code is recorded as 1."""

    clause = "HARVEST-002"
    observed = "[0, 1, 1, 1]"

    def harvest_job(self, job: JobLike) -> bool:
        done = self.inner.harvest_job(job)
        if done and job.exit_code:
            job.exit_code = 1
        return done


class NonZeroIsError(Wrapper):
    """HARVEST-003: a non-zero exit is harvested as False (treated as an error, not a result)."""

    clause = "HARVEST-003"
    observed = "(False, 'failed')"

    def harvest_job(self, job: JobLike) -> bool:
        done = self.inner.harvest_job(job)
        return done and job.exit_code == 0


class PartialHarvest(Wrapper):
    """HARVEST-004: harvesting a running execution returns False but copies its output so far."""

    clause = "HARVEST-004"
    observed = "changed {'stdout'"

    def harvest_job(self, job: JobLike) -> bool:
        done = self.inner.harvest_job(job)
        execution_id = job.external_execution_id
        if not done and execution_id and self.inner.check_status(execution_id) == "running":
            job.stdout, job.stderr = self.inner.get_logs(execution_id)
        return done


class InventsResult(Wrapper):
    """HARVEST-005: an unknown execution is harvested as lost: True, exit code -1."""

    clause = "HARVEST-005"
    observed = "unknown execution returned True"

    def harvest_job(self, job: JobLike) -> bool:
        done = self.inner.harvest_job(job)
        execution_id = job.external_execution_id
        if done or not execution_id or self.inner.check_status(execution_id) != "not-found":
            return done
        record_result(job, exit_code=-1, stdout="", stderr="", completed_at=self.clock.now())
        return True


class HarvestOnce(Wrapper):
    """HARVEST-006: a second harvest returns False ("already harvested")."""

    clause = "HARVEST-006"
    observed = "second harvest returned False"

    def __init__(self, config: Mapping[str, Any] | None = None) -> None:
        super().__init__(config)
        self.harvested: set[str | None] = set()

    def harvest_job(self, job: JobLike) -> bool:
        if job.external_execution_id in self.harvested:
            return False
        done = self.inner.harvest_job(job)
        if done:
            self.harvested.add(job.external_execution_id)
        return done


class StampsHarvestTime(Wrapper):
    """HARVEST-006: ``completed_at`` is the time of the harvest, so each harvest changes it."""

    clause = "HARVEST-006"
    observed = "second harvest changed"

    def harvest_job(self, job: JobLike) -> bool:
        done = self.inner.harvest_job(job)
        if done:
            job.completed_at = self.clock.now()
        return done


# -- CLEANUP -----------------------------------------------------------------


class CleanupSkipsRunning(Wrapper):
    """CLEANUP-001: cleanup only deletes finished executions; a running one keeps running."""

    clause = "CLEANUP-001"
    observed = "read 'running'"

    def cleanup(self, execution_id: str) -> bool:
        if self.inner.check_status(execution_id) == "running":
            return True
        return self.inner.cleanup(execution_id)


class SecondCleanupFalse(_Remembering):
    """CLEANUP-002: a second cleanup returns False (the delete answers 404)."""

    clause = "CLEANUP-002"
    observed = "[True, False]"

    def __init__(self, config: Mapping[str, Any] | None = None) -> None:
        super().__init__(config)
        self.cleaned: set[str] = set()

    def cleanup(self, execution_id: str) -> bool:
        if execution_id in self.cleaned:
            return False
        self.cleaned.add(execution_id)
        return self.inner.cleanup(execution_id)


class UnknownCleanupFalse(_Remembering):
    """CLEANUP-003: cleanup of an id it never launched returns False."""

    clause = "CLEANUP-003"
    observed = "unknown id returned False"

    def cleanup(self, execution_id: str) -> bool:
        if execution_id not in self.launched:
            return False
        return self.inner.cleanup(execution_id)


class CleanupOnlyStops(Wrapper):
    """CLEANUP-004: cleanup stops running workloads but never deletes finished ones."""

    clause = "CLEANUP-004"
    observed = "read 'exited' after cleanup"

    def cleanup(self, execution_id: str) -> bool:
        if self.inner.check_status(execution_id) in _TERMINAL:
            return True
        return self.inner.cleanup(execution_id)


class WaitsForTerm(_Remembering):
    """CLEANUP-005: waits 10 minutes for a workload that ignores SIGTERM before killing it."""

    clause = "CLEANUP-005"
    observed = "cleanup took 600"

    def cleanup(self, execution_id: str) -> bool:
        job = self.launched.get(execution_id)
        stubborn = job is not None and "ignore-term" in job.command
        if stubborn and self.inner.check_status(execution_id) == "running":
            self.clock.sleep(600)
        return self.inner.cleanup(execution_id)


# -- ENV, ARGV, SECRETS-001 --------------------------------------------------


class EnvFileFormat(Wrapper):
    """ENV-001: the environment goes through an env file: values end at the first newline."""

    clause = "ENV-001"
    observed = "line one\\n$HOME"

    def launch_job(self, job: JobLike) -> tuple[bool, str]:
        environment = {key: value.split("\n")[0] for key, value in job.environment.items()}
        with _swapped(job, environment=environment):
            return self.inner.launch_job(job)


class DropsEmptyEnv(Wrapper):
    """ENV-002: variables whose value is '' are dropped."""

    clause = "ENV-002"
    observed = "arrived as 'unset"

    def launch_job(self, job: JobLike) -> tuple[bool, str]:
        with _swapped(job, environment={key: value for key, value in job.environment.items() if value}):
            return self.inner.launch_job(job)


class JoinedArgv(Wrapper):
    """ARGV-001: argv joined into one string and split again on whitespace."""

    clause = "ARGV-001"
    observed = "argv arrived as 'carriage\\n"

    def launch_job(self, job: JobLike) -> tuple[bool, str]:
        with _swapped(job, command=" ".join(job.command).split()):
            return self.inner.launch_job(job)


class DropsSecrets(Wrapper):
    """SECRETS-001: declares secrets support but never passes secret_environment on."""

    clause = "SECRETS-001"
    observed = "did not reach the workload"

    def launch_job(self, job: JobLike) -> tuple[bool, str]:
        with _swapped(job, secret_environment={}):
            return self.inner.launch_job(job)


# -- TIMEOUT, LIMITS ---------------------------------------------------------


class IgnoresTimeout(Wrapper):
    """TIMEOUT-001: launches the workload without its timeout."""

    clause = "TIMEOUT-001"
    observed = "deadline read 'running'"

    def launch_job(self, job: JobLike) -> tuple[bool, str]:
        with _swapped(job, timeout_seconds=None):
            return self.inner.launch_job(job)


class LateTimeout(Wrapper):
    """TIMEOUT-001: enforces the timeout by a sweeper that runs every 10 s, not at the next check."""

    clause = "TIMEOUT-001"
    observed = "'running'"

    def launch_job(self, job: JobLike) -> tuple[bool, str]:
        timeout = job.timeout_seconds
        with _swapped(job, timeout_seconds=timeout + 10 if timeout else timeout):
            return self.inner.launch_job(job)


class TimeoutAsFailed(Wrapper):
    """TIMEOUT-002: a timed-out execution is harvested as plain 'failed'."""

    clause = "TIMEOUT-002"
    observed = "status 'failed'"

    def harvest_job(self, job: JobLike) -> bool:
        done = self.inner.harvest_job(job)
        if job.status == "timeout":
            job.status = "failed"
        return done


class IgnoresMemoryLimit(Wrapper):
    """LIMITS-001: declares resource limits but strips memory_limit before launching."""

    clause = "LIMITS-001"
    observed = "limit ended 'exited'"

    def launch_job(self, job: JobLike) -> tuple[bool, str]:
        with _swapped(job, memory_limit=None):
            return self.inner.launch_job(job)


class SidecarOverhead(Wrapper):
    """LIMITS-002: subtracts 80 MiB "sidecar overhead" from the limit it applies."""

    clause = "LIMITS-002"
    observed = "limit ended 'failed'"

    def launch_job(self, job: JobLike) -> tuple[bool, str]:
        limit = job.memory_limit
        with _swapped(job, memory_limit=max(1, limit - 80) if limit else limit):
            return self.inner.launch_job(job)


# -- CAPS, ERRORS, SECRETS-002, MODEL, LEAKS ---------------------------------


class OnlyTrueCapabilities(Wrapper):
    """CAPS-001: lists only the capabilities it has, so the standard False keys are missing."""

    clause = "CAPS-001"
    observed = "missing standard keys"

    def get_capabilities(self) -> dict[str, bool]:
        return {key: value for key, value in self.inner.get_capabilities().items() if value}


class FlakyCapabilities(Wrapper):
    """CAPS-002: probes the backend on every call; supports_networking flips."""

    clause = "CAPS-002"
    observed = "changed between calls"
    _calls = 0

    def get_capabilities(self) -> dict[str, bool]:
        self._calls += 1
        return {**self.inner.get_capabilities(), "supports_networking": self._calls % 2 == 0}


_SAFE_ID = re.compile(r"[A-Za-z0-9._:-]{0,200}")


class StrictIds(Wrapper):
    """ERRORS-001: refuses ids outside [A-Za-z0-9._:-]{0,200} with an exception."""

    clause = "ERRORS-001"
    observed = "malformed execution id"

    def _checked(self, execution_id: str) -> str:
        if not _SAFE_ID.fullmatch(execution_id):
            raise ExecutorConfigurationError(f"malformed execution id {execution_id[:20]!r}")
        return execution_id

    def check_status(self, execution_id: str) -> Status:
        return self.inner.check_status(self._checked(execution_id))

    def get_logs(self, execution_id: str) -> tuple[str, str]:
        return self.inner.get_logs(self._checked(execution_id))

    def cleanup(self, execution_id: str) -> bool:
        return self.inner.cleanup(self._checked(execution_id))


class TypeErrorOnNoId(Wrapper):
    """ERRORS-002: harvesting a never-launched job raises TypeError (None in a URL)."""

    clause = "ERRORS-002"
    observed = "raised TypeError"

    def harvest_job(self, job: JobLike) -> bool:
        url = "/executions/" + job.external_execution_id  # type: ignore[operator]
        return bool(url) and self.inner.harvest_job(job)


class SecretInRepr(Wrapper):
    """SECRETS-002: repr shows the environment of the last launch, secrets included."""

    clause = "SECRETS-002"
    observed = "appeared in: repr(executor)"
    _last: Mapping[str, str] = {}

    def launch_job(self, job: JobLike) -> tuple[bool, str]:
        self._last = job_environment(job)
        return self.inner.launch_job(job)

    def __repr__(self) -> str:
        return f"<SecretInRepr last_environment={self._last!r}>"


class SecretInLog(Wrapper):
    """SECRETS-002: logs the full environment of every launch at DEBUG."""

    clause = "SECRETS-002"
    observed = "appeared in: log records"

    def launch_job(self, job: JobLike) -> tuple[bool, str]:
        _log.debug("launching %s with environment %s", job.image, job_environment(job))
        return self.inner.launch_job(job)


class SecretInFailure(Wrapper):
    """SECRETS-002: a launch failure message quotes the job's environment."""

    clause = "SECRETS-002"
    observed = "appeared in: the launch failure message"

    def launch_job(self, job: JobLike) -> tuple[bool, str]:
        ok, value = self.inner.launch_job(job)
        return (ok, value) if ok else (ok, f"{value} (environment {job_environment(job)})")


class SlotIds(_Renaming):
    """MODEL-001: ids are the lowest free slot number, so an id comes back after cleanup."""

    clause = "MODEL-001"
    observed = "was reused"

    def _new_id(self, job: JobLike, inner_id: str) -> str:
        with self._ids_lock:
            return next(f"slot-{n}" for n in range(1, len(self._ids) + 2) if f"slot-{n}" not in self._ids)


class SoftDelete(Wrapper):
    """LEAKS-001: cleanup marks the execution deleted in its own records; the container stays."""

    clause = "LEAKS-001"
    observed = "backend still lists"

    def __init__(self, config: Mapping[str, Any] | None = None) -> None:
        super().__init__(config)
        self.deleted: set[str] = set()

    def cleanup(self, execution_id: str) -> bool:
        self.deleted.add(execution_id)
        return True

    def check_status(self, execution_id: str) -> Status:
        return "not-found" if execution_id in self.deleted else self.inner.check_status(execution_id)

    def get_logs(self, execution_id: str) -> tuple[str, str]:
        return ("", "") if execution_id in self.deleted else self.inner.get_logs(execution_id)

    def harvest_job(self, job: JobLike) -> bool:
        return job.external_execution_id not in self.deleted and self.inner.harvest_job(job)


class NoopCleanup(Wrapper):
    """LEAKS-001: cleanup returns True and does nothing."""

    clause = "LEAKS-001"
    observed = "still there after cleanup"

    def cleanup(self, execution_id: str) -> bool:
        return True


#: Every broken executor, main ones first (the first per clause is its ``BROKEN`` entry).
from .broken_cancel import CANCEL_GALLERY  # noqa: E402 - builds on the classes above
from .broken_depth import DEPTH  # noqa: E402 - the depth gallery builds on the classes above

GALLERY: tuple[type[Wrapper], ...] = (
    *DEPTH,
    *CANCEL_GALLERY,
    NoStartedAt,
    IdFromJob,
    RacyCounter,
    LeavesBehind,
    AcceptsAnything,
    PendingWord,
    UnknownRaises,
    EmptyIdRejected,
    InvisibleWhileRunning,
    NonZeroIsFailed,
    Restarts,
    BatchSkipsUnknown,
    MergedStreams,
    TailOnly,
    SplitLongLines,
    AsciiDecoding,
    LosesLastLine,
    LogsOnlyAfterExit,
    HarvestDropsLogs,
    NoneForUnknownLogs,
    NoCompletedAt,
    ExitCodeCollapsed,
    NonZeroIsError,
    PartialHarvest,
    InventsResult,
    HarvestOnce,
    CleanupSkipsRunning,
    SecondCleanupFalse,
    UnknownCleanupFalse,
    CleanupOnlyStops,
    WaitsForTerm,
    EnvFileFormat,
    DropsEmptyEnv,
    JoinedArgv,
    IgnoresTimeout,
    TimeoutAsFailed,
    IgnoresMemoryLimit,
    SidecarOverhead,
    OnlyTrueCapabilities,
    FlakyCapabilities,
    StrictIds,
    TypeErrorOnNoId,
    DropsSecrets,
    SecretInRepr,
    SlotIds,
    SoftDelete,
    # further ways to break a clause
    ListResult,
    SecretInLog,
    SecretInFailure,
    NoopCleanup,
    StampsHarvestTime,
    LateTimeout,
)

#: clause id -> its main broken executor.
BROKEN: dict[str, type[Wrapper]] = {}
for _broken in GALLERY:
    BROKEN.setdefault(_broken.clause, _broken)

#: Broken executors the suite does not yet report as designed: class -> the gap in the check.
#: The gallery tests mark them xfail(strict=True): once the check is fixed they
#: pass, the xfail turns into an error, and the entry must go.
KNOWN_GAPS: dict[type[Wrapper], str] = {}
