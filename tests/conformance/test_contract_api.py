"""The contract package itself: ABC, errors, job model, status words, factory and registry."""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest

import executor_kit
from executor_kit import (
    ContainerExecutor,
    ContainerJob,
    ExecutionStatus,
    ExecutorAuthenticationError,
    ExecutorConfigurationError,
    ExecutorConnectionError,
    ExecutorError,
    ExecutorResourceError,
    JobLike,
    get_executor,
    register_executor,
)
from executor_kit.job import mark_launched, record_result, validate_job
from executor_kit.probe import interpret
from executor_kit.registry import unregister_executor

ABSTRACT = ("launch_job", "check_status", "get_logs", "harvest_job", "cleanup")


class DictExecutor(ContainerExecutor):
    """An in-memory executor written against the ABC alone: runs probes to completion at once."""

    def __init__(self, config: Any = None) -> None:
        super().__init__(config)
        self.runs: dict[str, Any] = {}

    def launch_job(self, job: JobLike) -> tuple[bool, str]:
        execution_id = f"dict-{len(self.runs) + 1}"
        self.runs[execution_id] = interpret(job.command, job.environment)
        mark_launched(job, execution_id, self.clock.now())
        return True, execution_id

    def check_status(self, execution_id: str) -> str:
        return "exited" if execution_id in self.runs else "not-found"

    def get_logs(self, execution_id: str) -> tuple[str, str]:
        run = self.runs.get(execution_id)
        return run.output_until(run.duration) if run else ("", "")

    def harvest_job(self, job: JobLike) -> bool:
        run = self.runs.get(job.external_execution_id or "")
        if run is None:
            return False
        stdout, stderr = run.output_until(run.duration)
        record_result(job, exit_code=run.exit_code, stdout=stdout, stderr=stderr, completed_at=self.clock.now())
        return True

    def cleanup(self, execution_id: str) -> bool:
        self.runs.pop(execution_id, None)
        return True


def test_abc_cannot_be_instantiated() -> None:
    with pytest.raises(TypeError):
        ContainerExecutor()  # type: ignore[abstract]


@pytest.mark.parametrize("missing", ABSTRACT)
def test_subclass_missing_a_method_cannot_be_instantiated(missing: str) -> None:
    methods = {name: getattr(DictExecutor, name) for name in ABSTRACT if name != missing}
    partial = type("Partial", (ContainerExecutor,), methods)
    with pytest.raises(TypeError, match=missing):
        partial()


def test_in_memory_executor_runs_end_to_end() -> None:
    executor = DictExecutor()
    job = ContainerJob(image="any", command=["probe", "out", "hi", "err", "oops", "exit", "3"])
    ok, execution_id = executor.launch_job(job)
    assert (ok, job.status, executor.check_status(execution_id)) == (True, "running", "exited")
    assert executor.get_logs(execution_id) == ("hi\n", "oops\n")
    assert executor.harvest_job(job) is True
    assert (job.exit_code, job.status, job.stdout, job.stderr) == (3, "failed", "hi\n", "oops\n")
    assert executor.cleanup(execution_id) and executor.check_status(execution_id) == "not-found"
    assert executor.name == "dict"
    assert executor.get_capabilities() == dict(executor_kit.STANDARD_CAPABILITIES)


def test_config_must_be_a_mapping() -> None:
    with pytest.raises(ExecutorConfigurationError, match="mapping"):
        DictExecutor(["not", "a", "mapping"])


@pytest.mark.parametrize(
    ("error", "builtin"),
    [
        (ExecutorConnectionError, ConnectionError),
        (ExecutorConfigurationError, ValueError),
        (ExecutorAuthenticationError, PermissionError),
        (ExecutorResourceError, ExecutorError),
    ],
)
def test_exception_hierarchy(error: type[ExecutorError], builtin: type[Exception]) -> None:
    exc = error("it broke", backend="docker", execution_id="abc")
    assert isinstance(exc, ExecutorError) and isinstance(exc, builtin)
    assert (str(exc), exc.backend, exc.execution_id) == ("it broke", "docker", "abc")


def test_status_words_compare_equal_to_plain_strings() -> None:
    assert [status.value for status in ExecutionStatus] == ["running", "exited", "failed", "not-found"]
    assert ExecutionStatus.NOT_FOUND == "not-found" and str(ExecutionStatus.EXITED) == "exited"
    assert {ExecutionStatus.RUNNING: 1}["running"] == 1


class PlainJob:
    """An application's own model: no subclassing, just the attributes."""

    def __init__(self) -> None:
        self.image, self.command, self.environment = "busybox", ["probe", "env", "A"], {"A": "x"}
        self.name, self.labels = None, {}
        self.cpu_limit = self.memory_limit = self.timeout_seconds = None
        self.status, self.external_execution_id, self.exit_code = "pending", None, None
        self.stdout = self.stderr = ""
        self.started_at: dt.datetime | None = None
        self.completed_at: dt.datetime | None = None


def test_plain_class_satisfies_protocol() -> None:
    job = PlainJob()
    assert isinstance(job, JobLike)
    executor = get_executor("mock")
    ok, _ = executor.launch_job(job)
    executor.advance(1)
    assert ok and executor.harvest_job(job) and (job.status, job.stdout) == ("completed", "x\n")


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"image": ""}, "image"),
        ({"image": "x", "command": "echo hi"}, "command"),
        ({"image": "x", "command": ["echo", 3]}, "command"),
        ({"image": "x", "memory_limit": -1}, "memory_limit"),
        ({"image": "x", "cpu_limit": 0}, "cpu_limit"),
        ({"image": "x", "timeout_seconds": -5}, "timeout_seconds"),
        ({"image": "x", "timeout_seconds": float("nan")}, "timeout_seconds"),
        ({"image": "x", "memory_limit": True}, "memory_limit"),
        ({"image": "x", "environment": {1: "a"}}, "environment"),
        ({"image": "x", "environment": {"A": 1}}, "environment"),
        ({"image": "x", "environment": {"A=B": "1"}}, "environment"),
        ({"image": "x", "labels": {"a": None}}, "labels"),
    ],
)
def test_job_rejects_bad_input(fields: dict[str, Any], message: str) -> None:
    with pytest.raises(ExecutorConfigurationError, match=f"ContainerJob.{message}"):
        ContainerJob(**fields)


def test_secrets_stay_out_of_repr_but_reach_validation() -> None:
    job = ContainerJob(image="x", secret_environment={"TOKEN": "hunter2"})
    assert "hunter2" not in repr(job)
    validate_job(job)


@pytest.mark.parametrize("name", [None, "", " Docker ", 42, "no-such-backend"])
def test_factory_rejects_bad_names_listing_known(name: Any) -> None:
    with pytest.raises(ExecutorConfigurationError) as info:
        get_executor(name)
    for known in ("mock", "docker", "cloudrun", "fargate", "kubernetes"):
        assert known in str(info.value)


def test_factory_suggests_close_name() -> None:
    with pytest.raises(ExecutorConfigurationError, match="Did you mean 'docker'"):
        get_executor(" Docker ")


def test_factory_rejects_non_mapping_config() -> None:
    with pytest.raises(ExecutorConfigurationError, match="mapping"):
        get_executor("mock", ["seed", 1])  # type: ignore[arg-type]


def test_missing_optional_dependency_names_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "docker", None)  # makes `import docker` fail
    monkeypatch.delitem(sys.modules, "executor_kit.backends.docker.executor", raising=False)
    monkeypatch.delitem(sys.modules, "executor_kit.backends.docker", raising=False)
    with pytest.raises(ExecutorConfigurationError, match=r"executor-kit\[docker\]"):
        get_executor("docker")


def test_register_executor_and_errors() -> None:
    register_executor("in-memory", DictExecutor)
    try:
        assert isinstance(get_executor("in-memory"), DictExecutor)
        with pytest.raises(ExecutorConfigurationError, match="already registered"):
            register_executor("in-memory", DictExecutor)
        register_executor("in-memory", lambda config: "not an executor", replace=True)  # type: ignore[arg-type,return-value]
        with pytest.raises(ExecutorConfigurationError, match="not a ContainerExecutor"):
            get_executor("in-memory")
    finally:
        unregister_executor("in-memory")
    with pytest.raises(ExecutorConfigurationError):
        register_executor(" spaced ", DictExecutor)


def test_import_needs_no_optional_dependency() -> None:
    code = (
        "import sys, executor_kit; "
        "print(sorted(m for m in ('docker', 'boto3', 'google.auth', 'requests') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


PLUGIN_PYPROJECT = """
[build-system]
requires = ["hatchling"]
build-backend = "hatchling.build"

[project]
name = "kit-plugin-demo"
version = "1.0"

[project.entry-points."executor_kit.executors"]
demo = "kit_plugin_demo:DemoExecutor"
"""

PLUGIN_MODULE = """
from executor_kit import ContainerExecutor

class DemoExecutor(ContainerExecutor):
    def launch_job(self, job): return False, "demo runs nothing"
    def check_status(self, execution_id): return "not-found"
    def get_logs(self, execution_id): return "", ""
    def harvest_job(self, job): return False
    def cleanup(self, execution_id): return True
"""


def test_entry_point_from_separately_installed_distribution(tmp_path: Path) -> None:
    source, target = tmp_path / "src", tmp_path / "site"
    (source / "kit_plugin_demo").mkdir(parents=True)
    (source / "pyproject.toml").write_text(PLUGIN_PYPROJECT)
    (source / "kit_plugin_demo" / "__init__.py").write_text(textwrap.dedent(PLUGIN_MODULE))
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "-q",
            "--no-deps",
            "--no-build-isolation",
            "--target",
            str(target),
            str(source),
        ],
        check=True,
    )
    code = (
        "from executor_kit import get_executor, available_executors; e = get_executor('demo'); "
        "print(type(e).__name__, 'demo' in available_executors())"
    )
    env = {"PYTHONPATH": str(target), "PATH": "/usr/bin:/bin"}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True).stdout
    assert out.split() == ["DemoExecutor", "True"]
