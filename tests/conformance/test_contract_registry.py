"""The clause registry is the single source of truth: checks, tests and docs follow it."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from contract_tests import CLAUSES, Clause, ContractSuite, Level, clause_by_id
from contract_tests.checks import check, load_checks
from contract_tests.clauses import families
from contract_tests.docs import render_contract
from executor_kit.base import OPTIONAL_CAPABILITIES, STANDARD_CAPABILITIES

ROOT = Path(__file__).resolve().parents[2]
IDS = [clause.id for clause in CLAUSES]


def test_every_clause_has_exactly_one_check_and_every_check_a_clause() -> None:
    checks = load_checks()
    assert sorted(checks) == sorted(IDS), (
        f"clauses without a check: {sorted(set(IDS) - set(checks))}; "
        f"checks without a clause: {sorted(set(checks) - set(IDS))}"
    )
    assert len(set(map(id, checks.values()))) == len(checks), "one function registered for two clauses"


def test_a_second_check_for_a_clause_is_refused() -> None:
    load_checks()
    with pytest.raises(ValueError, match="two checks for 'CAPS-001'"):
        check("CAPS-001")(lambda harness: None)


def test_ids_are_unique_and_well_formed() -> None:
    assert len(IDS) == len(set(IDS)), f"duplicate ids: {sorted({i for i in IDS if IDS.count(i) > 1})}"
    malformed = [clause_id for clause_id in IDS if not re.fullmatch(r"[A-Z]+-\d{3}", clause_id)]
    assert not malformed, f"ids not of the form FAMILY-NNN: {malformed}"


def test_ids_are_numbered_in_order_within_each_family() -> None:
    for family in families():
        numbers = [int(clause.id.rsplit("-", 1)[1]) for clause in CLAUSES if clause.family == family]
        assert numbers == list(range(1, len(numbers) + 1)), f"{family} is numbered {numbers}"


@pytest.mark.parametrize("clause", CLAUSES, ids=IDS)
def test_clause_is_complete(clause: Clause) -> None:
    assert clause is clause_by_id(clause.id)
    assert isinstance(clause.level, Level)
    for field in ("statement", "hint"):
        text = getattr(clause, field)
        assert isinstance(text, str) and text.strip(), f"{field} is empty"
        assert "\n" not in text, f"{field} must be one line"
    capability = clause.capability
    known = {**STANDARD_CAPABILITIES, **OPTIONAL_CAPABILITIES}
    assert capability is None or capability in known, f"unknown capability {capability!r}"


def test_families_are_grouped_in_the_registry() -> None:
    order = [clause.family for clause in CLAUSES]
    runs = [family for index, family in enumerate(order) if index == 0 or order[index - 1] != family]
    assert runs == families(), f"a family is split in the registry: {runs}"


def test_the_suite_has_one_test_per_clause() -> None:
    tests = {name: value for name, value in vars(ContractSuite).items() if name.startswith("test_")}
    assert sorted(tests) == sorted("test_" + clause_id.replace("-", "_") for clause_id in IDS)
    for clause_id in IDS:
        test = tests["test_" + clause_id.replace("-", "_")]
        marks = [mark.args for mark in getattr(test, "pytestmark", []) if mark.name == "contract_clause"]
        assert marks == [(clause_id,)], f"{clause_id}: marks {marks}"
        assert test.__doc__.startswith(f"[{clause_id} "), test.__doc__


def test_the_contract_document_is_generated_from_the_registry() -> None:
    committed = (ROOT / "docs" / "contract.md").read_text(encoding="utf-8")
    assert committed == render_contract(), "docs/contract.md is stale: run `python -m contract_tests.docs`"


def test_the_contract_document_lists_every_clause() -> None:
    document = render_contract()
    for clause in CLAUSES:
        row = next((line for line in document.splitlines() if line.startswith(f"| {clause.id} |")), "")
        assert clause.level.value in row and clause.statement in row and clause.hint in row, clause.id
