"""The kit tests itself: every broken executor fails its clause; correct ones pass.

A clause that no broken executor proves is a clause nobody knows works, so a
new clause without an entry in ``broken.BROKEN`` fails here.
"""

from __future__ import annotations

import functools
import itertools
from collections.abc import Mapping
from typing import Any

import pytest

from contract_tests import CLAUSES, ClauseResult, Report, evaluate
from contract_tests.hooks import hook
from executor_kit.backends.mock import DEFAULT_CAPABILITIES, MockExecutor
from executor_kit.base import STANDARD_CAPABILITIES

from .broken import BROKEN, GALLERY, KNOWN_GAPS, Wrapper

CLAUSE_IDS = [clause.id for clause in CLAUSES]

#: Clauses that judge what earlier clauses left: run them after these.
SETUP = {"LEAKS-001": ("LAUNCH-002", "STATUS-004")}


@functools.cache
def judge(broken: type[Wrapper]) -> ClauseResult:
    """The verdict of the suite on the clause ``broken`` breaks (deterministic, so cached)."""
    wanted = (*SETUP.get(broken.clause, ()), broken.clause)
    results = evaluate(broken(), wanted)
    return next(result for result in results if result.clause.id == broken.clause)


def show(result: ClauseResult) -> str:
    return f"{result.verdict}: {result.message}"


# -- every clause is proved by a broken executor -------------------------------


@pytest.mark.parametrize("clause_id", CLAUSE_IDS)
def test_clause_is_proved_by_a_broken_executor(clause_id: str) -> None:
    assert clause_id in BROKEN, f"no broken executor proves {clause_id}: add one to tests/conformance/gallery/broken.py"
    result = judge(BROKEN[clause_id])
    assert result.verdict == "fail", f"{BROKEN[clause_id].__name__} was not caught: {show(result)}"
    assert f"[{clause_id}]" in result.message, show(result)


def test_gallery_names_only_real_clauses() -> None:
    strays = sorted({broken.clause for broken in GALLERY} - set(CLAUSE_IDS))
    assert not strays, f"gallery entries for clauses that do not exist: {strays}"


def _gallery_params() -> list[Any]:
    return [
        pytest.param(broken, id=broken.__name__, marks=_gap_mark(broken))
        for broken in sorted(GALLERY, key=lambda cls: (cls.clause, cls.__name__))
    ]


def _gap_mark(broken: type[Wrapper]) -> list[pytest.MarkDecorator]:
    reason = KNOWN_GAPS.get(broken)
    return [pytest.mark.xfail(reason=reason, strict=True)] if reason else []


@pytest.mark.parametrize("broken", _gallery_params())
def test_broken_executor_fails_for_the_reason_it_was_built(broken: type[Wrapper]) -> None:
    result = judge(broken)
    assert result.verdict == "fail", f"{broken.__name__} ({broken.__doc__}) was not caught: {show(result)}"
    assert result.message.startswith(f"[{broken.clause}]"), show(result)
    assert broken.observed in result.message, f"expected {broken.observed!r} in: {result.message}"
    assert "hint:" in result.message, show(result)


def test_broken_executors_fail_a_full_run_too() -> None:
    results = {result.clause.id: result for result in evaluate(BROKEN["LOGS-001"]())}
    assert results["LOGS-001"].verdict == "fail"
    assert Report("merged", list(results.values())).exit_code() == 1


# -- correct executors pass --------------------------------------------------


def _hookless(result: ClauseResult) -> bool:
    """n/a because the executor offers no conformance hook the clause needs."""
    return result.verdict == "n/a" and result.clause.hook is not None and "no conformance hook" in result.message


def test_the_unbroken_wrapper_passes_every_clause() -> None:
    failures = [show(result) for result in evaluate(Wrapper()) if result.verdict != "pass" and not _hookless(result)]
    assert not failures, "the gallery's base wrapper is itself broken:\n" + "\n".join(failures)


def _combinations() -> list[Any]:
    keys = sorted(STANDARD_CAPABILITIES)
    combos = [dict(zip(keys, flags, strict=True)) for flags in itertools.product((True, False), repeat=len(keys))]
    return [pytest.param(combo, id="-".join(k[9:] for k in keys if combo[k]) or "none") for combo in combos]


def _expected(result: ClauseResult, declared: Mapping[str, bool]) -> str:
    capability, needs = result.clause.capability, result.clause.hook
    if needs is not None:
        return "pass" if hook(MockExecutor(), needs) is not None else "n/a"
    return (
        "n/a" if capability is not None and not declared.get(capability, DEFAULT_CAPABILITIES[capability]) else "pass"
    )


@pytest.mark.parametrize("declared", _combinations())
def test_mock_passes_under_every_combination_of_capabilities(declared: dict[str, bool]) -> None:
    results = evaluate(MockExecutor({"capabilities": declared}))
    assert [result.clause.id for result in results] == CLAUSE_IDS
    wrong = [
        f"{result.clause.id}: want {_expected(result, declared)}, got {show(result)}"
        for result in results
        if result.verdict != _expected(result, declared)
    ]
    assert not wrong, "\n".join(wrong)
    assert Report("mock", results).exit_code() == 0


class Modest(Wrapper):
    """Honours every capability of the mock but declares some absent."""

    def __init__(self, *absent: str) -> None:
        super().__init__()
        self.absent = absent

    def get_capabilities(self) -> dict[str, bool]:
        return {**self.inner.get_capabilities(), **dict.fromkeys(self.absent, False)}


@pytest.mark.parametrize("capability", sorted({c.capability for c in CLAUSES if c.capability}))
def test_capability_declared_absent_but_working_is_reported(capability: str) -> None:
    results = evaluate(Modest(capability), [c.id for c in CLAUSES if c.capability == capability])
    assert results, f"no clause needs {capability}"
    for result in results:
        assert result.verdict == "n/a", show(result)
        shows = result.clause.shows_capability
        note = f"works anyway: consider declaring {capability}" if shows else "capability declared absent"
        assert result.message == note, show(result)
    assert any(result.clause.shows_capability for result in results), f"nothing can show {capability} works"


@pytest.mark.parametrize("capability", sorted({c.capability for c in CLAUSES if c.capability}))
def test_capability_declared_absent_and_missing_is_plain_na(capability: str) -> None:
    mock = MockExecutor({"capabilities": {capability: False}})
    results = evaluate(mock, [c.id for c in CLAUSES if c.capability == capability])
    assert {(result.verdict, result.message) for result in results} == {("n/a", "capability declared absent")}


def test_a_declared_capability_that_does_not_work_fails() -> None:
    result = evaluate(BROKEN["LIMITS-001"](), ["LIMITS-001"])[0]
    assert result.verdict == "fail", show(result)
    undeclared = BROKEN["LIMITS-001"]({"capabilities": {"supports_resource_limits": False}})
    assert evaluate(undeclared, ["LIMITS-001"])[0].verdict == "n/a"
