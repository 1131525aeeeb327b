"""The conformance kit: is an executor keeping the executor-kit contract, clause by clause?"""

from __future__ import annotations

from contract_tests.clauses import CLAUSES, Clause, Level, clause_by_id
from contract_tests.harness import Harness, TimeProfile
from contract_tests.report import Report
from contract_tests.runner import ClauseResult, evaluate, run_clause
from contract_tests.suite import ContractSuite

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
