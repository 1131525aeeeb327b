"""The conformance suite against ``LocalProcessExecutor``: every MUST clause passes or is n/a.

Also run by the kit's own test session (``examples`` is in ``testpaths``), so
this example cannot rot.
"""

from __future__ import annotations

import pytest
from local_process_executor import LocalProcessExecutor

from contract_tests import ContractSuite, TimeProfile

# Local processes start in milliseconds: poll fast and keep the "still running" sleep short.
PROFILE = TimeProfile(poll_interval=0.05, launch_deadline=10, finish_deadline=30, long_sleep=5)


class TestLocalProcessExecutor(ContractSuite):
    @pytest.fixture(scope="class")
    @classmethod
    def contract_executor(cls) -> LocalProcessExecutor:
        executor = LocalProcessExecutor()
        executor.conformance_profile = PROFILE  # type: ignore[attr-defined]
        return executor
