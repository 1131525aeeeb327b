"""LAUNCH clauses: return shape, unique ids, job-level failures."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from contract_tests.checks import check
from contract_tests.harness import Harness
from contract_tests.parallel import parallel_map
from executor_kit.errors import ExecutorConfigurationError, ExecutorError
from executor_kit.probe import MISSING_IMAGE, Probe

__all__: list[str] = []


@check("LAUNCH-001")
def launch_returns_id(h: Harness) -> None:
    job = h.job(Probe().out("launched"))
    result = h.executor.launch_job(job)
    assert isinstance(result, tuple) and len(result) == 2, f"launch_job returned {result!r}, not a 2-tuple"
    ok, execution_id = result
    if ok is True and isinstance(execution_id, str) and execution_id:
        h.record(execution_id)
    assert ok is True, f"launch_job returned {result!r} for a valid job"
    assert isinstance(execution_id, str) and execution_id, f"execution id {execution_id!r} is not a non-empty str"
    assert job.external_execution_id == execution_id, f"job.external_execution_id is {job.external_execution_id!r}"
    assert job.status == "running", f"job.status is {job.status!r} after launch, not 'running'"
    assert job.started_at is not None, "job.started_at was not set"
    offset = job.started_at.utcoffset() if isinstance(job.started_at, dt.datetime) else "not a datetime"
    assert offset == dt.timedelta(0), f"started_at {job.started_at!r} is not a timezone-aware UTC datetime"
    if h.executor.get_capabilities().get("supports_resource_limits", False):
        limited = h.job(Probe().out("limited"), cpu_limit=0.5, memory_limit=64, timeout_seconds=300)
        result = h.executor.launch_job(limited)
        if result[0] is True:
            h.record(result[1])
        assert result[0] is True, f"a valid job with cpu_limit=0.5, memory_limit=64, a timeout was refused: {result!r}"


@check("LAUNCH-002")
def ids_unique(h: Harness) -> None:
    job = h.job(Probe().out("twice"))
    first = h.launch(job)
    second, third = parallel_map(h.launch, [job, h.job(Probe().out("twice"))])
    assert len({first, second, third}) == 3, f"launches returned ids {first!r}, {second!r}, {third!r}"
    name = f"kit-named-{uuid.uuid4().hex[:6]}"
    named = parallel_map(h.launch, [h.job(Probe().out("named").sleep(h.profile.long_sleep), name=name)] * 2)
    assert named[0] != named[1], f"two launches of jobs named {name!r} returned {named}"


@check("LAUNCH-003")
def ids_unique_concurrently(h: Harness) -> None:
    ids = parallel_map(lambda i: h.launch(h.job(Probe().out(f"thread {i}"))), range(16), workers=16)
    duplicates = sorted({eid for eid in ids if ids.count(eid) > 1})
    assert not duplicates, f"16 concurrent launches returned duplicate ids: {duplicates}"


def _case_labels() -> dict[str, str]:
    return {"executor-kit-case": uuid.uuid4().hex[:12]}


@check("LAUNCH-004")
def launch_failure(h: Harness) -> None:
    labels = _case_labels()
    secrets = (
        {"KIT_LEFT_BEHIND": "a secret of a failed launch"}
        if h.executor.get_capabilities().get("supports_secrets")
        else {}
    )
    job = h.job(Probe().out("never"), image=MISSING_IMAGE, labels=labels, secret_environment=secrets)
    result = h.executor.launch_job(job)
    ok, message = result
    if ok:
        h.record(message)
    assert ok is False, f"launching the missing image {MISSING_IMAGE!r} returned {result!r}"
    assert isinstance(message, str) and message.strip(), f"the failure message {message!r} is empty"
    left = h.executor.find_executions(labels)
    assert not left, f"a failed launch left executions behind: {left}"
    _beyond_quota(h)


#: More than any backend grants one job: a quota (or the host's size) refuses it.
QUOTA_CPUS = 1024


def _beyond_quota(h: Harness) -> None:
    """A job asking for more than the backend grants is a job-level failure: (False, message), or it runs."""
    labels = _case_labels()
    job = h.job(Probe().out("granted"), cpu_limit=QUOTA_CPUS, labels=labels)
    try:
        ok, message = h.executor.launch_job(job)
    except ExecutorError as exc:
        raise AssertionError(
            f"a job asking for {QUOTA_CPUS} vCPUs (beyond any quota) raised {type(exc).__name__}: {exc}; "
            "a job-level failure is (False, message)"
        ) from exc
    if ok:
        h.record(message)  # granted: it runs, and the ledger cleans it up
        return
    assert isinstance(message, str) and message.strip(), f"the refusal of {QUOTA_CPUS} vCPUs has an empty message"
    left = h.executor.find_executions(labels)
    assert not left, f"a launch refused for its quota left executions behind: {left}"


class _RawJob:
    """A JobLike that skips ContainerJob's validation, as an ORM model might."""

    def __init__(self, **fields: Any) -> None:
        defaults: dict[str, Any] = {
            "image": "x",
            "command": [],
            "environment": {},
            "name": None,
            "labels": {},
            "cpu_limit": None,
            "memory_limit": None,
            "timeout_seconds": None,
            "status": "pending",
            "external_execution_id": None,
            "exit_code": None,
            "stdout": "",
            "stderr": "",
            "started_at": None,
            "completed_at": None,
        }
        self.__dict__.update({**defaults, **fields})


def _refused(h: Harness, job: _RawJob) -> str | None:
    """``None`` when the invalid job was refused as the contract says, else what happened instead."""
    try:
        result = h.executor.launch_job(job)  # type: ignore[arg-type]
    except ExecutorConfigurationError:
        return None
    except Exception as exc:  # judged per sub-case, so one raising case does not mask the others
        return f"raised {type(exc).__name__}: {exc}"
    return _refusal_problem(h, result)


def _refusal_problem(h: Harness, result: object) -> str | None:
    if not (isinstance(result, tuple) and len(result) == 2):
        return f"returned {result!r}, not a 2-tuple"
    ok, value = result
    if ok:
        h.record(value)
        return f"accepted and launched as {value!r}"
    return None if isinstance(value, str) and value.strip() else f"refused with an empty message {value!r}"


@check("LAUNCH-005")
def invalid_job_refused(h: Harness) -> None:
    labels = {**_case_labels()}
    bad = {
        "an empty image": _RawJob(image="", command=["probe"], labels=dict(labels)),
        "a str command": _RawJob(image=h.probe_image, command="probe out hi", labels=dict(labels)),
        "a negative memory limit": _RawJob(
            image=h.probe_image, command=["probe"], memory_limit=-5, labels=dict(labels)
        ),
        "a zero memory limit": _RawJob(image=h.probe_image, command=["probe"], memory_limit=0, labels=dict(labels)),
        "a zero cpu limit": _RawJob(image=h.probe_image, command=["probe"], cpu_limit=0, labels=dict(labels)),
        "a zero timeout": _RawJob(image=h.probe_image, command=["probe"], timeout_seconds=0, labels=dict(labels)),
    }
    problems = {what: _refused(h, job) for what, job in bad.items()}
    failures = {what: problem for what, problem in problems.items() if problem}
    grouped: dict[str, list[str]] = {}
    for what, problem in failures.items():  # the same answer for several jobs is said once
        grouped.setdefault(problem, []).append(what)
    assert not grouped, "invalid jobs were not refused: " + "; ".join(
        f"{', '.join(w)}: {p}" for p, w in grouped.items()
    )
    left = h.executor.find_executions(labels)
    assert not left, f"refused jobs left executions behind: {left}"
