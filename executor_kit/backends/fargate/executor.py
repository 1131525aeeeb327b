"""``FargateExecutor``: jobs as AWS ECS tasks on Fargate (``boto3``), logs from CloudWatch.

One job is one ``run_task`` (launch type ``FARGATE``) of a configured task
definition, with per-run container overrides (argv, environment, memory and
CPU) and tags. The execution id is the task ARN. Everything the executor needs
later lives on the task itself, so any process with the same configuration can
pick an execution up:

* **status** from ``describe_tasks`` (``lastStatus``, the container's
  ``exitCode`` and ``reason``, the task's ``stopCode`` and ``stoppedReason``);
  a task missing from the answer, or listed under ``failures`` (``MISSING``),
  is ``not-found``;
* **timeouts** from the tag ``executor-kit-timeout-seconds`` (seconds) and the task's
  ``startedAt`` (``createdAt`` while it provisions); ``check_status`` after the
  deadline calls ``stop_task`` with a reason starting ``executor-kit: timeout``,
  which ECS keeps on the task, so every later reader sees ``failed`` and
  ``harvest_job`` records ``timeout``;
* **cleanup** stops the task, deletes its log stream, and tags the task
  ``executor-kit-cleaned`` (ECS keeps stopped tasks visible for about an hour),
  so it reads ``not-found`` from then on, also for other executor instances.

**stdout and stderr.** The ``awslogs`` driver writes both streams into one log
stream, one event per line, and does not record which stream a line came from.
The contract wants them separated by the real streams, so the default
``log_format`` is ``"firelens-json"``: route the container's logs through
FireLens (Fluent Bit's ``cloudwatch_logs`` output) so each event is the JSON
record Docker's fluentd driver produces, whose ``source`` field is ``stdout``
or ``stderr``; set the output's stream name to ``PREFIX/CONTAINER/TASK_ID``
(or set ``log_stream_template``). With plain ``log_format="awslogs"`` all
output is returned as stdout, stderr is empty, and the capability
``separates_output_streams`` reads ``False``.

**Live logs** (``supports_log_streaming``). ``stream_logs`` reads the log
stream ``get_logs`` reads, from where its last read ended, polling on the
executor's clock until the task has stopped and its last lines had time to
arrive (``log_poll_seconds``, ``log_settle_seconds``).

**Secrets.** ``secret_mode`` chooses how ``secret_environment`` reaches the
task: as override environment (``"environment"``, the default), or as
``valueFrom`` references to Secrets Manager or SSM Parameter Store that the
platform resolves (``"value-from"``); :mod:`executor_kit.backends.fargate.secrets`
says which to use when.

**Images.** ECS cannot override a container's image per run, so a job's
``image`` must equal the image of the configured task definition's container;
any other image is refused with ``(False, message)`` before anything starts.

**Where the parts live.** ``settings`` (the options), ``launch`` (a job as a
``run_task`` request), ``tasks`` and ``observe`` (what ``describe_tasks`` says,
timeouts, stop and cleanup marks), ``cloudwatch`` and ``logs`` (the log stream
and which stream each line came from), ``secrets`` (``value-from``) and
``errors`` (AWS error codes as the kit's errors), beside this module.

Example:
    >>> executor = FargateExecutor({
    ...     "region": "eu-west-1", "cluster": "jobs", "task_definition": "probe:3",
    ...     "subnets": ["subnet-0abc"], "log_group": "/ecs/probe",
    ...     "aws_access_key_id": "testing", "aws_secret_access_key": "testing"})
    >>> executor.name, executor.check_status("not-a-task-arn") == "not-found"
    ('fargate', True)
"""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import Iterable, Iterator, Mapping
from typing import Any, ClassVar

from executor_kit.backends.fargate import logs as _fargate_logs
from executor_kit.backends.fargate.cloudwatch import LogStreams
from executor_kit.backends.fargate.errors import translated
from executor_kit.backends.fargate.launch import TaskLauncher
from executor_kit.backends.fargate.observe import (
    CANCEL_REASON,
    CLEANED_TAG,
    LONG_AGO,
    NAME_TAG,
    TIMEOUT_REASON,
    TIMEOUT_TAG,
    Observed,
    utc,
)
from executor_kit.backends.fargate.settings import ClientFactory, FargateSettings, default_client_factory
from executor_kit.backends.fargate.tasks import EcsTasks
from executor_kit.base import ContainerExecutor, LogChunk
from executor_kit.clock import Clock
from executor_kit.errors import ExecutorConfigurationError
from executor_kit.job import JobLike, already_harvested, mark_launched, record_result, secret_values, validate_job
from executor_kit.redaction import SecretLogGuard
from executor_kit.status import ExecutionStatus

__all__ = ["CLEANED_TAG", "NAME_TAG", "TIMEOUT_REASON", "TIMEOUT_TAG", "FargateExecutor"]

#: The loggers of the libraries this executor drives; secret values never reach their records.
LIBRARY_LOGGERS = ("botocore", "boto3", "urllib3", "s3transfer")


class FargateExecutor(ContainerExecutor):
    """Runs jobs as ECS tasks on AWS Fargate; see the module docstring for the design.

    Args:
        config: Options (a mapping), as :class:`~executor_kit.backends.fargate.settings.FargateSettings`
            lists them. Required: ``region``, ``cluster``, ``task_definition``
            (whose container runs the job's image), ``subnets``, ``log_group``.
        clock: Where deadlines and timestamps are read.
        client_factory: ``factory("ecs")`` / ``factory("logs")`` returning boto3
            clients, to replace the default session built from ``config``.

    Raises:
        ExecutorConfigurationError: naming the first unusable setting.

    Example:
        >>> FargateExecutor({"region": "eu-west-1"})  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ...
        executor_kit.errors.ExecutorConfigurationError: fargate config 'cluster' is required: ...
    """

    name: ClassVar[str] = "fargate"

    capabilities: ClassVar[Mapping[str, bool]] = {
        "supports_resource_limits": True,
        "supports_networking": True,
        "supports_persistent_storage": False,
        "supports_secrets": True,
        "separates_output_streams": True,
        # The platform stores logs as one entry per line: where a line ends is not kept.
        "line_oriented_logs": True,
        "supports_cancel": True,
        "supports_log_streaming": True,
    }

    def __init__(
        self,
        config: Mapping[str, Any] | None = None,
        *,
        clock: Clock | None = None,
        client_factory: ClientFactory | None = None,
    ) -> None:
        super().__init__(config, clock=clock)
        self.settings = FargateSettings.from_mapping(self.config)
        with translated("client setup"):
            factory = client_factory or default_client_factory(self.settings)
            self.ecs = factory("ecs")
            self.logs = factory("logs")
        self._launcher = TaskLauncher(self.settings, self.ecs)
        self._streams = LogStreams(self.settings, self.logs, lambda: str(self._launcher.container_definition()["name"]))
        self._tasks = EcsTasks(self.settings, self.ecs, self.clock)
        self._secret_logs = SecretLogGuard(self.library_loggers, owner=self)

    #: Loggers whose records never carry a secret value of a job in flight.
    library_loggers: ClassVar[tuple[str, ...]] = LIBRARY_LOGGERS

    # ------------------------------------------------------------ capabilities

    def get_capabilities(self) -> dict[str, bool]:
        """The standard keys plus ``separates_output_streams``, with config overrides.

        Example:
            >>> FargateExecutor.capabilities["supports_persistent_storage"]
            False
        """
        streams = {"separates_output_streams": self.settings.log_format == "firelens-json"}
        return {**super().get_capabilities(), **streams, **self.settings.capabilities}

    # ------------------------------------------------------------------ launch

    def launch_job(self, job: JobLike) -> tuple[bool, str]:
        """Start the job as one Fargate task (``run_task``); the task ARN is the id.

        Returns:
            ``(True, task_arn)``, or ``(False, message)`` when the job cannot run
            here (an image the task definition does not run, tags or overrides
            ECS rejects, ``failures`` in the answer); nothing is left behind.

        Raises:
            ExecutorConfigurationError: for an unusable job or setting (unknown
                cluster or task definition).
            ExecutorAuthenticationError: for rejected credentials.
            ExecutorConnectionError: when AWS cannot be reached.
            ExecutorResourceError: when throttling outlasts the retries.

        Example:
            >>> ex = emulated_executor()  # a FargateExecutor on moto's ECS and CloudWatch Logs, offline
            >>> job = ContainerJob(image=PROBE_IMAGE, command=Probe().out("hi").argv)
            >>> ok, arn = ex.launch_job(job)
            >>> ok, arn == job.external_execution_id, str(job.status)
            (True, True, 'running')
            >>> arn.startswith("arn:aws:ecs:us-east-1:123456789012:task/")
            True
            >>> ok, message = ex.launch_job(ContainerJob(image="busybox:latest"))  # the task definition runs the probe
            >>> ok, message.startswith("image 'busybox:latest' is not the image of task definition")
            (False, True)
            >>> ex.close()
        """
        try:
            validate_job(job)
        except ExecutorConfigurationError as exc:
            return False, str(exc)
        secrets = secret_values(job)
        with self._secret_logs.hiding(secrets):
            answer = self._launcher.start(job)
            if isinstance(answer, str):
                return False, answer
            return self._launched(job, answer, secrets)

    def _launched(self, job: JobLike, answer: Mapping[str, Any], secrets: list[str]) -> tuple[bool, str]:
        tasks, failures = answer.get("tasks") or [], answer.get("failures") or []
        if failures or not tasks:
            reasons = "; ".join(f"{f.get('reason', '?')} {f.get('detail', '')}".strip() for f in failures)
            return False, f"ECS did not start the task: {reasons or 'no task in the answer'}"
        execution_id = str(tasks[0]["taskArn"])
        self._secret_logs.keep(execution_id, secrets)  # DescribeTasks answers carry the overrides
        mark_launched(job, execution_id, self.clock.now())
        return True, execution_id

    # ------------------------------------------------------------------ status

    def check_status(self, execution_id: str) -> ExecutionStatus:
        """``running``, ``exited``, ``failed`` or ``not-found``, from ``describe_tasks``.

        Stops a task past its job's timeout (then ``failed``).

        Raises:
            ExecutorConfigurationError: for an unknown cluster.
            ExecutorAuthenticationError: for rejected credentials.
            ExecutorConnectionError: when AWS cannot be reached.
            ExecutorResourceError: when throttling outlasts the retries.

        Example:
            >>> ex = emulated_executor()  # a FargateExecutor on moto's ECS and CloudWatch Logs, offline
            >>> done = ex.launch_job(ContainerJob(image=PROBE_IMAGE, command=Probe().sleep(2).exit(3).argv))[1]
            >>> slow = ContainerJob(image=PROBE_IMAGE, command=Probe().sleep(60).argv, timeout_seconds=5)
            >>> stuck = ex.launch_job(slow)[1]
            >>> str(ex.check_status(done)), str(ex.check_status(stuck))
            ('running', 'running')
            >>> ex.clock.sleep(6)  # the first exits with 3; the second outlives its timeout and is stopped
            >>> str(ex.check_status(done)), str(ex.check_status(stuck)), str(ex.check_status(done[:-12] + "0" * 12))
            ('exited', 'failed', 'not-found')
            >>> ex.close()
        """
        return self._tasks.observe_many([execution_id])[execution_id].status

    def check_statuses(self, execution_ids: Iterable[str]) -> dict[str, ExecutionStatus | str]:
        """Status of many executions with one ``describe_tasks`` call per 100 ids.

        Example:
            >>> ex = emulated_executor()  # a FargateExecutor on moto's ECS and CloudWatch Logs, offline
            >>> quick = ex.launch_job(ContainerJob(image=PROBE_IMAGE, command=Probe().exit(0).argv))[1]
            >>> slow = ex.launch_job(ContainerJob(image=PROBE_IMAGE, command=Probe().sleep(60).argv))[1]
            >>> statuses = ex.check_statuses([quick, slow, "not-a-task-arn"])
            >>> [str(statuses[eid]) for eid in (quick, slow, "not-a-task-arn")]
            ['exited', 'running', 'not-found']
            >>> ex.close()
        """
        return {i: seen.status for i, seen in self._tasks.observe_many(execution_ids).items()}

    # -------------------------------------------------------------------- logs

    def get_logs(self, execution_id: str) -> tuple[str, str]:
        """``(stdout, stderr)`` from the task's CloudWatch log stream, all pages.

        ``("", "")`` for an unknown or cleaned-up id, or before the stream exists.

        Raises:
            ExecutorAuthenticationError: for rejected credentials.
            ExecutorConnectionError: when AWS cannot be reached.
            ExecutorResourceError: when throttling outlasts the retries.

        Example:
            >>> ex = emulated_executor()  # a FargateExecutor on moto's ECS and CloudWatch Logs, offline
            >>> arn = ex.launch_job(ContainerJob(image=PROBE_IMAGE, command=Probe().out("hi").err("oops").argv))[1]
            >>> ex.get_logs(arn), ex.get_logs(arn[:-12] + "0" * 12)
            (('hi\\n', 'oops\\n'), ('', ''))
            >>> ex.close()
        """
        if not self._tasks.known([execution_id]):
            return "", ""
        messages, _ = self._streams.read(self._streams.name(execution_id), None)
        return _fargate_logs.joined(messages, self.settings.log_format)

    def stream_logs(self, execution_id: str, *, follow: bool = True) -> Iterator[LogChunk]:
        """Live ``(stream, text)`` chunks from the task's CloudWatch log stream, read as ``get_logs`` reads it.

        Pages of ``get_log_events`` are read from the last ``nextForwardToken``
        on, and their events labelled ``stdout`` or ``stderr`` as in
        ``get_logs`` (one chunk per run of one stream's lines). Without
        ``follow`` that is one read of what was written so far. With it, the
        iterator reads again every ``log_poll_seconds`` (sleeping on the
        executor's clock) and ends with one last read once the task has
        stopped at least ``log_settle_seconds`` ago (CloudWatch can deliver the
        last lines after the stop), or is gone; like ``check_status``, it stops
        a task past its job's timeout. Nothing is contacted until the first
        ``next``; nothing is held between reads, so closing early releases all.
        An unknown, empty or cleaned-up id gives an empty iterator.

        Raises:
            ExecutorAuthenticationError: (while iterating) for rejected credentials.
            ExecutorConnectionError: (while iterating) when AWS cannot be reached.
            ExecutorResourceError: (while iterating) when throttling outlasts the retries.

        Example:
            >>> ex = emulated_executor()  # a FargateExecutor on moto's ECS and CloudWatch Logs, offline
            >>> job = ContainerJob(image=PROBE_IMAGE, command=Probe().out("a").sleep(5).err("b").out("c").argv)
            >>> arn = ex.launch_job(job)[1]
            >>> list(ex.stream_logs(arn, follow=False))  # what was written so far
            [('stdout', 'a\\n')]
            >>> list(ex.stream_logs(arn)), str(ex.check_status(arn))  # to the end, polling on the virtual clock
            ([('stdout', 'a\\n'), ('stderr', 'b\\n'), ('stdout', 'c\\n')], 'exited')
            >>> list(ex.stream_logs(arn[:-12] + "0" * 12)), list(ex.stream_logs(""))
            ([], [])
            >>> ex.close()
        """
        return self._follow_logs(execution_id, follow)

    def _follow_logs(self, execution_id: str, follow: bool) -> Iterator[LogChunk]:
        if not self._tasks.known([execution_id]):
            return
        stream, token = self._streams.name(execution_id), None
        while True:
            last = not follow or self._settled(execution_id)  # asked before the read: that read is complete
            messages, token = self._streams.read(stream, token)
            yield from _fargate_logs.chunks(messages, self.settings.log_format)
            if last:
                return
            self.clock.sleep(self.settings.log_poll_seconds)

    def _settled(self, execution_id: str) -> bool:
        """Whether nothing more will reach the log stream: the task is gone, or stopped long enough ago."""
        stopped = self._stopped_at(execution_id)
        settle = dt.timedelta(seconds=self.settings.log_settle_seconds)
        return stopped is not None and self.clock.now() >= stopped + settle

    def _stopped_at(self, execution_id: str) -> dt.datetime | None:
        """The task's ``stoppedAt`` (long ago when it is gone), or ``None`` while it has not stopped."""
        task = self._tasks.live(execution_id)
        if task is None:
            return LONG_AGO
        self._tasks.observe(execution_id, task)  # stops it past its job's timeout
        if task.get("lastStatus") != "STOPPED":
            return None
        return utc(task.get("stoppedAt")) or LONG_AGO

    # ----------------------------------------------------------------- harvest

    def harvest_job(self, job: JobLike) -> bool:
        """Record a finished task's exit code, logs and stop time on the job.

        ``exit_code`` is ``-1`` when ECS reports none (the task failed to start,
        or a timeout stop has not finished); the reason goes to ``failure_reason``.

        Raises:
            ExecutorAuthenticationError: for rejected credentials.
            ExecutorConnectionError: when AWS cannot be reached.
            ExecutorResourceError: when throttling outlasts the retries.

        Example:
            >>> ex = emulated_executor()  # a FargateExecutor on moto's ECS and CloudWatch Logs, offline
            >>> job = ContainerJob(image=PROBE_IMAGE, command=Probe().out("hi").err("oops").sleep(5).exit(3).argv)
            >>> _ = ex.launch_job(job)
            >>> ex.harvest_job(job)  # still running
            False
            >>> ex.clock.sleep(5)
            >>> ex.harvest_job(job), str(job.status), job.exit_code, job.stdout, job.stderr
            (True, 'failed', 3, 'hi\\n', 'oops\\n')
            >>> ex.close()
        """
        execution_id = job.external_execution_id
        if not execution_id:
            return False
        if already_harvested(job):
            return True
        seen = self._tasks.observe_many([execution_id])[execution_id]
        if not seen.status.is_terminal:
            return False
        self._record(job, execution_id, seen)
        return True

    def _record(self, job: JobLike, execution_id: str, seen: Observed) -> None:
        stdout, stderr = self.get_logs(execution_id)
        record_result(
            job,
            exit_code=-1 if seen.exit_code is None else int(seen.exit_code),
            stdout=stdout,
            stderr=stderr,
            completed_at=seen.stopped_at or self.clock.now(),
            timed_out=seen.timed_out,
            cancelled=seen.cancelled,
            reason=seen.reason,
        )
        if self.settings.harvest_cleans_up:
            self.cleanup(execution_id)

    # ----------------------------------------------------------------- cleanup

    def cleanup(self, execution_id: str) -> bool:
        """Stop the task if it runs, delete its log stream, mark it cleaned; idempotent.

        Returns:
            ``True``, also for an unknown id.

        Raises:
            ExecutorAuthenticationError: for rejected credentials.
            ExecutorConnectionError: when AWS cannot be reached.
            ExecutorResourceError: when throttling outlasts the retries.

        Example:
            >>> ex = emulated_executor()  # a FargateExecutor on moto's ECS and CloudWatch Logs, offline
            >>> arn = ex.launch_job(ContainerJob(image=PROBE_IMAGE, command=Probe().out("hi").sleep(60).argv))[1]
            >>> ex.cleanup(arn), str(ex.check_status(arn)), ex.get_logs(arn)
            (True, 'not-found', ('', ''))
            >>> ex.ecs.describe_tasks(cluster=ex.settings.cluster, tasks=[arn])["tasks"][0]["lastStatus"]
            'STOPPED'
            >>> other = FargateExecutor(ex.emulator.executor_config(), clock=ex.clock)  # another process, same account
            >>> str(other.check_status(arn)), ex.cleanup(arn)
            ('not-found', True)
            >>> other.close(); ex.close()
        """
        task = self._tasks.live(execution_id)
        if task is not None:
            self._remove(execution_id, task)
        self._secret_logs.release(execution_id)
        return True

    def cancel(self, execution_id: str) -> bool:
        """Stop a running task (``stop_task``: SIGTERM, SIGKILL after the task's ``stopTimeout``), keeping it.

        The reason ``executor-kit: cancelled`` stays on the task, so every reader
        sees ``failed`` and harvests ``cancelled`` (with the container's exit
        code) once it has stopped; a task that ended on its own keeps its outcome.

        Returns:
            ``True`` for a known task, ``False`` for an unknown or cleaned-up id.

        Example:
            >>> ex = emulated_executor()  # a FargateExecutor on moto's ECS and CloudWatch Logs, offline
            >>> job = ContainerJob(image=PROBE_IMAGE, command=Probe().out("hi").sleep(60).argv)
            >>> arn = ex.launch_job(job)[1]
            >>> ex.cancel(arn), str(ex.check_status(arn)), ex.harvest_job(job), job.status, job.exit_code, job.stdout
            (True, 'failed', True, 'cancelled', 143, 'hi\\n')
            >>> ex.cleanup(arn), ex.cancel(arn)
            (True, False)
            >>> ex.close()
        """
        task = self._tasks.live(execution_id)
        if task is None:
            return False
        seen = self._tasks.observe(execution_id, task)
        if seen.status is ExecutionStatus.RUNNING and task.get("desiredStatus") != "STOPPED":
            self._tasks.stop(execution_id, CANCEL_REASON)
        return True

    def _remove(self, execution_id: str, task: Mapping[str, Any]) -> None:
        if task.get("desiredStatus") != "STOPPED" and task.get("lastStatus") != "STOPPED":
            self._tasks.stop(execution_id, "executor-kit: cleanup")
        self._streams.delete(execution_id)
        self._tasks.forget(execution_id)

    def find_executions(self, labels: Mapping[str, str]) -> list[str]:
        """Task ARNs (running or stopped, not cleaned up) whose tags include ``labels``.

        Example:
            >>> ex = emulated_executor()  # a FargateExecutor on moto's ECS and CloudWatch Logs, offline
            >>> docs = ex.launch_job(ContainerJob(image=PROBE_IMAGE, command=["probe"], labels={"team": "docs"}))[1]
            >>> ops = ex.launch_job(ContainerJob(image=PROBE_IMAGE, command=["probe"], labels={"team": "ops"}))[1]
            >>> ex.find_executions({"team": "docs"}) == [docs], sorted(ex.find_executions({})) == sorted([docs, ops])
            (True, True)
            >>> ex.cleanup(docs); ex.find_executions({"team": "docs"})
            True
            []
            >>> ex.close()
        """
        return self._tasks.find(labels)

    def close(self) -> None:
        """Close the boto3 clients' connection pools.

        Example:
            >>> closed = []
            >>> class Client:  # stands in for a boto3 client
            ...     def __init__(self, service):
            ...         self.service = service
            ...     def close(self):
            ...         closed.append(self.service)
            >>> ex = FargateExecutor({
            ...     "region": "eu-west-1", "cluster": "jobs", "task_definition": "probe:3",
            ...     "subnets": ["subnet-0abc"], "log_group": "/ecs/probe"}, client_factory=Client)
            >>> ex.close(); closed
            ['ecs', 'logs']
        """
        for client in (self.ecs, self.logs):
            with contextlib.suppress(AttributeError):
                client.close()
