"""What the Docker SDK and ``requests`` raise, as the kit's errors (``executor_kit.errors.translated``).

The vendor part only: the engine's statuses go through ``error_for_status``
(its 5xx are resource errors, the engine being busy or out of something), the
transport's exception classes through :data:`TRANSPORT_ERRORS`.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterable

import docker.errors
import requests  # type: ignore[import-untyped,unused-ignore]

from executor_kit.errors import (
    HTTP_STATUS_ERRORS,
    ExecutorAuthenticationError,
    ExecutorConfigurationError,
    ExecutorConnectionError,
    ExecutorError,
    ExecutorResourceError,
    error_for_status,
    translated,
)
from executor_kit.job import redact

__all__ = ["TRANSPORT_ERRORS", "docker_errors", "refusal"]

#: The transport's exception classes and what they mean; any other is a connection error.
TRANSPORT_ERRORS: tuple[tuple[type[BaseException], type[ExecutorError]], ...] = (
    (requests.exceptions.SSLError, ExecutorAuthenticationError),
    (requests.exceptions.ConnectionError, ExecutorConnectionError),
    (requests.exceptions.Timeout, ExecutorConnectionError),
    (docker.errors.TLSParameterError, ExecutorConfigurationError),
)


def _classify(exc: Exception) -> type[ExecutorError] | None:
    """The kit's class for ``exc``; ``None`` for ``NotFound`` and what neither the SDK nor ``requests`` raised."""
    if isinstance(exc, docker.errors.NotFound) or not isinstance(
        exc, docker.errors.DockerException | requests.exceptions.RequestException
    ):
        return None
    if isinstance(exc, docker.errors.APIError):
        return error_for_status(exc.status_code or 500, server_error=ExecutorResourceError)
    cause = exc.__cause__
    if isinstance(exc, docker.errors.DockerException) and isinstance(cause, requests.exceptions.RequestException):
        return _classify(cause)  # "Error while fetching server API version: ..."
    matches = (error for kind, error in TRANSPORT_ERRORS if isinstance(exc, kind))
    return next(matches, ExecutorConnectionError)


def docker_errors(
    action: str, *, execution_id: str | None = None, secrets: Iterable[str] = ()
) -> contextlib.AbstractContextManager[None]:
    """Translate what the Docker SDK and ``requests`` raise into the kit's errors.

    ``docker.errors.NotFound`` passes through unchanged: callers decide what a
    missing container or image means. Everything else from the SDK or the
    transport becomes an ``ExecutorError`` subclass: unreachable daemon →
    ``ExecutorConnectionError``; TLS or 401/403 refusal →
    ``ExecutorAuthenticationError``; other 4xx → ``ExecutorConfigurationError``;
    429 and 5xx → ``ExecutorResourceError``. Secret values are redacted.

    Args:
        action: What was being done, for the message (``"inspect a container"``).
        execution_id: The execution concerned, if any.
        secrets: Values that must not appear in the message.

    Raises:
        ExecutorError: a subclass, chained to the original exception.

    Example:
        >>> with docker_errors("reach the daemon"):
        ...     raise requests.exceptions.ConnectionError("refused")
        Traceback (most recent call last):
        ...
        executor_kit.errors.ExecutorConnectionError: Docker: could not reach the daemon: refused
        >>> with docker_errors("start a container", secrets=["hunter2"]):
        ...     raise docker.errors.APIError("engine down", explanation="hunter2 rejected")  # no response: a 5xx
        Traceback (most recent call last):
        ...
        executor_kit.errors.ExecutorResourceError: Docker: could not start a container: engine down ("*** rejected")
    """
    hidden = list(secrets)
    return translated(
        "docker",
        _classify,
        lambda exc: redact(f"Docker: could not {action}: {exc}", hidden),
        execution_id=execution_id,
    )


def refusal(exc: docker.errors.APIError, secrets: Iterable[str]) -> str:
    """The message for a container spec the engine refused (a 4xx); re-raise anything else.

    Example:
        >>> answer = requests.Response()
        >>> answer.status_code = 400
        >>> refusal(docker.errors.APIError("", answer, explanation="no such user hunter2"), ["hunter2"])
        'the engine refused the container: no such user ***'
    """
    if not exc.is_client_error() or exc.status_code in HTTP_STATUS_ERRORS:
        raise exc
    return redact(f"the engine refused the container: {exc.explanation or exc}", secrets)
