"""CAPS, ERRORS, SECRETS-002 and LEAKS clauses."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator

from contract_tests.checks import check
from contract_tests.checks.inputs import SECRET_VALUE
from contract_tests.harness import Harness
from contract_tests.logs import debug_records
from contract_tests.parallel import parallel_map
from executor_kit.base import STANDARD_CAPABILITIES, ContainerExecutor
from executor_kit.errors import ExecutorError
from executor_kit.job import ContainerJob
from executor_kit.labels import RUN_LABEL
from executor_kit.probe import MISSING_IMAGE, Probe

__all__: list[str] = []

ODD_IDS = ("../../etc/passwd", "a\nb", "x" * 10_000, "%00", "id with spaces", "ünïcødé")


@check("CAPS-001")
def capability_shape(h: Harness) -> None:
    _standard_and_bool(h.executor.get_capabilities(), "get_capabilities")
    for what, other in _partially_overridden(h):
        try:
            _standard_and_bool(other.get_capabilities(), f"with {what}, get_capabilities")
        finally:
            _close(other)


def _standard_and_bool(capabilities: object, what: str) -> None:
    assert isinstance(capabilities, dict), f"{what} returned {type(capabilities).__name__}"
    missing = sorted(set(STANDARD_CAPABILITIES) - set(capabilities))
    assert not missing, f"{what} is missing standard keys: {missing}"
    not_bool = {key: value for key, value in capabilities.items() if not isinstance(value, bool)}
    assert not not_bool, f"{what} has non-bool capabilities: {not_bool}"


def _partially_overridden(h: Harness) -> Iterator[tuple[str, ContainerExecutor]]:
    """New instances of the executor's class declaring one standard key (as it is): by config, and by subclass.

    An override declares some keys; the others keep their standard values (it
    merges, never replaces). A class that refuses the config key, or cannot be
    built from the executor's config, shows nothing here.
    """
    kind = type(h.executor)
    override = {"supports_secrets": bool(h.executor.get_capabilities().get("supports_secrets", False))}
    shapes: dict[str, Callable[[], ContainerExecutor]] = {
        f"a partial 'capabilities' config {override}": lambda: kind({**h.executor.config, "capabilities": override}),
        f"a subclass declaring capabilities = {override}": lambda: type(
            f"Partial{kind.__name__}", (kind,), {"capabilities": override}
        )(h.executor.config),
    }
    for what, build in shapes.items():
        try:
            other = build()
        except Exception:  # cannot be built this way: nothing to judge
            continue
        yield what, other


def _close(executor: ContainerExecutor) -> None:
    with contextlib.suppress(Exception):
        executor.close()


@check("CAPS-002")
def capability_stable(h: Harness) -> None:
    answers = [h.executor.get_capabilities() for _ in range(3)]
    assert answers[0] == answers[1] == answers[2], f"get_capabilities changed between calls: {answers}"
    first = h.capabilities_at_start
    assert first is None or answers[0] == first, (
        f"get_capabilities changed since the run began: {first} then {answers[0]}"
    )
    for passed in h.quiet_period():
        later = h.executor.get_capabilities()
        assert later == answers[0], f"get_capabilities changed after {passed:g} s of quiet: {answers[0]} then {later}"


@check("ERRORS-001")
def odd_ids(h: Harness) -> None:
    for odd in ODD_IDS:
        shown = odd[:30]
        assert h.status(odd) == "not-found", f"check_status({shown!r}) read {h.status(odd)!r}"
        assert h.executor.get_logs(odd) == ("", ""), f"get_logs({shown!r}) was not ('', '')"
        assert h.executor.cleanup(odd) is True, f"cleanup({shown!r}) did not return True"


@check("ERRORS-002")
def only_executor_errors(h: Harness) -> None:
    never_launched = ContainerJob(image=h.probe_image, command=Probe().argv)
    try:
        result = h.executor.harvest_job(never_launched)
    except ExecutorError as exc:
        raise AssertionError(f"harvest of a never-launched job raised {exc!r}; it should return False") from exc
    assert result is False, f"harvest of a never-launched job returned {result!r}"
    _burst_of_status_calls(h)
    _, execution_id = h.start(Probe().out("asked about in a batch"))
    try:
        h.executor.check_statuses([execution_id, "executor-kit-unknown-execution-9"])
    except ExecutorError:
        pass  # backend trouble, if any, is an ExecutorError
    except Exception as exc:
        raise AssertionError(f"check_statuses raised {type(exc).__name__}: {exc}") from exc


def _burst_of_status_calls(h: Harness) -> None:
    """150 status calls from 8 threads at once (throttling must surface as an ExecutorError, if at all)."""
    _, execution_id = h.start(Probe().out("asked about often"))

    def ask(_: int) -> str:
        try:
            return h.status(execution_id)
        except ExecutorError:
            return "an ExecutorError"
        except Exception as exc:
            return f"raised {type(exc).__name__}: {exc}"

    answers = set(parallel_map(ask, range(150), workers=8))
    stray = sorted(answer for answer in answers if answer.startswith("raised "))
    assert not stray, f"a burst of status calls {stray[0]} (only ExecutorError subclasses may escape)"


def _secret_surfaces(h: Harness) -> dict[str, str]:
    secret = {"KIT_SECRET": SECRET_VALUE}
    with debug_records() as logs:
        invalid = _refusal_text(h, _invalid(h.job(Probe(), secret_environment=secret)))
        failed = h.executor.launch_job(h.job(Probe(), image=MISSING_IMAGE, secret_environment=secret))
        if failed[0] is True:
            h.record(failed[1])
        job = h.job(Probe().out("no secret here"), secret_environment=secret)
        ok, value = h.executor.launch_job(job)
        if ok:
            h.record(value)
            h.wait_terminal(value)
            h.executor.harvest_job(job)
    return {
        "repr(executor)": repr(h.executor),
        "the launch failure message": str(failed[1]),
        "the refusal of an invalid job": invalid,
        "the secret job's launch answer": str(value),
        "repr(job)": repr(job),
        "log records": logs.text(),
    }


def _invalid(job: ContainerJob) -> ContainerJob:
    job.memory_limit = 0  # set after construction, as an ORM model's field would be
    return job


def _refusal_text(h: Harness, job: ContainerJob) -> str:
    try:
        ok, value = h.executor.launch_job(job)
    except Exception as exc:  # an ExecutorConfigurationError is the expected refusal
        return f"{exc!r} {exc}"
    if ok:
        h.record(value)
    return str(value)


@check("SECRETS-002")
def secrets_not_echoed(h: Harness) -> None:
    leaks = [where for where, text in _secret_surfaces(h).items() if SECRET_VALUE in text]
    assert not leaks, f"a secret value appeared in: {', '.join(leaks)}"


@check("LEAKS-001")
def nothing_left(h: Harness) -> None:
    workloads = [Probe().out("finished before the leak check"), Probe().out("running").sleep(h.profile.long_sleep)]
    parallel_map(h.start, workloads)
    remaining = h.close()
    assert not remaining, f"still there after cleanup: {remaining}"
    listed = h.executor.find_executions({RUN_LABEL: h.run_id})
    assert not listed, f"the backend still lists executions of this run: {listed}"
