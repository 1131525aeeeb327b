"""No real network: every request ends at the emulator or fails."""

from __future__ import annotations

import socket

import pytest

from executor_kit import ContainerJob
from executor_kit.errors import ExecutorConnectionError
from executor_kit.probe import PROBE_IMAGE, Probe


@pytest.fixture
def no_sockets(monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("a test tried to open a network connection")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)


def test_full_lifecycle_opens_no_socket(executor, run_labels, no_sockets):
    job = ContainerJob(image=PROBE_IMAGE, command=Probe().out("x").argv, labels=run_labels)
    ok, execution_id = executor.launch_job(job)
    assert ok and executor.harvest_job(job) and executor.cleanup(execution_id)


def test_a_host_the_emulator_does_not_serve_fails_as_connection_error(cloud, no_sockets):
    executor = cloud.executor({"run_endpoint": "https://europe-west1-run.googleapis.com"})
    with pytest.raises(ExecutorConnectionError, match="europe-west1-run"):
        executor.check_status("projects/emulated-project/locations/us-central1/jobs/j/executions/j-1")
    assert cloud.calls == []


def test_an_undocumented_path_fails_and_is_recorded(cloud, no_sockets):
    import requests

    with pytest.raises(requests.ConnectionError, match="no route"):
        requests.get("https://run.googleapis.com/v1/namespaces/p/jobs", timeout=1)
    assert cloud.unmatched == ["GET https://run.googleapis.com/v1/namespaces/p/jobs"]
    cloud.unmatched.clear()


def test_other_region_or_project_is_not_found(executor):
    assert executor.check_status("projects/other-project/locations/us-central1/jobs/j/executions/j-1") == "not-found"
