"""FOREIGN and OUTAGE clauses: what the executor must leave alone, and must not invent, with the backend's help.

Both need a conformance hook (``contract_tests.hooks``); without it they are n/a.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

from contract_tests.checks import check
from contract_tests.harness import Harness
from contract_tests.hooks import hook
from executor_kit.errors import ExecutorConnectionError
from executor_kit.job import ContainerJob
from executor_kit.probe import Probe

__all__: list[str] = []


@check("FOREIGN-001")
def foreign_left_alone(h: Harness) -> None:
    foreign = hook(h.executor, "foreign_execution")
    if foreign is None:
        return
    with foreign(h.probe_image) as (execution_id, still_there):
        job = ContainerJob(image=h.probe_image, command=Probe().argv, external_execution_id=execution_id)
        before = dataclasses.asdict(job)
        seen = {
            "check_status": h.status(execution_id),
            "get_logs": h.executor.get_logs(execution_id),
            "harvest_job": h.executor.harvest_job(job),
            "cleanup": h.executor.cleanup(execution_id),
        }
        want = {"check_status": "not-found", "get_logs": ("", ""), "harvest_job": False, "cleanup": True}
        wrong = {call: answer for call, answer in seen.items() if answer != want[call]}
        assert not wrong, f"a foreign execution was answered for: {wrong}"
        assert dataclasses.asdict(job) == before, "harvest_job filled a job from a foreign execution"
        assert still_there(), "cleanup removed an execution this executor did not launch"
        listed = h.executor.find_executions({}) or []
        assert execution_id not in listed, "find_executions lists an execution this executor did not launch"


def _calls(h: Harness, execution_id: str, job: ContainerJob) -> dict[str, object]:
    """What each call does during the outage: ``"raised ExecutorConnectionError"`` or what it answered."""
    calls: dict[str, Callable[[], object]] = {
        "check_status": lambda: h.status(execution_id),
        "get_logs": lambda: h.executor.get_logs(execution_id),
        "harvest_job": lambda: h.executor.harvest_job(job),
        "cleanup": lambda: h.executor.cleanup(execution_id),
        "launch_job": lambda: h.executor.launch_job(h.job(Probe().out("during the outage"))),
    }
    answers: dict[str, object] = {}
    for name, call in calls.items():
        try:
            answers[name] = call()
        except ExecutorConnectionError:
            answers[name] = "raised ExecutorConnectionError"
        except Exception as exc:  # reported as observed
            answers[name] = f"raised {type(exc).__name__}: {exc}"
    return answers


@check("OUTAGE-001")
def outage_invents_nothing(h: Harness) -> None:
    outage = hook(h.executor, "outage")
    if outage is None:
        return
    job, execution_id = h.start(Probe().out("through the outage").sleep(2).out("after it"))
    with outage():
        answers = _calls(h, execution_id, job)
    launched = answers.get("launch_job")
    if isinstance(launched, tuple) and launched[0] is True:
        h.record(str(launched[1]))
    wrong = {call: answer for call, answer in answers.items() if answer != "raised ExecutorConnectionError"}
    assert not wrong, f"during the outage these calls did not raise ExecutorConnectionError: {wrong}"
    run = h.finish(job, execution_id)
    assert (run.status, run.logs) == ("exited", ("through the outage\nafter it\n", "")), (
        f"after the outage the execution read {run.status!r} with logs {run.logs!r}"
    )
