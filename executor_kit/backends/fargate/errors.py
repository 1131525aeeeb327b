"""What AWS says, as the kit's errors: the vendor error codes and botocore's own exceptions.

The HTTP status reading and the translating context manager are the kit's
(:func:`executor_kit.errors.error_for_status`, :func:`executor_kit.errors.translated`);
this module keeps only what is AWS's own: the error codes of ECS, CloudWatch
Logs and STS, and botocore's exception classes for what never reached AWS.

Example:
    >>> import botocore.exceptions
    >>> with translated("DescribeTasks"):
    ...     raise botocore.exceptions.NoRegionError()
    Traceback (most recent call last):
    ...
    executor_kit.errors.ExecutorConfigurationError: AWS DescribeTasks failed: You must specify a region.
"""

from __future__ import annotations

import contextlib

import botocore.exceptions

from executor_kit import errors
from executor_kit.errors import (
    ExecutorAuthenticationError,
    ExecutorConfigurationError,
    ExecutorConnectionError,
    ExecutorError,
    ExecutorResourceError,
)

__all__ = ["RejectedError", "classify", "error_code", "translated"]


class RejectedError(ExecutorConfigurationError):
    """ECS rejected a request's parameters; ``launch_job`` turns it into ``(False, message)``.

    Example:
        >>> isinstance(RejectedError("InvalidParameterException"), ExecutorConfigurationError)
        True
    """


_AUTH_CODES = frozenset(
    {
        "UnrecognizedClientException",
        "InvalidSignatureException",
        "InvalidClientTokenId",
        "SignatureDoesNotMatch",
        "ExpiredToken",
        "ExpiredTokenException",
        "AccessDenied",
        "AccessDeniedException",
        "MissingAuthenticationTokenException",
        "IncompleteSignature",
    }
)
_RESOURCE_CODES = frozenset(
    {
        "ThrottlingException",
        "Throttling",
        "TooManyRequestsException",
        "RequestLimitExceeded",
        "LimitExceededException",
        "ServiceQuotaExceededException",
    }
)
_REJECTED_CODES = frozenset(
    {"InvalidParameterException", "ClientException", "PlatformTaskDefinitionIncompatibilityException"}
)
_CODE_CLASSES: dict[str, type[ExecutorError]] = {
    **dict.fromkeys(_AUTH_CODES, ExecutorAuthenticationError),
    **dict.fromkeys(_RESOURCE_CODES, ExecutorResourceError),
    **dict.fromkeys(_REJECTED_CODES, RejectedError),
}
# What never reached AWS (or whose answer botocore could not read); the first match wins.
_BOTOCORE_CLASSES: tuple[tuple[type[Exception], type[ExecutorError]], ...] = (
    (botocore.exceptions.NoCredentialsError, ExecutorAuthenticationError),
    (botocore.exceptions.PartialCredentialsError, ExecutorAuthenticationError),
    (botocore.exceptions.CredentialRetrievalError, ExecutorAuthenticationError),
    (botocore.exceptions.ProfileNotFound, ExecutorConfigurationError),
    (botocore.exceptions.NoRegionError, ExecutorConfigurationError),
    (botocore.exceptions.ParamValidationError, ExecutorConfigurationError),
    (botocore.exceptions.BotoCoreError, ExecutorConnectionError),
)


def _client_error_class(exc: botocore.exceptions.ClientError) -> type[ExecutorError]:
    """By the error code when the kit knows it, else by the HTTP status (an unreadable one counts as 400)."""
    code = str(exc.response.get("Error", {}).get("Code", ""))
    status = int(exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 400) or 400)
    return _CODE_CLASSES.get(code) or errors.error_for_status(status)


def classify(exc: Exception) -> type[ExecutorError] | None:
    """The kit's error class for what botocore raised; ``None`` for anything else (it passes unchanged).

    Example:
        >>> answer = {"Error": {"Code": "ThrottlingException"}, "ResponseMetadata": {"HTTPStatusCode": 400}}
        >>> classify(botocore.exceptions.ClientError(answer, "RunTask")).__name__
        'ExecutorResourceError'
        >>> answer = {"Error": {"Code": "ServerException"}, "ResponseMetadata": {"HTTPStatusCode": 503}}
        >>> classify(botocore.exceptions.ClientError(answer, "RunTask")).__name__
        'ExecutorConnectionError'
        >>> classify(KeyError("taskArn")) is None
        True
    """
    if isinstance(exc, botocore.exceptions.ClientError):
        return _client_error_class(exc)
    return next((cls for kind, cls in _BOTOCORE_CLASSES if isinstance(exc, kind)), None)


def translated(operation: str, execution_id: str | None = None) -> contextlib.AbstractContextManager[None]:
    """Re-raise botocore errors from ``operation`` as the matching ``ExecutorError`` of backend ``fargate``.

    Example:
        >>> answer = {"Error": {"Code": "AccessDeniedException", "Message": "no"}}
        >>> with translated("StopTask", "arn:task"):
        ...     raise botocore.exceptions.ClientError(answer, "StopTask")
        Traceback (most recent call last):
        ...
        executor_kit.errors.ExecutorAuthenticationError: AWS StopTask failed: An error occurred ...
    """
    return errors.translated(
        "fargate", classify, lambda exc: f"AWS {operation} failed: {exc}", execution_id=execution_id
    )


def error_code(exc: BaseException) -> str:
    """The AWS error code behind a translated error, or ``""``.

    Example:
        >>> answer = {"Error": {"Code": "ResourceNotFoundException"}}
        >>> try:
        ...     with translated("GetLogEvents"):
        ...         raise botocore.exceptions.ClientError(answer, "GetLogEvents")
        ... except ExecutorError as exc:
        ...     error_code(exc)
        'ResourceNotFoundException'
    """
    cause = exc.__cause__
    if isinstance(cause, botocore.exceptions.ClientError):
        return str(cause.response.get("Error", {}).get("Code", ""))
    return ""
