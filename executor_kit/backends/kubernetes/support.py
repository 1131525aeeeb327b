"""Error translation and naming rules of ``KubernetesExecutor``.

Kept apart from the executor so each module stays small; nothing here is public.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import re
import uuid
from collections.abc import Mapping
from typing import Any

import urllib3.exceptions
from kubernetes.client.exceptions import ApiException

from executor_kit import errors
from executor_kit.errors import ExecutorConfigurationError, ExecutorConnectionError, ExecutorError, error_for_status

__all__: list[str] = []

BACKEND = "kubernetes"


def one_line(exc: BaseException) -> str:
    """The exception's message on one line (its type's name when it has none)."""
    return " ".join(str(exc).split()) or type(exc).__name__


# ---------------------------------------------------------- error translation


class RejectedError(ExecutorConfigurationError):
    """The API refused a job's spec or a quota was exceeded; ``launch_job`` turns it into ``(False, msg)``."""


def status_body(exc: ApiException) -> dict[str, Any]:
    """The ``Status`` object of an API error (empty when the body is not one)."""
    try:
        body = json.loads(exc.body or "{}")
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}


def api_message(exc: ApiException) -> str:
    """The server's message, else the HTTP reason."""
    return str(status_body(exc).get("message") or exc.reason or f"HTTP {exc.status}")


def is_quota(exc: ApiException) -> bool:
    """A 403 that says a ResourceQuota was exceeded (a job-level failure, not an auth one)."""
    return exc.status == 403 and "exceeded quota" in api_message(exc).lower()


def _namespace_missing(exc: ApiException) -> bool:
    details = status_body(exc).get("details") or {}
    return exc.status == 404 and details.get("kind") == "namespaces"


_VENDOR_ERRORS: Mapping[int, type[ExecutorError]] = {400: RejectedError, 409: RejectedError, 422: RejectedError}


def error_class(exc: ApiException) -> type[ExecutorError]:
    """The ``ExecutorError`` subclass for an API answer (a quota 403 is a rejected job, not an auth error)."""
    if is_quota(exc):
        return RejectedError
    return error_for_status(int(exc.status or 0), _VENDOR_ERRORS)


def is_retryable(exc: ApiException) -> bool:
    """429 and 5xx (and 409 for a name clash the caller resolves) are tried again."""
    return exc.status == 429 or int(exc.status or 0) >= 500


def retry_after(exc: ApiException) -> float | None:
    """The server's ``Retry-After`` in seconds, when it sent one."""
    headers: Any = exc.headers or {}
    with contextlib.suppress(TypeError, ValueError):
        return float(headers.get("Retry-After"))
    return None


_NETWORK_ERRORS: tuple[type[BaseException], ...] = (urllib3.exceptions.HTTPError, OSError)


def translated(operation: str, execution_id: str | None = None) -> contextlib.AbstractContextManager[None]:
    """Re-raise the client's errors from ``operation`` as the matching ``ExecutorError``."""
    return errors.translated(
        BACKEND, _classify, lambda exc: f"Kubernetes {operation} failed: {_describe(exc)}", execution_id=execution_id
    )


def _classify(exc: Exception) -> type[ExecutorError] | None:
    if isinstance(exc, ApiException):
        return ExecutorConfigurationError if _namespace_missing(exc) else error_class(exc)
    return ExecutorConnectionError if isinstance(exc, _NETWORK_ERRORS) else None


def _describe(exc: Exception) -> str:
    if not isinstance(exc, ApiException):
        return f"the API server cannot be reached: {one_line(exc)}"
    if _namespace_missing(exc):
        return f"the namespace does not exist ({api_message(exc)})"
    return f"HTTP {exc.status}: {api_message(exc)}"


def is_not_found(exc: BaseException) -> bool:
    """Whether a translated error came from a 404 answer."""
    cause = exc.__cause__
    return isinstance(cause, ApiException) and cause.status == 404


# ------------------------------------------------------------- raw answers


def read_body(response: Any) -> bytes:
    """The whole body of a raw (``_preload_content=False``) answer; its connection goes back to the pool."""
    data = bytes(response.data or b"")
    response.release_conn()
    return data


def parsed(body: bytes) -> Any:
    """A JSON answer (``None`` for an empty body)."""
    return json.loads(body or b"null")


def items(body: bytes) -> list[dict[str, Any]]:
    """The ``items`` of a list answer."""
    return list(parsed(body).get("items") or [])


# ------------------------------------------------------------ names and labels

_DNS_LABEL = re.compile(r"[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?")
_LABEL_VALUE = re.compile(r"(([A-Za-z0-9][-A-Za-z0-9_.]{0,61})?[A-Za-z0-9])?")
_LABEL_NAME = re.compile(r"[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?")
_DNS_SUBDOMAIN = re.compile(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*")
_SUFFIX_LENGTH = 8
_BASE_LENGTH = 63 - 1 - _SUFFIX_LENGTH
ENCODED_PREFIX = "sha256-"


def is_dns_label(text: str) -> bool:
    """Whether ``text`` is an RFC 1123 label (what Job, Secret and namespace names must be)."""
    return len(text) <= 63 and bool(_DNS_LABEL.fullmatch(text))


def job_name(name: str | None) -> str:
    """A valid, unique Job name: the job's name made DNS-1123, then a random suffix."""
    base = re.sub(r"[^a-z0-9-]+", "-", (name or "").lower()).strip("-")[:_BASE_LENGTH].strip("-")
    return f"{base or 'executor-kit'}-{uuid.uuid4().hex[:_SUFFIX_LENGTH]}"


def label_key_problem(key: str) -> str | None:
    """Why ``key`` is not a valid label key, or ``None``."""
    prefix, _, name = key.rpartition("/")
    if not _LABEL_NAME.fullmatch(name):
        return f"label key {key[:70]!r} is not valid in Kubernetes (a name of up to 63 letters, digits, '-', '_', '.')"
    if "/" in key and not (len(prefix) <= 253 and _DNS_SUBDOMAIN.fullmatch(prefix)):
        return f"label key {key[:70]!r} has a prefix that is not a DNS subdomain"
    return None


def label_value(value: str) -> str:
    """``value`` if Kubernetes accepts it as a label value, else a stable 63-character digest of it."""
    if _LABEL_VALUE.fullmatch(value) and len(value) <= 63 and not value.startswith(ENCODED_PREFIX):
        return value
    return ENCODED_PREFIX + hashlib.sha256(value.encode()).hexdigest()[: 63 - len(ENCODED_PREFIX)]


def encode_labels(labels: Mapping[str, str]) -> dict[str, str] | str:
    """Labels as Kubernetes accepts them (values encoded as needed), or the first problem."""
    problem = next((p for p in map(label_key_problem, labels) if p), None)
    return problem if problem else {key: label_value(value) for key, value in labels.items()}


def selector(labels: Mapping[str, str]) -> str:
    """A label selector matching every (already encoded) label."""
    return ",".join(f"{key}={value}" for key, value in sorted(labels.items()))


_ENV_NAME = re.compile(r"[ -<>-~]+")  # printable ASCII except '=' (Kubernetes 1.30+ relaxed env names)


def env_name_problem(names: list[str]) -> str | None:
    """Why one of the variable names cannot be set in a pod, or ``None``."""
    bad = [name for name in names if not _ENV_NAME.fullmatch(name)]
    return f"environment variable names Kubernetes refuses (printable ASCII only): {bad!r}" if bad else None
