"""Fault injection: make a method of the mock raise an ``ExecutorError``.

A ``Fault`` names the method, the error (a class or an instance), how many
times it fires (``None``: every call) and the probability that a call fires
it, drawn from the mock's seeded random generator so runs repeat exactly.
"""

from __future__ import annotations

import dataclasses
import math
import random
from collections.abc import Mapping

from executor_kit.errors import (
    ExecutorAuthenticationError,
    ExecutorConfigurationError,
    ExecutorConnectionError,
    ExecutorError,
    ExecutorResourceError,
)

__all__ = ["ERRORS", "FAULT_METHODS", "Fault", "FaultPlan"]

#: The methods a fault can target.
FAULT_METHODS = frozenset(
    {
        "launch_job",
        "check_status",
        "check_statuses",
        "get_logs",
        "harvest_job",
        "cleanup",
        "get_capabilities",
        "find_executions",
        "cancel",
        "stream_logs",
    }
)

#: Error names accepted in a config dict: class names and short aliases.
ERRORS: Mapping[str, type[ExecutorError]] = {
    "ExecutorError": ExecutorError,
    "ExecutorConnectionError": ExecutorConnectionError,
    "ExecutorConfigurationError": ExecutorConfigurationError,
    "ExecutorResourceError": ExecutorResourceError,
    "ExecutorAuthenticationError": ExecutorAuthenticationError,
    "error": ExecutorError,
    "connection": ExecutorConnectionError,
    "configuration": ExecutorConfigurationError,
    "resource": ExecutorResourceError,
    "authentication": ExecutorAuthenticationError,
}


def _fail(field: str, problem: str) -> ExecutorConfigurationError:
    return ExecutorConfigurationError(f"{field} {problem}")


def _check_method(method: object) -> None:
    if not isinstance(method, str) or method not in FAULT_METHODS:
        raise _fail("method", f"must be one of {sorted(FAULT_METHODS)}, got {method!r}")


def _check_error(error: object) -> None:
    is_class = isinstance(error, type) and issubclass(error, ExecutorError)
    if not (is_class or isinstance(error, ExecutorError)):
        raise _fail("error", f"must be an ExecutorError subclass or instance, got {error!r}")


def _check_times(times: object) -> None:
    if times is None:
        return
    if isinstance(times, bool) or not isinstance(times, int) or times < 1:
        raise _fail("times", f"must be a positive int or None, got {times!r}")


def _check_probability(probability: object) -> None:
    number = isinstance(probability, int | float) and not isinstance(probability, bool)
    if not number or not math.isfinite(probability) or not 0 <= probability <= 1:  # type: ignore[arg-type,operator]
        raise _fail("probability", f"must be a number in [0, 1], got {probability!r}")


@dataclasses.dataclass(frozen=True, eq=False)
class Fault:
    """Make ``method`` raise ``error``, ``times`` times, each call with ``probability``.

    Raises:
        ExecutorConfigurationError: for an unknown method, a non-``ExecutorError``
            error, ``times`` < 1 or a probability outside [0, 1].

    Example:
        >>> fault = Fault("cleanup", ExecutorConnectionError, times=2)
        >>> str(fault.build("mock-1"))
        'injected fault: ExecutorConnectionError from cleanup (mock-1)'
        >>> Fault("cleanup", probability=1.5)
        Traceback (most recent call last):
        ...
        executor_kit.errors.ExecutorConfigurationError: probability must be a number in [0, 1], got 1.5
    """

    method: str
    error: type[ExecutorError] | ExecutorError = ExecutorConnectionError
    times: int | None = 1
    probability: float = 1.0
    message: str | None = None

    def __post_init__(self) -> None:
        _check_method(self.method)
        _check_error(self.error)
        _check_times(self.times)
        _check_probability(self.probability)

    def build(self, execution_id: str | None) -> ExecutorError:
        """The error to raise for a call concerning ``execution_id``.

        Example:
            >>> Fault("get_logs", ExecutorResourceError, message="throttled").build(None).message
            'throttled'
        """
        if isinstance(self.error, ExecutorError):
            return self.error
        where = f" ({execution_id})" if execution_id else ""
        text = self.message or f"injected fault: {self.error.__name__} from {self.method}{where}"
        return self.error(text, backend="mock", execution_id=execution_id)


class FaultPlan:
    """The active faults and how often each has fired; not locked (the mock locks).

    Args:
        faults: The faults, checked in order; the first that fires wins.
        seed: Seeds the generator for probabilistic faults.

    Example:
        >>> plan = FaultPlan([Fault("cleanup", times=1)], seed=0)
        >>> plan.trigger("cleanup", "x") is not None, plan.trigger("cleanup", "x")
        (True, None)
    """

    __slots__ = ("_faults", "_fired", "_random", "active")

    def __init__(self, faults: tuple[Fault, ...] = (), *, seed: int = 0) -> None:
        self._faults: list[Fault] = list(faults)
        self._fired: list[int] = [0] * len(self._faults)
        self._random = random.Random(seed)
        self.active = bool(self._faults)

    def add(self, fault: Fault) -> None:
        """Add a fault after the existing ones.

        Example:
            >>> plan = FaultPlan(); plan.add(Fault("get_logs")); plan.active
            True
        """
        self._faults.append(fault)
        self._fired.append(0)
        self.active = True

    def _fires(self, index: int, fault: Fault) -> bool:
        if fault.times is not None and self._fired[index] >= fault.times:
            return False
        return fault.probability >= 1 or self._random.random() < fault.probability

    def trigger(self, method: str, execution_id: str | None) -> ExecutorError | None:
        """The error ``method`` must raise now, or ``None``; counts the firing.

        Example:
            >>> FaultPlan().trigger("cleanup", "mock-1") is None
            True
        """
        for index, fault in enumerate(self._faults):
            if fault.method == method and self._fires(index, fault):
                self._fired[index] += 1
                return fault.build(execution_id)
        return None

    def fired(self) -> list[tuple[Fault, int]]:
        """Each fault with the number of times it fired.

        Example:
            >>> FaultPlan([Fault("cleanup")]).fired()[0][1]
            0
        """
        return list(zip(self._faults, self._fired, strict=True))
