"""The suite module ``pytest --executor=TARGET`` and ``executor-kit verify`` collect."""

from __future__ import annotations

from contract_tests.suite import ContractSuite

__all__ = ["TestContract"]


class TestContract(ContractSuite):
    """The conformance suite against the executor named by ``--executor``."""
