"""Errors: bad config, unreachable daemon, refused TLS, bad job input; nothing created."""

from __future__ import annotations

import contextlib
import shutil
import socket
import ssl
import subprocess
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from executor_kit.backends.docker.executor import DockerExecutor
from executor_kit.errors import (
    ExecutorAuthenticationError,
    ExecutorConfigurationError,
    ExecutorConnectionError,
)
from executor_kit.job import ContainerJob
from executor_kit.probe import Probe

pytestmark = pytest.mark.docker


@pytest.mark.parametrize(
    ("config", "key"),
    [
        ({"pull_policy": "sometimes"}, "pull_policy"),
        ({"labels": {"a": 1}}, "labels"),
        ({"labels": "a=b"}, "labels"),
        ({"base_url": ""}, "base_url"),
        ({"stop_timeout": -1}, "stop_timeout"),
        ({"stop_timeout": 1.5}, "stop_timeout"),
        ({"request_timeout": 0}, "request_timeout"),
        ({"api_timeout": 60}, "'api_timeout' was renamed to 'request_timeout'"),
        ({"auto_remove": "yes"}, "auto_remove"),
        ({"harvest_cleans_up": 1}, "harvest_cleans_up"),
        ({"tls": {"verify": True, "bogus": 1}}, "tls"),
        ({"tls": {"ca_cert": "/no/such/ca.pem"}}, "tls"),
        ({"network": 3}, "network"),
        ({"base_uri": "unix:///x"}, "base_uri"),
    ],
)
def test_bad_config_names_the_key(config: dict[str, Any], key: str) -> None:
    with pytest.raises(ExecutorConfigurationError, match=key):
        DockerExecutor(config)


def test_config_must_be_a_mapping() -> None:
    with pytest.raises(ExecutorConfigurationError, match="mapping"):
        DockerExecutor(["base_url"])  # type: ignore[arg-type]


def test_unreachable_daemon_raises_connection_error(tmp_path: Path) -> None:
    executor = DockerExecutor({"base_url": f"unix://{tmp_path}/no-such-docker.sock", "request_timeout": 5})
    job = ContainerJob(image="busybox:latest", command=["true"])
    calls = [
        lambda: executor.launch_job(job),
        lambda: executor.check_status("0" * 64),
        lambda: executor.check_statuses(["0" * 64]),
        lambda: executor.get_logs("0" * 64),
        lambda: executor.cleanup("0" * 64),
        lambda: executor.find_executions({}),
    ]
    for call in calls:
        with pytest.raises(ExecutorConnectionError) as caught:
            call()
        assert caught.value.backend == "docker"
    assert (job.status, job.external_execution_id) == ("pending", None)


def test_closed_port_raises_connection_error() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    executor = DockerExecutor({"base_url": f"tcp://127.0.0.1:{port}", "request_timeout": 5})
    with pytest.raises(ExecutorConnectionError):
        executor.check_status("0" * 64)


def _self_signed(tmp_path: Path) -> tuple[Path, Path]:
    openssl = shutil.which("openssl")
    if openssl is None:
        pytest.skip("openssl is needed to make a certificate")
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(
        [openssl, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=127.0.0.1",
         "-keyout", str(key), "-out", str(cert)],
        check=True, capture_output=True,
    )  # fmt: skip
    return cert, key


def _handshake(context: ssl.SSLContext, listener: socket.socket) -> bool:
    try:
        conn, _ = listener.accept()
    except OSError:
        return False  # the listener was closed: stop serving
    with contextlib.suppress(ssl.SSLError, OSError), context.wrap_socket(conn, server_side=True):
        pass
    conn.close()
    return True


@pytest.fixture
def tls_server(tmp_path: Path) -> Iterator[int]:
    """A TLS endpoint with a self-signed certificate nobody trusts."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(*_self_signed(tmp_path))
    listener = socket.create_server(("127.0.0.1", 0))
    thread = threading.Thread(target=lambda: [None for _ in iter(lambda: _handshake(context, listener), False)])
    thread.start()
    yield listener.getsockname()[1]
    listener.shutdown(socket.SHUT_RDWR)
    listener.close()
    thread.join(5)


def test_refused_tls_raises_authentication_error(tls_server: int) -> None:
    executor = DockerExecutor({"base_url": f"https://127.0.0.1:{tls_server}", "tls": {"verify": True}})
    with pytest.raises(ExecutorAuthenticationError):
        executor.check_status("0" * 64)


BAD_IMAGES = ["busy box", "BusyBox", "busybox;rm -rf /", "busybox\nlatest", "busybox:", "", " ", "-rf"]


@pytest.mark.parametrize("image", BAD_IMAGES)
def test_bad_image_names_are_refused_before_anything_exists(
    docker_executor: DockerExecutor, run_containers: Any, run_labels: dict[str, str], image: str
) -> None:
    before = run_containers()
    job = ContainerJob.__new__(ContainerJob)  # bypass construction-time validation: executors must check too
    job.__dict__.update(vars(ContainerJob(image="x", command=["probe"], labels=dict(run_labels))), image=image)
    ok, message = docker_executor.launch_job(job)
    assert ok is False and message
    assert run_containers() == before
    assert job.external_execution_id is None


@pytest.mark.parametrize(
    ("fields", "words"),
    [
        ({"command": ["nonexistent-binary"]}, "could not start"),
        ({"memory_limit": 1}, "memory"),
        ({"cpu_limit": 4096}, "CPU"),
        ({"image": "executor-kit-absent:1"}, "pull_policy is 'never'"),
    ],
)
def test_job_level_failures_leave_nothing(runner: Any, run_containers: Any, fields: dict[str, Any], words: str) -> None:
    before = run_containers()
    job = runner.job(fields.pop("command", Probe()), **fields)
    ok, message = runner.executor.launch_job(job)
    assert ok is False
    assert words.lower() in message.lower()
    assert run_containers() == before


def test_absent_image_that_cannot_be_pulled(make_runner: Any, run_containers: Any) -> None:
    helper = make_runner(pull_policy="if-missing")
    before = run_containers()
    ok, message = helper.executor.launch_job(helper.job(Probe(), image="executor-kit-absent:1"))
    assert ok is False
    assert "could not be pulled" in message
    assert run_containers() == before


def test_present_image_with_if_missing_is_not_pulled(make_runner: Any) -> None:
    helper = make_runner(pull_policy="if-missing")
    job, status = helper.run(Probe().out("local"))
    assert (status, job.stdout) == ("exited", "local\n")


def test_invalid_jobs_are_refused(runner: Any) -> None:
    job = runner.job(Probe())
    job.command = "probe out x"
    assert runner.executor.launch_job(job)[0] is False
    job = runner.job(Probe())
    job.environment = {"A=B": "x"}
    assert runner.executor.launch_job(job)[0] is False
    job = runner.job(Probe())
    job.memory_limit = 0
    assert runner.executor.launch_job(job)[0] is False


def test_secrets_never_appear_in_messages(runner: Any) -> None:
    job = runner.job(["no-such-binary-s3cr3t-token"], secret_environment={"TOKEN": "s3cr3t-token"})
    ok, message = runner.executor.launch_job(job)
    assert ok is False
    assert "no-such-binary-***" in message
    assert "s3cr3t-token" not in message
    assert "s3cr3t-token" not in repr(runner.executor)
