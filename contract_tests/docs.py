"""Renders the contract document (``docs/contract.md``) from the clause registry.

``python -m contract_tests.docs`` writes ``docs/contract.md`` (``--output``
elsewhere, ``-`` for stdout); ``--check`` writes nothing and exits 1 when the
file differs from what would be written (CI runs it, and so do the kit's
tests), so the document cannot go stale.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from contract_tests.clauses import CLAUSES, families
from contract_tests.coverage import COVERAGE, DECISIONS, ENDINGS

__all__ = ["DEFAULT_OUTPUT", "main", "render_contract"]

#: Where the document lives in a checkout of the kit.
DEFAULT_OUTPUT = "docs/contract.md"

_INTRO = """# The executor-kit contract

Generated from the clause registry (`contract_tests/clauses.py`) by
`python -m contract_tests.docs`; do not edit by hand.

Every clause is checked by one conformance test. **MUST** clauses decide
`executor-kit verify`'s exit code; **SHOULD** clauses are reported. A clause
that needs a capability is *n/a* when the executor declares it absent (and is
reported if it works anyway). A clause is *inconclusive* when the backend could
not answer (connection, quota or credentials trouble).
"""


def _section(family: str) -> list[str]:
    lines = [
        f"## {family}",
        "",
        "| Clause | Level | Needs | Statement | If it fails |",
        "|---|---|---|---|---|",
    ]
    for clause in CLAUSES:
        if clause.family == family:
            needs = f"`{clause.capability}`" if clause.capability else ""
            lines.append(f"| {clause.id} | {clause.level.value} | {needs} | {clause.statement} | {clause.hint} |")
    return [*lines, ""]


def _decisions() -> list[str]:
    intro = ["## Decisions", "", "Where the contract was silent, this was decided (and is checked):", ""]
    return [*intro, *(f"- {decision}" for decision in DECISIONS), ""]


def _coverage() -> list[str]:
    head = [
        "## Coverage of endings and shapes",
        "",
        "Which endings each clause's check follows a workload through (others look at one workload).",
        "",
        "| Clause | " + " | ".join(ENDINGS) + " |",
        "|---|" + "---|" * len(ENDINGS),
    ]
    rows = [
        f"| {clause_id} | " + " | ".join("✓" if ending in covered else "" for ending in ENDINGS) + " |"
        for clause_id, covered in COVERAGE.items()
    ]
    return [*head, *rows, ""]


def render_contract() -> str:
    """The contract document as Markdown.

    Example:
        >>> render_contract().splitlines()[0]
        '# The executor-kit contract'
    """
    body = [line for family in families() for line in _section(family)]
    return "\n".join([_INTRO, *body, *_decisions(), *_coverage()])


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m contract_tests.docs", description="Write the contract document from the clause registry."
    )
    parser.add_argument("--output", default=DEFAULT_OUTPUT, help=f"the file to write, - for stdout ({DEFAULT_OUTPUT})")
    parser.add_argument("--check", action="store_true", help="write nothing; exit 1 if the file is stale")
    return parser


def _check(path: Path, text: str) -> int:
    current = path.read_text(encoding="utf-8") if path.is_file() else None
    if current == text:
        print(f"up to date: {path}")
        return 0
    print(f"{path} is stale: run `python -m contract_tests.docs --output {path}`", file=sys.stderr)
    return 1


def main(argv: Sequence[str] | None = None) -> int:
    """Write (or ``--check``) the contract document; returns the exit code.

    Example:
        >>> import tempfile
        >>> tmp = tempfile.TemporaryDirectory()
        >>> out = f"{tmp.name}/contract.md"
        >>> main(["--output", out, "--check"]), main(["--output", out])
        (1, 0)
        >>> main(["--output", out, "--check"])  # doctest: +ELLIPSIS
        up to date: .../contract.md
        0
        >>> tmp.cleanup()
    """
    args = _parser().parse_args(argv)
    text = render_contract()
    if args.output == "-":
        sys.stdout.write(text)
        return 0
    path = Path(args.output)
    if args.check:
        return _check(path, text)
    path.write_text(text, encoding="utf-8")
    print(f"wrote {path}", file=sys.stderr)  # stdout stays clean: `... > docs/contract.md` also works
    return 0


if __name__ == "__main__":
    sys.exit(main())
