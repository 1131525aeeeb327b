"""Clocks: the real one, and a virtual one that tests advance by hand.

Executors read time only through their ``clock``, so a test (or the
conformance suite) can run timeouts and durations without sleeping.
"""

from __future__ import annotations

import datetime as dt
import threading
import time
from typing import Protocol, runtime_checkable

__all__ = ["Clock", "SystemClock", "VirtualClock"]

_EPOCH = dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc)


@runtime_checkable
class Clock(Protocol):
    """What executors and the conformance suite need from a clock.

    Example:
        >>> isinstance(SystemClock(), Clock) and isinstance(VirtualClock(), Clock)
        True
    """

    def monotonic(self) -> float:
        """Seconds on a monotonic scale, for deadlines."""

    def now(self) -> dt.datetime:
        """The current time, timezone-aware (UTC)."""

    def sleep(self, seconds: float) -> None:
        """Let ``seconds`` pass."""


class SystemClock:
    """The real clock.

    Example:
        >>> SystemClock().now().tzinfo is not None
        True
    """

    is_virtual = False

    def monotonic(self) -> float:
        """Seconds from ``time.monotonic``.

        Example:
            >>> SystemClock().monotonic() > 0
            True
        """
        return time.monotonic()

    def now(self) -> dt.datetime:
        """The current UTC time.

        Example:
            >>> SystemClock().now().year >= 2024
            True
        """
        return dt.datetime.now(dt.timezone.utc)

    def sleep(self, seconds: float) -> None:
        """Really sleep.

        Example:
            >>> SystemClock().sleep(0)
        """
        time.sleep(max(0.0, seconds))


class VirtualClock:
    """A clock that moves only when told to; thread-safe.

    ``sleep`` advances it, so code written for a real clock runs unchanged
    and instantly.

    Args:
        start: The wall-clock time at virtual second 0.

    Example:
        >>> clock = VirtualClock()
        >>> clock.advance(90)
        >>> clock.monotonic(), clock.now().isoformat()
        (90.0, '2026-01-01T00:01:30+00:00')
    """

    is_virtual = True

    def __init__(self, start: dt.datetime = _EPOCH) -> None:
        self._start = start
        self._elapsed = 0.0
        self._lock = threading.Lock()

    def monotonic(self) -> float:
        """Virtual seconds elapsed since creation.

        Example:
            >>> VirtualClock().monotonic()
            0.0
        """
        with self._lock:
            return self._elapsed

    def now(self) -> dt.datetime:
        """The virtual wall-clock time.

        Example:
            >>> VirtualClock().now().isoformat()
            '2026-01-01T00:00:00+00:00'
        """
        return self._start + dt.timedelta(seconds=self.monotonic())

    def advance(self, seconds: float) -> None:
        """Move time forward.

        Raises:
            ValueError: for a negative step (time never runs backwards).

        Example:
            >>> clock = VirtualClock(); clock.advance(2.5); clock.monotonic()
            2.5
        """
        if seconds < 0:
            raise ValueError(f"cannot advance a clock by {seconds} seconds")
        with self._lock:
            self._elapsed += seconds

    def sleep(self, seconds: float) -> None:
        """Advance instead of sleeping (negative values count as zero).

        Example:
            >>> clock = VirtualClock(); clock.sleep(3); clock.monotonic()
            3.0
        """
        self.advance(max(0.0, seconds))
