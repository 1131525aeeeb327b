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

__all__ = [
    "ExecutorAuthenticationError",
    "ExecutorConfigurationError",
    "ExecutorConnectionError",
    "ExecutorError",
    "ExecutorNotSupportedError",
    "ExecutorResourceError",
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
