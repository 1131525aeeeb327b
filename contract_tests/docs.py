"""Renders the contract document (``docs/contract.md``) from the clause registry.

Run ``python -m contract_tests.docs > docs/contract.md``; the kit's tests fail
when the committed file differs from what this renders.
"""

from __future__ import annotations

from contract_tests.clauses import CLAUSES, families
from contract_tests.coverage import COVERAGE, DECISIONS, ENDINGS

__all__ = ["render_contract"]

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


if __name__ == "__main__":
    print(render_contract(), end="")
