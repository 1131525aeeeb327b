"""The kit's own power: how much of the subtle gallery does the conformance suite catch?

Runs the whole suite (in process, on the virtual clock) against every broken
executor of ``tests/conformance/gallery/subtle/`` and prints, per clause family, how many
are caught by a MUST clause of their own family, caught only by a clause of
another family, or not caught at all; then the totals and catch rate, and
(with ``--list``) each entry not caught by its own family with the MUST
sentence it breaks and the condition under which it shows.

A MUST clause that ends ``inconclusive`` is not a catch (``verify`` exits 2,
not 1), nor is a failed SHOULD clause (``verify`` exits 0); the list marks
such entries ``(inconclusive: ...)`` and ``(SHOULD failed: ...)``.

Run: ``python benchmarks/gallery_power.py [--list] [--json FILE]`` (about a
minute on one core).
"""

from __future__ import annotations

import argparse
import collections
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.conformance.gallery.subtle.power import MISSED, OTHER, OWN, Catch, judge_all

COLUMNS = (OWN, OTHER, MISSED)


def _table(catches: list[Catch]) -> list[str]:
    counts: dict[str, collections.Counter[str]] = collections.defaultdict(collections.Counter)
    for catch in catches:
        counts[catch.bug.family][catch.verdict] += 1
    lines = [f"{'family':10} {'own':>5} {'other':>6} {'missed':>7} {'total':>6}"]
    for family in sorted(counts):
        row = counts[family]
        lines.append(f"{family:10} {row[OWN]:5} {row[OTHER]:6} {row[MISSED]:7} {sum(row.values()):6}")
    return lines


def _totals(catches: list[Catch]) -> dict[str, int]:
    totals = collections.Counter(catch.verdict for catch in catches)
    return {column: totals[column] for column in COLUMNS} | {"total": len(catches)}


def _entry(catch: Catch) -> str:
    bug = catch.bug
    seen = f" [only: {', '.join(catch.failed)}]" if catch.verdict == OTHER else ""
    unsure = f" (inconclusive: {', '.join(catch.inconclusive)})" if catch.inconclusive else ""
    should = f" (SHOULD failed: {', '.join(catch.should_failed)})" if catch.should_failed else ""
    head = f"- {catch.cls.__name__} [{bug.family}]{seen}{unsure}{should}"
    return f"{head}\n    breaks: {bug.sentence}\n    when:   {bug.condition}"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--list", action="store_true", help="list the entries not caught by their own family")
    parser.add_argument("--json", help="also write the figures to this JSON file")
    args = parser.parse_args()
    started = time.perf_counter()
    catches = judge_all()
    totals = _totals(catches)
    print("\n".join(_table(catches)))
    rate = totals[OWN] / totals["total"]
    print(
        f"\ntotal: {totals[OWN]} caught by own family / {totals[OTHER]} only by another / "
        f"{totals[MISSED]} not caught, of {totals['total']} -> catch rate {rate:.0%} "
        f"({time.perf_counter() - started:.0f} s)"
    )
    if args.list:
        print("\nnot caught by their own family:")
        print("\n".join(_entry(catch) for catch in catches if catch.verdict != OWN))
    if args.json:
        entries = [
            {
                "name": c.cls.__name__,
                "family": c.bug.family,
                "verdict": c.verdict,
                "failed": list(c.failed),
                "inconclusive": list(c.inconclusive),
                "should_failed": list(c.should_failed),
                "sentence": c.bug.sentence,
                "condition": c.bug.condition,
            }
            for c in catches
        ]
        Path(args.json).write_text(json.dumps({"totals": totals, "entries": entries}, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
