"""What a pytest session judged, clause by clause: the source of every report.

Each conformance test attaches its verdict to its own test report
(``user_properties``), so the verdicts reach the controller under
pytest-xdist as they reach the terminal without it. The ledger also knows
which clauses were selected, so a report lists every clause of the registry:
judged, ``inconclusive`` (selected, never judged, with the reason) or
``not-run`` (deselected).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
from typing import Any

import pytest

from contract_tests.clause import in_profile
from contract_tests.clauses import CLAUSES, clause_by_id
from contract_tests.report import Report
from contract_tests.runner import ClauseResult

__all__ = ["PROPERTY", "Ledger", "result_property"]

#: The ``user_properties`` key a conformance test stores its verdict under.
PROPERTY = "executor_kit_clause"

_TEST_NAME = re.compile(r"::test_([A-Z]+_\d{3})$")
_IDS = {clause.id for clause in CLAUSES}


def result_property(target: str, result: ClauseResult) -> tuple[str, dict[str, Any]]:
    """The ``user_properties`` entry carrying ``result`` (plain data, so xdist can send it).

    Example:
        >>> result_property("mock", ClauseResult(clause_by_id("CAPS-001"), "pass"))[1]["verdict"]
        'pass'
    """
    data = {"target": target, "id": result.clause.id, "verdict": result.verdict}
    return PROPERTY, {**data, "observed": result.observed, "seconds": result.seconds}


def _clause_of(nodeid: str) -> str | None:
    match = _TEST_NAME.search(nodeid)
    clause_id = match.group(1).replace("_", "-") if match else None
    return clause_id if clause_id in _IDS else None


def _owner(nodeid: str) -> str:
    return nodeid.rsplit("::", 1)[0]


def _now() -> str:
    return dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")


@dataclasses.dataclass(eq=False)  # a pytest plugin object: hashed by identity
class Ledger:
    """Selected clauses, verdicts and problems of one session, by test node id.

    Example:
        >>> ledger = Ledger()
        >>> ledger.select(["t.py::TestX::test_CAPS_001", "t.py::TestX::test_CAPS_002"])
        >>> ledger.results["t.py::TestX::test_CAPS_001"] = ("mock", ClauseResult(clause_by_id("CAPS-001"), "pass"))
        >>> report = ledger.reports()[0]
        >>> [(r.clause.id, r.verdict) for r in report.results][:3]
        [('LAUNCH-001', 'not-run'), ('LAUNCH-002', 'not-run'), ('LAUNCH-003', 'not-run')]
        >>> [r.verdict for r in report.results if r.clause.family == "CAPS"]
        ['pass', 'inconclusive']
    """

    target: str = ""
    #: The suite profile (``quick`` leaves clauses out without making the run partial).
    profile: str = "standard"
    selected: dict[str, str] = dataclasses.field(default_factory=dict)
    results: dict[str, tuple[str, ClauseResult]] = dataclasses.field(default_factory=dict)
    problems: dict[str, str] = dataclasses.field(default_factory=dict)
    ended: str = ""
    started: str = dataclasses.field(default_factory=_now)
    finished: str = ""

    def select(self, nodeids: list[str]) -> None:
        """Note the collected conformance tests (after ``-k``/``-m`` deselection)."""
        for nodeid in nodeids:
            clause_id = _clause_of(nodeid)
            if clause_id:
                self.selected[nodeid] = clause_id

    # -- as a pytest plugin (the conformance plugin registers the session's ledger) --
    def pytest_collection_finish(self, session: pytest.Session) -> None:
        """Select what this process collected."""
        self.select([item.nodeid for item in session.items])

    @pytest.hookimpl(optionalhook=True)
    def pytest_xdist_node_collection_finished(self, node: Any, ids: list[str]) -> None:
        """Select what a pytest-xdist worker collected."""
        # the controller of pytest-xdist collects nothing itself: its workers say what they selected
        self.select(ids)

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        """Note every test report (also those xdist workers send)."""
        self.note(report)

    def pytest_sessionfinish(self, exitstatus: int) -> None:
        """Note how the session ended."""
        self.end(int(exitstatus))

    def note(self, report: pytest.TestReport) -> None:
        """Take a verdict from a test report, or the reason a selected clause was not judged."""
        for key, value in report.user_properties:
            if key == PROPERTY and isinstance(value, dict):
                self.results[report.nodeid] = (str(value["target"]), _decode(value))
        if report.failed and report.when != "call" and report.nodeid not in self.results:
            lines = str(report.longrepr).strip().splitlines() or ["?"]
            self.problems[report.nodeid] = f"not judged: the test's {report.when} failed: {lines[-1][:300]}"

    def end(self, exitstatus: int) -> None:
        """Record how the session ended; an interrupted one leaves its unjudged clauses inconclusive."""
        self.finished = _now()
        if exitstatus == pytest.ExitCode.INTERRUPTED:
            self.ended = "not judged: the run was interrupted"
        elif exitstatus == pytest.ExitCode.INTERNAL_ERROR:
            self.ended = "not judged: the test runner crashed"

    def reports(self) -> list[Report]:
        """One complete report per test class that ran conformance tests, in registry order."""
        owners = dict.fromkeys(_owner(nodeid) for nodeid in [*self.selected, *self.results])
        return [self._report(owner) for owner in owners]

    def _report(self, owner: str) -> Report:
        mine = {n: c for n, c in self.selected.items() if _owner(n) == owner}
        judged = {r.clause.id: (t, r) for n, (t, r) in self.results.items() if _owner(n) == owner}
        problems = {mine[n]: why for n, why in self.problems.items() if n in mine}
        target = next(iter(judged.values()))[0] if judged else self.target or owner
        reason = self.ended or "not judged: the run ended before this clause (stopped early?)"
        results = [
            judged[c.id][1]
            if c.id in judged
            else self._missing(c.id, c.id in mine.values(), problems.get(c.id, reason))
            for c in CLAUSES
        ]
        return Report(target, results, started=self.started, finished=self.finished or _now(), profile=self.profile)

    def _missing(self, clause_id: str, selected: bool, reason: str) -> ClauseResult:
        clause = clause_by_id(clause_id)
        if selected:
            return ClauseResult(clause, "inconclusive", reason)
        if not in_profile(clause, self.profile):
            return ClauseResult(clause, "not-run", f"not in the {self.profile} profile")
        return ClauseResult(clause, "not-run", "deselected: this run is partial")


def _decode(value: dict[str, Any]) -> ClauseResult:
    clause = clause_by_id(str(value["id"]))
    return ClauseResult(clause, str(value["verdict"]), str(value["observed"]), float(value["seconds"]))
