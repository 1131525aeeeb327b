"""Promises of omission: what an executor must leave alone, and what it must not do.

The job's fields other than those the contract names, the caller's own
command, environment and labels, the host's environment, running workloads
on ``close()``, ids once used, executions that do not match a label query.
"""

from __future__ import annotations

import copy
import dataclasses
import os
import uuid
from typing import Any

from contract_tests.checks import check
from contract_tests.harness import Harness, NotApplicable
from executor_kit.errors import ExecutorConfigurationError
from executor_kit.job import ContainerJob
from executor_kit.probe import MISSING_IMAGE, Probe

__all__ = ["HOST_CANARY"]

#: Set in the suite's own process environment while ENV-003 launches: the workload must not see it.
HOST_CANARY = "EXECUTOR_KIT_HOST_CANARY"

_LAUNCH_FIELDS = {"external_execution_id", "status", "started_at"}
_HARVEST_FIELDS = {"exit_code", "stdout", "stderr", "completed_at", "status", "failure_reason"}


def _changed(before: dict[str, Any], job: ContainerJob) -> set[str]:
    after = dataclasses.asdict(job)
    return {key for key in after if after[key] != before.get(key)}


@check("LAUNCH-006")
def ids_never_reused(h: Harness) -> None:
    seen: list[str] = []
    for round_ in range(3):  # launch, clean up, launch again: a restarted counter shows here
        _, execution_id = h.start(Probe().out(f"round {round_}"))
        seen.append(execution_id)
        h.executor.cleanup(execution_id)
    seen += _ids_of_a_second_instance(h)
    repeated = sorted({eid for eid in seen if seen.count(eid) > 1})
    assert not repeated, f"ids were reused: {repeated} (launch order {seen})"


def _ids_of_a_second_instance(h: Harness) -> list[str]:
    other = h.second_executor()
    if other is None:
        return []
    try:
        job = h.job(Probe().out("second instance"))
        ok, execution_id = other.launch_job(job)
        assert ok, f"a second executor instance refused a valid job: {execution_id!r}"
        h.record(execution_id)
        other.cleanup(execution_id)
        return [execution_id]
    finally:
        other.close()


@check("LAUNCH-007")
def launch_writes_only_its_fields(h: Harness) -> None:
    job = h.job(Probe().sleep(1).env("KIT_LATE").out("as launched"), environment={"KIT_LATE": "at launch"})
    owned = (job.command, job.environment, job.labels)
    copies, before = copy.deepcopy(owned), dataclasses.asdict(job)
    execution_id = h.launch(job)
    assert owned == copies, f"launch_job changed the caller's command/environment/labels: {owned} (was {copies})"
    extra = _changed(before, job) - _LAUNCH_FIELDS
    assert not extra, f"launch_job wrote {sorted(extra)} on the job (only {sorted(_LAUNCH_FIELDS)} are its)"
    job.environment["KIT_LATE"], job.command[-1] = "changed later", "changed later"  # the caller's own business
    run = h.finish(job, execution_id)
    assert run.logs[0] == "at launch\nas launched\n", f"the workload ran a spec changed after launch: {run.logs[0]!r}"
    refused = h.job(Probe(), image=MISSING_IMAGE)
    snapshot = dataclasses.asdict(refused)
    ok, value = h.executor.launch_job(refused)
    if ok:
        h.record(value)
    assert dataclasses.asdict(refused) == snapshot, f"a refused launch changed {sorted(_changed(snapshot, refused))}"


@check("HARVEST-010")
def harvest_writes_only_its_fields(h: Harness) -> None:
    job, execution_id = h.start(Probe().out("harvest me").exit(2))
    h.wait_terminal(execution_id)
    before = dataclasses.asdict(job)
    assert h.executor.harvest_job(job) is True, "harvest_job of a finished execution did not return True"
    extra = _changed(before, job) - _HARVEST_FIELDS
    assert not extra, f"harvest_job wrote {sorted(extra)} (only {sorted(_HARVEST_FIELDS)} are its)"


@check("ENV-003")
def environment_is_the_jobs(h: Harness) -> None:
    secrets = h.executor.get_capabilities().get("supports_secrets", False)
    fields: dict[str, Any] = {"environment": {"KIT_PLAIN": "plain", "HOME": "/job-home", "HOSTNAME": "job-host"}}
    probe = Probe().has(HOST_CANARY).env("KIT_PLAIN").env("HOME").env("HOSTNAME")
    if secrets:  # a secret named like a plain variable wins over it
        fields["environment"]["KIT_BOTH"] = "the plain value"
        fields["secret_environment"] = {"KIT_SECRET_TOO": "secret too", "KIT_BOTH": "the secret value"}
        probe.env("KIT_SECRET_TOO").env("KIT_BOTH")
    os.environ[HOST_CANARY] = "leaked from the host"
    try:
        job, execution_id = h.start(probe, **fields)
    finally:
        os.environ.pop(HOST_CANARY, None)
    run = h.finish(job, execution_id)
    want = "unset\nplain\n/job-home\njob-host\n" + ("secret too\nthe secret value\n" if secrets else "")
    assert run.stdout == want, f"the workload saw {run.stdout!r}, want {want!r} (host canary, env, job wins, secrets)"


@check("CLOSE-001")
def close_keeps_executions(h: Harness) -> None:
    job, execution_id = h.start(Probe().out("before close").sleep(2).out("after close"))
    h.executor.close()
    status = h.status(execution_id)
    assert status in ("running", "exited"), f"after close() the execution read {status!r}"
    run = h.finish(job, execution_id)
    assert (run.status, run.stdout) == ("exited", "before close\nafter close\n"), (
        f"after close() the execution read {run.status!r} with stdout {run.stdout!r}"
    )
    other = h.second_executor()
    if other is not None:
        try:
            status = other.check_status(execution_id)
        finally:
            other.close()
        assert getattr(status, "value", status) == "exited", f"a new executor instance reads {status!r}"


@check("FIND-001")
def find_matches_exactly(h: Harness) -> None:
    tag = uuid.uuid4().hex[:10]
    mine = {"kit-find": tag, "kit-case": "value_1-x"}
    _, wanted = h.start(Probe().out("find me"), labels=mine)
    h.start(Probe().out("not me"), labels={"kit-find": f"{tag}-longer", "kit-case": "value_1-x"})
    queries = {
        "the exact labels": (mine, [wanted]),
        "one exact label": ({"kit-find": tag}, [wanted]),
        "a value in other case": ({**mine, "kit-case": "VALUE_1-X"}, []),
        "a prefix of the value": ({"kit-find": tag[:5]}, []),
        "a label it lacks": ({**mine, "kit-absent": "x"}, []),
    }
    answers = {what: h.executor.find_executions(labels) for what, (labels, _) in queries.items()}
    if all(answer is None for answer in answers.values()):
        raise NotApplicable("find_executions returns None: the executor does not offer finding executions")
    unanswered = sorted(what for what, answer in answers.items() if answer is None)
    assert not unanswered, f"find_executions returned None for some queries only: {unanswered}"
    wrong = {what: answers[what] for what, (_, want) in queries.items() if sorted(answers[what] or []) != want}
    assert not wrong, f"find_executions answered {wrong}"
    _odd_value_found_as_given(h, tag)


def _odd_value_found_as_given(h: Harness, tag: str) -> None:
    """A label value the backend may not store as it is: refused at launch, or found by its own value."""
    labels = {"kit-find": f"{tag}-odd", "kit-odd": "Mixed.Case_Value"}
    job = h.job(Probe().out("odd label"), labels=labels)
    try:
        ok, execution_id = h.executor.launch_job(job)
    except ExecutorConfigurationError:
        return  # refused: allowed
    if not ok:
        return
    h.record(execution_id)
    found = h.executor.find_executions(labels)
    assert found == [execution_id], f"a job labelled {labels} is found by those labels as {found}"
