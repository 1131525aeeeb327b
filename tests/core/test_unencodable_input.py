"""A lone surrogate anywhere in a job is ``(False, message)`` on every backend, never an exception."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from executor_kit import ContainerExecutor, ContainerJob, ExecutorConfigurationError, MockExecutor
from executor_kit.backends.cloudrun import emulator as cloudrun
from executor_kit.backends.fargate import emulator as fargate
from executor_kit.probe import PROBE_IMAGE, Probe

#: Where a lone surrogate can hide, as ContainerJob fields.
UNENCODABLE: dict[str, dict[str, Any]] = {
    "command": {"command": Probe().out("a\ud800b").argv},
    "environment": {"environment": {"K": "a\udc80"}},
    "environment name": {"environment": {"K\ud800": "v"}},
    "labels": {"labels": {"team": "\ud800"}},
    "name": {"name": "n\udfff"},
    "secret_environment": {"secret_environment": {"T": "s\ud800"}},
    "image": {"image": PROBE_IMAGE + "\ud800"},
}


def unencodable_job(image: str, where: str) -> ContainerJob:
    """A valid job given the bad text afterwards (``ContainerJob`` refuses it at construction)."""
    job = ContainerJob(image=image, command=Probe().out("x").argv)
    for field, value in UNENCODABLE[where].items():
        setattr(job, field, value if field != "image" else image + "\ud800")
    return job


def test_a_container_job_refuses_it_at_construction() -> None:
    for where, fields in UNENCODABLE.items():
        with pytest.raises(ExecutorConfigurationError, match="surrogate"):
            ContainerJob(**{"image": PROBE_IMAGE, **fields})
        assert where


BACKENDS: dict[str, Callable[[], ContainerExecutor]] = {
    "mock": MockExecutor,
    "cloudrun": cloudrun.emulated_executor,
    "fargate": fargate.emulated_executor,
}


@pytest.fixture(params=sorted(BACKENDS))
def executor(request: pytest.FixtureRequest) -> Iterator[ContainerExecutor]:
    made = BACKENDS[request.param]()
    yield made
    made.close()


@pytest.mark.parametrize("where", sorted(UNENCODABLE))
def test_a_lone_surrogate_is_refused_with_a_message(executor: ContainerExecutor, where: str) -> None:
    job = unencodable_job(PROBE_IMAGE, where)
    ok, message = executor.launch_job(job)
    assert ok is False and "surrogate" in message, message
    assert "s\ud800" not in message
    assert executor.find_executions({}) == []
    message.encode()  # the message itself can be printed and logged
