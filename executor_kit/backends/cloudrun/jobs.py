"""The Cloud Run job a launch runs: one created per launch (``create_job``) or the configured one.

``jobs.run`` overrides carry the argv after the program, the environment and
the timeout; they cannot change the image, the program, the labels or the
limits, hence a job per launch (``<job>-<8 hex>``, deleted at cleanup), or a
configured job checked to run the job's image and program. Nothing here is
public.

Example:
    >>> overrides(ContainerJob(image="busybox", command=["echo", "hi"], timeout_seconds=2.5))
    {'containerOverrides': [{'args': ['hi'], 'env': []}], 'taskCount': 1, 'timeout': '2.500s'}
"""

from __future__ import annotations

import math
import re
import uuid
from typing import Any

from executor_kit.backends.cloudrun.api import CloudRunApi, RejectedError
from executor_kit.backends.cloudrun.executions import EXECUTION_NAME
from executor_kit.errors import ExecutorConnectionError, ExecutorError
from executor_kit.job import JobLike, job_environment
from executor_kit.labels import MANAGED_LABEL, NAME_LABEL, TIMEOUT_LABEL, kit_labels

__all__: list[str] = []

#: Cloud Run's longest task timeout (seven days), for jobs without a timeout of their own.
_LONGEST_TASK_TIMEOUT = 7 * 24 * 3600


def _duration(seconds: float) -> str:
    """Protobuf JSON duration, rounded up to the millisecond."""
    millis = math.ceil(seconds * 1000)
    return f"{millis // 1000}s" if millis % 1000 == 0 else f"{millis / 1000:.3f}s"


def overrides(job: JobLike) -> dict[str, Any]:
    """The ``jobs.run`` overrides of ``job``: its argv after the program, its environment, its timeout.

    Example:
        >>> overrides(ContainerJob(image="busybox", command=[], environment={"A": "1"}))["containerOverrides"]
        [{'clearArgs': True, 'env': [{'name': 'A', 'value': '1'}]}]
        >>> overrides(ContainerJob(image="busybox", command=[]))["timeout"]  # none of its own: the longest
        '604800s'
    """
    env = [{"name": key, "value": value} for key, value in job_environment(job).items()]
    args = list(job.command[1:])
    override: dict[str, Any] = {"args": args, "env": env} if args else {"clearArgs": True, "env": env}
    result: dict[str, Any] = {"containerOverrides": [override], "taskCount": 1}
    # Without one of its own, a job gets Cloud Run's longest task timeout, not its ten-minute default.
    result["timeout"] = _duration(job.timeout_seconds or _LONGEST_TASK_TIMEOUT)
    return result


def cloud_labels(labels: dict[str, str]) -> dict[str, str]:
    """``labels`` with the kit's name and timeout values made valid Cloud Run label values.

    Cloud Run takes only lowercase letters, digits, ``_`` and ``-`` (63 at most);
    those two values are informational here (Cloud Run enforces the timeout).

    Example:
        >>> cloud_labels({NAME_LABEL: "Nightly Run", TIMEOUT_LABEL: "2.5", "team": "a"})
        {'executor-kit-name': 'nightly_run', 'executor-kit-timeout-seconds': '2_5', 'team': 'a'}
    """
    kit = {
        key: re.sub(r"[^a-z0-9_-]", "_", labels[key].lower())[:63]
        for key in (NAME_LABEL, TIMEOUT_LABEL)
        if key in labels
    }
    return {**labels, **kit}


def job_body(job: JobLike) -> dict[str, Any]:
    """The ``Job`` resource a ``create_job`` launch creates for ``job``.

    Example:
        >>> job_body(ContainerJob(image="busybox", command=["echo", "hi"]))["template"]["template"]
        {'containers': [{'image': 'busybox', 'command': ['echo'], 'args': ['hi']}], 'maxRetries': 0}
    """
    labels = cloud_labels(kit_labels(job))
    container: dict[str, Any] = {"image": job.image}
    if job.command:
        container.update(command=list(job.command[:1]), args=list(job.command[1:]))
    task = {"containers": [container], "maxRetries": 0}
    return {"labels": labels, "template": {"labels": labels, "taskCount": 1, "template": task}}


def create_job(api: CloudRunApi, job: JobLike) -> str:
    """Create ``<job>-<8 hex>`` for ``job`` and wait until it exists; its resource name.

    Raises:
        RejectedError: when Cloud Run refuses the job (a missing image); nothing is left.

    Example:
        >>> from executor_kit.backends.cloudrun.emulator import CloudRunEmulator
        >>> with CloudRunEmulator() as cloud:
        ...     name = create_job(cloud.executor()._api, ContainerJob(image="busybox:latest", command=["true"]))
        ...     name in cloud.jobs
        True
    """
    job_id = f"{api.settings.job}-{uuid.uuid4().hex[:8]}"
    path = f"{api.settings.parent}/jobs"
    operation = api.run("POST", path, body=job_body(job), params={"jobId": job_id})
    try:
        api.wait(operation)
    except ExecutorError:
        delete_job(api, f"{path}/{job_id}")  # a job whose creation failed may still exist
        raise
    return f"{path}/{job_id}"


def existing_job(api: CloudRunApi, job: JobLike) -> str:
    """The configured job's resource name, once checked that it runs ``job``'s image and program.

    Raises:
        RejectedError: when it does not exist or runs another image or program.

    Example:
        >>> from executor_kit.backends.cloudrun.emulator import CloudRunEmulator
        >>> with CloudRunEmulator() as cloud:
        ...     existing_job(cloud.executor()._api, ContainerJob(image="busybox:latest"))
        Traceback (most recent call last):
        ...
        executor_kit.backends.cloudrun.api.RejectedError: Cloud Run job ... does not exist (set create_job ...)
    """
    name = f"{api.settings.parent}/jobs/{api.settings.job}"
    found = api.run("GET", name)
    if found is None:
        raise RejectedError(f"Cloud Run job {name} does not exist (set create_job to create one per launch)")
    container = found.get("template", {}).get("template", {}).get("containers", [{}])[0]
    expected = {"image": job.image, "command": list(job.command[:1]) or container.get("command")}
    actual = {"image": container.get("image"), "command": container.get("command")}
    if expected != actual:
        raise RejectedError(f"Cloud Run job {name} runs {actual}, not {expected}; overrides cannot change that")
    return name


def run_job(api: CloudRunApi, job_name: str, job: JobLike, secrets: list[str]) -> str:
    """Start an execution of ``job_name`` with ``job``'s overrides; its resource name, without waiting.

    ``jobs.run`` answers with an operation done only when the execution ends;
    the execution's name is read from its ``metadata``.

    Raises:
        RejectedError: when the job does not exist or the run is refused.

    Example:
        >>> from executor_kit.backends.cloudrun.emulator import CloudRunEmulator
        >>> with CloudRunEmulator() as cloud:
        ...     api, job = cloud.executor()._api, ContainerJob(image="busybox:latest", command=["true"])
        ...     run_job(api, create_job(api, job), job, []).startswith("projects/emulated-project/")
        True
    """
    operation = api.run("POST", f"{job_name}:run", body={"overrides": overrides(job)}, secrets=secrets)
    if operation is None:
        raise RejectedError(f"Cloud Run job {job_name} does not exist")
    if operation.get("error"):
        api.wait(operation, secrets)
    name = operation.get("metadata", {}).get("name")
    if not isinstance(name, str) or not EXECUTION_NAME.fullmatch(name):
        raise ExecutorConnectionError(f"jobs.run on {job_name} answered without an execution name", backend="cloudrun")
    return name


def delete_job(api: CloudRunApi, job_name: str) -> None:
    """Delete a job and wait until it is gone (a 404 counts as gone).

    Example:
        >>> from executor_kit.backends.cloudrun.emulator import CloudRunEmulator
        >>> with CloudRunEmulator() as cloud:
        ...     delete_job(cloud.executor()._api, "projects/emulated-project/locations/us-central1/jobs/x") is None
        True
    """
    api.wait(api.run("DELETE", job_name))


def owned_job(api: CloudRunApi, execution_id: str) -> str | None:
    """The job of ``execution_id`` if ``create_job`` made it (it carries the kit's managed label).

    Example:
        >>> from executor_kit.backends.cloudrun.emulator import CloudRunEmulator
        >>> with CloudRunEmulator() as cloud:
        ...     eid = "projects/emulated-project/locations/us-central1/jobs/j/executions/e"
        ...     owned_job(cloud.executor()._api, eid) is None  # no such job
        True
    """
    job_name = execution_id.rsplit("/executions/", 1)[0]
    found = api.run("GET", job_name) if api.settings.create_job else None
    managed = found is not None and found.get("labels", {}).get(MANAGED_LABEL) == "true"
    return job_name if managed else None
