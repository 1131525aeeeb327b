"""Clocks: the real one, and a virtual one that tests advance by hand.

Executors read time only through their ``clock``, so a test (or the
conformance suite) can run timeouts and durations without sleeping.
"""

from __future__ import annotations

import datetime as dt
import math
import threading
import time
from typing import Protocol, runtime_checkable

from executor_kit.errors import ExecutorConfigurationError

__all__ = ["MAX_SPAN", "Clock", "SystemClock", "VirtualClock"]

#: The longest span (seconds, about 317 years) a ``VirtualClock`` covers, and so
#: the longest duration a mock execution may have: every time on it stays a
#: valid ``datetime``, whatever is added to it.
MAX_SPAN = 10.0**10

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
            >>> clock = SystemClock(); before = clock.monotonic(); clock.sleep(0.01)
            >>> clock.monotonic() - before >= 0.01
            True
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
            ExecutorConfigurationError: (a ``ValueError``) for anything but a
                finite number >= 0, or a step past ``MAX_SPAN`` seconds in all;
                the clock is left as it was.

        Example:
            >>> clock = VirtualClock(); clock.advance(2.5); clock.monotonic()
            2.5
            >>> clock.advance(float("nan"))  # doctest: +ELLIPSIS
            Traceback (most recent call last):
            ...
            executor_kit.errors.ExecutorConfigurationError: cannot advance a clock by nan seconds: ...
        """
        _check_step(seconds)
        with self._lock:
            if self._elapsed + seconds > MAX_SPAN:
                raise ExecutorConfigurationError(
                    f"cannot advance a clock by {seconds!r} seconds: a virtual clock spans at most {MAX_SPAN:g} s"
                )
            self._elapsed += seconds

    def sleep(self, seconds: float) -> None:
        """Advance instead of sleeping (negative values count as zero; see ``advance`` for the rest).

        Example:
            >>> clock = VirtualClock(); clock.sleep(3); clock.monotonic()
            3.0
        """
        self.advance(max(0.0, seconds) if _is_number(seconds) and not math.isnan(seconds) else seconds)


def _is_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _check_step(seconds: object) -> None:
    if not _is_number(seconds) or not math.isfinite(seconds) or seconds < 0:  # type: ignore[arg-type,operator]
        raise ExecutorConfigurationError(
            f"cannot advance a clock by {seconds!r} seconds: a finite number >= 0 is needed"
        )
