"""Judging the gallery: run the whole conformance suite on each broken executor and classify the catch.

``own``: a MUST clause of one of the bug's families fails; ``other``: only MUST
clauses of other families fail; ``missed``: no MUST clause fails (an
``inconclusive`` verdict is not a catch).
"""

from __future__ import annotations

import dataclasses
import functools

from contract_tests import Level, evaluate

from . import GALLERY, Bug

OWN, OTHER, MISSED = "own", "other", "missed"


@dataclasses.dataclass(frozen=True)
class Catch:
    """How the suite answered one broken executor."""

    cls: type
    bug: Bug
    failed: tuple[str, ...]  # MUST clause ids with verdict 'fail'
    inconclusive: tuple[str, ...]  # MUST clause ids with verdict 'inconclusive'
    should_failed: tuple[str, ...]  # SHOULD clause ids with verdict 'fail' (they do not decide verify's exit code)

    @property
    def verdict(self) -> str:
        if any(clause.split("-")[0] in self.bug.families for clause in self.failed):
            return OWN
        return OTHER if self.failed else MISSED


@functools.cache
def judge(cls: type) -> Catch:
    """Run every clause against a fresh ``cls()`` (in process, virtual clock)."""
    results = evaluate(cls())
    must = [result for result in results if result.clause.level == Level.MUST]
    failed = tuple(result.clause.id for result in must if result.verdict == "fail")
    inconclusive = tuple(result.clause.id for result in must if result.verdict == "inconclusive")
    should = tuple(r.clause.id for r in results if r.clause.level != Level.MUST and r.verdict == "fail")
    return Catch(cls, GALLERY[cls], failed, inconclusive, should)


def judge_all() -> list[Catch]:
    """Every gallery entry, judged, in registry order."""
    return [judge(cls) for cls in GALLERY]
