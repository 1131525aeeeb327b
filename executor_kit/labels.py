"""Every label key the kit uses, and the one builder of the labels it sets.

Each backend puts ``kit_labels(job, configured)`` on what it creates (Docker
labels, ECS task tags, Cloud Run and Kubernetes labels), so every backend
carries the same keys with the same values. The kit's own keys
(``RESERVED_LABELS``) are never taken from a job or from the configuration:
``validate_job`` refuses a job that sets one (``reserved_label_problem``) and
the builder overwrites or drops them, so a user label cannot change how the
kit reads its own resources (a forged timeout, a forged "cleaned" mark).

``RUN_LABEL`` is the kit's key too, but a user label: the conformance harness
and ``executor-kit reap`` set it on jobs on purpose.

The keys are valid as Docker labels, AWS tags and Google Cloud labels
(lowercase letters, digits and dashes).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from executor_kit.job import JobLike

__all__ = [
    "CLEANED_LABEL",
    "MANAGED_LABEL",
    "NAME_LABEL",
    "RESERVED_LABELS",
    "RUN_LABEL",
    "TIMEOUT_LABEL",
    "is_label_mapping",
    "kit_labels",
    "reserved_label_problem",
    "timeout_text",
]

#: Set to ``"true"`` on every container, task or job a kit executor creates.
MANAGED_LABEL = "executor-kit-managed"

#: Identifies one conformance or test run, so ``executor-kit reap`` finds its leftovers.
RUN_LABEL = "executor-kit-run"

#: Holds the job's ``timeout_seconds``; a backend without native timeouts derives the deadline from it.
TIMEOUT_LABEL = "executor-kit-timeout-seconds"

#: Holds the job's ``name`` (resource names get a unique suffix, ECS tasks have none).
NAME_LABEL = "executor-kit-name"

#: Put on a resource by ``cleanup`` where the backend keeps it visible for a while (ECS); it then reads ``not-found``.
CLEANED_LABEL = "executor-kit-cleaned"

#: Keys only the kit sets: a job (or an executor's configured labels) carrying one is refused.
RESERVED_LABELS: frozenset[str] = frozenset({MANAGED_LABEL, TIMEOUT_LABEL, NAME_LABEL, CLEANED_LABEL})


def timeout_text(seconds: float) -> str:
    """Seconds as a label value: ``5`` for whole seconds, else ``2.5``.

    Example:
        >>> timeout_text(5.0), timeout_text(2.5)
        ('5', '2.5')
    """
    return str(int(seconds)) if float(seconds).is_integer() else repr(float(seconds))


def is_label_mapping(value: object) -> bool:
    """Whether ``value`` can be an executor's configured ``labels``: str keys (non-empty) to str, none reserved.

    Example:
        >>> is_label_mapping({"team": "a"}), is_label_mapping({"": "a"}), is_label_mapping({MANAGED_LABEL: "true"})
        (True, False, False)
    """
    return (
        isinstance(value, Mapping)
        and all(isinstance(key, str) and key and isinstance(item, str) for key, item in value.items())
        and reserved_label_problem(value) is None
    )


def reserved_label_problem(labels: Mapping[str, str]) -> str | None:
    """Why ``labels`` cannot be used (they set a key only the kit sets), or ``None``.

    Args:
        labels: A job's labels, or an executor's configured labels.

    Returns:
        A message naming the reserved keys, or ``None`` when there are none.

    Example:
        >>> reserved_label_problem({"team": "a", RUN_LABEL: "r1"}) is None
        True
        >>> reserved_label_problem({TIMEOUT_LABEL: "-1"})
        "sets ['executor-kit-timeout-seconds'], reserved for the kit's own labels"
    """
    reserved = sorted(key for key in labels if key in RESERVED_LABELS)
    return f"sets {reserved!r}, reserved for the kit's own labels" if reserved else None


def kit_labels(job: JobLike, configured: Mapping[str, str] | None = None) -> dict[str, str]:
    """The labels a backend puts on the resource it creates for ``job``.

    The executor's ``configured`` labels, then the job's, then the kit's own:
    ``MANAGED_LABEL``, and ``TIMEOUT_LABEL`` and ``NAME_LABEL`` when the job
    has a timeout and a name. Reserved keys never come from ``configured`` or
    the job (they are refused earlier; here they are dropped besides).

    Args:
        job: The job being launched.
        configured: Labels the executor's configuration puts on every job.

    Returns:
        A new dict; the job's ``labels`` are not touched.

    Example:
        >>> from executor_kit.job import ContainerJob
        >>> job = ContainerJob(image="x", name="nightly", timeout_seconds=30, labels={"team": "a"})
        >>> for key, value in kit_labels(job).items(): print(key, value)
        team a
        executor-kit-managed true
        executor-kit-timeout-seconds 30
        executor-kit-name nightly
        >>> kit_labels(ContainerJob(image="x"), {"env": "ci", MANAGED_LABEL: "false"})
        {'env': 'ci', 'executor-kit-managed': 'true'}
    """
    given = {**(configured or {}), **job.labels}
    labels = {key: value for key, value in given.items() if key not in RESERVED_LABELS}
    labels[MANAGED_LABEL] = "true"
    if job.timeout_seconds is not None:
        labels[TIMEOUT_LABEL] = timeout_text(job.timeout_seconds)
    if job.name:
        labels[NAME_LABEL] = job.name
    return labels
