"""STATUS and CLEANUP clauses: the vocabulary, running and terminal states, cleanup."""

from __future__ import annotations

from contract_tests.checks import check, finished, odd_ids, scenario, unique_prefix
from contract_tests.harness import Harness, Spec
from executor_kit.probe import Probe

__all__: list[str] = []

VOCABULARY = {"running", "exited", "failed", "not-found"}

ENDINGS: list[Spec] = [(Probe().exit(0), {}), (Probe().exit(3), {})]
DONE: Spec = (Probe().out("done"), {})
TWICE: Spec = (Probe().out("to be cleaned twice"), {})


@scenario
def _runs(h: Harness) -> list[Spec]:
    return [*ENDINGS, DONE, TWICE]


def _long(h: Harness) -> Probe:
    return Probe().out("started").sleep(h.profile.long_sleep).out("finished")


@check("STATUS-001")
def vocabulary(h: Harness) -> None:
    _, running = h.start(_long(h))
    seen = [h.executor.check_status(running)]
    done = finished(h, DONE)
    seen += [h.executor.check_status(done.execution_id), h.executor.check_status("unknown-id-0")]
    h.executor.cleanup(running)
    seen.append(h.executor.check_status(running))
    bad = [status for status in seen if not isinstance(status, str) or status not in VOCABULARY]
    assert not bad, f"check_status answered {bad!r}; only {sorted(VOCABULARY)} are allowed"


@check("STATUS-002")
def unknown_id(h: Harness) -> None:
    status = h.status("executor-kit-unknown-execution-0000")
    assert status == "not-found", f"an unknown id read {status!r}"
    _, odd = odd_ids(h)
    seen = {what: h.status(eid) for what, eid in odd.items()}
    wrong = {what: status for what, status in seen.items() if status != "not-found"}
    assert not wrong, f"ids resembling a real one read {wrong} (an id is the whole, exact id)"
    with unique_prefix(h) as (executor, real, prefix):
        status = executor.check_status(prefix)
    value = getattr(status, "value", status)
    assert value == "not-found", f"{prefix!r}, a unique prefix of the running {real!r}, read {value!r}"


@check("STATUS-003")
def empty_id(h: Harness) -> None:
    status = h.status("")
    assert status == "not-found", f"the empty id read {status!r}"


def late_in_life(h: Harness) -> tuple[str, float]:
    """A silent workload and a quiet period past which it is still running (half an hour on a virtual clock)."""
    virtual = getattr(h.executor.clock, "is_virtual", False)
    quiet = 1800.0 if virtual else h.profile.long_sleep / 2
    _, execution_id = h.start(Probe().out("early").err("early on stderr").sleep(quiet * 2).out("late"))
    return execution_id, quiet


@check("STATUS-004")
def running_while_running(h: Harness) -> None:
    _, execution_id = h.start(_long(h))
    status = h.status(execution_id)
    assert status == "running", f"a workload sleeping {h.profile.long_sleep:g} s read {status!r}"
    silent, quiet = late_in_life(h)
    h.sleep(quiet)
    status = h.status(silent)
    assert status == "running", f"a workload silent for {quiet:g} s (of {quiet * 2:g}) read {status!r}"


@check("STATUS-005")
def terminal_once_ended(h: Harness) -> None:
    runs = h.run_many(ENDINGS)
    statuses = [run.status for run in runs]
    assert statuses == ["exited", "exited"], f"workloads exiting 0 and 3 ended as {statuses}"


@check("STATUS-006")
def terminal_absorbing(h: Harness) -> None:
    runs = h.run_many(ENDINGS)
    for run in runs:
        later = []
        for _ in range(3):
            h.sleep(h.profile.poll_interval)
            later.append(h.status(run.execution_id))
        assert all(status == run.status for status in later), f"{run.status!r} later read {later}"
    for passed in h.quiet_period():
        seen = [(run.status, h.status(run.execution_id)) for run in runs]
        assert all(then == now for then, now in seen), f"{passed:g} s into a quiet period (then, now): {seen}"


@check("STATUS-007")
def batch_agrees(h: Harness) -> None:
    runs = h.run_many(ENDINGS)
    ids = [run.execution_id for run in runs] + ["executor-kit-unknown-execution-1"]
    batch = {key: str(getattr(value, "value", value)) for key, value in h.executor.check_statuses(ids).items()}
    single = {execution_id: h.status(execution_id) for execution_id in ids}
    assert batch == single, f"check_statuses answered {batch}, check_status {single}"


@check("CLEANUP-001")
def cleanup_running(h: Harness) -> None:
    for what, probe in (("a running execution", _long(h)), ("one ignoring SIGTERM", _stubborn(h))):
        _, execution_id = h.start(probe)
        _wait_for_output(h, execution_id)
        assert h.executor.cleanup(execution_id) is True, f"cleanup of {what} did not return True"
        status = h.status(execution_id)
        assert status == "not-found", f"after cleanup {what} read {status!r}"


def _wait_for_output(h: Harness, execution_id: str) -> None:
    h.wait_for(lambda: h.executor.get_logs(execution_id)[0] != "", h.profile.launch_deadline, "its first output")


def _stubborn(h: Harness) -> Probe:
    return Probe().ignore_term().out("stubborn").sleep(h.profile.long_sleep)


@check("CLEANUP-002")
def cleanup_idempotent(h: Harness) -> None:
    run = finished(h, TWICE)
    results = [h.executor.cleanup(run.execution_id), h.executor.cleanup(run.execution_id)]
    assert results == [True, True], f"two cleanups returned {results}"
    _, running = h.start(_long(h))
    results = [h.executor.cleanup(running), h.executor.cleanup(running)]
    assert results == [True, True], (
        f"two cleanups of a running execution, one right after the other, returned {results}"
    )


@check("CLEANUP-003")
def cleanup_unknown(h: Harness) -> None:
    result = h.executor.cleanup("executor-kit-unknown-execution-2")
    assert result is True, f"cleanup of an unknown id returned {result!r}"
    real, odd = odd_ids(h)
    answers = {what: h.executor.cleanup(eid) for what, eid in odd.items()}
    assert all(answer is True for answer in answers.values()), f"cleanup of ids resembling a real one: {answers}"
    status = h.status(real)
    assert status != "not-found", f"cleaning up ids resembling {real!r} removed it"
    with unique_prefix(h) as (executor, real, prefix):
        result = executor.cleanup(prefix)
        status = executor.check_status(real)
    assert result is True, f"cleanup of {prefix!r}, a unique prefix of a real id, returned {result!r}"
    value = getattr(status, "value", status)
    assert value != "not-found", f"cleanup of {prefix!r}, a unique prefix of {real!r}, removed {real!r}"


@check("CLEANUP-004")
def not_found_after_cleanup(h: Harness) -> None:
    _, execution_id = h.start(Probe().out("short"))
    h.wait_terminal(execution_id)
    h.executor.cleanup(execution_id)
    status = h.status(execution_id)
    assert status == "not-found", f"a finished execution read {status!r} after cleanup"


@check("CLEANUP-005")
def cleanup_ignores_term(h: Harness) -> None:
    _, execution_id = h.start(Probe().ignore_term().out("stubborn").sleep(h.profile.long_sleep))
    h.wait_for(
        lambda: "stubborn" in h.executor.get_logs(execution_id)[0],
        h.profile.launch_deadline,
        "the stubborn workload to start",
    )
    start = h.executor.clock.monotonic()
    h.executor.cleanup(execution_id)
    took = h.executor.clock.monotonic() - start
    status = h.status(execution_id)
    assert status == "not-found", f"after cleanup the workload read {status!r}"
    assert took <= h.profile.launch_deadline, f"cleanup took {took:.1f} s"
