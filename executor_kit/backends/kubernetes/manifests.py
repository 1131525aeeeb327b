"""The objects ``KubernetesExecutor`` creates for a job: a Job and, for its secrets, a Secret (as JSON bodies).

Nothing here calls the API; the executor sends what these functions build.

Example:
    >>> from executor_kit.backends.kubernetes.settings import KubernetesSettings
    >>> job = ContainerJob(image="busybox", command=["true"], cpu_limit=0.5, timeout_seconds=5)
    >>> body = job_manifest(job, "j-1", {"team": "a"}, "2026-01-01T00:00:00+00:00", KubernetesSettings())
    >>> container = body["spec"]["template"]["spec"]["containers"][0]
    >>> container["name"], container["resources"], body["spec"]["activeDeadlineSeconds"]
    ('job', {'limits': {'cpu': '500m'}}, 35)
"""

from __future__ import annotations

import base64
import json
import math
from collections.abc import Mapping
from typing import Any

from executor_kit.backends.kubernetes import observe as obs
from executor_kit.backends.kubernetes.settings import KubernetesSettings
from executor_kit.backends.kubernetes.support import label_value
from executor_kit.job import JobLike

__all__: list[str] = []

#: The name of the job's container in the pod.
CONTAINER_NAME = "job"

#: Seconds past a job's timeout before the Job controller's own deadline (which deletes the pod) applies.
DEADLINE_BACKSTOP = 30


def secrets_of(job: JobLike) -> Mapping[str, str]:
    """The job's ``secret_environment`` (``{}`` for a job without one).

    Example:
        >>> secrets_of(ContainerJob(image="x", secret_environment={"T": "s"})), secrets_of(object())
        ({'T': 's'}, {})
    """
    return getattr(job, "secret_environment", None) or {}


def job_manifest(
    job: JobLike, name: str, labels: Mapping[str, str], started: str, settings: KubernetesSettings
) -> dict[str, Any]:
    """The ``batch/v1`` Job that runs ``job`` once, as ``name``, with ``labels`` on it and its pod.

    Example:
        >>> body = job_manifest(ContainerJob(image="x"), "j-1", {}, "t", KubernetesSettings())
        >>> body["spec"]["backoffLimit"], body["spec"]["template"]["spec"]["restartPolicy"]
        (0, 'Never')
    """
    spec: dict[str, Any] = {"backoffLimit": 0, "completions": 1, "parallelism": 1}
    if job.timeout_seconds is not None:
        # A backstop: the Job controller deletes the pod at its deadline, and its logs with it, so
        # check_status stops the workload first (keeping the logs) at the exact deadline.
        spec["activeDeadlineSeconds"] = max(1, math.ceil(job.timeout_seconds)) + DEADLINE_BACKSTOP
    if settings.ttl_seconds_after_finished is not None:
        spec["ttlSecondsAfterFinished"] = settings.ttl_seconds_after_finished
    spec["template"] = {"metadata": {"labels": dict(labels)}, "spec": _pod_spec(job, name, settings)}
    metadata = {"name": name, "labels": dict(labels), "annotations": _annotations(job, started)}
    return {"apiVersion": "batch/v1", "kind": "Job", "metadata": metadata, "spec": spec}


def secret_manifest(job: JobLike, name: str, labels: Mapping[str, str]) -> dict[str, Any]:
    """The Secret holding ``job``'s ``secret_environment``, its keys ``v0``, ``v1``... in order.

    Example:
        >>> secret_manifest(ContainerJob(image="x", secret_environment={"T": "s"}), "j-1", {})["data"]
        {'v0': 'cw=='}
    """
    data = {f"v{i}": base64.b64encode(value.encode()).decode() for i, value in enumerate(secrets_of(job).values())}
    metadata = {"name": name, "labels": dict(labels)}
    return {"apiVersion": "v1", "kind": "Secret", "type": "Opaque", "metadata": metadata, "data": data}


def owner_patch(name: str, uid: str) -> dict[str, Any]:
    """A merge patch making the Job ``name`` (``uid``) the owner of its Secret, so the Secret goes with it.

    Example:
        >>> owner_patch("j-1", "u-1")["metadata"]["ownerReferences"][0]["kind"]
        'Job'
    """
    owner = {"apiVersion": "batch/v1", "kind": "Job", "name": name, "uid": uid, "blockOwnerDeletion": True}
    return {"metadata": {"ownerReferences": [owner]}}


def _env(job: JobLike, secret_name: str) -> list[dict[str, Any]]:
    secrets = secrets_of(job)
    plain = [{"name": k, "value": v} for k, v in job.environment.items() if k not in secrets]
    refs = [
        {"name": key, "valueFrom": {"secretKeyRef": {"name": secret_name, "key": f"v{index}"}}}
        for index, key in enumerate(secrets)
    ]
    return plain + refs


def _container(job: JobLike, name: str, settings: KubernetesSettings) -> dict[str, Any]:
    limits = {}
    if job.cpu_limit is not None:
        limits["cpu"] = cpu_quantity(job.cpu_limit)
    if job.memory_limit is not None:
        limits["memory"] = memory_quantity(job.memory_limit)
    container: dict[str, Any] = {"name": CONTAINER_NAME, "image": job.image, "env": _env(job, name)}
    container.update({"command": list(job.command)} if job.command else {})
    container.update({"resources": {"limits": limits}} if limits else {})
    policy = settings.image_pull_policy
    return {**container, **({"imagePullPolicy": policy} if policy else {})}


def _pod_spec(job: JobLike, name: str, settings: KubernetesSettings) -> dict[str, Any]:
    spec: dict[str, Any] = {"restartPolicy": "Never", "containers": [_container(job, name, settings)]}
    spec["terminationGracePeriodSeconds"] = settings.grace_period_seconds
    if settings.service_account:
        spec["serviceAccountName"] = settings.service_account
    return spec


def _annotations(job: JobLike, started: str) -> dict[str, str]:
    notes = {obs.STARTED_ANNOTATION: started, obs.NAME_ANNOTATION: job.name or ""}
    if job.timeout_seconds is not None:
        notes[obs.TIMEOUT_ANNOTATION] = timeout_text(job.timeout_seconds)
    encoded = {key: value for key, value in job.labels.items() if label_value(value) != value}
    if encoded:  # the original values of labels that had to be encoded
        notes[obs.LABELS_ANNOTATION] = json.dumps(encoded, ensure_ascii=False)
    return notes


def cpu_quantity(cores: float) -> str:
    """Cores as a Kubernetes CPU quantity (millicores, at least 1m).

    Example:
        >>> cpu_quantity(0.25), cpu_quantity(0.0001)
        ('250m', '1m')
    """
    return f"{max(1, round(cores * 1000))}m"


def memory_quantity(mib: float) -> str:
    """MiB as a Kubernetes memory quantity (binary units, so the limit is exact).

    Example:
        >>> memory_quantity(64), memory_quantity(0.5)
        ('64Mi', '524288')
    """
    return f"{int(mib)}Mi" if float(mib).is_integer() else f"{max(1, round(mib * 1024 * 1024))}"


def timeout_text(seconds: float) -> str:
    """Seconds as an annotation value.

    Example:
        >>> timeout_text(5), timeout_text(2.5)
        ('5', '2.5')
    """
    return str(int(seconds)) if float(seconds).is_integer() else repr(float(seconds))
