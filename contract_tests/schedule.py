"""Judging the selected clauses ahead, concurrently: a run waits out the backend's latency a few times, not per clause.

On a real clock each clause's check waits for its workloads; one after
another, a suite of fifty clauses waits fifty launch latencies. A
``Schedule`` starts the checks of every selected clause at once (at most
``TimeProfile.max_concurrency`` at a time) as soon as the harness exists,
and each conformance test then collects its clause's verdict, so results
are still reported per clause, in registry order. Clauses that need the
backend to themselves (``Clause.alone``: load, leaks) are judged after the
others, one at a time, in registry order.

On a virtual clock (the mock) there is no latency to overlap, and checks
running at once would move one clock under each other: there every clause
is judged when its test asks, one at a time, so verdicts are deterministic.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence

from contract_tests.clause import Clause
from contract_tests.clauses import clause_by_id  # noqa: F401 - used in doctests
from contract_tests.harness import Harness
from contract_tests.parallel import parallel_map
from contract_tests.runner import ClauseResult, run_clause

__all__ = ["Schedule", "judge"]


class Schedule:
    """Verdicts of the selected clauses of one harness, judged ahead with bounded concurrency.

    Args:
        harness: The harness of the run.
        clauses: The selected clauses, in registry order.

    Example:
        >>> from executor_kit import get_executor
        >>> h = Harness(get_executor("mock"))
        >>> schedule = Schedule(h, [clause_by_id("CAPS-001"), clause_by_id("CAPS-002")]).start()
        >>> schedule.result(clause_by_id("CAPS-002")).verdict
        'pass'
    """

    def __init__(self, harness: Harness, clauses: Sequence[Clause]) -> None:
        self.harness = harness
        self._results: dict[str, ClauseResult] = {}
        self._ready = {clause.id: threading.Event() for clause in clauses}
        self._together = [clause for clause in clauses if not clause.alone]
        self._alone = [clause for clause in clauses if clause.alone]
        self._thread = threading.Thread(target=self._judge_all, daemon=True, name="executor-kit schedule")

    def start(self) -> Schedule:
        """Start judging in the background; returns the schedule."""
        self._thread.start()
        return self

    def _judge_all(self) -> None:
        parallel_map(self._judge, self._together, workers=self.harness.profile.max_concurrency)
        for clause in self._alone:
            self._judge(clause)

    def _judge(self, clause: Clause) -> None:
        try:
            self._results[clause.id] = run_clause(clause, self.harness)
        finally:
            self._ready[clause.id].set()

    def result(self, clause: Clause) -> ClauseResult:
        """The verdict on ``clause``, waiting for it; a clause not scheduled is judged now.

        Interrupted while waiting, the run stops: no check launches anything
        more, and the running ones get the launch deadline to end before the
        interrupt goes on to the cleanup.
        """
        ready = self._ready.get(clause.id)
        if ready is None:
            return run_clause(clause, self.harness)
        try:
            ready.wait()
        except BaseException:
            self.harness.stopping.set()
            self._thread.join(self.harness.profile.launch_deadline)
            raise
        return self._results.get(clause.id) or ClauseResult(clause, "inconclusive", "not judged: the schedule stopped")


def judge(clause: Clause, harness: Harness) -> ClauseResult:
    """The verdict on ``clause``: from the harness's schedule if it has one, else judged now.

    Example:
        >>> from executor_kit import get_executor
        >>> judge(clause_by_id("CAPS-001"), Harness(get_executor("mock"))).verdict
        'pass'
    """
    schedule = harness.schedule
    if isinstance(schedule, Schedule):
        return schedule.result(clause)
    return run_clause(clause, harness)
