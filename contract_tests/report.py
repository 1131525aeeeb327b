"""The conformance report: terminal table, JSON, JUnit XML, Markdown, badge line."""

from __future__ import annotations

import dataclasses
import json
import os
import shutil
import textwrap
from collections import Counter
from collections.abc import Sequence
from importlib import metadata
from xml.etree import ElementTree as ET

from contract_tests.clause import Level, in_profile
from contract_tests.runner import VERDICTS, ClauseResult

__all__ = ["Report"]

_COLOURS = {"pass": "32", "fail": "31", "n/a": "36", "inconclusive": "33", "not-run": "2"}

#: The version of the JSON report's layout (documented in docs/cli.md).
SCHEMA = "executor-kit-report/1"


def _kit_version() -> str:
    try:
        return metadata.version("executor-kit")
    except metadata.PackageNotFoundError:  # run from a source tree that was never installed
        return "unknown"


@dataclasses.dataclass
class Report:
    """The verdicts of one run against one target.

    Example:
        >>> from contract_tests.clauses import clause_by_id
        >>> r = Report("mock", [ClauseResult(clause_by_id("CAPS-001"), "pass")])
        >>> r.exit_code(), r.badge()
        (0, 'executor-kit conformance (mock): 1/1 MUST pass, 0 SHOULD pass, 0 n/a, 0 inconclusive')
    """

    target: str
    results: Sequence[ClauseResult]
    started: str = ""
    finished: str = ""
    #: The suite profile of the run (``quick``, ``standard``, ``full``).
    profile: str = "standard"

    @property
    def partial(self) -> bool:
        """Whether clauses of the profile were deselected (``-k``), so the run is no verdict on the profile.

        A clause the profile leaves out (``quick``) does not make the run partial.

        Example:
            >>> from contract_tests.clauses import clause_by_id
            >>> Report("x", [ClauseResult(clause_by_id("CAPS-002"), "not-run")]).partial
            True
            >>> Report("x", [ClauseResult(clause_by_id("CAPS-002"), "not-run")], profile="quick").partial
            False
        """
        return any(r.verdict == "not-run" and in_profile(r.clause, self.profile) for r in self.results)

    def summary(self) -> dict[str, int]:
        """Counts per verdict, and per level of failing clauses.

        Example:
            >>> Report("x", []).summary()["pass"]
            0
        """
        counts = Counter(result.verdict for result in self.results)
        failed = Counter(result.clause.level.value for result in self.results if result.verdict == "fail")
        summary = {verdict: counts.get(verdict, 0) for verdict in VERDICTS}
        return {
            **summary,
            "total": len(self.results),
            "must_failed": failed.get("MUST", 0),
            "should_failed": failed.get("SHOULD", 0),
        }

    def exit_code(self) -> int:
        """0 when every MUST clause was judged and passes or is n/a; 1 if one fails; 2 if one was not judged.

        Not judged: ``inconclusive`` (interrupted, hung, unreachable) or ``not-run``
        (a partial run).

        Example:
            >>> Report("x", []).exit_code()
            0
        """
        musts = {result.verdict for result in self.results if result.clause.level is Level.MUST}
        if "fail" in musts:
            return 1
        return 2 if "inconclusive" in musts or self.partial else 0

    def _count(self, level: Level, verdict: str) -> int:
        return sum(1 for r in self.results if r.clause.level is level and r.verdict == verdict)

    def badge(self) -> str:
        """A one-line summary fit for a README.

        Example:
            >>> Report("x", []).badge().startswith("executor-kit conformance (x)")
            True
        """
        musts = sum(1 for r in self.results if r.clause.level is Level.MUST and r.verdict != "n/a")
        counts = self.summary()
        musts -= self._count(Level.MUST, "not-run")
        partial = f", {counts['not-run']} not run (partial run)" if self.partial else ""
        profile = "" if self.profile == "standard" else f" [{self.profile} profile]"
        return (
            f"executor-kit conformance ({self.target}){profile}: {self._count(Level.MUST, 'pass')}/{musts} MUST "
            f"pass, {self._count(Level.SHOULD, 'pass')} SHOULD pass, {counts['n/a']} n/a, "
            f"{counts['inconclusive']} inconclusive{partial}"
        )

    def to_json(self) -> str:
        """The JSON report: schema, kit version, target, times, exit code, clauses, summary.

        Example:
            >>> data = json.loads(Report("x", []).to_json())
            >>> data["schema"], data["target"], data["exit_code"], data["partial"]
            ('executor-kit-report/1', 'x', 0, False)
        """
        data = {
            "schema": SCHEMA,
            "kit_version": _kit_version(),
            "target": self.target,
            "profile": self.profile,
            "started": self.started,
            "finished": self.finished,
            "exit_code": self.exit_code(),
            "partial": self.partial,
            "clauses": [r.as_dict() for r in self.results],
            "summary": self.summary(),
        }
        return json.dumps(data, indent=2, ensure_ascii=False)

    def to_junit(self) -> str:
        """JUnit XML (pytest's junit-10 schema): one test case per clause.

        ``fail`` is a ``<failure>``, ``inconclusive`` an ``<error>``, ``n/a`` and
        ``not-run`` a ``<skipped>`` with the reason.

        Example:
            >>> Report("x", []).to_junit().startswith("<?xml")
            True
        """
        counts = self.summary()
        root = ET.Element("testsuites")
        suite = ET.SubElement(
            root,
            "testsuite",
            name=f"executor-kit conformance: {self.target}",
            errors=str(counts["inconclusive"]),
            failures=str(counts["fail"]),
            skipped=str(counts["n/a"] + counts["not-run"]),
            tests=str(counts["total"]),
            time=f"{sum(result.seconds for result in self.results):.3f}",
            timestamp=self.started or "1970-01-01T00:00:00",
        )
        for result in self.results:
            case = ET.SubElement(
                suite,
                "testcase",
                classname=f"contract.{result.clause.family}",
                name=result.clause.id,
                time=f"{result.seconds:.3f}",
            )
            _junit_outcome(case, result)
        return '<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(root, encoding="unicode")

    def to_markdown(self) -> str:
        """A Markdown table of clauses and verdicts, headed by the badge line.

        Example:
            >>> "| Clause |" in Report("x", []).to_markdown()
            True
        """
        rows = [
            f"| {r.clause.id} | {r.clause.level.value} | {r.verdict} | {_cell(r.clause.statement)} |"
            for r in self.results
        ]
        head = ["| Clause | Level | Verdict | Statement |", "|---|---|---|---|"]
        return "\n".join([f"**{self.badge()}**", "", *head, *rows, ""])

    def table(self, *, colour: bool = False, width: int | None = None) -> str:
        """The terminal table, grouped by clause family, wrapped to the terminal's width.

        Args:
            colour: Colour the verdicts (never when ``NO_COLOR`` is set to a non-empty value).
            width: Columns to wrap to; default the terminal's (``COLUMNS`` wins, 80 when unknown).

        A detail line that repeats one printed for an earlier clause (the same
        stub raising for thirty clauses) reads ``same as CLAUSE``.

        Example:
            >>> from contract_tests.clauses import clause_by_id
            >>> r = Report("x", [ClauseResult(clause_by_id("LOGS-002"), "pass")])
            >>> print(r.table(width=70))
            executor-kit conformance: x
              LOGS
                LOGS-002     MUST   pass         Large output (20,000 lines) is
                                                 returned complete and in order.
            executor-kit conformance (x): 1/1 MUST pass, 0 SHOULD pass, 0 n/a, 0 inconclusive
        """
        colour = colour and not os.environ.get("NO_COLOR")
        layout = _Layout(width or shutil.get_terminal_size().columns, colour)
        lines = [f"executor-kit conformance: {self.target}"]
        family = ""
        for result in self.results:
            if result.clause.family != family:
                family = result.clause.family
                lines.append(f"  {family}")
            lines.append(layout.row(result))
        return "\n".join([*lines, self.badge()])


def _paint(text: str, verdict: str, colour: bool) -> str:
    return f"\033[{_COLOURS[verdict]}m{text}\033[0m" if colour else text


_STATEMENT_COLUMN = 37  # "    CLAUSE-ID    LEVEL  verdict      " before the statement
_DETAIL_COLUMN = 17
_MIN_TEXT = 24  # on a very narrow terminal the text still gets this many columns


@dataclasses.dataclass
class _Layout:
    """Wraps rows to ``width`` and remembers detail lines already shown (to collapse repeats)."""

    width: int
    colour: bool
    seen: dict[str, str] = dataclasses.field(default_factory=dict)

    def _wrap(self, text: str, column: int, indent: int = 0) -> list[str]:
        room = max(self.width - column, _MIN_TEXT)
        return textwrap.wrap(text, room, subsequent_indent=" " * indent, break_on_hyphens=False) or [""]

    def row(self, result: ClauseResult) -> str:
        verdict = _paint(f"{result.verdict:<12}", result.verdict, self.colour)
        head = f"    {result.clause.id:<12} {result.clause.level.value:<6} {verdict} "
        statement = self._wrap(result.clause.statement, _STATEMENT_COLUMN)
        lines = [head + statement[0], *(" " * _STATEMENT_COLUMN + text for text in statement[1:])]
        for detail in self._details(result):
            lines += [" " * _DETAIL_COLUMN + text for text in self._wrap(detail, _DETAIL_COLUMN, indent=2)]
        return "\n".join(lines)

    def _details(self, result: ClauseResult) -> list[str]:
        detail = {"fail": result.message.splitlines()[1:], "not-run": []}.get(result.verdict, [result.message])
        return [self._collapsed(text.strip(), result.clause.id) for text in detail if text.strip()]

    def _collapsed(self, text: str, clause_id: str) -> str:
        if not text.startswith("observed:"):
            return text
        first = self.seen.setdefault(text, clause_id)
        return text if first == clause_id else f"observed: same as {first}"


def _junit_outcome(case: ET.Element, result: ClauseResult) -> None:
    tags = {"fail": "failure", "n/a": "skipped", "inconclusive": "error", "not-run": "skipped"}
    if result.verdict in tags:
        ET.SubElement(
            case, tags[result.verdict], message=f"{result.verdict}: {result.message}"[:500]
        ).text = result.message


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")
