"""Running one clause's check and turning what happened into a verdict.

Shared by the pytest plugin and by ``evaluate`` (the direct API the kit's own
gallery tests use), so both judge alike.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Iterable

from contract_tests.checks import SCENARIOS, load_checks
from contract_tests.clauses import CLAUSES, Clause, clause_by_id  # noqa: F401 - used in doctests
from contract_tests.harness import Harness
from executor_kit.base import ContainerExecutor
from executor_kit.errors import (
    ExecutorAuthenticationError,
    ExecutorConnectionError,
    ExecutorError,
    ExecutorResourceError,
)
from executor_kit.probe import PROBE_IMAGE

__all__ = ["VERDICTS", "ClauseResult", "evaluate", "new_harness", "run_clause"]

#: The four verdicts, in report order.
VERDICTS = ("pass", "fail", "n/a", "inconclusive")

_UNREACHABLE = (ExecutorConnectionError, ExecutorResourceError, ExecutorAuthenticationError)


@dataclasses.dataclass(frozen=True)
class ClauseResult:
    """The verdict on one clause, with a message that explains it.

    Example:
        >>> ClauseResult(clause_by_id("CAPS-001"), "pass").as_dict()["verdict"]
        'pass'
    """

    clause: Clause
    verdict: str
    message: str = ""
    seconds: float = 0.0

    def as_dict(self) -> dict[str, str | float]:
        """The JSON form of the result.

        Example:
            >>> sorted(ClauseResult(clause_by_id("CAPS-001"), "pass").as_dict())
            ['capability', 'family', 'id', 'level', 'message', 'seconds', 'statement', 'verdict']
        """
        clause = self.clause
        return {
            "id": clause.id,
            "family": clause.family,
            "level": clause.level.value,
            "capability": clause.capability or "",
            "statement": clause.statement,
            "verdict": self.verdict,
            "message": self.message,
            "seconds": round(self.seconds, 3),
        }


def _judge(exc: Exception) -> tuple[str, str]:
    if isinstance(exc, AssertionError):
        return "fail", str(exc) or "assertion failed"
    if isinstance(exc, _UNREACHABLE):
        return "inconclusive", f"the backend could not answer: {type(exc).__name__}: {exc}"
    if isinstance(exc, ExecutorError):
        return "fail", f"raised {type(exc).__name__}: {exc}"
    return "fail", f"raised {type(exc).__name__}: {exc} (only ExecutorError subclasses may escape an executor)"


def _attempt(clause: Clause, harness: Harness) -> tuple[str, str]:
    try:
        load_checks()[clause.id](harness)
    except Exception as exc:  # every outcome becomes a verdict; untyped ones fail the clause
        return _judge(exc)
    return "pass", ""


def _declared(clause: Clause, harness: Harness) -> bool:
    if clause.capability is None:
        return True
    try:
        return bool(harness.executor.get_capabilities().get(clause.capability, False))
    except Exception:  # a broken get_capabilities fails CAPS-001; here it means "not declared"
        return False


def _explain(clause: Clause, verdict: str, message: str) -> str:
    if verdict != "fail":
        return message
    return f"[{clause.id}] {clause.statement}\n  observed: {message}\n  hint: {clause.hint}"


def run_clause(clause: Clause, harness: Harness) -> ClauseResult:
    """Run the clause's check and give its verdict.

    A clause whose capability is declared absent is ``n/a``; its check still
    runs, and if it passes the message says the capability works anyway.

    Example:
        >>> from executor_kit import get_executor
        >>> run_clause(clause_by_id("STATUS-002"), Harness(get_executor("mock"))).verdict
        'pass'
    """
    start = time.perf_counter()
    verdict, message = _attempt(clause, harness)
    seconds = time.perf_counter() - start
    if not _declared(clause, harness):
        works = verdict == "pass" and clause.shows_capability
        note = f"works anyway: consider declaring {clause.capability}" if works else "capability declared absent"
        return ClauseResult(clause, "n/a", note, seconds)
    return ClauseResult(clause, verdict, _explain(clause, verdict, message), seconds)


def new_harness(executor: ContainerExecutor, *, probe_image: str = PROBE_IMAGE) -> Harness:
    """A harness for ``executor`` that runs the checks' shared workloads concurrently.

    Example:
        >>> from executor_kit import get_executor
        >>> h = new_harness(get_executor("mock"))
        >>> run_clause(clause_by_id("LOGS-001"), h).verdict, len(h.launched) > 10
        ('pass', True)
    """
    load_checks()
    return Harness(executor, probe_image=probe_image, scenarios=SCENARIOS)


def evaluate(
    executor: ContainerExecutor,
    clause_ids: Iterable[str] | None = None,
    *,
    probe_image: str = PROBE_IMAGE,
) -> list[ClauseResult]:
    """Run clauses (all by default) against ``executor`` without pytest.

    The leak check runs last and everything launched is cleaned up.

    Example:
        >>> from executor_kit import get_executor
        >>> [r.verdict for r in evaluate(get_executor("mock"), ["CAPS-001", "LOGS-008"])]
        ['pass', 'pass']
    """
    wanted = set(clause_ids) if clause_ids is not None else {clause.id for clause in CLAUSES}
    harness = new_harness(executor, probe_image=probe_image)
    try:
        return [run_clause(clause, harness) for clause in CLAUSES if clause.id in wanted]
    finally:
        harness.close()
