"""TIMEOUT and LIMITS clauses: the kit's timeout and declared memory limits."""

from __future__ import annotations

from contract_tests.checks import check, finished, scenario
from contract_tests.harness import Finished, Harness, Spec
from executor_kit.probe import Probe

__all__: list[str] = []

TIMEOUT = 2.0

RUNS: dict[str, Spec] = {
    "over": (Probe().alloc(96).out("survived"), {"memory_limit": 32}),
    "within": (Probe().alloc(24).out("survived"), {"memory_limit": 96}),
}


@scenario
def _runs(h: Harness) -> list[Spec]:
    return list(RUNS.values())


def _run_past_deadline(h: Harness) -> tuple[str, Finished]:
    job, execution_id = h.start(
        Probe().out("waiting").sleep(h.profile.long_sleep).out("ran to its natural end"), timeout_seconds=TIMEOUT
    )
    h.wait_for(
        lambda: "waiting" in h.executor.get_logs(execution_id)[0], h.profile.launch_deadline, "the workload to start"
    )
    h.sleep(TIMEOUT + h.profile.poll_interval)  # the deadline has passed: the workload started before now
    first = h.status(execution_id)
    return first, h.finish(job, execution_id)


def _timed_out(h: Harness) -> tuple[str, Finished]:
    result: tuple[str, Finished] = h.shared("timeout", lambda: _run_past_deadline(h))
    return result


@check("TIMEOUT-001")
def timeout_enforced(h: Harness) -> None:
    first, run = _timed_out(h)
    assert first == "failed", f"the first check_status after the {TIMEOUT:g} s deadline read {first!r}"
    assert "natural end" not in run.stdout, "the workload was not stopped at its timeout"


@check("TIMEOUT-002")
def timeout_harvested(h: Harness) -> None:
    _, run = _timed_out(h)
    assert (run.harvested, run.job.status) == (True, "timeout"), (
        f"harvest returned {run.harvested!r} with status {run.job.status!r}, want True and 'timeout'"
    )


@check("LIMITS-001")
def memory_limit_bounds(h: Harness) -> None:
    run = finished(h, RUNS["over"])
    assert run.status == "failed", f"allocating 96 MiB under a 32 MiB limit ended {run.status!r}"
    assert "survived" not in run.stdout, "the workload allocated past its memory limit and went on"
    assert run.job.status == "failed", f"the OOM-killed job was harvested as {run.job.status!r}"


@check("LIMITS-002")
def memory_limit_in_mib(h: Harness) -> None:
    run = finished(h, RUNS["within"])
    assert (run.status, run.stdout) == ("exited", "survived\n"), (
        f"allocating 24 MiB under a 96 MiB limit ended {run.status!r} with stdout {run.stdout!r}"
    )
