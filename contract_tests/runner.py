"""Running one clause's check and turning what happened into a verdict.

Shared by the pytest plugin and by ``evaluate`` (the direct API the kit's own
gallery tests use), so both judge alike.
"""

from __future__ import annotations

import dataclasses
import threading
import time
from collections.abc import Iterable

from contract_tests.checks import SCENARIOS, load_checks
from contract_tests.clause import Clause
from contract_tests.clauses import CLAUSES, clause_by_id  # noqa: F401 - used in doctests
from contract_tests.harness import Harness, NotApplicable
from contract_tests.hooks import hook
from executor_kit.base import ContainerExecutor
from executor_kit.errors import (
    ExecutorAuthenticationError,
    ExecutorConnectionError,
    ExecutorError,
    ExecutorResourceError,
)
from executor_kit.job import redact
from executor_kit.probe import PROBE_IMAGE, Probe

__all__ = ["VERDICTS", "ClauseResult", "evaluate", "new_harness", "run_clause"]

#: The verdicts, in report order. ``not-run``: the clause was deselected (``-k``), so the run is partial.
VERDICTS = ("pass", "fail", "n/a", "inconclusive", "not-run")

_UNREACHABLE = (ExecutorConnectionError, ExecutorResourceError, ExecutorAuthenticationError)


@dataclasses.dataclass(frozen=True)
class ClauseResult:
    """The verdict on one clause, with what was observed.

    Example:
        >>> failed = ClauseResult(clause_by_id("CAPS-001"), "fail", "no keys")
        >>> failed.as_dict()["observed"], failed.message.splitlines()[1]
        ('no keys', '  observed: no keys')
    """

    clause: Clause
    verdict: str
    observed: str = ""
    seconds: float = 0.0

    @property
    def message(self) -> str:
        """What a person reads: for a failure the clause, what was observed and the hint.

        Example:
            >>> ClauseResult(clause_by_id("CAPS-001"), "n/a", "capability declared absent").message
            'capability declared absent'
        """
        if self.verdict != "fail":
            return self.observed
        clause = self.clause
        return f"[{clause.id}] {clause.statement}\n  observed: {self.observed}\n  hint: {clause.hint}"

    def as_dict(self) -> dict[str, str | float]:
        """The JSON form of the result (schema documented in docs/cli.md).

        Example:
            >>> sorted(ClauseResult(clause_by_id("CAPS-001"), "pass").as_dict())
            ['capability', 'duration', 'family', 'hint', 'id', 'level', 'observed', 'statement', 'verdict']
        """
        clause = self.clause
        return {
            "id": clause.id,
            "family": clause.family,
            "level": clause.level.value,
            "capability": clause.capability or "",
            "verdict": self.verdict,
            "statement": clause.statement,
            "observed": self.observed,
            "hint": clause.hint,
            "duration": round(self.seconds, 3),
        }


def _observed(exc: AssertionError) -> str:
    """The check's own message, without what pytest's assertion rewriting appends (``assert ...``, ``+ where``).

    Example:
        >>> _observed(AssertionError("read 'failed'" + chr(10) + "assert 'failed' == 'exited'"))
        "read 'failed'"
    """
    return str(exc).split("\nassert ", 1)[0] or "assertion failed"


def _judge(exc: BaseException) -> tuple[str, str]:
    if isinstance(exc, AssertionError):
        return "fail", _observed(exc)
    if isinstance(exc, _UNREACHABLE) or not isinstance(exc, Exception):
        return "inconclusive", _unjudged(exc)
    if isinstance(exc, ExecutorError):
        return "fail", f"raised {type(exc).__name__}: {exc}"
    return "fail", f"raised {type(exc).__name__}: {exc} (only ExecutorError subclasses may escape an executor)"


_COULD_NOT = "the backend could not answer: "


def _unjudged(exc: BaseException) -> str:
    if isinstance(exc, Exception):
        return f"{_COULD_NOT}{type(exc).__name__}: {exc}"
    return f"not judged: the check was ended by {type(exc).__name__}: {exc} (a BaseException)"


def _run_check(clause: Clause, harness: Harness, outcome: list[tuple[str, str]]) -> None:
    try:
        load_checks()[clause.id](harness)
    except NotApplicable as exc:  # the executor does not offer the optional feature
        outcome.append(("n/a", str(exc)))
    except BaseException as exc:  # every outcome becomes a verdict, even CancelledError
        outcome.append(_judge(exc))
    else:
        outcome.append(("pass", ""))


def _attempt(clause: Clause, harness: Harness, limit: float) -> tuple[str, str]:
    # A daemon thread, so a check stuck in a hanging executor call cannot keep the run (or the process) alive.
    outcome: list[tuple[str, str]] = []
    worker = threading.Thread(target=_run_check, args=(clause, harness, outcome), daemon=True, name=clause.id)
    worker.start()
    try:
        worker.join(limit)
    except BaseException:  # interrupted: the check launches no more, and ends before the cleanup starts
        harness.stopping.set()
        worker.join(harness.profile.launch_deadline)
        raise
    if outcome:
        return outcome[0]
    return "inconclusive", f"not judged: no answer within {limit:g} s (a hanging call?); the run went on"


def _declared(clause: Clause, harness: Harness) -> bool:
    if clause.hook is not None:
        return hook(harness.executor, clause.hook) is not None
    if clause.capability is None:
        return True
    try:
        return bool(harness.executor.get_capabilities().get(clause.capability, False))
    except Exception:  # a broken get_capabilities fails CAPS-001; here it means "not declared"
        return False


def _reachable(harness: Harness) -> bool:
    """Whether the run has shown the backend reachable: launches succeeded before, and one succeeds now."""
    if not harness.launched or harness.stopping.is_set():
        return False
    try:
        execution_id = harness.launch(harness.job(Probe().out("is the backend reachable?")))
    except BaseException:  # any trouble: the backend is not shown reachable
        return False
    harness.executor.cleanup(execution_id)
    return True


def _blame(verdict: str, observed: str, harness: Harness) -> tuple[str, str]:
    """An "unreachable" exception from a backend that answers launches before and after is the executor's fault."""
    if verdict == "inconclusive" and observed.startswith(_COULD_NOT) and _reachable(harness):
        reason = observed.removeprefix(_COULD_NOT)
        return (
            "fail",
            f"raised {reason}, yet the backend answered launches before and after "
            "(a job-level failure is (False, message))",
        )
    return verdict, observed


def _absent(clause: Clause) -> str:
    if clause.hook is not None:
        return f"no conformance hook {clause.hook!r} (see contract_tests.hooks)"
    return "capability declared absent"


def run_clause(clause: Clause, harness: Harness) -> ClauseResult:
    """Run the clause's check and give its verdict.

    A clause whose capability is declared absent is ``n/a``; its check still
    runs, and if it passes the message says the capability works anyway. The
    check gets ``harness.clause_limit()`` seconds of wall time; secret values
    the harness handed to the executor are redacted from what is observed.

    Example:
        >>> from executor_kit import get_executor
        >>> run_clause(clause_by_id("STATUS-002"), Harness(get_executor("mock"))).verdict
        'pass'
    """
    limit = harness.clause_limit()
    if limit <= 0:
        return ClauseResult(clause, "inconclusive", "not judged: the run's --timeout was reached before it")
    start = time.perf_counter()
    verdict, observed = _blame(*_attempt(clause, harness, limit), harness)
    seconds = time.perf_counter() - start
    if not _declared(clause, harness):
        works = verdict == "pass" and clause.shows_capability and clause.hook is None
        note = f"works anyway: consider declaring {clause.capability}" if works else _absent(clause)
        return ClauseResult(clause, "n/a", note, seconds)
    return ClauseResult(clause, verdict, redact(observed, harness.secrets), seconds)


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
