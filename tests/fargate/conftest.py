"""Fixtures for the Fargate executor's tests: an emulated AWS on 127.0.0.1 only.

* Every test runs with fake AWS credentials and without AWS config files, and
  any connection to a host other than the loopback fails the test: nothing
  here can reach real AWS.
* ``emulator`` is a fresh ``FargateEmulator`` (moto's server + probe player) on
  a ``VirtualClock``; ``executor`` is a ``FargateExecutor`` pointed at it.
  At teardown the executor fixture cleans up whatever still carries this
  session's run label and fails the test if there was any.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Callable, Iterator
from typing import Any

import botocore.retries.standard
import pytest

from executor_kit import ContainerJob, VirtualClock
from executor_kit.backends.fargate.emulator import FargateEmulator
from executor_kit.backends.fargate.executor import FargateExecutor
from executor_kit.probe import PROBE_IMAGE

_LOOPBACK = {"localhost"}


def _is_loopback(host: object) -> bool:
    if host in _LOOPBACK:
        return True
    try:
        return ipaddress.ip_address(str(host)).is_loopback
    except ValueError:
        return False


_FAKE_ENVIRONMENT = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SESSION_TOKEN": "testing",
    "AWS_DEFAULT_REGION": "us-east-1",
    "AWS_CONFIG_FILE": "/dev/null",
    "AWS_SHARED_CREDENTIALS_FILE": "/dev/null",
    "AWS_EC2_METADATA_DISABLED": "true",
}
_real_connect = socket.socket.connect
_real_getaddrinfo = socket.getaddrinfo


def _guarded_connect(self: socket.socket, address: Any) -> None:
    if self.family in (socket.AF_INET, socket.AF_INET6) and not _is_loopback(address[0]):
        pytest.fail(f"a test tried to reach {address!r}; only 127.0.0.1 is allowed")
    _real_connect(self, address)


def _guarded_getaddrinfo(host: Any, *args: Any, **kwargs: Any) -> Any:
    if host is not None and not _is_loopback(host):
        pytest.fail(f"a test tried to resolve {host!r}; only 127.0.0.1 is allowed")
    return _real_getaddrinfo(host, *args, **kwargs)


@pytest.fixture(autouse=True)
def _offline(monkeypatch: pytest.MonkeyPatch) -> None:
    """Fake credentials, no AWS config, and no connection beyond 127.0.0.1."""
    for name, value in _FAKE_ENVIRONMENT.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    monkeypatch.setattr(socket.socket, "connect", _guarded_connect)
    monkeypatch.setattr(socket, "getaddrinfo", _guarded_getaddrinfo)


@pytest.fixture
def no_backoff(monkeypatch: pytest.MonkeyPatch) -> None:
    """botocore's standard retries without their (real) sleeps."""
    monkeypatch.setattr(botocore.retries.standard.ExponentialBackoff, "delay_amount", lambda self, ctx: 0.0)


@pytest.fixture
def clock() -> VirtualClock:
    return VirtualClock()


@pytest.fixture
def emulator(clock: VirtualClock) -> Iterator[FargateEmulator]:
    with FargateEmulator(clock) as emulation:
        yield emulation


@pytest.fixture
def make_executor(
    emulator: FargateEmulator, clock: VirtualClock, run_labels: dict[str, str]
) -> Iterator[Callable[..., FargateExecutor]]:
    made: list[FargateExecutor] = []

    def make(**overrides: Any) -> FargateExecutor:
        executor = FargateExecutor({**emulator.executor_config(), **overrides}, clock=clock)
        made.append(executor)
        return executor

    yield make
    for executor in made:
        executor.close()
    with FargateExecutor(emulator.executor_config(), clock=clock) as checker:
        leftovers = checker.find_executions(run_labels)
        for execution_id in leftovers:
            checker.cleanup(execution_id)
    assert not leftovers, f"tasks left behind: {leftovers}"


@pytest.fixture
def executor(make_executor: Callable[..., FargateExecutor]) -> FargateExecutor:
    return make_executor()


@pytest.fixture
def probe_job(run_labels: dict[str, str]) -> Callable[..., ContainerJob]:
    def make(argv: list[str], **fields: Any) -> ContainerJob:
        labels = {**run_labels, **fields.pop("labels", {})}
        fields.setdefault("image", PROBE_IMAGE)
        return ContainerJob(command=argv, labels=labels, **fields)

    return make
