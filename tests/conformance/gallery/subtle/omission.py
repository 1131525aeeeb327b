"""Bugs of omission and of lifecycle: what an executor must leave alone, what it must free, what it must refuse.

Failed launches that mutate the job or leave a resource; the caller's command,
environment and labels mutated, or read late; exceptions for job-level
failures; zero values; ids reused; what status, logs and harvest answer after
cleanup or close(); find_executions and labels.
"""

from __future__ import annotations

from typing import Any

from executor_kit import ContainerJob
from executor_kit.backends.mock import MockExecutor, Outcome
from executor_kit.backends.mock.executor import _Execution, _probe_ending
from executor_kit.errors import ExecutorResourceError
from executor_kit.job import JobLike, job_environment
from executor_kit.labels import MANAGED_LABEL
from executor_kit.probe import MISSING_IMAGE, Probe

from ._base import NOT_YET, Bug, Subtle, job_id, registrar
from ._witness import launch

P = Probe  # witness argvs: P().out("x").exit(3).argv
REGISTRY: dict[type, Bug] = {}
bug = registrar(REGISTRY)

L001 = (
    "LAUNCH-001: launch_job records on the job external_execution_id, status 'running', started_at "
    "(and nothing else)." + NOT_YET
)
L004 = "LAUNCH-004: A job-level failure returns (False, message) and leaves nothing behind."
LK001 = "LEAKS-001: Everything the suite launched is gone after cleanup (through the executor and the backend)."
FIND = " (find_executions: ids of executions carrying all labels, exactly)" + NOT_YET


def _unchanged_after_failed_launch(ex: Any) -> None:
    job = ContainerJob(image=MISSING_IMAGE, command=["probe"], labels={"w": "1"})
    before = dict(vars(job))
    ok, message = ex.launch_job(job)
    assert ok is False and message
    changed = sorted(key for key, value in vars(job).items() if before[key] != value)
    assert not changed, f"a failed launch changed {changed}"


@bug("LAUNCH", L004 + " (and the job is left unchanged)" + NOT_YET, "a failed launch", _unchanged_after_failed_launch)
class FailedLaunchMarksJob(Subtle):
    """Airflow-style runners marking the job failed (status, reason, an empty id) when the launch is refused."""

    def launch_job(self, job: JobLike) -> tuple[bool, str]:
        ok, result = super().launch_job(job)
        if not ok:
            job.status, job.external_execution_id = "failed", ""
        return ok, result


def _inputs_untouched(ex: Any) -> None:
    job = ContainerJob(
        image="probe",
        command=P().out("x").argv,
        environment={"A": "1"},
        labels={"w": "1"},
        secret_environment={"S": "2"},
    )
    inputs = (job.command, job.environment, job.labels)
    copies = (list(job.command), dict(job.environment), dict(job.labels))
    assert ex.launch_job(job)[0]
    assert (job.command, job.environment, job.labels) == copies, "launch_job changed the caller's inputs"
    assert all(a is b for a, b in zip(inputs, (job.command, job.environment, job.labels), strict=True))


@bug("LAUNCH", L001, "every launch with labels", _inputs_untouched)
class LaunchAddsManagedLabel(Subtle):
    """Docker executors doing labels = job.labels; labels[MANAGED] = 'true' on the caller's own dict."""

    def launch_job(self, job: JobLike) -> tuple[bool, str]:
        if isinstance(job.labels, dict):
            job.labels[MANAGED_LABEL] = "true"
        return super().launch_job(job)


@bug("LAUNCH", L001, "a command whose first element is not an absolute path", _inputs_untouched)
class LaunchResolvesCommandInPlace(Subtle):
    """Kubernetes executors resolving command[0] to an absolute path in the caller's list."""

    def launch_job(self, job: JobLike) -> tuple[bool, str]:
        if isinstance(job.command, list) and job.command and not str(job.command[0]).startswith("/"):
            job.command[0] = "/bin/" + job.command[0]
        return super().launch_job(job)


@bug(("LAUNCH", "SECRETS"), L001 + " (secrets stay out of environment)", "a job with secrets", _inputs_untouched)
class LaunchMergesSecretsIntoEnvironment(Subtle):
    """ECS executors doing env = job.environment; env.update(secrets): secrets land in the job's plain environment."""

    def launch_job(self, job: JobLike) -> tuple[bool, str]:
        if isinstance(job.environment, dict):
            job.environment.update(getattr(job, "secret_environment", {}) or {})
        return super().launch_job(job)


class _DeferredSpec(Subtle):
    """The workload's spec is built at the first poll, partly from the live job object (deferred submission)."""

    lazy_env = False
    lazy_argv = False

    def launch_job(self, job: JobLike) -> tuple[bool, str]:
        ok, execution_id = super().launch_job(job)
        if ok:
            frozen = (tuple(job.command), job_environment(job))
            self.__dict__.setdefault("_deferred", {})[execution_id] = (job, frozen)
        return ok, execution_id

    def _submit(self, execution_id: object) -> None:
        pending = self.__dict__.get("_deferred", {}).pop(execution_id, None)
        record = self._live(execution_id)
        if pending is None or record is None or record.run is None:
            return
        job, (argv, env) = pending
        live = ContainerJob(
            image=job.image,
            command=list(job.command if self.lazy_argv else argv),
            environment=job_environment(job) if self.lazy_env else env,
        )
        limit = self._memory_limit(job)
        record.run = run = self._interpret(live, tuple(live.command), limit)
        record.ending, record.end = _probe_ending(run, limit), record.start + run.duration
        self._apply_timeout(record, job.timeout_seconds, run.ignores_term)

    def check_status(self, execution_id: str) -> Any:
        self._submit(execution_id)
        return super().check_status(execution_id)

    def get_logs(self, execution_id: str) -> tuple[str, str]:
        self._submit(execution_id)
        return super().get_logs(execution_id)

    def harvest_job(self, job: JobLike) -> bool:
        self._submit(job_id(job))
        return super().harvest_job(job)


def _late_change(change: Any, argv: list[str], expected: str) -> Any:
    def witness(ex: Any) -> None:
        job, execution_id = launch(ex, argv, environment={"A": "1"})
        change(job)
        ex.advance(1)
        assert ex.get_logs(execution_id) == (expected, ""), f"later change reached it: {ex.get_logs(execution_id)!r}"

    return witness


@bug(
    ("ENV", "LAUNCH"),
    "ENV-001: Environment values reach the workload exactly (as at the launch_job call)." + NOT_YET,
    "the caller changes job.environment after launch_job",
    _late_change(lambda job: job.environment.update(A="2"), P().env("A").argv, "1\n"),
)
class LateEnvironmentReachesWorkload(_DeferredSpec):
    """Kubernetes operators building the pod's env from the job object at the first reconcile, not at launch."""

    lazy_env = True


@bug(
    ("ARGV", "LAUNCH"),
    "ARGV-001: argv reaches the workload unchanged (as at the launch_job call)." + NOT_YET,
    "the caller changes job.command after launch_job",
    _late_change(lambda job: job.command.__setitem__(2, "y"), P().out("x").argv, "x\n"),
)
class LateCommandReachesWorkload(_DeferredSpec):
    """Queue-based executors (Batch, Dagster run queue) keeping a reference to job.command until submission."""

    lazy_argv = True


def _refused_not_raised(**fields: Any) -> Any:
    def witness(ex: Any) -> None:
        result = ex.launch_job(ContainerJob(command=P().out("x").argv, **{"image": "probe", **fields}))
        assert isinstance(result, tuple) and isinstance(result[0], bool), f"launch_job answered {result!r}"

    return witness


def _accepted(**fields: Any) -> Any:
    def witness(ex: Any) -> None:
        ok, message = ex.launch_job(ContainerJob(image="probe", command=P().out("x").argv, **fields))
        assert ok is True, f"a valid job was refused: {message}"

    return witness


@bug("LAUNCH", L004, "the image does not exist", _refused_not_raised(image=MISSING_IMAGE))
class MissingImageRaises(Subtle):
    """Docker SDK: ImageNotFound wrapped as ExecutorResourceError instead of returned as (False, message)."""

    def launch_job(self, job: JobLike) -> tuple[bool, str]:
        if job.image == MISSING_IMAGE:
            raise ExecutorResourceError(f"image {job.image!r} not found", backend="mock")
        return super().launch_job(job)


@bug(
    "LAUNCH",
    L004 + " (a quota is a job-level failure)",
    "cpu_limit above the 4-vCPU quota",
    _refused_not_raised(cpu_limit=8),
)
class QuotaRaises(Subtle):
    """ECS/Fargate RunTask 'failures' (RESOURCE:CPU) and Cloud Run quota errors raised instead of returned."""

    def launch_job(self, job: JobLike) -> tuple[bool, str]:
        if (job.cpu_limit or 0) > 4:
            raise ExecutorResourceError("quota exceeded: vCPU", backend="mock")
        return super().launch_job(job)


def _zero_refused(ex: Any) -> None:
    for field in ("memory_limit", "cpu_limit", "timeout_seconds"):
        job = ContainerJob(image="probe", command=P().out("x").argv)
        setattr(job, field, 0)
        try:
            ok, _ = ex.launch_job(job)
        except ValueError:
            continue
        assert ok is False, f"{field}=0 was accepted"


@bug(
    "LAUNCH",
    "LAUNCH-005: An invalid job is refused with (False, message) or ExecutorConfigurationError.",
    "memory_limit, cpu_limit or timeout_seconds set to 0",
    _zero_refused,
)
class ZeroLimitsMeanUnlimited(Subtle):
    """Docker SDK: mem_limit=0 / nano_cpus=0 mean 'no limit', so 0 is passed through instead of refused."""

    FIELDS = ("memory_limit", "cpu_limit", "timeout_seconds")

    def _job_problem(self, job: JobLike) -> str | None:
        zeros = [field for field in self.FIELDS if getattr(job, field, None) == 0]
        shim = ContainerJob(image=job.image if isinstance(job.image, str) and job.image.strip() else "x")
        for field in ("image", "command", "environment", "labels", "name"):
            setattr(shim, field, getattr(job, field))
        for field in self.FIELDS:
            setattr(shim, field, None if field in zeros else getattr(job, field))
        return super()._job_problem(shim)

    def _memory_limit(self, job: JobLike) -> int | None:
        return super()._memory_limit(job) or None

    @staticmethod
    def _apply_timeout(execution: Any, timeout: float | None, ignores_term: bool) -> None:
        MockExecutor._apply_timeout(execution, timeout or None, ignores_term)


@bug(
    "LAUNCH",
    "LAUNCH-001: launch_job returns (True, id) with a non-empty str id (for a valid job; cpu_limit is in cores).",
    "cpu_limit below one core (0.5)",
    _accepted(cpu_limit=0.5),
)
class FractionalCpuRefused(Subtle):
    """ECS/Docker builders using int(cpu_limit) as whole CPUs, then rejecting 0 as invalid."""

    def launch_job(self, job: JobLike) -> tuple[bool, str]:
        if job.cpu_limit is not None and int(job.cpu_limit) < 1:
            return False, "cpu_limit must be at least 1"
        return super().launch_job(job)


def _launch_twice(ex: Any) -> None:
    job = ContainerJob(image="probe", command=P().sleep(100).argv, name="nightly")
    first, second = ex.launch_job(job), ex.launch_job(job)
    assert first[0] and second[0] and first[1] != second[1], f"launches: {first!r}, {second!r}"


@bug(
    "LAUNCH",
    "LAUNCH-002: Every launch gets a new id, also for the same job launched twice.",
    "a named job launched again while the first is still there",
    _launch_twice,
)
class NamedJobCollides(Subtle):
    """Kubernetes: the Job's metadata.name is job.name, so a second launch gets 409 AlreadyExists."""

    def launch_job(self, job: JobLike) -> tuple[bool, str]:
        names = self.__dict__.setdefault("_names", {})
        if job.name and names.get(job.name) in self._executions:
            return False, f"jobs.batch {job.name!r} already exists"
        ok, execution_id = super().launch_job(job)
        if ok and job.name:
            names[job.name] = execution_id
        return ok, execution_id


def _fresh_after_cleanup(ex: Any) -> None:
    _, first = launch(ex, P().out("x").argv)
    ex.cleanup(first)
    _, second = launch(ex, P().out("x").argv)
    assert first != second, f"id {first!r} reused after cleanup"


@bug(
    "LAUNCH",
    "LAUNCH-002: Every launch gets a new id (issue 18: also after cleanup).",
    "a launch right after cleanup",
    _fresh_after_cleanup,
)
class IdReusedAfterCleanup(Subtle):
    """Slot-pool executors (batch array indices, PID-like counters) handing a freed id out again."""

    def cleanup(self, execution_id: str) -> bool:
        if execution_id == f"mock-{self._counter}" and execution_id in self._executions:
            self._counter -= 1
        return super().cleanup(execution_id)


def _nothing_left(ex: Any) -> None:
    job = ContainerJob(image=MISSING_IMAGE, command=["probe"], labels={"w": "1"}, secret_environment={"S": "x"})
    assert ex.launch_job(job)[0] is False
    assert ex.find_executions({"w": "1"}) == [], "a failed launch left a resource behind"


@bug(("LAUNCH", "LEAKS"), L004, "a failed launch of a job that carries secrets", _nothing_left)
class SecretLeftOnFailedLaunch(Subtle):
    """ECS/Kubernetes: the Secret object is created first and not deleted when the task/pod is refused."""

    def launch_job(self, job: JobLike) -> tuple[bool, str]:
        ok, message = super().launch_job(job)
        if not ok and getattr(job, "secret_environment", None):
            leftover = _Execution(self._now(), self.clock.now(), dict(job.labels), Outcome(), None)
            self._executions[f"secret-{len(self._executions) + 1}"] = leftover
        return ok, message


def _close_keeps_running(ex: Any) -> None:
    _, execution_id = launch(ex, P().sleep(100).argv)
    ex.close()
    assert ex.check_status(execution_id) == "running", "close() ended an execution"


@bug(
    ("STATUS", "CLOSE"),
    "STATUS-004: A workload that is still running reads 'running' (ContainerExecutor.close: the executions are "
    "unaffected)." + NOT_YET,
    "close() or leaving the executor's with block",
    _close_keeps_running,
)
class CloseCleansUp(Subtle):
    """Prefect/Dask-style executors whose __exit__/close() shuts down (cancels) what they started."""

    def close(self) -> None:
        for execution_id in list(self._executions):
            self.cleanup(execution_id)


def _gone_after_cleanup(ex: Any) -> None:
    job, execution_id = launch(ex, P().out("x").sleep(5).argv)
    ex.advance(10)
    assert ex.cleanup(execution_id)
    assert ex.get_logs(execution_id) == ("", ""), "logs still readable after cleanup"
    assert ex.harvest_job(job) is False and job.exit_code is None, "harvest after cleanup invented a result"


@bug(
    ("LOGS", "CLEANUP"),
    "LOGS-008: An unknown id gives ('', '') (a cleaned-up id is unknown).",
    "get_logs after cleanup",
    _gone_after_cleanup,
)
class LogsSurviveCleanup(Subtle):
    """ECS/Cloud Run: cleanup deletes the task but the CloudWatch/Cloud Logging stream still answers."""

    def cleanup(self, execution_id: str) -> bool:
        if self._live(execution_id) is not None:
            self.__dict__.setdefault("_kept", {})[execution_id] = super().get_logs(execution_id)
        return super().cleanup(execution_id)

    def get_logs(self, execution_id: str) -> tuple[str, str]:
        logs = super().get_logs(execution_id)
        kept: dict[str, tuple[str, str]] = self.__dict__.get("_kept", {})
        return kept.get(execution_id, logs) if logs == ("", "") and isinstance(execution_id, str) else logs


@bug(
    ("HARVEST", "CLEANUP"),
    "HARVEST-005: Harvesting an unknown execution returns False and invents nothing.",
    "harvest after cleanup of a never-harvested execution",
    _gone_after_cleanup,
)
class HarvestAfterCleanupInventsLost(Subtle):
    """Airflow/Dagster: a run whose container vanished is recorded as failed (exit -1) instead of unknown."""

    def harvest_job(self, job: JobLike) -> bool:
        done = super().harvest_job(job)
        if not done and job_id(job) and self._record(job_id(job)) is None and job.status == "running":
            job.exit_code, job.status, job.completed_at = -1, "failed", self.clock.now()
            return True
        return done


def _failed_cleaned(ex: Any) -> None:
    _, execution_id = launch(ex, P().alloc(200).argv, memory_limit=100)
    ex.advance(1)
    assert ex.check_status(execution_id) == "failed"
    assert ex.cleanup(execution_id) is True
    assert ex.check_status(execution_id) == "not-found", "a failed execution survived cleanup"


@bug(
    "CLEANUP",
    "CLEANUP-004: A finished execution reads 'not-found' after cleanup.",
    "the execution ended 'failed'",
    _failed_cleaned,
)
class CleanupSkipsFailed(Subtle):
    """Cleanup code with branches for 'running' (stop+remove) and 'exited' (remove) only."""

    def cleanup(self, execution_id: str) -> bool:
        if self._ended(execution_id) and self._record(execution_id).ending.status == "failed":
            return True
        return super().cleanup(execution_id)


def _cleanup_twice(ex: Any) -> None:
    _, execution_id = launch(ex, P().sleep(100).argv)
    assert ex.cleanup(execution_id) is True
    assert ex.cleanup(execution_id) is True


@bug(
    "CLEANUP",
    "CLEANUP-002: Cleanup is idempotent: a second call returns True.",
    "second cleanup within 1 s of stopping a running execution",
    _cleanup_twice,
)
class CleanupConflictRaises(Subtle):
    """Docker: 409 'removal of container is already in progress' raised on a quick second remove."""

    def cleanup(self, execution_id: str) -> bool:
        removing: dict[str, float] = self.__dict__.setdefault("_removing", {})
        if isinstance(execution_id, str) and self._now() - removing.get(execution_id, -10.0) < 1.0:
            raise ExecutorResourceError("removal of container is already in progress", backend="mock")
        if self._live(execution_id) is not None and not self._ended(execution_id):
            removing[execution_id] = self._now()
        return super().cleanup(execution_id)


def _nothing_listed(prepare: Any) -> Any:
    def witness(ex: Any) -> None:
        job, execution_id = launch(ex, P().sleep(100).argv, labels={"w": "1"}, timeout_seconds=10)
        prepare(ex, job, execution_id)
        assert ex.cleanup(execution_id) is True
        assert ex.find_executions({"w": "1"}) == [], "the backend still lists a cleaned-up execution"

    return witness


class _Leftovers(Subtle):
    """Resources cleanup forgets, still listed by the backend."""

    def _leftovers(self) -> dict[str, Any]:
        return self.__dict__.setdefault("_left", {})  # type: ignore[no-any-return]

    def find_executions(self, labels: Any) -> list[str]:
        found = super().find_executions(labels)
        extra = [eid for eid, kept in self._leftovers().items() if all(kept.get(k) == v for k, v in labels.items())]
        return found + extra


@bug(
    "LEAKS",
    LK001,
    "cleanup after a harvest",
    _nothing_listed(lambda ex, job, eid: (ex.advance(11), ex.harvest_job(job))),
)
class HarvestArchiveLeaks(_Leftovers):
    """Executors archiving logs at harvest into a labelled volume/log group that cleanup never deletes."""

    def harvest_job(self, job: JobLike) -> bool:
        done = super().harvest_job(job)
        if done:
            self._leftovers()[f"{job_id(job)}-logs"] = {**job.labels, MANAGED_LABEL: "true"}
        return done


@bug(
    "LEAKS",
    LK001,
    "cleanup of an execution that timed out",
    _nothing_listed(lambda ex, job, eid: (ex.advance(11), ex.check_status(eid))),
)
class TimedOutCleanupLeaks(_Leftovers):
    """Docker: the timeout path stops the container; cleanup then thinks it is gone and never removes it."""

    def cleanup(self, execution_id: str) -> bool:
        record = self._live(execution_id)
        if record is not None and self._timed_out(execution_id):
            self._leftovers()[execution_id] = {**record.labels, MANAGED_LABEL: "true"}
        return super().cleanup(execution_id)


def _find_exact(query: dict[str, str], labels: dict[str, str]) -> Any:
    def witness(ex: Any) -> None:
        _, execution_id = launch(ex, P().sleep(100).argv, labels=labels)
        expected = [execution_id] if all(labels.get(k) == v for k, v in query.items()) else []
        assert ex.find_executions(query) == expected, f"find_executions({query}) = {ex.find_executions(query)}"

    return witness


@bug(
    ("LEAKS", "FIND"),
    LK001 + FIND,
    "a label value that is a prefix of another run's",
    _find_exact({"run": "r-1"}, {"run": "r-10"}),
)
class FindMatchesValuePrefix(Subtle):
    """Cloud Logging / tag filters with ':' (has) semantics: run=r-1 also matches r-10 (reap then deletes it)."""

    def find_executions(self, labels: Any) -> list[str]:
        return [eid for eid, r in self._executions.items() if _prefix_match(r.labels, labels)]


def _prefix_match(have: Any, wanted: Any) -> bool:
    return all(str(have.get(k, "true" if k == MANAGED_LABEL else "")).startswith(v) for k, v in wanted.items())


@bug(("LEAKS", "FIND"), LK001 + FIND, "a query with several labels", _find_exact({"a": "1", "b": "2"}, {"a": "1"}))
class FindMatchesAnyLabel(Subtle):
    """ECS ListTasks/resource-group tag queries with OR semantics across keys."""

    def find_executions(self, labels: Any) -> list[str]:
        return [eid for eid, r in self._executions.items() if any(r.labels.get(k) == v for k, v in labels.items())]


@bug(
    ("LEAKS", "FIND"),
    LK001 + FIND + " (label values reach the backend unchanged)",
    "label values with capitals, ':' or '_'",
    _find_exact({"run": "Run_2026:12"}, {"run": "Run_2026:12"}),
)
class LabelValuesSanitised(Subtle):
    """Kubernetes/GCP label rules applied silently (lower-case, [-a-z0-9] only), so the original value never matches."""

    def launch_job(self, job: JobLike) -> tuple[bool, str]:
        ok, execution_id = super().launch_job(job)
        if ok:
            record = self._live(execution_id)
            record.labels = {k: "".join(c if c.isalnum() else "-" for c in v.lower()) for k, v in record.labels.items()}
        return ok, execution_id


def _secret_free_rejection(ex: Any) -> None:
    job = ContainerJob(image="probe", command=["probe"], secret_environment={"TOKEN": "hunter2-secret"})
    job.command = "probe out x"  # type: ignore[assignment]
    try:
        _, message = ex.launch_job(job)
    except ValueError as exc:
        message = str(exc)
    assert "hunter2-secret" not in message, "a secret value in the rejection message"


@bug(
    "SECRETS",
    "SECRETS-002: Secret values never appear in launch messages or exceptions.",
    "an invalid job (rejected spec) that carries secrets",
    _secret_free_rejection,
)
class SecretInRejectionMessage(Subtle):
    """Executors echoing the rejected container spec (with its resolved environment) in the error message."""

    def _job_problem(self, job: JobLike) -> str | None:
        message = super()._job_problem(job)
        if message and message.startswith("job rejected"):
            return f"{message}; spec env={job_environment(job)!r}"
        return message


def _readable_after_harvest(ex: Any) -> None:
    job, execution_id = launch(ex, P().out("x").argv)
    ex.advance(1)
    assert ex.harvest_job(job) is True
    assert ex.get_logs(execution_id) == ("x\n", ""), "logs gone after harvest"
    assert ex.check_status(execution_id) == "exited", "status changed by harvest"


@bug(
    ("LOGS", "STATUS", "HARVEST"),
    "LOGS-007: Logs stay readable after exit until cleanup (BRIEF: harvest cleans up only as an option, off by default).",  # noqa: E501
    "get_logs or status after a harvest",
    _readable_after_harvest,
)
class HarvestCleansUpByDefault(Subtle):
    """Executors that remove the container in harvest (auto-remove) without being asked to."""

    def harvest_job(self, job: JobLike) -> bool:
        done = super().harvest_job(job)
        if done:
            self.cleanup(job_id(job) or "")
        return done
