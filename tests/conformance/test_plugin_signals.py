"""From the first SIGINT/SIGTERM on, later signals are reported, never obeyed, until the cleanup is done."""

from __future__ import annotations

import os
import signal
import time

import pytest

from contract_tests.session import harness_session
from executor_kit import MockExecutor, Probe


def _signal_self(signum: int) -> None:
    os.kill(os.getpid(), signum)
    time.sleep(0.01)  # the handler runs in the main thread at the next bytecode


@pytest.mark.parametrize("first", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_signals_after_the_first_do_not_cut_the_unwinding_short(first: int, capsys: pytest.CaptureFixture[str]) -> None:
    executor = MockExecutor()
    before = {signum: signal.getsignal(signum) for signum in (signal.SIGINT, signal.SIGTERM)}
    with harness_session(executor) as harness:
        harness.start(Probe().sleep(60))
        with pytest.raises(KeyboardInterrupt):
            _signal_self(first)
        for later in (signal.SIGTERM, signal.SIGINT, signal.SIGTERM):
            _signal_self(later)  # while the run unwinds towards its cleanup: reported only
        assert len(executor.live_executions()) == 1
    assert executor.live_executions() == []
    assert capsys.readouterr().err.count("finishing the cleanup first") >= 3
    assert {signum: signal.getsignal(signum) for signum in before} == before
