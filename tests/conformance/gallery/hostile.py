"""Executors that attack the conformance run itself, not one clause.

Each is a ``MockExecutor`` whose call escapes the way a real executor's can:
a ``BaseException`` that is not an ``Exception``, a call that never returns,
a secret echoed back in a message. The kit's tests run ``executor-kit verify``
against them and assert that the verdict stays honest (``inconclusive``,
exit 2) and that no secret reaches a report.
"""

from __future__ import annotations

import asyncio
import threading
from typing import Any

from executor_kit.backends.mock import MockExecutor
from executor_kit.errors import ExecutorConfigurationError
from executor_kit.job import JobLike

__all__ = [
    "CancelsLaunch",
    "EchoesSecrets",
    "ExitsOnLaunch",
    "HangsOnStatus",
    "QueuedForever",
    "SloppyValidation",
]


class CancelsLaunch(MockExecutor):
    """``launch_job`` raises ``asyncio.CancelledError``, as a task cancelled inside an async client does."""

    def launch_job(self, job: JobLike) -> tuple[bool, str]:
        raise asyncio.CancelledError("cancelled inside the executor")


class ExitsOnLaunch(MockExecutor):
    """``launch_job`` raises ``SystemExit``, as a client library that calls ``sys.exit`` on a fatal error does."""

    def launch_job(self, job: JobLike) -> tuple[bool, str]:
        raise SystemExit(3)


class HangsOnStatus(MockExecutor):
    """``check_status`` never returns (a request without a timeout against a silent server)."""

    def check_status(self, execution_id: str) -> Any:
        threading.Event().wait()


class EchoesSecrets(MockExecutor):
    """Every launch with secrets is refused with a message that quotes them, and ``get_logs`` raises them."""

    def launch_job(self, job: JobLike) -> tuple[bool, str]:
        secrets = dict(getattr(job, "secret_environment", None) or {})
        if secrets:
            raise RuntimeError(f"refused secret environment {secrets}")
        return super().launch_job(job)


class QueuedForever(MockExecutor):
    """``check_status`` answers a word outside the vocabulary, ``"queued"``, for every known execution."""

    def check_status(self, execution_id: str) -> Any:
        status = super().check_status(execution_id)
        return status if status == "not-found" else "queued"


class SloppyValidation(MockExecutor):
    """Invalid jobs: a str command raises ``TypeError``, a negative memory limit is launched; the rest is refused."""

    def launch_job(self, job: JobLike) -> tuple[bool, str]:
        if isinstance(job.command, str):
            raise TypeError("can only join an iterable")
        if (job.memory_limit or 0) < 0:
            job.memory_limit = None
        if not job.image:
            raise ExecutorConfigurationError("empty image")
        return super().launch_job(job)
