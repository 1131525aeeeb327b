"""``ContractSuite``: the conformance tests, one per clause, generated from the registry.

Plug in with one subclass and one fixture::

    import pytest
    from contract_tests import ContractSuite

    class TestMyExecutor(ContractSuite):
        @pytest.fixture(scope="class")
        @classmethod
        def contract_executor(cls):
            return MyExecutor({"endpoint": "..."})

or with no code: ``pytest --executor=my_package.module:factory``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import ClassVar

import pytest

from contract_tests.clause import Clause
from contract_tests.clauses import CLAUSES
from contract_tests.harness import Harness
from contract_tests.ledger import result_property
from contract_tests.runner import ClauseResult
from contract_tests.schedule import judge

__all__ = ["ContractSuite"]


def _conclude(result: ClauseResult) -> None:
    if result.verdict == "fail":
        pytest.fail(result.message, pytrace=False)
    if result.verdict in ("n/a", "inconclusive"):
        pytest.skip(f"{result.verdict}: {result.message}")


def _make_test(clause: Clause) -> Callable[..., None]:
    def test(self: ContractSuite, contract_harness: Harness, request: pytest.FixtureRequest) -> None:
        result = judge(clause, contract_harness)
        target = request.config.getoption("executor", None) or contract_harness.executor.name
        request.node.user_properties.append(result_property(str(target), result))
        _conclude(result)

    test.__name__ = test.__qualname__ = "test_" + clause.id.replace("-", "_")
    test.__doc__ = f"[{clause.id} {clause.level.value}] {clause.statement}"
    marked: Callable[..., None] = pytest.mark.contract_clause(clause.id)(test)
    return marked


class ContractSuite:
    """Base class of a conformance test class: one test per clause.

    Subclass it under a ``Test...`` name and provide a ``contract_executor``
    fixture (scope ``class`` or wider), or run ``pytest --executor=TARGET``.
    Set ``probe_image`` to the probe image your backend can run.

    Example:
        >>> sorted(name for name in vars(ContractSuite) if name.startswith("test_"))[:2]
        ['test_ARGV_001', 'test_ARGV_002']
    """

    #: The probe image the backend runs; ``None`` means ``--probe-image`` or the default.
    probe_image: ClassVar[str | None] = None


for _clause in CLAUSES:
    _test = _make_test(_clause)
    setattr(ContractSuite, _test.__name__, _test)
