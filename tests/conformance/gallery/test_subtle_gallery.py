"""The subtle gallery against today's suite: each broken executor must fail a MUST clause of its own family.

Every entry of ``tests.conformance.gallery.subtle.GALLERY`` differs from ``MockExecutor``
in one bug that shows only under one condition; its witness proves the bug is
real (the witness holds on ``MockExecutor`` and fails on the broken one). The
suite is then run on each. Entries the suite does not catch yet (or catches
only through an unrelated clause) are strict xfails: the day a check catches
one, its xfail turns into a failure here and the entry leaves ``NOT_CAUGHT``.
``benchmarks/gallery_power.py`` prints the same figures per family.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from contract_tests import CLAUSES, evaluate
from executor_kit.backends.mock import MockExecutor
from tests.conformance.gallery.subtle import GALLERY
from tests.conformance.gallery.subtle._base import LogTransform, Subtle, WorkloadTransform
from tests.conformance.gallery.subtle.power import OTHER, OWN, judge

ROOT = Path(__file__).resolve().parents[3]
FAMILIES = {clause.family for clause in CLAUSES}
CLAUSE_IDS = {clause.id for clause in CLAUSES}
GALLERY_BY_NAME = {cls.__name__: cls for cls in GALLERY}

#: What today's suite does with the entries it does not catch by their own family
#: ("missed": no MUST clause fails; "other": only clauses of unrelated families fail).
NOT_CAUGHT: dict[str, str] = {}


def _param(cls: type) -> object:
    missing = NOT_CAUGHT.get(cls.__name__)
    if missing is None:
        return pytest.param(cls, id=cls.__name__)
    bug = GALLERY[cls]
    reason = f"not caught yet: {bug.family}" if missing != OTHER else f"caught only by another family than {bug.family}"
    return pytest.param(cls, id=cls.__name__, marks=pytest.mark.xfail(strict=True, reason=reason))


ENTRIES = [pytest.param(cls, id=cls.__name__) for cls in GALLERY]


def test_gallery_has_at_least_sixty_documented_entries() -> None:
    assert len(GALLERY) >= 60
    assert set(NOT_CAUGHT) <= {cls.__name__ for cls in GALLERY}, "NOT_CAUGHT names an entry that does not exist"
    assert len({cls.__name__ for cls in GALLERY}) == len(GALLERY), "two entries share a name"


@pytest.mark.parametrize("cls", ENTRIES)
def test_entry_is_documented(cls: type) -> None:
    bug = GALLERY[cls]
    assert issubclass(cls, MockExecutor) and (cls.__doc__ or "").strip(), "a MockExecutor subclass with a docstring"
    assert set(bug.families) <= FAMILIES, f"unknown family in {bug.families}"
    cited = set(re.findall(r"\b[A-Z]+-\d{3}\b", bug.sentence))
    assert cited and cited <= CLAUSE_IDS, f"cites {cited}"
    assert any(clause.split("-")[0] in bug.families for clause in cited), "cites no clause of its own families"
    assert bug.condition


@pytest.mark.parametrize("cls", ENTRIES)
def test_witness_holds_on_the_correct_executor(cls: type) -> None:
    GALLERY[cls].witness(MockExecutor())


@pytest.mark.parametrize("cls", ENTRIES)
def test_witness_shows_the_bug(cls: type) -> None:
    with pytest.raises(Exception):  # noqa: B017, PT011 - an AssertionError, or the exception the bug raises
        GALLERY[cls].witness(cls())


@pytest.mark.parametrize("cls", [MockExecutor, Subtle, LogTransform, WorkloadTransform])
def test_the_correct_executors_pass_every_clause(cls: type) -> None:
    verdicts = {result.clause.id: result.verdict for result in evaluate(cls())}
    assert set(verdicts.values()) == {"pass"}, {k: v for k, v in verdicts.items() if v != "pass"}


@pytest.mark.parametrize("cls", [_param(cls) for cls in GALLERY])
def test_caught_by_a_must_clause_of_its_own_family(cls: type) -> None:
    catch = judge(cls)
    bug = GALLERY[cls]
    assert catch.verdict == OWN, (
        f"{cls.__name__} ({bug.condition}) breaks {bug.sentence!r}; failed MUST clauses: {catch.failed or 'none'}"
        + (f"; inconclusive: {catch.inconclusive}" if catch.inconclusive else "")
    )


def _verify(target: str, tmp_path: Path) -> tuple[int, dict[str, str]]:
    report = tmp_path / "report.json"
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))}
    command = [sys.executable, "-m", "executor_kit.cli", "verify", target, "--json", str(report)]
    done = subprocess.run(command, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300, check=False)
    data = json.loads(report.read_text())
    return done.returncode, {entry["id"]: entry["verdict"] for entry in data["clauses"] if entry["level"] == "MUST"}


def test_verify_on_the_command_line_agrees(tmp_path: Path) -> None:
    caught, verdicts = _verify("tests.conformance.gallery.subtle.outcomes:SignalNumberAsExitCode", tmp_path)
    assert caught == 1 and verdicts["HARVEST-002"] == "fail"
    caught, verdicts = _verify("tests.conformance.gallery.subtle.resources:MemoryLimitFloorsToGiB", tmp_path)
    assert caught == 1 and verdicts["LIMITS-002"] == "fail"
    assert judge(GALLERY_BY_NAME["MemoryLimitFloorsToGiB"]).failed == ("LIMITS-002",)
    passed, verdicts = _verify("tests.conformance.gallery.subtle._base:Subtle", tmp_path)
    assert passed == 0 and set(verdicts.values()) <= {"pass", "n/a"}
