"""Cancellation (``supports_cancel``): stop a workload, keep its record and logs until cleanup.

A cancelled execution reads ``failed`` and harvests as ``cancelled``; one that
ended first keeps its outcome; a cancel racing the workload's own exit leaves
one consistent outcome either way.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any

from contract_tests.checks import check, odd_ids, same_output
from contract_tests.harness import Harness
from executor_kit.job import ContainerJob
from executor_kit.labels import RUN_LABEL
from executor_kit.probe import Probe

__all__: list[str] = []


def _virtual(h: Harness) -> bool:
    return bool(getattr(h.executor.clock, "is_virtual", False))


def _long(h: Harness) -> float:
    """A sleep that outlasts the check (a virtual clock jumps over any settle period)."""
    return 1e6 if _virtual(h) else h.profile.long_sleep * 6


def _started(h: Harness, probe: Probe, marker: str) -> tuple[ContainerJob, str]:
    """Launch ``probe`` and wait until it has written ``marker`` on stdout (so it runs, traps set)."""
    job, execution_id = h.start(probe)
    h.wait_for(
        lambda: marker in h.executor.get_logs(execution_id)[0],
        h.profile.launch_deadline + h.profile.finish_deadline,
        lambda: f"{marker!r} on stdout (status {h.status(execution_id)!r})",
    )
    return job, execution_id


def _cancel(h: Harness, execution_id: str, what: str = "a running execution") -> None:
    result = h.executor.cancel(execution_id)
    assert result is True, f"cancel of {what} returned {result!r} (want True)"


def _stopped(h: Harness, execution_id: str) -> None:
    status = h.wait_terminal(execution_id)
    assert status == "failed", f"after cancel the execution read {status!r} (want 'failed')"


def _harvested_cancelled(h: Harness, job: ContainerJob) -> None:
    assert h.executor.harvest_job(job) is True, "harvest_job of a cancelled execution did not return True"
    code = job.exit_code
    assert job.status == "cancelled", f"harvest of a cancelled execution recorded status {job.status!r}"
    assert isinstance(code, int) and not isinstance(code, bool), f"exit_code {code!r} is not an int"


def _logs_kept(h: Harness, execution_id: str, want: tuple[str, str], when: str) -> None:
    got = h.executor.get_logs(execution_id)
    same = all(same_output(h, g, w) for g, w in zip(got, want, strict=True))
    assert same, f"get_logs {when}: {got!r} (want {want!r})"


_WRITTEN = ("written before the cancel\n", "on stderr before the cancel\n")


def _running_probe(h: Harness, *, ignore_term: bool = False) -> Probe:
    probe = Probe().ignore_term() if ignore_term else Probe()
    return probe.err(_WRITTEN[1].strip()).out(_WRITTEN[0].strip()).sleep(_long(h)).out("never written")


@check("CANCEL-001")
def cancel_running(h: Harness) -> None:
    job, execution_id = _started(h, _running_probe(h), _WRITTEN[0].strip())
    _cancel(h, execution_id)
    _stopped(h, execution_id)
    _logs_kept(h, execution_id, _WRITTEN, "after the cancel")
    _harvested_cancelled(h, job)
    assert (job.stdout, job.stderr) == h.executor.get_logs(execution_id), "the harvested logs differ from get_logs"


@check("CANCEL-002")
def cancel_ignoring_sigterm(h: Harness) -> None:
    job, execution_id = _started(h, _running_probe(h, ignore_term=True), _WRITTEN[0].strip())
    _cancel(h, execution_id, "a running execution that ignores SIGTERM")
    _stopped(h, execution_id)
    _logs_kept(h, execution_id, _WRITTEN, "after the cancel of a workload ignoring SIGTERM")
    _harvested_cancelled(h, job)


def _snapshot(h: Harness, job: ContainerJob, execution_id: str) -> dict[str, Any]:
    harvested = h.executor.harvest_job(job)
    return {
        "status": h.status(execution_id),
        "logs": h.executor.get_logs(execution_id),
        "harvest": harvested,
        "job": dataclasses.asdict(job),
    }


def _differences(before: dict[str, Any], after: dict[str, Any]) -> list[str]:
    return [f"{key}: {before[key]!r} then {after[key]!r}" for key in before if before[key] != after[key]]


@check("CANCEL-003")
def cancel_after_the_end(h: Harness) -> None:
    problems = []
    for code in (0, 3):
        run = h.finish(*h.start(Probe().out(f"ended with {code}").exit(code)))
        before = _snapshot(h, run.job, run.execution_id)
        _cancel(h, run.execution_id, f"an execution that ended with {code}")
        after = _snapshot(h, run.job, run.execution_id)
        problems += [f"exit {code}: {difference}" for difference in _differences(before, after)]
    assert not problems, "cancel after the end changed the outcome: " + "; ".join(problems)


@check("CANCEL-004")
def cancel_twice(h: Harness) -> None:
    job, execution_id = _started(h, _running_probe(h), _WRITTEN[0].strip())
    _cancel(h, execution_id)
    _cancel(h, execution_id, "an execution being cancelled (a second time)")
    _stopped(h, execution_id)
    before = _snapshot(h, job, execution_id)
    _cancel(h, execution_id, "a cancelled execution (a third time)")
    h.sleep(h.profile.poll_interval)
    after = _snapshot(h, job, execution_id)
    differences = _differences(before, after)
    assert not differences, "a repeated cancel changed: " + "; ".join(differences)
    assert job.status == "cancelled", f"harvest after repeated cancels recorded {job.status!r}"


def _unknown_ids(h: Harness) -> dict[str, str]:
    run = h.finish(*h.start(Probe().out("cleaned up")))
    assert h.executor.cleanup(run.execution_id) is True, "cleanup returned something else than True"
    _, odd = odd_ids(h)
    return {
        "an empty id": "",
        "a made-up id": f"no-such-execution-{h.run_id}",
        "a cleaned-up id": run.execution_id,
        **odd,
    }


@check("CANCEL-005")
def cancel_unknown(h: Harness) -> None:
    real, _ = odd_ids(h)
    unknown = _unknown_ids(h)  # first: it runs a workload to its end, while the real one may end on its own
    before = h.status(real)  # other clauses' checks may have ended it (a cleanup by prefix, say)
    problems = []
    for what, execution_id in unknown.items():
        try:
            result = h.executor.cancel(execution_id)
        except Exception as exc:  # the clause: raises nothing
            problems.append(f"{what} ({execution_id!r}): raised {type(exc).__name__}: {exc}")
            continue
        if result is not False:
            problems.append(f"{what} ({execution_id!r}): returned {result!r} (want False)")
    status = h.status(real)
    assert status == before, f"cancel of ids resembling {real!r} changed it from {before!r} to {status!r}"
    assert not problems, "cancel of unknown ids: " + "; ".join(problems)


def _race_problems(h: Harness, name: str, job: ContainerJob, execution_id: str) -> list[str]:
    status = h.wait_terminal(execution_id)
    harvested = h.executor.harvest_job(job)
    want = {"exited": ("failed", 3), "failed": ("cancelled", job.exit_code)}.get(status)
    got = (job.status, job.exit_code)
    problems = [] if harvested is True and got == want else [f"{name}: read {status!r}, harvested {got!r}"]
    h.sleep(h.profile.poll_interval)
    later = h.status(execution_id)
    return problems + ([f"{name}: read {status!r} then {later!r}"] if later != status else [])


def _ignoring() -> Probe:
    return Probe().ignore_term()


@check("CANCEL-006")
def cancel_racing_the_exit(h: Harness) -> None:
    ends = 5.0 if _virtual(h) else 2.0
    variants: dict[str, Callable[[], Probe]] = {"honours SIGTERM": Probe, "ignores SIGTERM": _ignoring}
    offsets = (ends - 0.5, ends) if _virtual(h) else (ends - 0.5,)
    problems = []
    for offset in offsets:
        started = [(name, *h.start(new().sleep(ends).out("on its own").exit(3))) for name, new in variants.items()]
        h.sleep(offset)
        for name, _, execution_id in started:
            _cancel(h, execution_id, f"an execution about to exit ({name})")
        problems += [p for name, job, eid in started for p in _race_problems(h, f"{name} at {offset:g} s", job, eid)]
    assert not problems, "a cancel racing the exit left: " + "; ".join(problems)


@check("CANCEL-007")
def cleanup_after_cancel(h: Harness) -> None:
    _, execution_id = _started(h, _running_probe(h), _WRITTEN[0].strip())
    _cancel(h, execution_id)
    _stopped(h, execution_id)
    assert h.executor.cleanup(execution_id) is True, "cleanup of a cancelled execution did not return True"
    status, logs = h.status(execution_id), h.executor.get_logs(execution_id)
    assert status == "not-found", f"after cancel and cleanup the execution read {status!r}"
    assert logs == ("", ""), f"after cancel and cleanup get_logs returned {logs!r}"
    listed = h.executor.find_executions({RUN_LABEL: h.run_id})
    assert listed is None or execution_id not in listed, "after cancel and cleanup find_executions still lists it"


@check("CANCEL-008")
def record_kept_until_cleanup(h: Harness) -> None:
    job, execution_id = _started(h, _running_probe(h), _WRITTEN[0].strip())
    _cancel(h, execution_id)
    _stopped(h, execution_id)
    for passed in h.quiet_period():
        status = h.status(execution_id)
        assert status == "failed", f"{passed:g} s after the cancel the execution read {status!r}"
        _logs_kept(h, execution_id, _WRITTEN, f"{passed:g} s after the cancel")
    _harvested_cancelled(h, job)
