"""What a job's container is made of: a checked image reference, a unique name, limits Docker accepts, the create call.

Example:
    >>> from executor_kit.job import ContainerJob
    >>> job_problem(ContainerJob(image="busybox", memory_limit=1))
    'memory_limit 1 MiB is outside what Docker accepts (6 MiB to 1 EiB)'
"""

from __future__ import annotations

import re
import uuid
from typing import Any

from executor_kit.backends.docker.settings import DockerSettings
from executor_kit.errors import ExecutorConfigurationError
from executor_kit.job import JobLike, job_environment, validate_job
from executor_kit.labels import kit_labels

__all__ = ["create_spec", "image_reference_problem", "job_problem"]

_ALNUM = r"[a-z0-9]+"
_COMPONENT = rf"{_ALNUM}(?:(?:[._]|__|-+){_ALNUM})*"
_HOST_PART = r"(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])"
_DOMAIN = rf"(?:{_HOST_PART}(?:\.{_HOST_PART})*|\[[0-9a-fA-F:]+\])(?::[0-9]+)?"
_TAG = r"\w[\w.-]{0,127}"
_DIGEST = r"[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}"
_REFERENCE = re.compile(rf"(?:{_DOMAIN}/)?{_COMPONENT}(?:/{_COMPONENT})*(?::{_TAG})?(?:@{_DIGEST})?", re.ASCII)

# What the engine accepts: at least 6 MiB of memory; nano-CPUs must fit an int64.
_MEMORY_MIB = (6, 2**40)
_CPUS = (0.001, 1e6)


def image_reference_problem(image: str) -> str | None:
    """Why ``image`` is not a valid Docker image reference, or ``None`` if it is.

    Checked before anything is sent to the daemon, so a bad name never creates
    anything. The grammar is Docker's (``distribution/reference``): lowercase
    repository path, optional registry host, ``:tag`` and ``@digest``.

    Example:
        >>> image_reference_problem("registry.local:5000/team/probe:1.2") is None
        True
        >>> image_reference_problem("Busybox; rm -rf /")
        "image 'Busybox; rm -rf /' is not a valid Docker image reference (lowercase name[:tag][@digest])"
    """
    if _REFERENCE.fullmatch(image) and len(image) <= 255:
        return None
    return f"image {image!r} is not a valid Docker image reference (lowercase name[:tag][@digest])"


def _limits_problem(job: JobLike) -> str | None:
    memory, cpus = job.memory_limit, job.cpu_limit
    if memory is not None and not _MEMORY_MIB[0] <= memory <= _MEMORY_MIB[1]:
        return f"memory_limit {memory!r} MiB is outside what Docker accepts ({_MEMORY_MIB[0]} MiB to 1 EiB)"
    if cpus is not None and not _CPUS[0] <= cpus <= _CPUS[1]:
        return f"cpu_limit {cpus!r} is outside what Docker accepts ({_CPUS[0]} to {_CPUS[1]:g} cores)"
    return None


def job_problem(job: JobLike) -> str | None:
    """Why Docker cannot run ``job`` (an invalid job, image reference or limit), or ``None``.

    Example:
        >>> from executor_kit.job import ContainerJob
        >>> job_problem(ContainerJob(image="busybox", cpu_limit=0.5)) is None
        True
    """
    try:
        validate_job(job)
    except ExecutorConfigurationError as exc:
        return str(exc)
    return image_reference_problem(job.image) or _limits_problem(job)


def _container_name(job: JobLike, suffix: str) -> str:
    """A unique name, known before the engine answers, so an interrupted create can be undone."""
    if not job.name:
        return f"executor-kit-{suffix}"
    cleaned = re.sub(r"[^a-zA-Z0-9_.-]+", "-", job.name).strip("-_.")[:100] or "job"
    return f"{cleaned}-{suffix}"


def create_spec(api: Any, job: JobLike, settings: DockerSettings) -> dict[str, Any]:
    """The arguments of ``api.create_container`` for ``job`` (its ``name`` is new each time).

    Example:
        >>> import docker
        >>> from executor_kit.job import ContainerJob
        >>> api = docker.APIClient(base_url="unix:///nonexistent.sock", version="1.41")  # nothing is contacted
        >>> spec = create_spec(api, ContainerJob(image="busybox", name="nightly report"), DockerSettings())
        >>> spec["name"].startswith("nightly-report-"), spec["host_config"]["NetworkMode"]
        (True, 'default')
        >>> api.close()
    """
    memory = int(job.memory_limit * 1024 * 1024) if job.memory_limit else None
    host_config = api.create_host_config(
        mem_limit=memory,
        memswap_limit=memory,
        nano_cpus=round(job.cpu_limit * 1e9) if job.cpu_limit else None,
        network_mode=settings.network,
        auto_remove=settings.auto_remove,
        log_config={"Type": settings.log_driver, "Config": {}} if settings.log_driver else None,
    )
    return {
        "image": job.image,
        "command": list(job.command) or None,
        "environment": job_environment(job),
        "labels": kit_labels(job, settings.labels),
        "name": _container_name(job, uuid.uuid4().hex[:12]),
        "host_config": host_config,
        "detach": True,
    }
