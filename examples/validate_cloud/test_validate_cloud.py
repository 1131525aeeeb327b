"""Validate a cloud executor offline: the conformance suite against an emulated Cloud Run.

Replace ``emulated_executor`` with a factory of your own executor configured
against your emulator; the suite is unchanged.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from contract_tests import ContractSuite
from executor_kit.backends.cloudrun.emulator import emulated_executor
from executor_kit.backends.cloudrun.executor import CloudRunExecutor


class TestEmulatedCloudRun(ContractSuite):
    @pytest.fixture(scope="class")
    @classmethod
    def contract_executor(cls) -> Iterator[CloudRunExecutor]:
        executor = emulated_executor()  # starts the emulation, on a virtual clock shared with the executor
        yield executor
        executor.shutdown()  # stops it; any request it did not serve would have failed
