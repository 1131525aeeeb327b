"""A small retry loop with exponential backoff, on an injected clock.

Cloud executors retry throttling (429) and unavailability (503) answers. The
loop itself knows nothing about HTTP: it calls ``attempt`` until ``retryable``
says the result is final or the attempts run out, and sleeps through the
``sleep`` it is given (``executor.clock.sleep``), so a virtual clock makes a
retried test instant.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterator
from typing import TypeVar

__all__ = ["RetryPolicy", "backoff_delay", "retry"]

T = TypeVar("T")


def backoff_delay(retry: int, *, initial: float, multiplier: float, maximum: float) -> float:
    """Seconds before retry number ``retry`` (from 1): ``initial * multiplier ** (retry - 1)``, at most ``maximum``.

    The one exponential backoff of the kit: the cloud executors' retries and
    ``run_jobs``' relaunches both wait by it.

    Example:
        >>> [backoff_delay(n, initial=1, multiplier=2, maximum=5) for n in (1, 2, 3, 4)]
        [1.0, 2.0, 4.0, 5.0]
    """
    exponent = min(max(0, retry - 1), 1000)  # beyond that the maximum has long applied
    return float(min(maximum, initial * multiplier**exponent))


@dataclasses.dataclass(frozen=True)
class RetryPolicy:
    """How often and how patiently to retry.

    Args:
        attempts: Calls in total, the first included (at least 1).
        initial_backoff: Seconds before the first retry.
        multiplier: Factor applied to the backoff after each retry.
        max_backoff: Upper bound of a single wait.

    Example:
        >>> list(RetryPolicy(attempts=4, initial_backoff=1, multiplier=2, max_backoff=3).delays())
        [1.0, 2.0, 3.0]
    """

    attempts: int = 5
    initial_backoff: float = 1.0
    multiplier: float = 2.0
    max_backoff: float = 32.0

    def delays(self) -> Iterator[float]:
        """The waits between attempts (one fewer than ``attempts``).

        Example:
            >>> list(RetryPolicy(attempts=1).delays())
            []
        """
        for retry in range(1, max(1, self.attempts)):
            yield backoff_delay(
                retry, initial=self.initial_backoff, multiplier=self.multiplier, maximum=self.max_backoff
            )


def retry(
    attempt: Callable[[], T],
    *,
    retryable: Callable[[T], bool],
    policy: RetryPolicy,
    sleep: Callable[[float], None],
    hint: Callable[[T], float | None] = lambda result: None,
) -> T:
    """Call ``attempt`` until its result is not ``retryable`` or attempts run out.

    Args:
        attempt: Makes one call and returns its result.
        retryable: Whether a result should be retried.
        policy: The backoff schedule.
        sleep: Where waiting happens (a clock's ``sleep``).
        hint: A server-suggested wait for a result (``Retry-After``), used
            instead of the schedule's when it is longer.

    Returns:
        The first non-retryable result, or the last result once attempts run out.

    Example:
        >>> answers, waited = iter([503, 503, 200]), []
        >>> retry(lambda: next(answers), retryable=lambda code: code == 503,
        ...       policy=RetryPolicy(initial_backoff=0.5), sleep=waited.append)
        200
        >>> waited
        [0.5, 1.0]
    """
    result = attempt()
    for delay in policy.delays():
        if not retryable(result):
            return result
        sleep(max(delay, hint(result) or 0.0))
        result = attempt()
    return result
