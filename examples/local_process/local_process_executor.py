"""``LocalProcessExecutor``: jobs as local subprocesses, no container engine.

Written from ``executor-kit init local_process`` to a passing conformance run
(see README.md in this folder). One execution is one process group:

* an "image" is a directory of executables (``config["images"]``, by default
  only ``executor-kit-probe:latest`` -> the folder of the kit's probe script);
  ``command[0]`` without a ``/`` is looked up there first, then on ``PATH``. An
  image that is not configured is a job-level failure: ``(False, message)``;
* the workload gets exactly ``job_environment(job)`` plus a ``PATH`` that puts
  the image directory first (nothing else leaks in from the host);
* stdout and stderr go to two files in a per-execution temporary directory,
  opened in append mode, so they stay readable while it runs and after it ends
  until ``cleanup``, which kills the process group and deletes the directory;
* a waiter thread per process records when it ended (``completed_at``);
* ``timeout_seconds`` is enforced by ``check_status`` (SIGKILL to the group at
  the first check after the deadline). A process that ended after its deadline
  (killed or not) outlived its timeout: it reads ``failed`` and is harvested as
  ``timeout``, like ``DockerExecutor``. One ended by a signal reads ``failed``
  and is harvested with exit code ``128 + signal``.

Known limits: ``cleanup`` kills the process group only while its leader has not
been reaped (so a reused pid is never hit); a background process that outlives
its leader is not killed. A workload that reopens ``/dev/stdout`` with ``>``
truncates its own stdout file (as it would with ``cmd > file`` in a shell).

Executions live in the executor object that launched them (like
``MockExecutor``): another instance does not see them. ``supports_secrets``
is declared (``secret_environment`` reaches the process's environment, never a
message); resource limits, networking and persistent storage are not.
"""

from __future__ import annotations

import codecs
import contextlib
import dataclasses
import datetime as dt
import os
import shutil
import signal
import subprocess
import tempfile
import threading
import uuid
from collections.abc import Mapping
from pathlib import Path
from typing import Any, ClassVar

from executor_kit import MANAGED_LABEL, ContainerExecutor, ExecutionStatus
from executor_kit.errors import ExecutorConfigurationError
from executor_kit.job import JobLike, job_environment, mark_launched, record_result, validate_job
from executor_kit.probe import PROBE_DIR, PROBE_IMAGE
from executor_kit.settings import Settings, setting

__all__ = ["LocalProcessExecutor"]

_DEFAULT_PATH = "/usr/local/bin:/usr/bin:/bin"


@dataclasses.dataclass
class _Execution:
    process: subprocess.Popen[bytes]
    directory: Path
    labels: dict[str, str]
    deadline: float | None
    waiter: threading.Thread | None = None
    ended: float | None = None  # clock.monotonic() when the process ended
    ended_at: dt.datetime | None = None  # set last by the waiter: once set, the execution has ended

    @property
    def timed_out(self) -> bool:
        if self.deadline is None or self.ended is None:
            return False
        return self.ended >= self.deadline

    @property
    def exit_code(self) -> int:
        code = self.process.returncode
        return code if code >= 0 else 128 - code

    @property
    def reason(self) -> str | None:
        if self.timed_out:
            return "outlived its timeout_seconds"
        return f"killed by signal {-self.process.returncode}" if self.process.returncode < 0 else None

    @property
    def status(self) -> ExecutionStatus:
        if self.ended_at is None:
            return ExecutionStatus.RUNNING
        return ExecutionStatus.FAILED if self.reason else ExecutionStatus.EXITED


def _read(path: Path, final: bool) -> str:
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return ""
    # While running, an incomplete UTF-8 sequence at the end is held back, not replaced.
    return codecs.getincrementaldecoder("utf-8")(errors="replace").decode(data, final=final)


def _kill_group(execution: _Execution) -> None:
    # Only while the leader is not reaped: then its pid cannot have been reused as a group id.
    if execution.process.poll() is None:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(execution.process.pid, signal.SIGKILL)
    if execution.waiter is not None:
        execution.waiter.join()


def _is_image_table(value: object) -> bool:
    return isinstance(value, Mapping) and all(isinstance(k, str) and isinstance(v, str) for k, v in value.items())


@dataclasses.dataclass(frozen=True, kw_only=True)
class LocalProcessSettings(Settings):
    """The executor's options, checked once by ``from_mapping``.

    Example:
        >>> LocalProcessSettings.from_mapping({"workdir": "/tmp"}).workdir
        '/tmp'
    """

    backend = "local_process"
    images: Mapping[str, str] = setting(_is_image_table, "a dict of image name -> directory", {})
    workdir: str | None = setting(lambda value: isinstance(value, str) and bool(value), "a directory path", None)


class LocalProcessExecutor(ContainerExecutor):
    """Runs each job as a local process group.

    Args:
        config: ``images`` (image name -> directory of executables, merged over
            the default probe image) and ``workdir`` (where the per-execution
            directories go; default the system temp directory).

    Example:
        >>> ex = LocalProcessExecutor()
        >>> ok, eid = ex.launch_job(ContainerJob(image="executor-kit-probe:latest",
        ...                                      command=["probe", "out", "hi", "exit", "3"]))
        >>> while ex.check_status(eid) == "running": ex.clock.sleep(0.01)
        >>> str(ex.check_status(eid)), ex.get_logs(eid)
        ('exited', ('hi\\n', ''))
        >>> ex.cleanup(eid), str(ex.check_status(eid))
        (True, 'not-found')
    """

    #: Secrets reach the process as environment variables (SECRETS-001 verifies it); nothing else is promised.
    capabilities: ClassVar[Mapping[str, bool]] = {"supports_secrets": True}

    def __init__(self, config: Mapping[str, Any] | None = None, **kwargs: Any) -> None:
        super().__init__(config, **kwargs)
        self.settings = LocalProcessSettings.from_mapping(self.config)
        self.images = {PROBE_IMAGE: str(PROBE_DIR), **self.settings.images}
        self.workdir = self.settings.workdir or tempfile.gettempdir()
        self._executions: dict[str, _Execution] = {}
        self._lock = threading.Lock()

    #: The registered name, what errors, reports and time profiles go by.
    name = "local_process"

    # -- launch ------------------------------------------------------------
    def _argv(self, job: JobLike) -> list[str]:
        image_dir = self.images.get(job.image)
        if image_dir is None:
            raise LookupError(f"image {job.image!r} is not configured; known images: {sorted(self.images)}")
        if not job.command:
            raise LookupError("the job has no command (a local process needs an argv)")
        program = job.command[0]
        found = program if "/" in program else shutil.which(program, path=self._path(image_dir))
        if found is None:
            raise LookupError(f"{program!r} is neither in image {job.image!r} ({image_dir}) nor on PATH")
        return [found, *job.command[1:]]

    @staticmethod
    def _path(image_dir: str) -> str:
        return f"{image_dir}{os.pathsep}{os.environ.get('PATH') or _DEFAULT_PATH}"

    def _spawn(self, job: JobLike, argv: list[str]) -> _Execution:
        directory = Path(tempfile.mkdtemp(prefix="executor-kit-local-", dir=self.workdir))
        environment = {"PATH": self._path(self.images[job.image]), **job_environment(job)}
        try:
            with open(directory / "stdout", "ab") as out, open(directory / "stderr", "ab") as err:
                process = subprocess.Popen(
                    argv,
                    env=environment,
                    stdin=subprocess.DEVNULL,
                    stdout=out,
                    stderr=err,
                    cwd=directory,
                    start_new_session=True,
                )
        except OSError:
            shutil.rmtree(directory, ignore_errors=True)
            raise
        timeout = job.timeout_seconds
        deadline = None if timeout is None else self.clock.monotonic() + timeout
        execution = _Execution(process, directory, {**job.labels, MANAGED_LABEL: "true"}, deadline)
        execution.waiter = threading.Thread(target=self._watch, args=(execution,), daemon=True)
        execution.waiter.start()
        return execution

    def _watch(self, execution: _Execution) -> None:
        execution.process.wait()
        execution.ended = self.clock.monotonic()
        execution.ended_at = self.clock.now()

    def launch_job(self, job: JobLike) -> tuple[bool, str]:
        """Start ``job.command`` as a process; ``(False, message)`` for a job-level failure.

        Example:
            >>> LocalProcessExecutor().launch_job(ContainerJob(image="nope", command=["true"]))[0]
            False
        """
        try:
            validate_job(job)
            execution = self._spawn(job, self._argv(job))
        except (ExecutorConfigurationError, LookupError, OSError) as exc:
            return False, f"cannot launch: {exc}"
        execution_id = f"local-{uuid.uuid4().hex}"
        with self._lock:
            self._executions[execution_id] = execution
        mark_launched(job, execution_id, self.clock.now())
        return True, execution_id

    # -- status ------------------------------------------------------------
    def _refresh(self, execution: _Execution) -> None:
        past = execution.deadline is not None and self.clock.monotonic() >= execution.deadline
        if execution.ended_at is None and past:
            _kill_group(execution)

    def _observed(self, execution_id: str) -> _Execution | None:
        with self._lock:
            execution = self._executions.get(execution_id)
            if execution is not None:
                self._refresh(execution)
            return execution

    def check_status(self, execution_id: str) -> ExecutionStatus:
        """``running``, ``exited``, ``failed`` (timed out or killed by a signal) or ``not-found``.

        Example:
            >>> LocalProcessExecutor().check_status("")
            <ExecutionStatus.NOT_FOUND: 'not-found'>
        """
        execution = self._observed(execution_id)
        return ExecutionStatus.NOT_FOUND if execution is None else execution.status

    def get_logs(self, execution_id: str) -> tuple[str, str]:
        """``(stdout, stderr)`` read from the two files; ``("", "")`` if unknown.

        Example:
            >>> LocalProcessExecutor().get_logs("unknown")
            ('', '')
        """
        execution = self._observed(execution_id)
        if execution is None:
            return "", ""
        final = execution.ended_at is not None
        return _read(execution.directory / "stdout", final), _read(execution.directory / "stderr", final)

    def harvest_job(self, job: JobLike) -> bool:
        """Record the result once the process has ended; ``False`` while running or unknown.

        Example:
            >>> LocalProcessExecutor().harvest_job(ContainerJob(image="x", external_execution_id="gone"))
            False
        """
        execution = self._observed(job.external_execution_id or "")
        if execution is None or execution.ended_at is None:
            return False
        stdout, stderr = self.get_logs(job.external_execution_id or "")
        record_result(
            job,
            exit_code=execution.exit_code,
            stdout=stdout,
            stderr=stderr,
            completed_at=execution.ended_at,
            timed_out=execution.timed_out,
            reason=execution.reason,
        )
        return True

    # -- the end -----------------------------------------------------------
    def cleanup(self, execution_id: str) -> bool:
        """Kill the process group, delete the output files; ``True`` also for unknown ids.

        Example:
            >>> LocalProcessExecutor().cleanup("unknown")
            True
        """
        with self._lock:
            execution = self._executions.pop(execution_id, None)
        if execution is not None:
            _kill_group(execution)
            shutil.rmtree(execution.directory, ignore_errors=True)
        return True

    def find_executions(self, labels: Mapping[str, str]) -> list[str]:
        """Ids of the executions (not yet cleaned up) carrying all ``labels``.

        Example:
            >>> LocalProcessExecutor().find_executions({"team": "a"})
            []
        """
        wanted = labels.items()
        with self._lock:
            return [eid for eid, execution in self._executions.items() if wanted <= execution.labels.items()]
