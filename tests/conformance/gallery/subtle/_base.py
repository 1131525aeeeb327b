"""What the subtle broken executors share: a ``MockExecutor`` with a few read-only views of its state.

Each broken executor differs from ``MockExecutor`` only in its bug, which
shows under one condition. ``Bug`` is the registry entry: the clause families
it should fail (the first is its own; a sentence may belong to more than one),
the MUST sentence of docs/contract.md it breaks, and the condition.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Callable, Iterable
from typing import Any, TypeVar

from executor_kit import MockExecutor
from executor_kit.job import JobLike, job_environment
from executor_kit.probe import ProbeRun, interpret
from executor_kit.status import ExecutionStatus

T = TypeVar("T", bound=type)

#: Appended to a sentence the contract does not state as a MUST yet (issue 18, item 1 and "promises of omission").
NOT_YET = " [not yet a MUST of contract.md: issue 18 asks for it]"


@dataclasses.dataclass(frozen=True)
class Bug:
    """A registry entry: which families should catch the bug, the sentence broken, when."""

    families: tuple[str, ...]
    sentence: str
    condition: str
    witness: Callable[[Any], None]

    @property
    def family(self) -> str:
        return self.families[0]


def registrar(registry: dict[type, Bug]) -> Callable[..., Callable[[T], T]]:
    """A class decorator that records a broken executor in ``registry``."""

    def register(
        family: str | tuple[str, ...], sentence: str, condition: str, witness: Callable[[Any], None]
    ) -> Callable[[T], T]:
        families = (family,) if isinstance(family, str) else family

        def add(cls: T) -> T:
            registry[cls] = Bug(families, sentence, condition, witness)
            return cls

        return add

    return register


class Subtle(MockExecutor):
    """``MockExecutor`` plus read-only views its broken subclasses build their bug on."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._seen: set[str] = set()  # ids a broken subclass has noted (harvested, cleaned, ...)

    def check_statuses(self, execution_ids: Iterable[str]) -> dict[str, ExecutionStatus | str]:
        """The batch answer, from the (broken) single answer, as real executors share the mapping."""
        return {execution_id: self.check_status(execution_id) for execution_id in execution_ids}

    def _live(self, execution_id: object) -> Any:
        return self._executions.get(execution_id) if isinstance(execution_id, str) else None

    def _record(self, execution_id: object) -> Any:
        return self._live(execution_id) or (
            self._harvested.get(execution_id) if isinstance(execution_id, str) else None
        )

    def _now(self) -> float:
        return self.clock.monotonic()

    def _ended(self, execution_id: object) -> bool:
        record = self._record(execution_id)
        return record is not None and self._now() >= record.end

    def _since_end(self, execution_id: object) -> float:
        record = self._record(execution_id)
        return -1.0 if record is None else self._now() - record.end

    def _exit_code(self, execution_id: object) -> int | None:
        record = self._record(execution_id)
        return None if record is None else int(record.ending.exit_code)

    def _timed_out(self, execution_id: object) -> bool:
        record = self._record(execution_id)
        return record is not None and bool(record.ending.timed_out)

    def _oom(self, execution_id: object) -> bool:
        record = self._record(execution_id)
        return record is not None and "OOM" in (record.ending.reason or "")

    def _resolve_prefix(self, execution_id: object) -> object:
        """Docker-style lookup: an id, or the one live id it is a unique prefix of."""
        if not isinstance(execution_id, str) or not execution_id or execution_id in self._executions:
            return execution_id
        matches = [eid for eid in self._executions if eid.startswith(execution_id)]
        return matches[0] if len(matches) == 1 else execution_id


def job_id(job: JobLike) -> str | None:
    """The execution id recorded on a job."""
    return getattr(job, "external_execution_id", None)


def naive_utc(moment: dt.datetime | None) -> dt.datetime | None:
    """``moment`` without its tzinfo (what ``datetime.utcnow()`` gives)."""
    return None if moment is None else moment.replace(tzinfo=None)


class LogTransform(Subtle):
    """Reads the logs through ``_transform`` (the broken log client), in ``get_logs`` and ``harvest_job``."""

    def _transform(self, text: str, stream: str, execution_id: object) -> str:
        return text

    def get_logs(self, execution_id: str) -> tuple[str, str]:
        stdout, stderr = super().get_logs(execution_id)
        return self._transform(stdout, "stdout", execution_id), self._transform(stderr, "stderr", execution_id)

    def harvest_job(self, job: JobLike) -> bool:
        done = super().harvest_job(job)
        if done:
            execution_id = job_id(job)
            job.stdout = self._transform(job.stdout, "stdout", execution_id)
            job.stderr = self._transform(job.stderr, "stderr", execution_id)
        return done


class WorkloadTransform(Subtle):
    """Builds the workload's argv and environment through two hooks (the broken spec builder)."""

    def _workload_env(self, job: JobLike) -> dict[str, str]:
        return job_environment(job)

    def _workload_argv(self, argv: tuple[str, ...]) -> tuple[str, ...]:
        return argv

    def _interpret(self, job: JobLike, argv: tuple[str, ...], limit: int | None) -> ProbeRun:
        return interpret(self._workload_argv(argv), self._workload_env(job), memory_limit_mib=limit)
