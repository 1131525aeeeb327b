"""The exception hierarchy every executor raises from.

Only backend-level trouble raises; a job-level failure is a ``(False, message)``
return from ``launch_job``. The tree::

    ExecutorError (Exception)
    ├── ExecutorConnectionError (also ConnectionError)
    ├── ExecutorConfigurationError (also ValueError)
    ├── ExecutorResourceError
    ├── ExecutorAuthenticationError (also PermissionError)
    └── ExecutorNotSupportedError (also NotImplementedError)
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator, Mapping

__all__ = [
    "HTTP_STATUS_ERRORS",
    "ExecutorAuthenticationError",
    "ExecutorConfigurationError",
    "ExecutorConnectionError",
    "ExecutorError",
    "ExecutorNotSupportedError",
    "ExecutorResourceError",
    "error_for_status",
    "translated",
]


class ExecutorError(Exception):
    """Base class of every error an executor raises.

    Args:
        message: A sentence that reads well on its own.
        backend: The executor's name, when known.
        execution_id: The execution concerned, when there is one.

    Example:
        >>> err = ExecutorError("engine said no", backend="docker", execution_id="c1")
        >>> str(err), err.backend, err.execution_id
        ('engine said no', 'docker', 'c1')
    """

    def __init__(
        self,
        message: str,
        *,
        backend: str | None = None,
        execution_id: str | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.backend = backend
        self.execution_id = execution_id


class ExecutorConnectionError(ExecutorError, ConnectionError):
    """The backend could not be reached (daemon down, network error, timeout).

    Example:
        >>> isinstance(ExecutorConnectionError("daemon down"), ConnectionError)
        True
    """


class ExecutorConfigurationError(ExecutorError, ValueError):
    """The executor, the factory or a job was given configuration it cannot use.

    Example:
        >>> isinstance(ExecutorConfigurationError("unknown key 'x'"), ValueError)
        True
    """


class ExecutorResourceError(ExecutorError):
    """The backend refused for lack of resources (quota, throttling, capacity).

    Example:
        >>> issubclass(ExecutorResourceError, ExecutorError)
        True
    """


class ExecutorAuthenticationError(ExecutorError, PermissionError):
    """The backend refused the credentials (401/403, TLS client rejected).

    Example:
        >>> isinstance(ExecutorAuthenticationError("token expired"), PermissionError)
        True
    """


class ExecutorNotSupportedError(ExecutorError, NotImplementedError):
    """The backend does not offer an optional operation (``cancel``, ``stream_logs``).

    Raised by ``ContainerExecutor``'s defaults of the optional methods; a
    backend that overrides one declares its capability (``supports_cancel``,
    ``supports_log_streaming``) in ``get_capabilities``.

    Example:
        >>> isinstance(ExecutorNotSupportedError("no cancel here"), NotImplementedError)
        True
    """


# -- translation: one table and one context manager; backends keep only their vendor tables --

HTTP_STATUS_ERRORS: Mapping[int, type[ExecutorError]] = {
    401: ExecutorAuthenticationError,
    403: ExecutorAuthenticationError,
    429: ExecutorResourceError,
}
"""The HTTP statuses every backend reads the same way."""


def error_for_status(
    status: int,
    vendor: Mapping[int, type[ExecutorError]] | None = None,
    *,
    client_error: type[ExecutorError] = ExecutorConfigurationError,
    server_error: type[ExecutorError] = ExecutorConnectionError,
) -> type[ExecutorError]:
    """The error class for an HTTP answer.

    The backend's own ``vendor`` table first, then :data:`HTTP_STATUS_ERRORS`;
    otherwise 5xx and 0 (no answer at all) are ``server_error`` and any other
    status ``client_error``.

    Example:
        >>> error_for_status(403).__name__, error_for_status(503).__name__, error_for_status(400).__name__
        ('ExecutorAuthenticationError', 'ExecutorConnectionError', 'ExecutorConfigurationError')
        >>> error_for_status(503, server_error=ExecutorResourceError).__name__
        'ExecutorResourceError'
    """
    table = {**HTTP_STATUS_ERRORS, **(vendor or {})}
    if status in table:
        return table[status]
    return server_error if status >= 500 or status == 0 else client_error


@contextlib.contextmanager
def translated(
    backend: str,
    classify: Callable[[Exception], type[ExecutorError] | None],
    describe: Callable[[Exception], str],
    *,
    execution_id: str | None = None,
) -> Iterator[None]:
    """Re-raise what a backend's client raises as the matching ``ExecutorError``.

    ``classify`` names the class for an exception, or ``None`` to let it pass
    unchanged (a 404 the caller reads itself); ``describe`` writes the message
    (with secrets already redacted). ``ExecutorError`` passes unchanged; the
    new error is chained to the original.

    Example:
        >>> def classify(exc):
        ...     return error_for_status(exc.args[0]) if isinstance(exc, LookupError) else None
        >>> with translated("demo", classify, lambda exc: f"demo: HTTP {exc.args[0]}"):
        ...     raise LookupError(401)
        Traceback (most recent call last):
        ...
        executor_kit.errors.ExecutorAuthenticationError: demo: HTTP 401
    """
    try:
        yield
    except ExecutorError:
        raise
    except Exception as exc:
        error = classify(exc)
        if error is None:
            raise
        raise error(describe(exc), backend=backend, execution_id=execution_id) from exc
