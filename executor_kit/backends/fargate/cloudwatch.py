"""A task's CloudWatch log stream: its name, its events page by page, and deleting it.

The stream is named by ``log_stream_template`` from ``log_stream_prefix``, the
container's name and the task id (the ``awslogs`` driver's
``PREFIX/CONTAINER/TASK_ID`` by default). Reading goes on from the last
``nextForwardToken``, so ``stream_logs`` reads each event once; what the events
mean is :mod:`executor_kit.backends.fargate.logs`'s business.

Example:
    >>> from executor_kit.backends.fargate.settings import FargateSettings
    >>> settings = FargateSettings.from_mapping({
    ...     "region": "eu-west-1", "cluster": "jobs", "task_definition": "probe:3",
    ...     "subnets": ["subnet-0abc"], "log_group": "/ecs/probe"})
    >>> LogStreams(settings, logs=None, container=lambda: "probe").name("arn:aws:ecs:eu-west-1:1:task/jobs/0abc")
    'executor-kit/probe/0abc'
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Mapping
from typing import Any

from executor_kit.backends.fargate.errors import error_code, translated
from executor_kit.backends.fargate.observe import task_id
from executor_kit.backends.fargate.settings import FargateSettings
from executor_kit.errors import ExecutorConfigurationError

__all__ = ["LogStreams"]


class LogStreams:
    """The log streams of one executor's tasks.

    Args:
        settings: The executor's settings (log group, stream naming, page size, deletion).
        logs: A boto3 CloudWatch Logs client.
        container: The name of the container that runs the job, asked when a stream is named.

    Example:
        >>> class Logs:  # stands in for a boto3 CloudWatch Logs client: two pages, then the same token again
        ...     pages = {None: (["a", "b"], "f1"), "f1": (["c"], "f2"), "f2": ([], "f2")}
        ...     def get_log_events(self, nextToken=None, **request):
        ...         messages, following = self.pages[nextToken]
        ...         return {"events": [{"message": m} for m in messages], "nextForwardToken": following}
        >>> from executor_kit.backends.fargate.settings import FargateSettings
        >>> settings = FargateSettings.from_mapping({
        ...     "region": "eu-west-1", "cluster": "jobs", "task_definition": "probe:3",
        ...     "subnets": ["subnet-0abc"], "log_group": "/ecs/probe"})
        >>> LogStreams(settings, Logs(), container=lambda: "probe").read("executor-kit/probe/0abc", None)
        (['a', 'b', 'c'], 'f2')
    """

    def __init__(self, settings: FargateSettings, logs: Any, container: Callable[[], str]) -> None:
        self.settings = settings
        self.logs = logs
        self._container = container

    def name(self, execution_id: str) -> str:
        """The name of the log stream of task ``execution_id``.

        Example:
            >>> from executor_kit.backends.fargate.settings import FargateSettings
            >>> settings = FargateSettings.from_mapping({
            ...     "region": "eu-west-1", "cluster": "jobs", "task_definition": "probe:3",
            ...     "subnets": ["subnet-0abc"], "log_group": "/ecs/probe", "log_stream_template": "{task_id}"})
            >>> LogStreams(settings, logs=None, container=lambda: "probe").name("arn:aws:ecs:eu-west-1:1:task/0abc")
            '0abc'
        """
        container = self.settings.container_name or self._container()
        return self.settings.log_stream_template.format(
            prefix=self.settings.log_stream_prefix, container=container, task_id=task_id(execution_id)
        )

    def read(self, stream: str, token: str | None) -> tuple[list[str], str | None]:
        """The messages after ``token`` (``None``: from the head), all pages, and the token to go on from.

        Nothing (and ``token`` back) while the log stream or group does not exist.

        Raises:
            ExecutorAuthenticationError: for rejected credentials.
            ExecutorConnectionError: when AWS cannot be reached.
            ExecutorResourceError: when throttling outlasts the retries.

        Example:
            >>> import botocore.exceptions
            >>> class Logs:  # stands in for a boto3 CloudWatch Logs client
            ...     def get_log_events(self, **request):
            ...         error = {"Error": {"Code": "ResourceNotFoundException"}}
            ...         raise botocore.exceptions.ClientError(error, "GetLogEvents")
            >>> from executor_kit.backends.fargate.settings import FargateSettings
            >>> settings = FargateSettings.from_mapping({
            ...     "region": "eu-west-1", "cluster": "jobs", "task_definition": "probe:3",
            ...     "subnets": ["subnet-0abc"], "log_group": "/ecs/probe"})
            >>> LogStreams(settings, Logs(), container=lambda: "probe").read("executor-kit/probe/0abc", "f7")
            ([], 'f7')
        """
        try:
            return self._pages(stream, token)
        except ExecutorConfigurationError as exc:
            if error_code(exc) != "ResourceNotFoundException":
                raise
            return [], token

    def delete(self, execution_id: str) -> None:
        """Delete the task's log stream, unless ``delete_logs_on_cleanup`` is off; a missing one is fine.

        Raises:
            ExecutorAuthenticationError: for rejected credentials.
            ExecutorConnectionError: when AWS cannot be reached.
            ExecutorResourceError: when throttling outlasts the retries.

        Example:
            >>> deleted = []
            >>> class Logs:  # stands in for a boto3 CloudWatch Logs client
            ...     def delete_log_stream(self, logGroupName, logStreamName):
            ...         deleted.append(logStreamName)
            >>> from executor_kit.backends.fargate.settings import FargateSettings
            >>> settings = FargateSettings.from_mapping({
            ...     "region": "eu-west-1", "cluster": "jobs", "task_definition": "probe:3",
            ...     "subnets": ["subnet-0abc"], "log_group": "/ecs/probe"})
            >>> LogStreams(settings, Logs(), container=lambda: "probe").delete("arn:aws:ecs:eu-west-1:1:task/0abc")
            >>> deleted
            ['executor-kit/probe/0abc']
        """
        if not self.settings.delete_logs_on_cleanup:
            return
        with contextlib.suppress(ExecutorConfigurationError), translated("DeleteLogStream", execution_id):
            self.logs.delete_log_stream(logGroupName=self.settings.log_group, logStreamName=self.name(execution_id))

    def _page(self, stream: str, token: str | None) -> Mapping[str, Any]:
        request: dict[str, Any] = {"logGroupName": self.settings.log_group, "logStreamName": stream}
        request.update(startFromHead=True, **({"nextToken": token} if token else {}))
        if self.settings.log_page_limit:
            request["limit"] = self.settings.log_page_limit
        with translated("GetLogEvents"):
            answer: Mapping[str, Any] = self.logs.get_log_events(**request)
        return answer

    def _pages(self, stream: str, token: str | None) -> tuple[list[str], str | None]:
        messages: list[str] = []
        while True:
            page = self._page(stream, token)
            messages.extend(event["message"] for event in page.get("events", []))
            following = page.get("nextForwardToken")
            if not following or following == token:  # the same token again: the end, so far
                return messages, token
            token = following
