"""The conformance kit: is an executor keeping the executor-kit contract, clause by clause?

Names are imported on first use, so that the pytest plugin, which lives in
this package, costs an unrelated pytest run nothing.

Example:
    >>> from contract_tests import CLAUSES, ContractSuite
    >>> len(CLAUSES) > 40, ContractSuite.__module__
    (True, 'contract_tests.suite')
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from contract_tests.clause import Clause, Level
    from contract_tests.clauses import CLAUSES, clause_by_id
    from contract_tests.harness import Harness
    from contract_tests.report import Report
    from contract_tests.runner import ClauseResult, evaluate, run_clause
    from contract_tests.suite import ContractSuite
    from contract_tests.timing import TimeProfile

__all__ = [
    "CLAUSES",
    "Clause",
    "ClauseResult",
    "ContractSuite",
    "Harness",
    "Level",
    "Report",
    "TimeProfile",
    "clause_by_id",
    "evaluate",
    "run_clause",
]

_HOMES = {
    "CLAUSES": "clauses",
    "Clause": "clause",
    "Level": "clause",
    "clause_by_id": "clauses",
    "Harness": "harness",
    "TimeProfile": "timing",
    "Report": "report",
    "ClauseResult": "runner",
    "evaluate": "runner",
    "run_clause": "runner",
    "ContractSuite": "suite",
}


def __getattr__(name: str) -> Any:
    if name not in _HOMES:
        raise AttributeError(f"module 'contract_tests' has no attribute {name!r}")
    return getattr(importlib.import_module(f"contract_tests.{_HOMES[name]}"), name)


def __dir__() -> list[str]:
    return sorted([*globals(), *__all__])
