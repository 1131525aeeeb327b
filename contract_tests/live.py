"""A live line per clause on slow backends, for ``executor-kit verify``.

pytest's dots say nothing while one clause waits a minute on a cloud backend.
``LiveProgress`` (a pytest plugin object) shows, once a clause has run longer
than ``after`` seconds, which clause runs and for how long: on a terminal a
line refreshed in place, then ``CLAUSE took N s`` when it ends; elsewhere (a
CI log) only that last line. It writes to its own copy of the stderr file
descriptor, so pytest's output capture never swallows it.
"""

from __future__ import annotations

import os
import re
import threading
import time
from typing import Any, TextIO

import pytest

__all__ = ["LiveProgress"]

_CLAUSE = re.compile(r"test_([A-Z]+)_(\d+)")


def clause_of(nodeid: str) -> str:
    """The clause id a conformance test's node id names (the node id itself for other tests).

    Example:
        >>> clause_of("executor_suite.py::TestContract::test_LOGS_002")
        'LOGS-002'
    """
    found = _CLAUSE.search(nodeid)
    return f"{found[1]}-{found[2]}" if found else nodeid


class LiveProgress:
    """Reports clauses that run longer than ``after`` seconds.

    Args:
        stream: Where to write; ``None`` means a duplicate of file descriptor 2, opened when pytest configures.
        tty: Refresh a live line in place (default: whether ``stream`` is a terminal).
        after: Seconds a clause runs before it is shown.
        every: Seconds between two refreshes of the live line.

    Example:
        >>> import io
        >>> out = io.StringIO()
        >>> live = LiveProgress(out, tty=False, after=0.0)
        >>> live.pytest_runtest_logstart("suite.py::T::test_LOGS_002", ("", 0, ""))
        >>> live.pytest_runtest_logfinish("suite.py::T::test_LOGS_002", ("", 0, ""))
        >>> out.getvalue().startswith("\\n  LOGS-002 took ")
        True
    """

    def __init__(
        self, stream: TextIO | None = None, *, tty: bool | None = None, after: float = 1.5, every: float = 0.5
    ) -> None:
        self._owned = stream is None  # then opened at pytest_configure, closed at pytest_unconfigure
        self.stream = stream
        self.tty = tty
        self.after = after
        self.every = every
        self._lock = threading.Lock()
        self._done = threading.Event()
        self._shown = False
        self._clause = ""
        self._started = 0.0

    def pytest_configure(self) -> None:
        """Open the copy of file descriptor 2 (pytest's capture replaces the original during tests)."""
        if self.stream is None:
            self.stream = os.fdopen(os.dup(2), "w", encoding="utf-8", errors="replace")
        if self.tty is None:
            self.tty = self.stream.isatty()

    def _write(self, text: str) -> None:
        with self._lock:
            if self.stream is not None:
                self.stream.write(text)
                self.stream.flush()

    def _tick(self) -> None:
        while not self._done.wait(self.every):
            elapsed = time.monotonic() - self._started
            if elapsed >= self.after:
                lead = "" if self._shown else "\n"
                self._shown = True
                self._write(f"{lead}\r\033[K  {self._clause} running, {elapsed:.0f} s")

    def pytest_runtest_logstart(self, nodeid: str, location: Any) -> None:
        """Start timing the clause (and, on a terminal, the live line)."""
        self._clause, self._started, self._shown = clause_of(nodeid), time.monotonic(), False
        self._done.clear()
        if self.tty:
            threading.Thread(target=self._tick, daemon=True, name="executor-kit live line").start()

    @pytest.hookimpl(tryfirst=True)
    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        """End the live line before pytest writes the clause's dot (the call phase's report)."""
        if report.when == "call":
            self._finish()

    def pytest_runtest_logfinish(self, nodeid: str, location: Any) -> None:
        """End the live line if the call phase never came (a setup error)."""
        self._finish()

    def _finish(self) -> None:
        if self._done.is_set():
            return
        self._done.set()
        elapsed = time.monotonic() - self._started
        erase = "\r\033[K" if self._shown else "\n"
        if elapsed >= self.after:
            self._write(f"{erase}  {self._clause} took {elapsed:.1f} s\n")

    def pytest_unconfigure(self) -> None:
        """Close the stream this object opened."""
        self._done.set()
        if self._owned and self.stream is not None:
            self.stream.close()
            self.stream = None
