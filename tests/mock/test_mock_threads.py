"""Thread safety: 32 threads x 100 launches give distinct ids and a consistent journal."""

from __future__ import annotations

import threading

from executor_kit import ContainerJob
from executor_kit.backends.mock import Call, MockExecutor
from executor_kit.probe import Probe

THREADS, LAUNCHES = 32, 100


def lifecycles(mock: MockExecutor, slot: int, barrier: threading.Barrier, ids: list[str]) -> None:
    barrier.wait()
    for index in range(LAUNCHES):
        text = f"{slot}-{index}"
        job = ContainerJob(image="x", command=Probe().out(text).argv, labels={"t": str(slot)})
        ok, eid = mock.launch_job(job)
        assert ok
        ids.append(eid)
        assert mock.check_status(eid) == "exited"
        assert mock.get_logs(eid) == (f"{text}\n", "")
        assert mock.harvest_job(job) and job.stdout == f"{text}\n"
        assert index % 2 == 0 or mock.cleanup(eid)


def guarded(errors: list[BaseException], *args: object) -> None:
    try:
        lifecycles(*args)  # type: ignore[arg-type]
    except BaseException as exc:  # reported from the main thread
        errors.append(exc)


def run_threads(mock: MockExecutor) -> tuple[list[str], list[BaseException]]:
    barrier = threading.Barrier(THREADS)
    ids: list[list[str]] = [[] for _ in range(THREADS)]
    errors: list[BaseException] = []
    threads = [
        threading.Thread(target=guarded, args=(errors, mock, slot, barrier, ids[slot])) for slot in range(THREADS)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return [eid for chunk in ids for eid in chunk], errors


def subject(call: Call) -> str:
    return str(call.result[1] if call.method == "launch_job" else call.args[0])


def test_concurrent_lifecycles() -> None:
    mock = MockExecutor()
    every, errors = run_threads(mock)
    assert errors == []
    assert len(every) == len(set(every)) == THREADS * LAUNCHES
    assert set(every) == {f"mock-{n}" for n in range(1, THREADS * LAUNCHES + 1)}
    calls = mock.journal.calls()
    assert [call.number for call in calls] == list(range(len(calls)))
    assert len(calls) == THREADS * LAUNCHES * 4 + THREADS * LAUNCHES // 2
    assert mock.journal.count("cleanup") == THREADS * LAUNCHES // 2
    launched = [int(call.result[1].split("-")[1]) for call in mock.journal.calls("launch_job")]
    assert launched == sorted(launched)
    first_seen: dict[str, str] = {}
    for call in calls:
        first_seen.setdefault(subject(call), call.method)
    assert set(first_seen.values()) == {"launch_job"}
    assert all(len(mock.find_executions({"t": str(slot)})) == LAUNCHES // 2 for slot in range(THREADS))
