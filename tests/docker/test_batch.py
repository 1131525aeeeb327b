"""Batch status (one list call) and listing by label, on the real engine."""

from __future__ import annotations

import functools
import uuid
from collections import Counter
from typing import Any

import pytest

from executor_kit.probe import Probe

pytestmark = pytest.mark.docker


def _count_calls(monkeypatch: pytest.MonkeyPatch, api: Any, names: list[str]) -> Counter[str]:
    """Count real API calls by name (the calls still go to the engine)."""
    calls: Counter[str] = Counter()
    for name in names:
        method = getattr(api, name)

        @functools.wraps(method)
        def counted(*args: Any, _name: str = name, _method: Any = method, **kwargs: Any) -> Any:
            calls[_name] += 1
            return _method(*args, **kwargs)

        monkeypatch.setattr(api, name, counted)
    return calls


def test_batch_status_of_mixed_executions(runner: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    running = [runner.start(Probe().sleep(30))[1] for _ in range(5)]
    done, _ = runner.run(Probe().exit(0))
    oom, _ = runner.run(Probe().alloc(64), memory_limit=32)
    cleaned, _ = runner.run(Probe())
    runner.executor.cleanup(cleaned.external_execution_id)
    ids = [*running, done.external_execution_id, oom.external_execution_id, cleaned.external_execution_id, "nope"]
    calls = _count_calls(monkeypatch, runner.executor.api, ["containers", "inspect_container"])
    statuses = runner.executor.check_statuses(ids)
    assert statuses == {
        **dict.fromkeys(running, "running"),
        done.external_execution_id: "exited",
        oom.external_execution_id: "failed",
        cleaned.external_execution_id: "not-found",
        "nope": "not-found",
    }
    assert calls == {"containers": 1, "inspect_container": 2}  # inspected: only the two that finished
    assert statuses == {eid: runner.executor.check_status(eid) for eid in ids}


def test_batch_status_of_nothing_makes_no_call(runner: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    calls = _count_calls(monkeypatch, runner.executor.api, ["containers"])
    assert runner.executor.check_statuses([]) == {}
    assert calls["containers"] == 0


def test_find_executions_by_label(runner: Any) -> None:
    tag = uuid.uuid4().hex
    _, blue = runner.start(Probe().sleep(30), labels={"colour": f"blue-{tag}"})
    _, red = runner.start(Probe(), labels={"colour": f"red-{tag}"})
    assert runner.executor.find_executions({"colour": f"blue-{tag}"}) == [blue]
    assert set(runner.executor.find_executions({})) >= {blue, red}
    assert runner.executor.find_executions({"colour": f"green-{tag}"}) == []
