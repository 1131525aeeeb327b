"""HARVEST clauses: fields, exit codes, running, unknown, idempotence."""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Any

from contract_tests.checks import check, finished, odd_ids, scenario
from contract_tests.checks.logs import RUNS as LOG_RUNS
from contract_tests.harness import Finished, Harness, Spec
from executor_kit.job import ContainerJob
from executor_kit.probe import Probe

__all__: list[str] = []

EXIT_CODES = (0, 1, 3, 255)


@scenario
def _exits(h: Harness) -> list[Spec]:
    return [(Probe().out(f"code {code}").err(f"err {code}").exit(code), {}) for code in EXIT_CODES]


@check("HARVEST-001")
def harvest_fields(h: Harness) -> None:
    run = h.run_many(_exits(h))[0]
    job = run.job
    assert run.harvested is True, f"harvest_job returned {run.harvested!r} for a finished execution"
    assert isinstance(job.exit_code, int), f"exit_code is {job.exit_code!r}"
    assert (job.stdout, job.stderr) == ("code 0\n", "err 0\n"), f"stdout/stderr are {job.stdout!r}/{job.stderr!r}"
    assert isinstance(job.completed_at, dt.datetime), f"completed_at is {job.completed_at!r}"
    assert job.status == "completed", f"status is {job.status!r} for exit code 0"


@check("HARVEST-002")
def exit_codes(h: Harness) -> None:
    codes = [run.job.exit_code for run in h.run_many(_exits(h))]
    assert codes == list(EXIT_CODES), f"exit codes {list(EXIT_CODES)} were harvested as {codes}"


@check("HARVEST-003")
def nonzero_is_result(h: Harness) -> None:
    runs = h.run_many(_exits(h))[1:]
    seen = [(run.harvested, run.job.status) for run in runs]
    assert seen == [(True, "failed")] * len(runs), f"non-zero exits harvested as {seen}"


@check("HARVEST-004")
def harvest_running(h: Harness) -> None:
    job, _ = h.start(Probe().out("busy").sleep(h.profile.long_sleep))
    before = dataclasses.asdict(job)
    result = h.executor.harvest_job(job)
    assert result is False, f"harvest_job of a running execution returned {result!r}"
    changed = {key: value for key, value in dataclasses.asdict(job).items() if before[key] != value}
    assert not changed, f"harvest of a running execution changed {changed}"


@check("HARVEST-005")
def harvest_unknown(h: Harness) -> None:
    job = ContainerJob(image=h.probe_image, command=Probe().argv, external_execution_id="executor-kit-unknown-4")
    before = dataclasses.asdict(job)
    result = h.executor.harvest_job(job)
    assert result is False, f"harvest_job of an unknown execution returned {result!r}"
    assert dataclasses.asdict(job) == before, f"it changed the job: exit_code={job.exit_code!r}, status={job.status!r}"
    _, odd = odd_ids(h)
    for what, eid in odd.items():
        resembling = ContainerJob(image=h.probe_image, command=Probe().argv, external_execution_id=eid)
        result = h.executor.harvest_job(resembling)
        assert result is False, f"harvest_job of an id resembling a real one ({what}) returned {result!r}"


@check("HARVEST-006")
def harvest_twice(h: Harness) -> None:
    runs = {
        "exit code 3": h.run_many(_exits(h))[2],
        "20,000 lines of stdout": finished(h, LOG_RUNS["large"]),
        "thousands of lines on both streams": finished(h, LOG_RUNS["shapes"]),
    }
    before = {what: dataclasses.asdict(run.job) for what, run in runs.items()}
    h.sleep(h.profile.poll_interval)
    _harvest_again(h, runs, before, "right after the first")
    for passed in h.quiet_period():
        _harvest_again(h, runs, before, f"{passed:g} s later")


def _harvest_again(h: Harness, runs: dict[str, Finished], before: dict[str, dict[str, Any]], when: str) -> None:
    for what, run in runs.items():
        again = h.executor.harvest_job(run.job)
        assert again is True, f"{what}: a second harvest returned {again!r} ({when})"
        now = dataclasses.asdict(run.job)
        changed = sorted(key for key, value in now.items() if before[what][key] != value)
        assert not changed, f"{what}: a second harvest changed {changed} ({when})"
