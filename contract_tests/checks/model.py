"""MODEL-001: a Hypothesis state machine against a model of the contract.

Random sequences of launch / status / logs / harvest / cleanup / waiting run
against the executor; after every step the answers must agree with what the
contract allows given the history (absorbing states, idempotent harvest and
cleanup, not-found after cleanup, ids never reused). Bounded: on a virtual
clock 25 sequences of 12 steps whose waits reach past the long workloads' end;
on a real clock 25 sequences of 10 steps, but no step starts after the time
profile's ``model_budget`` (wall seconds). Derandomized, so verdicts repeat.
"""

from __future__ import annotations

import dataclasses
import functools
import time
from collections.abc import Callable
from typing import Any, ClassVar

from hypothesis import HealthCheck, Phase, settings
from hypothesis import strategies as st
from hypothesis.control import current_build_context
from hypothesis.stateful import (
    Bundle,
    RuleBasedStateMachine,
    multiple,
    precondition,
    rule,
    run_state_machine_as_test,
)

from contract_tests.checks import check
from contract_tests.harness import TERMINAL, Harness
from executor_kit.job import ContainerJob
from executor_kit.probe import Probe

__all__: list[str] = []

KINDS = ("failing", "quick", "slow")


@dataclasses.dataclass
class _Tracked:
    job: ContainerJob
    terminal: str | None = None
    harvest: dict[str, Any] | None = None
    cleaned: bool = False


def _workload(h: Harness, kind: str) -> Probe:
    workloads = {
        "quick": Probe().out("quick"),
        "failing": Probe().err("failing").exit(3),
        "slow": Probe().out("slow").sleep(h.profile.long_sleep),
    }
    return workloads[kind]


def _budgeted(function: Callable[..., Any]) -> Callable[..., Any]:
    """A step that does nothing in a sequence begun after the time budget was spent (a launch adds nothing)."""

    @functools.wraps(function)
    def step(self: _ContractModel, *args: Any, **kwargs: Any) -> Any:
        if self.spent:
            return multiple() if function.__name__ == "launch" else None
        start = time.monotonic()
        try:
            return function(self, *args, **kwargs)
        finally:
            self.step_times.append(time.monotonic() - start)

    return step


def _spent(machine: type[_ContractModel]) -> bool:
    """Whether a sequence starting now would end past the budget (at the mean step time so far).

    Never for the replay of a failure: it must repeat what failed.
    """
    times = machine.step_times
    mean = sum(times) / len(times) if times else 0.0
    ends = time.monotonic() + mean * machine.steps
    return ends > machine.deadline and not current_build_context().is_final


class _ContractModel(RuleBasedStateMachine):
    """The model; ``h`` and ``deadline`` (``time.monotonic()``) are set on a per-run subclass."""

    h: ClassVar[Harness]
    deadline: ClassVar[float]
    steps: ClassVar[int]
    step_times: ClassVar[list[float]]
    executions = Bundle("executions")

    def __init__(self) -> None:
        super().__init__()
        # Decided once per sequence, so a sequence is all or nothing and its replay does the same.
        self.spent = _spent(type(self))
        self.tracked: dict[str, _Tracked] = {}
        self.seen_ids: set[str] = set()

    @rule(target=executions, kind=st.sampled_from(KINDS))
    @_budgeted
    def launch(self, kind: str) -> str:
        job, execution_id = self.h.start(_workload(self.h, kind))
        assert execution_id not in self.seen_ids, f"id {execution_id!r} was reused"
        self.seen_ids.add(execution_id)
        self.tracked[execution_id] = _Tracked(job)
        return execution_id

    @rule(execution_id=executions)
    @_budgeted
    def status(self, execution_id: str) -> None:
        tracked, status = self.tracked[execution_id], self.h.status(execution_id)
        expected = "not-found" if tracked.cleaned else tracked.terminal
        assert expected in (None, status), f"{execution_id} read {status!r} after {expected!r}"
        if status in TERMINAL:
            tracked.terminal = status

    @rule(execution_id=executions)
    @_budgeted
    def logs(self, execution_id: str) -> None:
        logs = self.h.executor.get_logs(execution_id)
        shaped = isinstance(logs, tuple) and len(logs) == 2 and all(isinstance(part, str) for part in logs)
        assert shaped, f"get_logs returned {logs!r}, not a (stdout, stderr) tuple of two str"
        assert not self.tracked[execution_id].cleaned or logs == ("", ""), f"logs after cleanup: {logs!r}"

    @rule(execution_id=executions)
    @_budgeted
    def harvest(self, execution_id: str) -> None:
        tracked = self.tracked[execution_id]
        result = self.h.executor.harvest_job(tracked.job)
        snapshot = dataclasses.asdict(tracked.job)
        assert tracked.harvest in (None, snapshot), "a second harvest changed the job"
        assert not (tracked.cleaned and result and tracked.harvest is None), "harvest after cleanup invented a result"
        tracked.harvest = snapshot if result else tracked.harvest

    @rule(execution_id=executions)
    @_budgeted
    def cleanup(self, execution_id: str) -> None:
        assert self.h.executor.cleanup(execution_id) is True, "cleanup did not return True"
        self.tracked[execution_id].cleaned = True

    @precondition(lambda self: bool(self.tracked))
    @rule(polls=st.sampled_from((1, 4, 16)))
    @_budgeted
    def wait(self, polls: int) -> None:
        # Virtual time is free: wait up to twice the slow workloads' length; on a real clock a few polls.
        if getattr(self.h.executor.clock, "is_virtual", False):
            self.h.sleep(self.h.profile.long_sleep * polls / 8)
        else:
            self.h.sleep(self.h.profile.poll_interval * min(polls, 4))

    def teardown(self) -> None:
        for execution_id in self.tracked:
            self.h.executor.cleanup(execution_id)


@check("MODEL-001")
def stateful_model(h: Harness) -> None:
    virtual = getattr(h.executor.clock, "is_virtual", False)
    steps = 12 if virtual else 10
    options = settings(
        max_examples=h.examples(25),
        # On a real clock the budget decides which sequences run: a shrinking replay could differ, so no shrinking.
        phases=list(Phase) if virtual else [Phase.explicit, Phase.generate],
        stateful_step_count=steps,
        deadline=None,
        database=None,
        derandomize=True,
        suppress_health_check=list(HealthCheck),
    )
    deadline = time.monotonic() + (h.profile.model_budget if not virtual else float("inf"))
    fields = {"h": h, "deadline": deadline, "steps": steps, "step_times": []}
    machine = type("ContractModel", (_ContractModel,), fields)
    try:
        run_state_machine_as_test(machine, settings=options)  # type: ignore[no-untyped-call,unused-ignore]
    except Exception as exc:  # a flaky replay wraps the real violation: report that one
        inner = getattr(exc, "exceptions", None)
        if inner:
            raise AssertionError(str(inner[0])) from exc
        raise
