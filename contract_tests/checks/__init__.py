"""The conformance checks, one per clause, registered with ``@check``.

A check is a function taking the ``Harness``; it fails by raising
``AssertionError`` with a message that says what was observed.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator

from contract_tests.clauses import clause_by_id
from contract_tests.harness import Finished, Harness, Scenario, Spec
from executor_kit.base import ContainerExecutor
from executor_kit.probe import Probe

__all__ = [
    "CHECKS",
    "SCENARIOS",
    "Check",
    "check",
    "finished",
    "load_checks",
    "odd_ids",
    "same_output",
    "scenario",
    "unique_prefix",
]

Check = Callable[[Harness], None]

#: clause id -> check, filled by the check modules on import.
CHECKS: dict[str, Check] = {}

#: The finished runs the checks look at; the harness runs them all at once.
SCENARIOS: list[Scenario] = []


def scenario(function: Scenario) -> Scenario:
    """Register a function listing finished runs that checks will ask for.

    Example:
        >>> scenario(lambda h: []) in SCENARIOS
        True
        >>> _ = SCENARIOS.pop()
    """
    SCENARIOS.append(function)
    return function


def finished(h: Harness, spec: Spec) -> Finished:
    """The finished run of ``spec`` (shared with every check asking for the same).

    Example:
        >>> from executor_kit import get_executor
        >>> finished(Harness(get_executor("mock")), (Probe().out("x"), {})).stdout
        'x\\n'
    """
    return h.run_many([spec])[0]


def same_output(h: Harness, got: str, want: str) -> bool:
    """Whether ``got`` is the output ``want``: exactly, or but for where lines end.

    The latter only where the backend declares ``line_oriented_logs`` (it keeps
    one log entry per line, as Cloud Logging and CloudWatch do).

    Example:
        >>> from executor_kit import get_executor
        >>> h = Harness(get_executor("mock"))
        >>> same_output(h, "a b", "a b"), same_output(h, "a", "a" + chr(10))
        (True, False)
    """
    if got == want:
        return True
    lines = bool(h.executor.get_capabilities().get("line_oriented_logs", False))
    return lines and got.replace("\n", "") == want.replace("\n", "")


def odd_ids(h: Harness) -> tuple[str, dict[str, str]]:
    """A real running execution, and ids that only resemble it; each must be an unknown id.

    The resemblances: a prefix, whitespace around it, a percent-encoded form,
    and its job's name. Shared by the checks asking.

    Example:
        >>> from executor_kit import get_executor
        >>> real, odd = odd_ids(Harness(get_executor("mock")))
        >>> real, sorted(odd)
        ('mock-1', ['a percent-encoded form', 'a prefix', 'its job name', 'whitespace around it'])
    """
    pair: tuple[str, dict[str, str]] = h.shared("odd ids", lambda: _odd_ids(h))
    return pair


def _odd_ids(h: Harness) -> tuple[str, dict[str, str]]:
    from executor_kit.probe import Probe

    name = f"kit-odd-{len(h.launched)}"
    virtual = getattr(h.executor.clock, "is_virtual", False)  # other checks' quiet periods move a virtual clock
    _, real = h.start(Probe().out("resembled").sleep(1e6 if virtual else h.profile.long_sleep * 30), name=name)
    encoded = "".join(c if c.isalnum() else f"%{ord(c):02X}" for c in real)
    if encoded == real:
        encoded = f"%{ord(real[0]):02X}{real[1:]}"
    prefixes = [real[:-1], real[: max(1, len(real) // 2)]]  # a unique prefix, as Docker resolves them
    odd = {
        "a prefix": next((p for p in prefixes if p not in h.launched), real[:1]),
        "whitespace around it": f" {real}\n",
        "a percent-encoded form": encoded,
        "its job name": name,
    }
    return real, odd


@contextlib.contextmanager
def unique_prefix(h: Harness) -> Iterator[tuple[ContainerExecutor, str, str]]:
    """A backend holding a running execution that has written output: the executor, the id, a unique prefix of it.

    A unique prefix is what Docker-style lookups resolve to the execution; to
    the contract it is an unknown id. It is the prefix ``odd_ids`` gives, of its
    running execution, when no other id the suite launched starts with it. Ids
    too short for that (``mock-1``, ``mock-12``, ...) are taken from a backend of
    their own: on a virtual clock a new instance of the executor's class on the
    same clock (a ``MockExecutor`` instance is a backend of its own), holding
    only this execution; it is cleaned up and closed after the block.

    Example:
        >>> from executor_kit import get_executor
        >>> h = Harness(get_executor("mock"))
        >>> [h.start(Probe()) for _ in range(12)] and None
        >>> with unique_prefix(h) as (executor, real, prefix):
        ...     executor is h.executor, real, prefix, executor.get_logs(real)
        (False, 'mock-1', 'mock-', ('resembled\\n', ''))
    """
    real, odd = odd_ids(h)
    prefix = odd["a prefix"]
    shared = any(other.startswith(prefix) for other in h.launched if other != real)
    fresh = _fresh_instance(h) if shared else None
    if fresh is None:
        yield h.executor, real, prefix
        return
    real = ""
    try:
        ok, real = fresh.launch_job(h.job(Probe().out("resembled").sleep(1e6)))
        assert ok, f"launch_job refused a valid probe job: {real!r}"
        fresh.clock.sleep(1.0)  # its output is written
        yield fresh, real, real[:-1]
    finally:
        with contextlib.suppress(Exception):
            fresh.cleanup(real)
        with contextlib.suppress(Exception):
            fresh.close()


def _fresh_instance(h: Harness) -> ContainerExecutor | None:
    """A new instance of the executor's class on its virtual clock (a backend of its own), if it can be built."""
    if not getattr(h.executor.clock, "is_virtual", False):
        return None
    try:
        return type(h.executor)(h.executor.config, clock=h.executor.clock)
    except Exception:  # cannot be built from its config: the executor under test is used
        return None


def check(clause_id: str) -> Callable[[Check], Check]:
    """Register the decorated function as the check of ``clause_id``.

    Raises:
        ValueError: for an id missing from the clause registry, or a second
            check for the same clause.

    Example:
        >>> check("NOPE-001")(lambda h: None)
        Traceback (most recent call last):
        ...
        ValueError: a check for 'NOPE-001', which is not in the clause registry
    """

    def register(function: Check) -> Check:
        try:
            clause_by_id(clause_id)
        except KeyError:
            raise ValueError(f"a check for {clause_id!r}, which is not in the clause registry") from None
        if clause_id in CHECKS:
            raise ValueError(f"two checks for {clause_id!r}")
        CHECKS[clause_id] = function
        return function

    return register


def load_checks() -> dict[str, Check]:
    """Import every check module and return the registry.

    Example:
        >>> "STATUS-002" in load_checks()
        True
    """
    from contract_tests.checks import (  # noqa: F401 - imported for their @check side effect
        cancel,
        errors,
        foreign,
        harvest,
        inputs,
        launch,
        lifecycle,
        logs,
        model,
        omission,
        outcomes,
        resources,
        streaming,
    )

    return CHECKS
