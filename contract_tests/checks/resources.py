"""TIMEOUT and LIMITS clauses: the kit's timeout and declared memory limits."""

from __future__ import annotations

from contract_tests.checks import check
from contract_tests.harness import Finished, Harness
from executor_kit.probe import Probe

__all__: list[str] = []

TIMEOUT = 2.0


def _timed_out(h: Harness) -> Finished:
    probe = Probe().out("waiting").sleep(h.profile.long_sleep).out("ran to its natural end")
    return h.run(probe, timeout_seconds=TIMEOUT)


@check("TIMEOUT-001")
def timeout_enforced(h: Harness) -> None:
    run = _timed_out(h)
    assert run.status == "failed", f"a workload past its {TIMEOUT:g} s timeout read {run.status!r}"
    assert "natural end" not in run.stdout, "the workload was not stopped at its timeout"


@check("TIMEOUT-002")
def timeout_harvested(h: Harness) -> None:
    run = _timed_out(h)
    assert (run.harvested, run.job.status) == (True, "timeout"), (
        f"harvest returned {run.harvested!r} with status {run.job.status!r}, want True and 'timeout'"
    )


@check("LIMITS-001")
def memory_limit_bounds(h: Harness) -> None:
    run = h.run(Probe().alloc(96).out("survived"), memory_limit=32)
    assert run.status == "failed", f"allocating 96 MiB under a 32 MiB limit ended {run.status!r}"
    assert "survived" not in run.stdout, "the workload allocated past its memory limit and went on"
    assert run.job.status == "failed", f"the OOM-killed job was harvested as {run.job.status!r}"


@check("LIMITS-002")
def memory_limit_in_mib(h: Harness) -> None:
    run = h.run(Probe().alloc(24).out("survived"), memory_limit=96)
    assert (run.status, run.stdout) == ("exited", "survived\n"), (
        f"allocating 24 MiB under a 96 MiB limit ended {run.status!r} with stdout {run.stdout!r}"
    )
