"""TIMEOUT and LIMITS clauses: the kit's timeout and declared memory limits."""

from __future__ import annotations

import datetime as dt

from contract_tests.checks import check, scenario
from contract_tests.harness import Finished, Harness, Spec
from contract_tests.parallel import parallel_map
from executor_kit.probe import Probe

__all__: list[str] = []

TIMEOUT = 1.5  # fractional: a timeout rounded to whole seconds shows

RUNS: dict[str, Spec] = {
    "over": (Probe().alloc(96).out("survived"), {"memory_limit": 32}),
    # just over the limit (a swap allowance would let it live), with a timeout set too
    "just over": (Probe().alloc(48).out("survived"), {"memory_limit": 32, "timeout_seconds": 600}),
    "within": (Probe().alloc(24).out("survived"), {"memory_limit": 96}),
    # a limit above a GiB that is not a whole number of GiB: applied exactly in MiB, never rounded to GiB
    "within 1.5 GiB": (Probe().alloc(1280).out("survived"), {"memory_limit": 1536}),
    "over 1.5 GiB": (Probe().alloc(1800).out("survived"), {"memory_limit": 1536}),
}


@scenario
def _runs(h: Harness) -> list[Spec]:
    return list(RUNS.values())


def _run_past_deadline(h: Harness, variant: str) -> tuple[str, Finished]:
    probe = Probe().ignore_term() if variant == "ignoring SIGTERM" else Probe()
    fields = {"memory_limit": 256} if variant == "with a memory limit" else {}
    job, execution_id = h.start(
        probe.out("waiting").sleep(h.profile.long_sleep).out("ran to its natural end"),
        timeout_seconds=TIMEOUT,
        **fields,
    )
    h.wait_for(
        lambda: "waiting" in h.executor.get_logs(execution_id)[0], h.profile.launch_deadline, "the workload to start"
    )
    # just past the deadline, counted from the launch: a timeout rounded to whole seconds has not fired yet
    deadline = job.started_at + dt.timedelta(seconds=TIMEOUT) if job.started_at else h.executor.clock.now()
    h.sleep(max(0.0, (deadline - h.executor.clock.now()).total_seconds()) + 0.05)
    first = h.status(execution_id)
    return first, h.finish(job, execution_id)


def _variants(h: Harness) -> list[str]:
    limits = h.executor.get_capabilities().get("supports_resource_limits", False)
    return ["plain", "ignoring SIGTERM", *(["with a memory limit"] if limits else [])]


def _timed_out(h: Harness) -> dict[str, tuple[str, Finished]]:
    result: dict[str, tuple[str, Finished]] = h.shared(
        "timeout",
        lambda: dict(zip(_variants(h), parallel_map(lambda v: _run_past_deadline(h, v), _variants(h)), strict=True)),
    )
    return result


@check("TIMEOUT-001")
def timeout_enforced(h: Harness) -> None:
    for variant, (first, run) in _timed_out(h).items():
        assert first == "failed", f"{variant}: the first check_status after the {TIMEOUT:g} s deadline read {first!r}"
        assert "natural end" not in run.stdout, f"{variant}: the workload was not stopped at its timeout"


@check("TIMEOUT-002")
def timeout_harvested(h: Harness) -> None:
    for variant, (_, run) in _timed_out(h).items():
        assert (run.harvested, run.job.status) == (True, "timeout"), (
            f"{variant}: harvest returned {run.harvested!r} with status {run.job.status!r}, want True and 'timeout'"
        )


@check("LIMITS-001")
def memory_limit_bounds(h: Harness) -> None:
    cases = {
        "allocating 96 MiB under a 32 MiB limit": RUNS["over"],
        "allocating 48 MiB under a 32 MiB limit (with a timeout set)": RUNS["just over"],
        "allocating 1800 MiB under a 1536 MiB limit": RUNS["over 1.5 GiB"],
    }
    for what, run in zip(cases, h.run_many(cases.values()), strict=True):
        assert run.status == "failed", f"{what} ended {run.status!r} (exit code {run.job.exit_code!r})"
        assert "survived" not in run.stdout, f"{what}: the workload went on"
        assert run.job.status == "failed", f"{what}: the OOM-killed job was harvested as {run.job.status!r}"


@check("LIMITS-002")
def memory_limit_in_mib(h: Harness) -> None:
    cases = {
        "allocating 24 MiB under a 96 MiB limit": RUNS["within"],
        "allocating 1280 MiB under a 1536 MiB limit": RUNS["within 1.5 GiB"],
    }
    for what, run in zip(cases, h.run_many(cases.values()), strict=True):
        assert (run.status, run.stdout) == ("exited", "survived\n"), (
            f"{what} ended {run.status!r} (exit code {run.job.exit_code!r}) with stdout {run.stdout!r}"
        )
