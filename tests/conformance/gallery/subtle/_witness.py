"""Witnesses: one scenario per bug that shows the broken MUST sentence, judged by the contract alone.

A witness runs a scenario on an executor and raises ``AssertionError`` when
the contract is broken. The gallery's self-test checks that each witness holds
on ``MockExecutor`` and fails on its broken executor, so every bug is real and
shows only under its condition.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from typing import Any

from executor_kit import ContainerJob

Witness = Callable[[Any], None]


def launch(ex: Any, argv: Sequence[str] = ("probe",), **fields: Any) -> tuple[ContainerJob, str]:
    """Launch a job running ``argv``; assert the launch succeeded."""
    job = ContainerJob(image=fields.pop("image", "probe"), command=list(argv), **fields)
    ok, execution_id = ex.launch_job(job)
    assert ok, f"launch refused: {execution_id}"
    return job, execution_id


def at(ex: Any, start: float, moment: float) -> None:
    """Move the virtual clock to ``moment`` seconds after ``start`` (never back)."""
    step = start + moment - ex.clock.monotonic()
    if step > 0:
        ex.advance(step)


def expect_status(argv: Sequence[str], expected: str, times: Sequence[float], **fields: Any) -> Witness:
    """The status read at each of ``times`` (seconds after launch) is ``expected``."""

    def witness(ex: Any) -> None:
        start = ex.clock.monotonic()
        _, execution_id = launch(ex, argv, **fields)
        for moment in times:
            at(ex, start, moment)
            status = ex.check_status(execution_id)
            assert status == expected, f"status at t={moment}: {status!r}, expected {expected!r}"

    return witness


def expect_harvest(argv: Sequence[str], moments: Sequence[float], fields: dict[str, Any], **job: Any) -> Witness:
    """Harvests at each of ``moments`` return True and leave ``fields`` as given."""

    def witness(ex: Any) -> None:
        start = ex.clock.monotonic()
        launched, _ = launch(ex, argv, **job)
        for moment in moments:
            at(ex, start, moment)
            assert ex.harvest_job(launched) is True, f"harvest at t={moment} returned False"
            got = {name: getattr(launched, name) for name in fields}
            assert got == fields, f"harvest at t={moment}: {got!r}, expected {fields!r}"

    return witness


def expect_stable_harvest(argv: Sequence[str], first: float, second: float, **job: Any) -> Witness:
    """A second harvest (at ``second``) returns True and changes nothing the first (at ``first``) set."""

    def witness(ex: Any) -> None:
        start = ex.clock.monotonic()
        launched, _ = launch(ex, argv, **job)
        at(ex, start, first)
        assert ex.harvest_job(launched) is True
        before = dict(vars(launched))
        at(ex, start, second)
        assert ex.harvest_job(launched) is True, "second harvest returned False"
        changed = sorted(key for key, value in vars(launched).items() if before.get(key) != value)
        assert not changed, f"second harvest changed {changed}"

    return witness


def expect_logs(argv: Sequence[str], moment: float, expected: tuple[str, str], **job: Any) -> Witness:
    """``get_logs`` at ``moment`` (and a harvest, once ended) give exactly ``expected``."""

    def witness(ex: Any) -> None:
        start = ex.clock.monotonic()
        launched, execution_id = launch(ex, argv, **job)
        at(ex, start, moment)
        logs = ex.get_logs(execution_id)
        assert logs == expected, f"get_logs: {_short(logs)}, expected {_short(expected)}"
        if ex.harvest_job(launched):
            got = (launched.stdout, launched.stderr)
            assert got == expected, f"harvest: {_short(got)}, expected {_short(expected)}"

    return witness


def expect_aware_utc(field: str, argv: Sequence[str] = ("probe", "sleep", "5")) -> Witness:
    """``field`` is an aware UTC datetime, ``started_at <= completed_at``, and completed_at is the end."""

    def witness(ex: Any) -> None:
        job, _ = launch(ex, argv)
        ex.advance(3600)
        assert ex.harvest_job(job)
        moment = getattr(job, field)
        assert isinstance(moment, dt.datetime) and moment.utcoffset() == dt.timedelta(0), f"{field}={moment!r}"
        assert job.started_at <= job.completed_at, f"started {job.started_at} > completed {job.completed_at}"
        assert (job.completed_at - job.started_at).total_seconds() < 60, "completed_at is not when it ended"

    return witness


def expect_int_exit(argv: Sequence[str], moment: float, status: str, **job: Any) -> Witness:
    """Harvesting at ``moment`` records an ``int`` exit code and job status ``status``."""

    def witness(ex: Any) -> None:
        launched, _ = launch(ex, argv, **job)
        ex.advance(moment)
        assert ex.harvest_job(launched) is True, "harvest returned False"
        assert type(launched.exit_code) is int, f"exit_code {launched.exit_code!r} is not an int"
        assert launched.status == status, f"job status {launched.status!r}, expected {status!r}"

    return witness


RESULT_FIELDS = {"exit_code", "stdout", "stderr", "completed_at", "status", "failure_reason"}


def expect_harvest_writes_only_results(argv: Sequence[str], moment: float, **job: Any) -> Witness:
    """A harvest at ``moment`` writes only the result fields; before the end it changes nothing."""

    def witness(ex: Any) -> None:
        launched, _ = launch(ex, argv, **job)
        start = ex.clock.monotonic()
        while ex.clock.monotonic() - start <= moment:
            before = dict(vars(launched))
            done = ex.harvest_job(launched)
            allowed = RESULT_FIELDS if done else set()
            changed = sorted(k for k, v in vars(launched).items() if before.get(k) != v and k not in allowed)
            assert not changed, f"harvest (returned {done}) changed {changed}"
            ex.advance(moment / 2)

    return witness


def _short(logs: tuple[str, str]) -> str:
    return repr(tuple(text if len(text) < 80 else f"{text[:40]}...({len(text)} chars)" for text in logs))
