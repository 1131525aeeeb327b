"""The options of ``run_jobs`` and their checks, and ``Backoff``, the waits between launch attempts."""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable, Mapping

from executor_kit._retry import backoff_delay
from executor_kit.errors import ExecutorConfigurationError
from executor_kit.monitor.output_relay import OnOutput
from executor_kit.monitor.result import Progress

__all__ = ["Backoff"]


def _config_error(message: str) -> ExecutorConfigurationError:
    return ExecutorConfigurationError(f"run_jobs: {message}")


@dataclasses.dataclass(frozen=True)
class Backoff:
    """Exponential waits between launch attempts of one job.

    Args:
        initial: Seconds before the first retry.
        multiplier: Factor applied after each retry (at least 1).
        maximum: Upper bound of one wait.

    Raises:
        ExecutorConfigurationError: for a negative or non-finite value, or a
            multiplier below 1.

    Example:
        >>> [Backoff(initial=1, multiplier=2, maximum=5).delay(n) for n in (1, 2, 3, 4)]
        [1.0, 2.0, 4.0, 5.0]
    """

    initial: float = 1.0
    multiplier: float = 2.0
    maximum: float = 60.0

    def __post_init__(self) -> None:
        for field in ("initial", "multiplier", "maximum"):
            _check_seconds(f"Backoff.{field}", getattr(self, field))
        if self.multiplier < 1:
            raise _config_error(f"Backoff.multiplier must be at least 1, got {self.multiplier!r}")

    def delay(self, retry: int) -> float:
        """Seconds to wait before retry number ``retry`` (from 1).

        Example:
            >>> Backoff(initial=0.5).delay(1)
            0.5
        """
        return backoff_delay(retry, initial=self.initial, multiplier=self.multiplier, maximum=self.maximum)


# -- option checks ---------------------------------------------------------------------------


def _check_seconds(name: str, value: object) -> None:
    number = isinstance(value, int | float) and not isinstance(value, bool)
    if not number or not math.isfinite(value) or value < 0:  # type: ignore[arg-type,operator]
        raise _config_error(f"{name} must be a finite number >= 0, got {value!r}")


def _check_count(name: str, value: object) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise _config_error(f"{name} must be an int >= 1, got {value!r}")


def _check_interval(name: str, value: object) -> None:
    _check_seconds(name, value)
    if value == 0:
        raise _config_error(f"{name} must be positive, got {value!r}")


def _check_optional_count(name: str, value: object) -> None:
    if value is not None:
        _check_count(name, value)


def _check_deadline(name: str, value: object) -> None:
    if value is not None:
        _check_interval(name, value)


def _check_backoff(name: str, value: object) -> None:
    if not isinstance(value, Backoff):
        raise _config_error(f"{name} must be a Backoff, got {value!r}")


_CHECKS: Mapping[str, Callable[[str, object], None]] = {
    "concurrency": _check_count,
    "poll_interval": _check_interval,
    "max_launch_attempts": _check_count,
    "backoff": _check_backoff,
    "timeout_grace": _check_seconds,
    "max_poll_failures": _check_optional_count,
    "launch_workers": _check_count,
    "deadline": _check_deadline,
}


@dataclasses.dataclass(frozen=True)
class _Options:
    concurrency: int
    poll_interval: float
    max_launch_attempts: int
    backoff: Backoff
    timeout_grace: float
    max_poll_failures: int | None
    launch_workers: int
    on_progress: Callable[[Progress], object] | None
    cleanup: bool
    deadline: float | None = None
    on_output: OnOutput | None = None

    def __post_init__(self) -> None:
        for name, check in _CHECKS.items():
            check(name, getattr(self, name))
