"""Fixtures for the Cloud Run executor tests: an emulation on a virtual clock."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from executor_kit.backends.cloudrun.emulator import CloudRunEmulator
from executor_kit.backends.cloudrun.executor import CloudRunExecutor
from executor_kit.clock import VirtualClock


@pytest.fixture
def cloud() -> Iterator[CloudRunEmulator]:
    """A running emulation; at teardown, no request may have missed a route."""
    emulator = CloudRunEmulator(clock=VirtualClock(), log_page_size=3)
    with emulator:
        yield emulator
    assert emulator.unmatched == []


@pytest.fixture
def executor(cloud: CloudRunEmulator) -> Iterator[CloudRunExecutor]:
    """An executor on the emulation with fast retries; nothing of it may be left at teardown."""
    ex = cloud.executor({"initial_backoff": 0.5, "max_attempts": 4})
    yield ex
    ex.close()
