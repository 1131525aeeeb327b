"""Fixtures for the Kubernetes executor's tests: an emulated API server on 127.0.0.1 only.

* Any connection to a host other than the loopback fails the test, and no
  kubeconfig of the machine is read (``KUBECONFIG`` points nowhere).
* ``emulator`` is a fresh ``KubernetesEmulator`` on a ``VirtualClock``;
  ``make_executor`` builds ``KubernetesExecutor`` instances pointed at it and,
  at teardown, cleans up whatever still carries this session's run label and
  fails the test if there was any.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from executor_kit import ContainerJob, VirtualClock
from executor_kit.backends.kubernetes.emulator import KubernetesEmulator
from executor_kit.backends.kubernetes.executor import KubernetesExecutor
from executor_kit.probe import PROBE_IMAGE

_real_connect = socket.socket.connect


def _is_loopback(host: object) -> bool:
    try:
        return host == "localhost" or ipaddress.ip_address(str(host)).is_loopback
    except ValueError:
        return False


def _guarded_connect(self: socket.socket, address: Any) -> None:
    if self.family in (socket.AF_INET, socket.AF_INET6) and not _is_loopback(address[0]):
        pytest.fail(f"a test tried to reach {address!r}; only 127.0.0.1 is allowed")
    _real_connect(self, address)


@pytest.fixture(autouse=True)
def _offline(monkeypatch: pytest.MonkeyPatch, tmp_path: Any) -> None:
    monkeypatch.setenv("KUBECONFIG", str(tmp_path / "no-kubeconfig"))
    monkeypatch.setattr(socket.socket, "connect", _guarded_connect)


@pytest.fixture
def clock() -> VirtualClock:
    return VirtualClock()


@pytest.fixture
def emulator(clock: VirtualClock) -> Iterator[KubernetesEmulator]:
    with KubernetesEmulator(clock) as emulation:
        yield emulation


@pytest.fixture
def make_executor(
    emulator: KubernetesEmulator, clock: VirtualClock, run_labels: dict[str, str]
) -> Iterator[Callable[..., KubernetesExecutor]]:
    made: list[KubernetesExecutor] = []

    def make(**overrides: Any) -> KubernetesExecutor:
        executor = KubernetesExecutor({**emulator.executor_config(), **overrides}, clock=clock)
        made.append(executor)
        return executor

    yield make
    for executor in made:
        executor.close()
    with KubernetesExecutor(emulator.executor_config(), clock=clock) as checker:
        leftovers = checker.find_executions(run_labels)
        for execution_id in leftovers:
            checker.cleanup(execution_id)
    assert not leftovers, f"jobs left behind: {leftovers}"


@pytest.fixture
def executor(make_executor: Callable[..., KubernetesExecutor]) -> KubernetesExecutor:
    return make_executor()


@pytest.fixture
def probe_job(run_labels: dict[str, str]) -> Callable[..., ContainerJob]:
    def make(argv: list[str], **fields: Any) -> ContainerJob:
        labels = {**run_labels, **fields.pop("labels", {})}
        fields.setdefault("image", PROBE_IMAGE)
        return ContainerJob(command=argv, labels=labels, **fields)

    return make
