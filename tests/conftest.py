"""Shared test configuration.

* Tests marked ``docker`` need a real engine. Without one they skip, except
  when ``CI`` is set: there a skipped Docker test is a failure.
* Every test session has a run id; whatever a test launches carries it as the
  ``executor-kit-run`` label, and the session fails if anything labelled with
  it is still there at the end (it is removed, then reported).
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Generator, Iterator
from typing import Any

import pytest

from executor_kit.labels import RUN_LABEL

RUN_ID = f"tests-{uuid.uuid4().hex[:12]}"


def in_ci() -> bool:
    return bool(os.environ.get("CI"))


@pytest.fixture(scope="session")
def run_labels() -> dict[str, str]:
    """The labels every resource a test creates must carry."""
    return {RUN_LABEL: RUN_ID}  # the kit adds MANAGED_LABEL itself; a job may not set it


def _docker_client() -> Any:
    """A client that has pinged the engine, or the exception saying why there is none; nothing is left open.

    The client is ``DockerExecutor``'s: ``docker.from_env()`` against an absent
    engine leaks the socket of its failed connect (a ResourceWarning, so an error
    here), and the executor's transport closes it. A client whose ping fails is closed.
    """
    try:
        from executor_kit.backends.docker.executor import DockerExecutor

        client = DockerExecutor().client
    except Exception as exc:  # any failure (the docker package missing, too) means: no usable engine here
        return exc
    try:
        client.ping()
    except Exception as exc:
        client.close()
        return exc
    return client


@pytest.fixture(scope="session")
def docker_client() -> Iterator[Any]:
    """A client of the real Docker engine; skips without one (fails under CI)."""
    client = _docker_client()
    if isinstance(client, Exception):
        message = f"no Docker engine answers: {client}"
        if in_ci():
            pytest.fail(f"{message} (CI is set: Docker tests must run)")
        pytest.skip(message)
    yield client
    client.close()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Generator[None, Any, None]:
    outcome = yield
    report = outcome.get_result()
    if report.skipped and in_ci() and item.get_closest_marker("docker") is not None:
        report.outcome = "failed"
        report.longrepr = f"Docker test skipped under CI: {report.longrepr}"


def _leftovers(client: Any) -> list[Any]:
    return list(client.containers.list(all=True, filters={"label": f"{RUN_LABEL}={RUN_ID}"}))


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    client = _docker_client()
    if isinstance(client, Exception):
        return
    left = _leftovers(client)
    for container in left:
        container.remove(force=True)
    client.close()
    if left:
        names = ", ".join(container.name for container in left)
        print(f"\nLEAK: {len(left)} container(s) of run {RUN_ID} were left behind: {names}")
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
