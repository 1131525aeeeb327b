"""The ``MockExecutor``'s calls on launched executions: status, logs, harvest, cancel, cleanup, listing.

Each is a lookup at the current virtual time: an execution's end was fixed at
launch (``launching``), and only ``cancel`` can bring it forward. The optional
``cancel`` and ``stream_logs`` honour the declared capabilities: declared
absent, they raise ``ExecutorNotSupportedError`` as the base class does.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator, Mapping

from executor_kit.backends.mock.execution import Execution
from executor_kit.backends.mock.state import MockState
from executor_kit.backends.mock.streaming import follow_logs
from executor_kit.base import LogChunk
from executor_kit.errors import ExecutorError
from executor_kit.job import JobLike, record_result, redact
from executor_kit.status import ExecutionStatus

__all__ = ["Lifecycle"]

_NOT_FOUND = ExecutionStatus.NOT_FOUND


class Lifecycle(MockState):
    """The contract's calls after ``launch_job``, and ``get_capabilities``.

    Example:
        >>> from executor_kit.backends.mock import MockExecutor
        >>> mock = MockExecutor(); _, eid = mock.launch_job(ContainerJob(image="x"))
        >>> isinstance(mock, Lifecycle), mock.check_status(eid).value, mock.cleanup(eid), mock.check_status(eid).value
        (True, 'exited', True, 'not-found')
    """

    def _status(self, execution_id: str, now: float) -> ExecutionStatus:
        execution = self._executions.get(execution_id) if isinstance(execution_id, str) else None
        if execution is None:
            return _NOT_FOUND
        return execution.status_at(now)

    def check_status(self, execution_id: str) -> ExecutionStatus:
        """``running``, ``exited``, ``failed`` or ``not-found`` at the current virtual time.

        Example:
            >>> from executor_kit.backends.mock import MockExecutor
            >>> MockExecutor().check_status("")
            <ExecutionStatus.NOT_FOUND: 'not-found'>
        """
        with self._lock:
            self._inject("check_status", (execution_id,), execution_id)
            status = self._status(execution_id, self.clock.monotonic())
            self._note("check_status", (execution_id,), status)
        return status

    def check_statuses(self, execution_ids: Iterable[str]) -> dict[str, ExecutionStatus | str]:
        """The status of many executions, in one call (one journal entry).

        Example:
            >>> from executor_kit.backends.mock import MockExecutor
            >>> MockExecutor().check_statuses(["a"])
            {'a': <ExecutionStatus.NOT_FOUND: 'not-found'>}
        """
        ids = tuple(execution_ids)
        with self._lock:
            self._inject("check_statuses", (ids,), None)
            now = self.clock.monotonic()
            statuses: dict[str, ExecutionStatus | str] = {eid: self._status(eid, now) for eid in ids}
            self._note("check_statuses", (ids,), dict(statuses))
        return statuses

    def get_logs(self, execution_id: str) -> tuple[str, str]:
        """``(stdout, stderr)`` written so far; ``("", "")`` for an unknown id.

        The journal keeps the result with the job's secret values redacted.

        Example:
            >>> from executor_kit.backends.mock import MockExecutor
            >>> MockExecutor().get_logs("nope")
            ('', '')
        """
        with self._lock:
            self._inject("get_logs", (execution_id,), execution_id)
            execution = self._executions.get(execution_id) if isinstance(execution_id, str) else None
            logs = ("", "") if execution is None else execution.logs_at(self.clock.monotonic())
            secrets = execution.secrets if execution is not None else ()
            shown = (redact(logs[0], secrets), redact(logs[1], secrets)) if secrets else logs
            self._note("get_logs", (execution_id,), shown)
        return logs

    def _finished(self, execution_id: object) -> Execution | None:
        if not isinstance(execution_id, str):
            return None
        execution = self._executions.get(execution_id) or self._harvested.get(execution_id)
        if execution is None or self.clock.monotonic() < execution.end:
            return None
        return execution

    def _harvest(self, job: JobLike, execution_id: str | None) -> bool:
        execution = self._finished(execution_id)
        if execution is None or execution_id is None:
            return False
        stdout, stderr = execution.logs_at(execution.end)
        ending = execution.ending
        completed_at = execution.started_at + dt.timedelta(seconds=execution.end - execution.start)
        record_result(
            job,
            exit_code=ending.exit_code,
            stdout=stdout,
            stderr=stderr,
            completed_at=completed_at,
            timed_out=ending.timed_out,
            cancelled=ending.cancelled,
            reason=ending.reason,
        )
        if self._settings.harvest_cleans_up and execution_id in self._executions:
            self._harvested[execution_id] = self._executions.pop(execution_id)
        return True

    def harvest_job(self, job: JobLike) -> bool:
        """Record a finished execution's result on ``job``; ``False`` while running or unknown.

        Exit code 0 gives ``completed``, others ``failed``; a timeout gives
        ``timeout``; OOM kills and lost executions set ``failure_reason``.

        Example:
            >>> from executor_kit.backends.mock import MockExecutor, Outcome
            >>> mock = MockExecutor(default=Outcome.lost_after(1))
            >>> job = ContainerJob(image="x"); _ = mock.launch_job(job); mock.advance(1)
            >>> mock.harvest_job(job), job.status, job.exit_code, job.failure_reason
            (True, 'failed', -1, 'lost')
        """
        execution_id = getattr(job, "external_execution_id", None)
        with self._lock:
            self._inject("harvest_job", (execution_id,), execution_id)
            done = self._harvest(job, execution_id)
            self._note("harvest_job", (execution_id,), done)
        return done

    def cleanup(self, execution_id: str) -> bool:
        """Stop and forget the execution; ``True``, also for unknown ids.

        Example:
            >>> from executor_kit.backends.mock import MockExecutor
            >>> mock = MockExecutor(); mock.cleanup("mock-404"), mock.cleanup("mock-404")
            (True, True)
        """
        with self._lock:
            self._inject("cleanup", (execution_id,), execution_id)
            if isinstance(execution_id, str):
                self._executions.pop(execution_id, None)
                self._harvested.pop(execution_id, None)
            self._note("cleanup", (execution_id,), True)
        return True

    def cancel(self, execution_id: str) -> bool:
        """Stop a running execution (SIGTERM, then a kill after ``cancel_grace``); keep its record and logs.

        The workload ends at once with exit code 143, or, if it ignores SIGTERM,
        ``cancel_grace`` virtual seconds later with 137; it then reads
        ``failed`` and harvests as ``cancelled``. A rule's ``cancel_delay`` makes
        the stop land later; its ``cancel_error`` makes this raise. An execution
        that already ended (or was cancelled) is left as it is.

        Returns:
            ``True`` for a known execution, ``False`` for an unknown or cleaned-up id.

        Raises:
            ExecutorNotSupportedError: when configured with ``supports_cancel: False``.
            ExecutorResourceError: the matching outcome's ``cancel_error``.
            ExecutorError: an injected fault.

        Example:
            >>> from executor_kit.backends.mock import MockExecutor
            >>> mock = MockExecutor(); job = ContainerJob(image="x", command=["probe", "out", "hi", "sleep", "60"])
            >>> _, eid = mock.launch_job(job)
            >>> mock.cancel(eid), mock.check_status(eid).value, mock.cancel("mock-404")
            (True, 'failed', False)
            >>> mock.harvest_job(job), job.status, job.exit_code, job.stdout
            (True, 'cancelled', 143, 'hi\\n')
        """
        if not self._settings.capabilities.get("supports_cancel"):  # declared absent: honoured
            return super().cancel(execution_id)
        with self._lock:
            self._inject("cancel", (execution_id,), execution_id)
            execution = self._executions.get(execution_id) if isinstance(execution_id, str) else None
            try:
                if execution is not None:
                    execution.cancel(self.clock.monotonic(), self._settings.cancel_grace)
            except ExecutorError as exc:
                self._note("cancel", (execution_id,), None, exc)
                raise
            self._note("cancel", (execution_id,), execution is not None)
        return execution is not None

    def stream_logs(self, execution_id: str, *, follow: bool = True) -> Iterator[LogChunk]:
        """Output as ``(stream, text)`` chunks, one per write, following the virtual clock.

        With ``follow`` the iterator sleeps the clock (advances it) to the next
        write or the end, and stops once the workload has ended and all was
        delivered; a consumer that advances the clock itself gets what was
        written meanwhile. An execution that can never end (``never_starts``
        without a timeout) ends the iterator once nothing more can come. An
        unknown id, or a cleanup meanwhile, ends it.

        Raises:
            ExecutorNotSupportedError: when configured with ``supports_log_streaming: False``.
            ExecutorError: an injected fault (at the call).

        Example:
            >>> from executor_kit.backends.mock import MockExecutor
            >>> mock = MockExecutor()
            >>> job = ContainerJob(image="x", command=["probe", "out", "a", "sleep", "5", "err", "b"])
            >>> _, eid = mock.launch_job(job)
            >>> list(mock.stream_logs(eid, follow=False))
            [('stdout', 'a\\n')]
            >>> list(mock.stream_logs(eid)), mock.clock.monotonic()
            ([('stdout', 'a\\n'), ('stderr', 'b\\n')], 5.0)
        """
        if not self._settings.capabilities.get("supports_log_streaming"):  # declared absent: honoured
            return super().stream_logs(execution_id, follow=follow)
        with self._lock:
            self._inject("stream_logs", (execution_id,), execution_id)
            self._note("stream_logs", (execution_id,), None)
        return follow_logs(self._lookup, execution_id, self.clock, follow=follow)

    def _lookup(self, execution_id: str) -> tuple[Execution | None, float]:
        with self._lock:
            execution = self._executions.get(execution_id) if isinstance(execution_id, str) else None
            return execution, self.clock.monotonic()

    def get_capabilities(self) -> dict[str, bool]:
        """The declared capabilities (configurable with ``capabilities``).

        Example:
            >>> from executor_kit.backends.mock import MockExecutor
            >>> mock = MockExecutor({"capabilities": {"supports_secrets": False}})
            >>> mock.get_capabilities()["supports_secrets"]
            False
        """
        with self._lock:
            self._inject("get_capabilities", (), None)
            capabilities = dict(self._settings.capabilities)
            self._note("get_capabilities", (), dict(capabilities))
        return capabilities

    def find_executions(self, labels: Mapping[str, str]) -> list[str]:
        """Ids of live (not cleaned-up) executions carrying all ``labels``.

        Every execution carries the labels of ``executor_kit.labels.kit_labels``
        (``executor-kit-managed: "true"``, the job's name and timeout) besides the job's labels.

        Example:
            >>> from executor_kit.backends.mock import MockExecutor
            >>> mock = MockExecutor(); _ = mock.launch_job(ContainerJob(image="x", labels={"a": "1"}))
            >>> mock.find_executions({"a": "1"}), mock.find_executions({"a": "2"})
            (['mock-1'], [])
        """
        wanted = dict(labels)
        with self._lock:
            self._inject("find_executions", (wanted,), None)
            found = [eid for eid, execution in self._executions.items() if _carries(execution, wanted)]
            self._note("find_executions", (wanted,), list(found))
        return found


def _carries(execution: Execution, wanted: Mapping[str, str]) -> bool:
    labels = execution.labels
    return all(labels.get(key) == value for key, value in wanted.items())
