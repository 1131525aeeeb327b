"""Broken executors for the optional capabilities of issue 15: one per ``CANCEL-*`` and ``STREAM-*`` clause.

Each breaks its clause the way a real integration does: a cancel recorded as
a plain failure, SIGTERM without a kill, a cancel marker set on an execution
that had already ended, a platform's "already stopping" taken for an error, a
stream that guesses the stream from the text or drops the backlog of a slow
consumer. ``broken.GALLERY`` includes ``CANCEL_GALLERY``.
"""

from __future__ import annotations

import codecs
from collections.abc import Iterator
from typing import Any

from executor_kit.base import LogChunk
from executor_kit.errors import ExecutorError
from executor_kit.job import JobLike

from .broken import Status, Wrapper, _Remembering

__all__ = ["CANCEL_GALLERY"]


class CancelledReadsFailed(Wrapper):
    """CANCEL-001: harvest records a cancelled execution as a plain failure ('failed')."""

    clause = "CANCEL-001"
    observed = "recorded status 'failed'"

    def harvest_job(self, job: JobLike) -> bool:
        done = self.inner.harvest_job(job)
        if job.status == "cancelled":
            job.status = "failed"
        return done


class TermWithoutKill(_Remembering):
    """CANCEL-002: sends SIGTERM only; a workload that ignores it keeps running."""

    clause = "CANCEL-002"
    observed = "to end (last statuses ['running'"

    def cancel(self, execution_id: str) -> bool:
        job = self.launched.get(execution_id)
        if job is not None and "ignore-term" in job.command:
            return True
        return self.inner.cancel(execution_id)


class MarksEndedCancelled(Wrapper):
    """CANCEL-003: marks every cancelled id, so an execution that had ended harvests as 'cancelled'."""

    clause = "CANCEL-003"
    observed = "cancel after the end changed the outcome"

    def __init__(self, config: Any = None) -> None:
        super().__init__(config)
        self.marked: set[str] = set()

    def cancel(self, execution_id: str) -> bool:
        self.marked.add(execution_id)
        return self.inner.cancel(execution_id)

    def harvest_job(self, job: JobLike) -> bool:
        done = self.inner.harvest_job(job)
        if done and job.external_execution_id in self.marked:
            job.status = "cancelled"
        return done


class AlreadyStoppingIsAnError(Wrapper):
    """CANCEL-004: the platform's "already stopping" answer to a second cancel is raised."""

    clause = "CANCEL-004"
    observed = "raised ExecutorError: mock-1: already stopping"

    def __init__(self, config: Any = None) -> None:
        super().__init__(config)
        self.stopping: set[str] = set()

    def cancel(self, execution_id: str) -> bool:
        if execution_id in self.stopping:
            raise ExecutorError(f"{execution_id}: already stopping", backend="broken")
        self.stopping.add(execution_id)
        return self.inner.cancel(execution_id)


class UnknownCancelIsTrue(Wrapper):
    """CANCEL-005: "nothing to stop" is taken for success: cancel of any id returns True."""

    clause = "CANCEL-005"
    observed = "returned True (want False)"

    def cancel(self, execution_id: str) -> bool:
        self.inner.cancel(execution_id)
        return True


class CancelCallDecides(_Remembering):
    """CANCEL-006: 'cancelled' follows the cancel call, even when the workload's own exit won the race."""

    clause = "CANCEL-006"
    observed = "read 'exited', harvested ('cancelled', 3)"

    def __init__(self, config: Any = None) -> None:
        super().__init__(config)
        self.cancelled: set[str] = set()

    def cancel(self, execution_id: str) -> bool:
        if self.inner.check_status(execution_id) == "running":
            self.cancelled.add(execution_id)
        return self.inner.cancel(execution_id)

    def harvest_job(self, job: JobLike) -> bool:
        done = self.inner.harvest_job(job)
        if done and job.external_execution_id in self.cancelled:
            job.status = "cancelled"
        return done


class CleanupSkipsStopped(Wrapper):
    """CANCEL-007: cleanup only deletes running executions; a cancelled (stopped) one stays."""

    clause = "CANCEL-007"
    observed = "after cancel and cleanup the execution read 'failed'"

    def __init__(self, config: Any = None) -> None:
        super().__init__(config)
        self.cancelled: set[str] = set()

    def cancel(self, execution_id: str) -> bool:
        self.cancelled.add(execution_id)
        return self.inner.cancel(execution_id)

    def cleanup(self, execution_id: str) -> bool:
        return True if execution_id in self.cancelled else self.inner.cleanup(execution_id)


class StoppedRecordsExpire(Wrapper):
    """CANCEL-008: the platform forgets a stopped execution an hour after the cancel (a TTL)."""

    clause = "CANCEL-008"
    observed = "after the cancel the execution read 'not-found'"

    def __init__(self, config: Any = None) -> None:
        super().__init__(config)
        self.cancelled_at: dict[str, float] = {}

    def cancel(self, execution_id: str) -> bool:
        self.cancelled_at.setdefault(execution_id, self.clock.monotonic())
        return self.inner.cancel(execution_id)

    def _expired(self, execution_id: str) -> bool:
        at = self.cancelled_at.get(execution_id)
        return at is not None and self.clock.monotonic() - at > 3600

    def check_status(self, execution_id: str) -> Status:
        return "not-found" if self._expired(execution_id) else self.inner.check_status(execution_id)

    def get_logs(self, execution_id: str) -> tuple[str, str]:
        return ("", "") if self._expired(execution_id) else self.inner.get_logs(execution_id)


class FollowReadsOnce(Wrapper):
    """STREAM-001: ``follow`` is ignored: the stream ends after what was written at the call."""

    clause = "STREAM-001"
    observed = "stream_logs against get_logs"

    def stream_logs(self, execution_id: str, *, follow: bool = True) -> Iterator[LogChunk]:
        return self.inner.stream_logs(execution_id, follow=False)


class TextFirst(Wrapper):
    """STREAM-002: yields ``(text, stream)`` pairs, the order of an older API."""

    clause = "STREAM-002"
    observed = "not ('stdout' | 'stderr', str) pairs"

    def stream_logs(self, execution_id: str, *, follow: bool = True) -> Iterator[LogChunk]:
        return ((text, stream) for stream, text in self.inner.stream_logs(execution_id, follow=follow))


class DecodesEachPiece(Wrapper):
    """STREAM-003: cuts output into 4 KiB pieces and decodes each on its own, splitting characters."""

    clause = "STREAM-003"
    observed = "chunks with U+FFFD"

    def stream_logs(self, execution_id: str, *, follow: bool = True) -> Iterator[LogChunk]:
        for stream, text in self.inner.stream_logs(execution_id, follow=follow):
            data = codecs.encode(text, "utf-8")
            for start in range(0, len(data), 4096):
                yield stream, data[start : start + 4096].decode("utf-8", errors="replace")


class DropsBacklog(Wrapper):
    """STREAM-004: a one-chunk buffer: a consumer who was slow loses the oldest chunk of the backlog."""

    clause = "STREAM-004"
    observed = "a consumer slow after the first chunk"

    def stream_logs(self, execution_id: str, *, follow: bool = True) -> Iterator[LogChunk]:
        handed = None
        for chunk in self.inner.stream_logs(execution_id, follow=follow):
            if handed is not None and self.clock.monotonic() > handed:
                handed = None  # the consumer let time pass: the chunk waiting was overwritten
                continue
            yield chunk
            handed = self.clock.monotonic()


class GuessesTheStream(Wrapper):
    """STREAM-005: merges the streams, then tells stderr from stdout by keywords ('err', 'warn')."""

    clause = "STREAM-005"
    observed = "interleaved stdout and stderr"

    def stream_logs(self, execution_id: str, *, follow: bool = True) -> Iterator[LogChunk]:
        for _, text in self.inner.stream_logs(execution_id, follow=follow):
            yield ("stderr" if "err" in text or "warn" in text else "stdout"), text


class UnknownStreamRaises(Wrapper):
    """STREAM-006: asks for the execution first and raises when the platform does not know it."""

    clause = "STREAM-006"
    observed = "raised ExecutorError"

    def stream_logs(self, execution_id: str, *, follow: bool = True) -> Iterator[LogChunk]:
        if self.inner.check_status(execution_id) == "not-found":
            raise ExecutorError(f"no such execution: {execution_id!r}", backend="broken")
        return self.inner.stream_logs(execution_id, follow=follow)


class _Unclosable:
    """An iterator whose ``close`` forgets to close the response underneath."""

    def __init__(self, inner: Iterator[LogChunk]) -> None:
        self.inner = inner

    def __iter__(self) -> _Unclosable:
        return self

    def __next__(self) -> LogChunk:
        return next(self.inner)

    def close(self) -> None:
        """Does nothing: the connection stays open and the stream goes on."""


class CloseDoesNothing(Wrapper):
    """STREAM-007: the stream's ``close()`` leaves the connection open; the stream goes on."""

    clause = "STREAM-007"
    observed = "after close() the stream still yielded"

    def stream_logs(self, execution_id: str, *, follow: bool = True) -> Iterator[LogChunk]:
        return _Unclosable(self.inner.stream_logs(execution_id, follow=follow))


class AlwaysFollows(Wrapper):
    """STREAM-008: ``follow=False`` is ignored: every stream follows to the end."""

    clause = "STREAM-008"
    observed = "follow=False while running"

    def stream_logs(self, execution_id: str, *, follow: bool = True) -> Iterator[LogChunk]:
        return self.inner.stream_logs(execution_id, follow=True)


#: The broken executors of the cancel and live-log clauses (one per clause).
CANCEL_GALLERY: tuple[type[Wrapper], ...] = (
    CancelledReadsFailed,
    TermWithoutKill,
    MarksEndedCancelled,
    AlreadyStoppingIsAnError,
    UnknownCancelIsTrue,
    CancelCallDecides,
    CleanupSkipsStopped,
    StoppedRecordsExpire,
    FollowReadsOnce,
    TextFirst,
    DecodesEachPiece,
    DropsBacklog,
    GuessesTheStream,
    UnknownStreamRaises,
    CloseDoesNothing,
    AlwaysFollows,
)
