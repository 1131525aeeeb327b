"""MODEL-001: a Hypothesis state machine against a model of the contract.

Random sequences of launch / status / logs / harvest / cleanup / waiting run
against the executor; after every step the answers must agree with what the
contract allows given the history (absorbing states, idempotent harvest and
cleanup, not-found after cleanup, ids never reused). Bounded: 25 sequences on
a virtual clock, 3 on a real one, 8 steps each, derandomized so verdicts repeat.
"""

from __future__ import annotations

import dataclasses
from typing import Any, ClassVar

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import Bundle, RuleBasedStateMachine, precondition, rule, run_state_machine_as_test

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


class _ContractModel(RuleBasedStateMachine):
    """The model; ``h`` is set on a per-run subclass."""

    h: ClassVar[Harness]
    executions = Bundle("executions")

    def __init__(self) -> None:
        super().__init__()
        self.tracked: dict[str, _Tracked] = {}
        self.seen_ids: set[str] = set()

    @rule(target=executions, kind=st.sampled_from(KINDS))
    def launch(self, kind: str) -> str:
        job, execution_id = self.h.start(_workload(self.h, kind))
        assert execution_id not in self.seen_ids, f"id {execution_id!r} was reused"
        self.seen_ids.add(execution_id)
        self.tracked[execution_id] = _Tracked(job)
        return execution_id

    @rule(execution_id=executions)
    def status(self, execution_id: str) -> None:
        tracked, status = self.tracked[execution_id], self.h.status(execution_id)
        expected = "not-found" if tracked.cleaned else tracked.terminal
        assert expected in (None, status), f"{execution_id} read {status!r} after {expected!r}"
        if status in TERMINAL:
            tracked.terminal = status

    @rule(execution_id=executions)
    def logs(self, execution_id: str) -> None:
        logs = self.h.executor.get_logs(execution_id)
        assert all(isinstance(part, str) for part in logs), f"get_logs returned {logs!r}"
        assert not self.tracked[execution_id].cleaned or logs == ("", ""), f"logs after cleanup: {logs!r}"

    @rule(execution_id=executions)
    def harvest(self, execution_id: str) -> None:
        tracked = self.tracked[execution_id]
        result = self.h.executor.harvest_job(tracked.job)
        snapshot = dataclasses.asdict(tracked.job)
        assert tracked.harvest in (None, snapshot), "a second harvest changed the job"
        assert not (tracked.cleaned and result and tracked.harvest is None), "harvest after cleanup invented a result"
        tracked.harvest = snapshot if result else tracked.harvest

    @rule(execution_id=executions)
    def cleanup(self, execution_id: str) -> None:
        assert self.h.executor.cleanup(execution_id) is True, "cleanup did not return True"
        self.tracked[execution_id].cleaned = True

    @precondition(lambda self: bool(self.tracked))
    @rule()
    def wait(self) -> None:
        self.h.sleep(self.h.profile.poll_interval * 4)

    def teardown(self) -> None:
        for execution_id in self.tracked:
            self.h.executor.cleanup(execution_id)


@check("MODEL-001")
def stateful_model(h: Harness) -> None:
    examples = 25 if getattr(h.executor.clock, "is_virtual", False) else 3
    options = settings(
        max_examples=examples,
        stateful_step_count=8,
        deadline=None,
        database=None,
        derandomize=True,
        suppress_health_check=list(HealthCheck),
    )
    machine = type("ContractModel", (_ContractModel,), {"h": h})
    try:
        run_state_machine_as_test(machine, settings=options)  # type: ignore[no-untyped-call,unused-ignore]
    except Exception as exc:  # a flaky replay wraps the real violation: report that one
        inner = getattr(exc, "exceptions", None)
        if inner:
            raise AssertionError(str(inner[0])) from exc
        raise
