"""The outcome space: every way a workload ends, followed through status, logs, harvest, time and cleanup.

Each ending (exit codes 0, 1, 125-128, 255, signal deaths, no output, a
timeout, and an OOM kill where limits are declared) runs once, shared by the
clauses that look at it; each clause then follows every ending through its
part of the contract, also after a settle period (``Harness.settle``).
Expected output is computed from the probe's own interpreter, so the
checks and the workload can never disagree on what was written.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Sequence
from typing import Any

from contract_tests.checks import check, same_output, scenario
from contract_tests.harness import Finished, Harness, Spec
from contract_tests.parallel import at_once
from executor_kit.probe import Probe, interpret

__all__ = ["ENDINGS", "Ending"]


@dataclasses.dataclass(frozen=True)
class Ending:
    """One way a workload ends and what the contract says about it."""

    name: str
    probe: Probe
    terminal: str
    exit_code: int | None  # None: any int (the platform's code)
    job_status: str
    fields: tuple[tuple[str, Any], ...] = ()
    capability: str | None = None

    def spec(self, tag: str = "") -> Spec:
        """The workload of this ending; a ``tag`` (written last to stderr) makes it a run of its own."""
        probe = Probe()
        probe.argv = [*self.probe.argv, *(["raw", "err", tag] if tag else [])]
        return probe, dict(self.fields)


def _code(code: int, probe: Probe | None = None) -> Ending:
    probe = probe or Probe().raw("out", f"exit {code}").raw("err", f"code {code} on stderr").exit(code)
    return Ending(f"exit {code}", probe, "exited", code, "completed" if code == 0 else "failed")


def _endings(h: Harness) -> list[Ending]:
    virtual = getattr(h.executor.clock, "is_virtual", False)
    timeout = 5 if virtual else 2
    return [
        _code(0),
        *(_code(code) for code in (1, 125, 126, 127, 128, 255)),
        _code(137, Probe().out("killed by SIGKILL").die(9)),
        _code(139, Probe().err("killed by SIGSEGV").die(11)),
        Ending("no output", Probe(), "exited", 0, "completed"),
        Ending(
            "timeout",
            Probe().out("outlives its timeout").sleep(h.profile.long_sleep * 3),
            "failed",
            None,
            "timeout",
            (("timeout_seconds", timeout),),
        ),
        Ending(
            "oom",
            Probe().out("before the allocation").alloc(96).out("survived"),
            "failed",
            None,
            "failed",
            (("memory_limit", 32),),
            "supports_resource_limits",
        ),
    ]


def ENDINGS(h: Harness) -> list[Ending]:  # noqa: N802 - reads as the constant it stands for
    """The endings this executor can show (OOM only where resource limits are declared)."""
    declared = h.executor.get_capabilities()
    return [e for e in _endings(h) if e.capability is None or declared.get(e.capability)]


@scenario
def _runs(h: Harness) -> list[Spec]:
    return [ending.spec() for ending in ENDINGS(h)]


#: How many times each ending is asked at once when the checks look for crossed answers.
_ROUNDS = 3


def _finished(h: Harness, tag: str = "") -> list[tuple[Ending, Finished]]:
    endings = ENDINGS(h)
    return list(zip(endings, h.run_many([e.spec(tag) for e in endings]), strict=True))


def _expected_logs(run: Finished) -> tuple[str, str]:
    job = run.job
    return interpret(job.command, dict(job.environment), memory_limit_mib=job.memory_limit).output_until(float("inf"))


def _logs_problems(h: Harness, ending: Ending, run: Finished) -> list[str]:
    want = _expected_logs(run)
    streams = 1 if ending.name == "oom" else 2  # a shell may report the kill on stderr ("Killed")
    if all(same_output(h, got, expected) for got, expected in list(zip(run.logs, want, strict=True))[:streams]):
        return []
    return [f"{ending.name}: get_logs: {run.logs!r} (want {want!r})"]


def _problems(pairs: Sequence[tuple[str, object, object]]) -> list[str]:
    return [f"{what}: {got!r} (want {want!r})" for what, got, want in pairs if got != want]


def _report(problems: list[str]) -> None:
    assert not problems, "; ".join(problems)


@check("STATUS-008")
def every_ending_reads_its_word(h: Harness) -> None:
    runs = _finished(h)
    first = [(f"{e.name} read", run.status, e.terminal) for e, run in runs]
    h.settle()
    later = [(f"{e.name} after the settle period read", h.status(run.execution_id), e.terminal) for e, run in runs]
    rounds = runs * _ROUNDS  # each id asked from its own thread, all at once: answers must not cross
    crowd = at_once(lambda run: h.status(run[1].execution_id), rounds, h.clause_limit())
    at_once_read = [
        (f"{e.name} read among {len(rounds)} calls at once", got, e.terminal)
        for (e, _), got in zip(rounds, crowd, strict=True)
    ]
    _report(_problems(first + later + at_once_read))


@check("LOGS-007")
def logs_after_exit(h: Harness) -> None:
    runs = _finished(h)
    h.settle()
    _report(_problems([(f"{e.name}: get_logs", h.executor.get_logs(r.execution_id), r.logs) for e, r in runs]))
    rounds = runs * _ROUNDS
    crowd = at_once(lambda run: h.executor.get_logs(run[1].execution_id), rounds, h.clause_limit())
    _report(
        _problems(
            [
                (f"{e.name}: get_logs among calls at once", got, r.logs)
                for (e, r), got in zip(rounds, crowd, strict=True)
            ]
        )
    )
    _report([problem for e, r in runs for problem in _logs_problems(h, e, r)])


def _harvest_problems(ending: Ending, run: Finished) -> list[str]:
    job = run.job
    code = job.exit_code
    problems = _problems(
        [
            (f"{ending.name}: harvest_job returned", run.harvested, True),
            (f"{ending.name}: job.status", job.status, ending.job_status),
            (f"{ending.name}: job.stdout/stderr", (job.stdout, job.stderr), run.logs),
        ]
    )
    if ending.exit_code is not None and code != ending.exit_code:
        problems.append(f"{ending.name}: exit_code {code!r} (want {ending.exit_code})")
    if not isinstance(code, int) or isinstance(code, bool):
        problems.append(f"{ending.name}: exit_code {code!r} is not an int")
    return problems


@check("HARVEST-007")
def every_ending_harvests(h: Harness) -> None:
    _report([problem for ending, run in _finished(h) for problem in _harvest_problems(ending, run)])


def _utc(value: object) -> dt.datetime:
    assert isinstance(value, dt.datetime) and value.utcoffset() == dt.timedelta(0), (
        f"{value!r} is not a timezone-aware UTC datetime"
    )
    return value


@check("HARVEST-008")
def timestamps(h: Harness) -> None:
    job, execution_id = h.start(Probe().out("ends at once"))
    h.wait_terminal(execution_id)
    seen_end = h.executor.clock.now()
    h.settle()
    assert h.executor.harvest_job(job) is True, "harvest_job of a finished execution did not return True"
    started, completed, now = _utc(job.started_at), _utc(job.completed_at), h.executor.clock.now()
    assert started <= completed <= now, f"started_at {started} <= completed_at {completed} <= now {now} fails"
    slack = dt.timedelta(seconds=1 + h.profile.poll_interval)
    late = completed - seen_end
    assert late <= slack, f"completed_at is {late.total_seconds():.1f} s after the end was seen: the harvest time?"


def _snapshots(runs: list[tuple[Ending, Finished]]) -> list[dict[str, Any]]:
    return [dataclasses.asdict(run.job) for _, run in runs]


@check("HARVEST-009")
def harvest_again_later(h: Harness) -> None:
    runs = _finished(h)
    before = _snapshots(runs)
    h.settle()
    again = [(e.name, h.executor.harvest_job(run.job)) for e, run in runs]
    problems = [f"{name}: a later harvest returned {result!r}" for name, result in again if result is not True]
    problems += _changes([e.name for e, _ in runs], before, _snapshots(runs))
    _report(problems)


def _changes(names: list[str], before: list[dict[str, Any]], after: list[dict[str, Any]]) -> list[str]:
    return [
        f"{name}: changed {sorted(key for key in old if old[key] != new[key])}"
        for name, old, new in zip(names, before, after, strict=True)
        if old != new
    ]


def _after_cleanup(h: Harness, name: str, execution_id: str, job: Any, harvested: bool) -> list[str]:
    before = dataclasses.asdict(job)
    result = h.executor.harvest_job(job)
    problems = _problems(
        [
            (f"{name}: check_status", h.status(execution_id), "not-found"),
            (f"{name}: get_logs", h.executor.get_logs(execution_id), ("", "")),
        ]
    )
    if result is not False and not (harvested and result is True):  # True only for a job harvested before
        kind = "harvested before" if harvested else "never harvested"
        problems.append(f"{name}: harvest_job of a job {kind} returned {result!r}")
    return problems + _changes([name], [before], [dataclasses.asdict(job)])


def _unharvested(job: Any) -> Any:
    """The job as the application holds it when it launched but never harvested."""
    return dataclasses.replace(job, status="running", exit_code=None, stdout="", stderr="", completed_at=None)


@check("CLEANUP-006")
def gone_forever(h: Harness) -> None:
    runs = _finished(h, "cleaned up")
    cases = [
        (e.name, run.execution_id, run.job if index % 2 == 0 else _unharvested(run.job), index % 2 == 0)
        for index, (e, run) in enumerate(runs)
    ]
    cleaned = [h.executor.cleanup(run.execution_id) for _, run in runs]
    assert all(result is True for result in cleaned), f"cleanup returned {cleaned}"
    problems = [problem for case in cases for problem in _after_cleanup(h, *case)]
    for passed in h.quiet_period():  # forever: also minutes, an hour and a day later (a record that comes back)
        problems += [f"{passed:g} s after cleanup, {problem}" for case in cases for problem in _after_cleanup(h, *case)]
        if problems:
            break
    _report(problems)
