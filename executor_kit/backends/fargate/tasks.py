"""One executor's ECS tasks: described 100 at a time, observed with their timeout enforced, stopped, forgotten.

A task ``cleanup`` removed is tagged ``executor-kit-cleaned``, so every
executor reads it as gone; the one that cleaned it up also remembers it and
no longer asks ECS about it.

Example:
    >>> ex = emulated_executor()  # a FargateExecutor on moto's ECS and CloudWatch Logs, offline
    >>> tasks = EcsTasks(ex.settings, ex.ecs, ex.clock)
    >>> arn = ex.launch_job(ContainerJob(image=PROBE_IMAGE, command=Probe().sleep(60).argv, timeout_seconds=5))[1]
    >>> str(tasks.observe_many([arn])[arn].status)
    'running'
    >>> ex.clock.sleep(6)  # past the job's timeout: observing it stops the task
    >>> seen = tasks.observe_many([arn])[arn]
    >>> str(seen.status), seen.timed_out, tasks.live(arn)["desiredStatus"]
    ('failed', True, 'STOPPED')
    >>> ex.close()
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterable, Mapping
from typing import Any

from executor_kit.backends.fargate.errors import RejectedError, translated
from executor_kit.backends.fargate.observe import (
    CLEANED_TAG,
    GONE,
    TIMEOUT_REASON,
    TIMEOUT_TAG,
    Observed,
    batches,
    deadline,
    is_task_arn,
    observe,
    tags,
)
from executor_kit.backends.fargate.settings import FargateSettings
from executor_kit.clock import Clock
from executor_kit.errors import ExecutorConfigurationError
from executor_kit.status import ExecutionStatus

__all__ = ["EcsTasks"]


class EcsTasks:
    """The ECS side of one executor's tasks (see the module docstring).

    Args:
        settings: The executor's settings (its cluster and container).
        ecs: A boto3 ECS client.
        clock: Where deadlines are read.

    Raises:
        ExecutorAuthenticationError: (from each method that calls ECS) for rejected credentials.
        ExecutorConnectionError: (idem) when AWS cannot be reached.
        ExecutorResourceError: (idem) when throttling outlasts the retries.

    Example:
        >>> ex = emulated_executor()
        >>> tasks = EcsTasks(ex.settings, ex.ecs, ex.clock)
        >>> tasks.known(["not-a-task-arn", "arn:aws:ecs:us-east-1:123456789012:task/c/0abc"])
        ['arn:aws:ecs:us-east-1:123456789012:task/c/0abc']
        >>> tasks.live("arn:aws:ecs:us-east-1:123456789012:task/c/0abc") is None, tasks.find({})
        (True, [])
        >>> ex.close()
    """

    def __init__(self, settings: FargateSettings, ecs: Any, clock: Clock) -> None:
        self.settings = settings
        self.ecs = ecs
        self.clock = clock
        self._cleaned: set[str] = set()

    def known(self, execution_ids: Iterable[str]) -> list[str]:
        """The ids that can name a task to ask ECS about (task ARNs not cleaned up here), each once.

        Example:
            >>> ex = emulated_executor()
            >>> arn = "arn:aws:ecs:us-east-1:123456789012:task/c/0abc"
            >>> EcsTasks(ex.settings, ex.ecs, ex.clock).known([arn, "", "0abc", arn]) == [arn]
            True
            >>> ex.close()
        """
        return [i for i in dict.fromkeys(execution_ids) if is_task_arn(i) and i not in self._cleaned]

    def describe(self, execution_ids: Iterable[str]) -> dict[str, Mapping[str, Any]]:
        """The ``describe_tasks`` entries (tags included) of the known ids ECS has, by task ARN.

        Example:
            >>> ex = emulated_executor()
            >>> EcsTasks(ex.settings, ex.ecs, ex.clock).describe(["arn:aws:ecs:us-east-1:123456789012:task/c/0abc"])
            {}
            >>> ex.close()
        """
        found: dict[str, Mapping[str, Any]] = {}
        for chunk in batches(self.known(execution_ids)):
            with translated("DescribeTasks"):
                answer = self.ecs.describe_tasks(cluster=self.settings.cluster, tasks=chunk, include=["TAGS"])
            found.update({str(task["taskArn"]): task for task in answer.get("tasks", [])})
        return found

    def live(self, execution_id: str) -> Mapping[str, Any] | None:
        """The task's ``describe_tasks`` entry, or ``None`` when it is unknown or cleaned up.

        Example:
            >>> ex = emulated_executor()  # a FargateExecutor on moto's ECS and CloudWatch Logs, offline
            >>> tasks = EcsTasks(ex.settings, ex.ecs, ex.clock)
            >>> arn = ex.launch_job(ContainerJob(image=PROBE_IMAGE, command=Probe().sleep(60).argv))[1]
            >>> tasks.live(arn)["lastStatus"], tasks.live(arn[:-12] + "0" * 12)
            ('RUNNING', None)
            >>> ex.close()
        """
        task = self.describe([execution_id]).get(execution_id)
        return None if task is None or CLEANED_TAG in tags(task) else task

    def observe(self, execution_id: str, task: Mapping[str, Any]) -> Observed:
        """What ``task`` says, after stopping it if it runs past its job's timeout (then ``failed``).

        Example:
            >>> ex = emulated_executor()  # a FargateExecutor on moto's ECS and CloudWatch Logs, offline
            >>> tasks = EcsTasks(ex.settings, ex.ecs, ex.clock)
            >>> arn = ex.launch_job(ContainerJob(image=PROBE_IMAGE, command=Probe().sleep(60).argv))[1]
            >>> str(tasks.observe(arn, tasks.live(arn)).status)
            'running'
            >>> ex.close()
        """
        seen = observe(task, self.settings.container_name)
        due = deadline(task)
        if seen.status is not ExecutionStatus.RUNNING or due is None or self.clock.now() < due:
            return seen
        reason = f"{TIMEOUT_REASON} after {tags(task)[TIMEOUT_TAG]}s"
        self.stop(execution_id, reason)
        return Observed(ExecutionStatus.FAILED, None, reason, True)

    def observe_many(self, execution_ids: Iterable[str]) -> dict[str, Observed]:
        """:meth:`observe` for each id, with one ``describe_tasks`` call per 100; ``not-found`` for the rest.

        Example:
            >>> ex = emulated_executor()  # a FargateExecutor on moto's ECS and CloudWatch Logs, offline
            >>> tasks = EcsTasks(ex.settings, ex.ecs, ex.clock)
            >>> arn = ex.launch_job(ContainerJob(image=PROBE_IMAGE, command=Probe().sleep(60).argv))[1]
            >>> {eid: str(seen.status) for eid, seen in tasks.observe_many([arn, "x"]).items()} == {
            ...     arn: "running", "x": "not-found"}
            True
            >>> ex.close()
        """
        ids = list(execution_ids)
        found = self.describe(ids)
        return {i: self.observe(i, found[i]) if i in found else GONE for i in ids}

    def stop(self, execution_id: str, reason: str) -> None:
        """``stop_task`` with ``reason``, which ECS keeps on the task; a task ECS refuses to stop is left.

        Example:
            >>> ex = emulated_executor()  # a FargateExecutor on moto's ECS and CloudWatch Logs, offline
            >>> tasks = EcsTasks(ex.settings, ex.ecs, ex.clock)
            >>> arn = ex.launch_job(ContainerJob(image=PROBE_IMAGE, command=Probe().sleep(60).argv))[1]
            >>> tasks.stop(arn, "executor-kit: cancelled")
            >>> tasks.live(arn)["stoppedReason"]
            'executor-kit: cancelled'
            >>> ex.close()
        """
        with contextlib.suppress(RejectedError), translated("StopTask", execution_id):
            self.ecs.stop_task(cluster=self.settings.cluster, task=execution_id, reason=reason)

    def forget(self, execution_id: str) -> None:
        """Tag the task cleaned up (every executor reads it as gone from then on) and stop asking about it.

        Example:
            >>> ex = emulated_executor()  # a FargateExecutor on moto's ECS and CloudWatch Logs, offline
            >>> tasks = EcsTasks(ex.settings, ex.ecs, ex.clock)
            >>> arn = ex.launch_job(ContainerJob(image=PROBE_IMAGE, command=Probe().sleep(60).argv))[1]
            >>> tasks.forget(arn)
            >>> tasks.known([arn]), str(ex.check_status(arn))  # ex reads the tag
            ([], 'not-found')
            >>> ex.close()
        """
        with contextlib.suppress(ExecutorConfigurationError), translated("TagResource", execution_id):
            self.ecs.tag_resource(resourceArn=execution_id, tags=[{"key": CLEANED_TAG, "value": "true"}])
        self._cleaned.add(execution_id)

    def find(self, labels: Mapping[str, str]) -> list[str]:
        """The ARNs of the cluster's tasks (running or stopped, not cleaned up) tagged with all of ``labels``.

        Example:
            >>> ex = emulated_executor()  # a FargateExecutor on moto's ECS and CloudWatch Logs, offline
            >>> tasks = EcsTasks(ex.settings, ex.ecs, ex.clock)
            >>> arn = ex.launch_job(ContainerJob(image=PROBE_IMAGE, command=Probe().sleep(60).argv))[1]
            >>> tasks.find({}) == [arn], tasks.find({"team": "docs"})
            (True, [])
            >>> ex.close()
        """
        arns = self._listed("RUNNING") + self._listed("STOPPED")
        wanted = dict(labels).items()
        return [
            arn
            for arn, task in self.describe(arns).items()
            if CLEANED_TAG not in tags(task) and wanted <= tags(task).items()
        ]

    def _listed(self, desired: str) -> list[str]:
        arns: list[str] = []
        with translated("ListTasks"):
            pages = self.ecs.get_paginator("list_tasks").paginate(cluster=self.settings.cluster, desiredStatus=desired)
            for page in pages:
                arns.extend(page.get("taskArns", []))
        return arns
