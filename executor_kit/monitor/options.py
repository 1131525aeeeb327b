"""The options of ``run_jobs``, checked by the kit's one settings mechanism, and ``Backoff``."""

from __future__ import annotations

import dataclasses
import math
from typing import TypeGuard

from executor_kit._retry import backoff_delay
from executor_kit.errors import ExecutorConfigurationError
from executor_kit.settings import Settings, setting

__all__ = ["Backoff"]


def _is_number(value: object) -> TypeGuard[float]:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def _is_seconds(value: object) -> bool:
    return _is_number(value) and value >= 0


def _is_factor(value: object) -> bool:
    return _is_number(value) and value >= 1


def _is_positive(value: object) -> bool:
    return _is_number(value) and value > 0


def _is_count(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 1


def _is_count_or_none(value: object) -> bool:
    return value is None or _is_count(value)


def _is_positive_or_none(value: object) -> bool:
    return value is None or _is_positive(value)


_SECONDS = "a finite number >= 0"
_INTERVAL = "a finite number > 0"
_COUNT = "an int >= 1"


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
        >>> Backoff(multiplier=0.5)
        Traceback (most recent call last):
        ...
        executor_kit.errors.ExecutorConfigurationError: Backoff 'multiplier' must be a finite number >= 1, got 0.5
    """

    initial: float = setting(_is_seconds, _SECONDS, 1.0)
    multiplier: float = setting(_is_factor, "a finite number >= 1", 2.0)
    maximum: float = setting(_is_seconds, _SECONDS, 60.0)

    def __post_init__(self) -> None:
        for field in dataclasses.fields(self):
            value = getattr(self, field.name)
            if not field.metadata["check"](value):
                expected = field.metadata["expected"]
                raise ExecutorConfigurationError(f"Backoff {field.name!r} must be {expected}, got {value!r}")

    def delay(self, retry: int) -> float:
        """Seconds to wait before retry number ``retry`` (from 1).

        Example:
            >>> Backoff(initial=0.5).delay(1)
            0.5
        """
        return backoff_delay(retry, initial=self.initial, multiplier=self.multiplier, maximum=self.maximum)


@dataclasses.dataclass(frozen=True, kw_only=True)
class RunJobsSettings(Settings):
    """The checked options of one ``run_jobs`` call (its arguments say what each means).

    ``run_jobs`` passes every option, so none has a default here but ``backoff``
    (``None`` is ``Backoff()``); an explicit ``None`` elsewhere is refused unless
    the option allows it.

    Example:
        >>> options = dict(concurrency=2, poll_interval=1, max_launch_attempts=5, timeout_grace=10,
        ...                max_poll_failures=None, launch_workers=1, deadline=None)
        >>> RunJobsSettings.from_mapping({**options, "backoff": None}).backoff
        Backoff(initial=1.0, multiplier=2.0, maximum=60.0)
        >>> RunJobsSettings.from_mapping({**options, "concurrency": 0})
        Traceback (most recent call last):
        ...
        executor_kit.errors.ExecutorConfigurationError: run_jobs config 'concurrency' must be an int >= 1, got 0
    """

    backend = "run_jobs"

    concurrency: int = setting(_is_count, _COUNT)
    poll_interval: float = setting(_is_positive, _INTERVAL)
    max_launch_attempts: int = setting(_is_count, _COUNT)
    # setting() returns a dataclasses.field, and a Backoff is frozen: the shared default cannot change
    backoff: Backoff = setting(lambda value: isinstance(value, Backoff), "a Backoff", Backoff())
    timeout_grace: float = setting(_is_seconds, _SECONDS)
    max_poll_failures: int | None = setting(_is_count_or_none, f"{_COUNT} or None (never give up)")
    launch_workers: int = setting(_is_count, _COUNT)
    deadline: float | None = setting(_is_positive_or_none, f"{_INTERVAL} or None (no deadline)")
