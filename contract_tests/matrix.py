"""The capability matrix of several backends side by side, generated from conformance runs.

``python -m contract_tests.matrix mock docker ...`` runs the suite against each
target and prints a Markdown table: declared capabilities (``yes``, ``no``, or
``—`` for a key the backend does not declare), then the verdict of every clause
family. ``--help`` lists the options.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Mapping, Sequence

from contract_tests.clauses import families
from contract_tests.report import Report
from contract_tests.runner import evaluate
from executor_kit.registry import resolve_executor

__all__ = ["UNDECLARED", "capability_cell", "main", "render_matrix", "run_matrix"]

#: The cell of a capability key a backend does not declare at all (neither promised nor denied).
UNDECLARED = "—"


def capability_cell(capabilities: Mapping[str, bool], key: str) -> str:
    """``yes``, ``no``, or ``—`` when the backend does not declare ``key``.

    Example:
        >>> [capability_cell({"a": True, "b": False}, key) for key in ("a", "b", "c")]
        ['yes', 'no', '—']
    """
    if key not in capabilities:
        return UNDECLARED
    return "yes" if capabilities[key] else "no"


def _family_cell(report: Report, family: str) -> str:
    verdicts = [r.verdict for r in report.results if r.clause.family == family]
    passed = verdicts.count("pass")
    extra = ", ".join(f"{verdicts.count(v)} {v}" for v in ("fail", "n/a", "inconclusive") if verdicts.count(v))
    return f"{passed}/{len(verdicts)} pass" + (f" ({extra})" if extra else "")


def render_matrix(columns: Sequence[tuple[str, dict[str, bool], Report]]) -> str:
    """A Markdown table: one column per backend.

    Example:
        >>> from executor_kit import get_executor
        >>> ex = get_executor("mock")
        >>> print(render_matrix([("mock", ex.get_capabilities(), Report("mock", evaluate(ex, ["CAPS-001"])))]))
        ... # doctest: +ELLIPSIS
        | | mock |
        |---|---|
        | separates_output_streams | yes |
        | supports_cancel | yes |
        ...
    """
    keys = sorted({key for _, capabilities, _ in columns for key in capabilities})
    lines = ["| | " + " | ".join(name for name, _, _ in columns) + " |", "|---" * (len(columns) + 1) + "|"]
    for key in keys:
        cells = [capability_cell(caps, key) for _, caps, _ in columns]
        lines.append(f"| {key} | " + " | ".join(cells) + " |")
    for family in families():
        cells = [_family_cell(report, family) for _, _, report in columns if report.results]
        if cells:
            lines.append(f"| {family} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def run_matrix(targets: Sequence[str]) -> str:
    """Run the suite against each target and render the matrix.

    Example:
        >>> run_matrix(["mock"]).splitlines()[0]
        '| | mock |'
    """
    columns = []
    for target in targets:
        with resolve_executor(target) as executor:
            columns.append((executor.name, executor.get_capabilities(), Report(target, evaluate(executor))))
    return render_matrix(columns)


def main(argv: Sequence[str] | None = None) -> int:
    """Print the matrix of the targets (``mock`` when none is given).

    Example:
        >>> main(["mock"])  # doctest: +ELLIPSIS
        | | mock |
        ...
        0
    """
    parser = argparse.ArgumentParser(
        prog="python -m contract_tests.matrix",
        description="Run the conformance suite against each target and print a Markdown table side by side.",
    )
    parser.add_argument("targets", nargs="*", default=["mock"], help="registered names or module:callable paths")
    args = parser.parse_args(argv)
    print(run_matrix(args.targets))
    return 0


if __name__ == "__main__":
    sys.exit(main())
