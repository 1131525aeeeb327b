"""Settings, client construction, error translation and naming rules of ``KubernetesExecutor``.

Kept apart from the executor so each module stays small; nothing here is public.
"""

from __future__ import annotations

import contextlib
import difflib
import hashlib
import json
import os
import re
import uuid
from collections.abc import Callable, Mapping
from typing import Any

import urllib3.exceptions
from kubernetes import client as k8s_client
from kubernetes import config as _k8s_config
from kubernetes.client.exceptions import ApiException

from executor_kit import errors
from executor_kit.errors import ExecutorConfigurationError, ExecutorConnectionError, ExecutorError, error_for_status
from executor_kit.labels import is_label_mapping

__all__: list[str] = []

k8s_config: Any = _k8s_config  # its loaders are untyped

BACKEND = "kubernetes"

# ------------------------------------------------------------------ settings


def _is_text(value: object) -> bool:
    return isinstance(value, str) and bool(value.strip())


def _is_optional_text(value: object) -> bool:
    return value is None or _is_text(value)


def _is_bool(value: object) -> bool:
    return isinstance(value, bool)


def _is_optional_seconds(value: object) -> bool:
    return value is None or (isinstance(value, int) and not isinstance(value, bool) and value >= 0)


def _is_positive(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and value > 0


def _is_attempts(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and 1 <= value <= 20


def _is_flags(value: object) -> bool:
    return isinstance(value, Mapping) and all(isinstance(v, bool) for v in value.values())


def _is_namespace(value: object) -> bool:
    return isinstance(value, str) and is_dns_label(value)


_REQUIRED = object()
# key -> (check, what the value must be, default)
SCHEMA: dict[str, tuple[Callable[[object], bool], str, Any]] = {
    "namespace": (_is_namespace, "a DNS-1123 label (the namespace jobs run in)", "default"),
    "kubeconfig": (_is_optional_text, "None or the path of a kubeconfig file", None),
    "context": (_is_optional_text, "None or a kubeconfig context name", None),
    "in_cluster": (_is_bool, "a bool (use the pod's service account)", False),
    "host": (_is_optional_text, "None or the API server URL (with 'token', instead of a kubeconfig)", None),
    "token": (_is_optional_text, "None or a bearer token for 'host'", None),
    "verify_ssl": (_is_bool, "a bool", True),
    "split_log_streams": (_is_bool, "a bool (the cluster serves pod logs with stream=Stdout|Stderr)", False),
    "ttl_seconds_after_finished": (_is_optional_seconds, "None or an int >= 0 (Job ttlSecondsAfterFinished)", None),
    "grace_period_seconds": (_is_optional_seconds, "None or an int >= 0 (the pod's terminationGracePeriodSeconds)", 10),
    "launch_wait_seconds": (_is_optional_seconds, "None or an int >= 0 (how long launch watches the pull)", 30),
    "poll_interval": (_is_positive, "a positive number of seconds", 1.0),
    "request_timeout": (_is_positive, "a positive number of seconds", 30.0),
    "max_attempts": (_is_attempts, "an int from 1 to 20 (for 409/429/5xx answers)", 5),
    "image_pull_policy": (_is_optional_text, "None, 'Always', 'IfNotPresent' or 'Never'", None),
    "service_account": (_is_optional_text, "None or a service account name", None),
    "labels": (is_label_mapping, "a dict[str, str] of labels for every job, none reserved for the kit", {}),
    "capabilities": (_is_flags, "a dict[str, bool] of capability overrides", {}),
    "harvest_cleans_up": (_is_bool, "a bool", False),
}


def config_error(key: str, message: str) -> ExecutorConfigurationError:
    """An error naming a setting."""
    return ExecutorConfigurationError(f"kubernetes config {key!r} {message}", backend=BACKEND)


def _check_key(key: str, config: Mapping[str, Any]) -> Any:
    check, expected, default = SCHEMA[key]
    if key not in config or config[key] is None:
        return default
    if not check(config[key]):
        raise config_error(key, f"must be {expected}, got {config[key]!r}")
    return config[key]


def _check_unknown(config: Mapping[str, Any]) -> None:
    for key in config:
        if key not in SCHEMA:
            close = difflib.get_close_matches(str(key), SCHEMA, n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            raise config_error(str(key), f"is not a known setting{hint}; known: {', '.join(sorted(SCHEMA))}")


def settings_from(config: Mapping[str, Any]) -> dict[str, Any]:
    """Validated settings with defaults; raises ``ExecutorConfigurationError`` for the first bad one."""
    _check_unknown(config)
    settings = {key: _check_key(key, config) for key in SCHEMA}
    if settings["image_pull_policy"] not in (None, "Always", "IfNotPresent", "Never"):
        raise config_error(
            "image_pull_policy", f"must be Always, IfNotPresent or Never, got {config['image_pull_policy']!r}"
        )
    if settings["token"] and not settings["host"]:
        raise config_error("token", "needs 'host' (the API server URL)")
    return settings


# -------------------------------------------------------------- the API client


def _one_line(exc: BaseException) -> str:
    return " ".join(str(exc).split()) or type(exc).__name__


def _from_kubeconfig(settings: Mapping[str, Any], configuration: Any) -> None:
    path = os.path.expanduser(settings["kubeconfig"] or os.environ.get("KUBECONFIG", "~/.kube/config"))
    if not os.path.isfile(path):
        raise config_error("kubeconfig", f"names no readable file: {path!r} (set 'kubeconfig', or 'in_cluster': true)")
    try:
        k8s_config.load_kube_config(
            config_file=path, context=settings["context"], client_configuration=configuration, persist_config=False
        )
    except Exception as exc:  # ConfigException, YAML and type errors of a malformed file alike
        raise config_error("kubeconfig", f"{path!r} cannot be used: {_one_line(exc)}") from exc


def _in_cluster(configuration: Any) -> None:
    try:
        k8s_config.load_incluster_config(client_configuration=configuration)
    except Exception as exc:
        raise config_error(
            "in_cluster", f"is set but this is not a pod with a service account: {_one_line(exc)}"
        ) from exc


def make_api_client(settings: Mapping[str, Any]) -> Any:
    """A ``kubernetes.client.ApiClient`` from ``host``/``token``, in-cluster config or a kubeconfig."""
    configuration = k8s_client.Configuration()
    if settings["host"]:
        configuration.host = str(settings["host"]).rstrip("/")
        if settings["token"]:
            configuration.api_key = {"authorization": f"Bearer {settings['token']}"}
    elif settings["in_cluster"]:
        _in_cluster(configuration)
    else:
        _from_kubeconfig(settings, configuration)
    configuration.verify_ssl = bool(settings["verify_ssl"]) and configuration.verify_ssl
    configuration.retries = 0  # retries are ours, on the executor's clock
    return k8s_client.ApiClient(configuration)


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
        return f"the API server cannot be reached: {_one_line(exc)}"
    if _namespace_missing(exc):
        return f"the namespace does not exist ({api_message(exc)})"
    return f"HTTP {exc.status}: {api_message(exc)}"


def is_not_found(exc: BaseException) -> bool:
    """Whether a translated error came from a 404 answer."""
    cause = exc.__cause__
    return isinstance(cause, ApiException) and cause.status == 404


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


def cpu_quantity(cores: float) -> str:
    """Cores as a Kubernetes CPU quantity (millicores, at least 1m)."""
    return f"{max(1, round(cores * 1000))}m"


def memory_quantity(mib: float) -> str:
    """MiB as a Kubernetes memory quantity (binary units, so the limit is exact)."""
    return f"{int(mib)}Mi" if float(mib).is_integer() else f"{max(1, round(mib * 1024 * 1024))}"


_ENV_NAME = re.compile(r"[ -<>-~]+")  # printable ASCII except '=' (Kubernetes 1.30+ relaxed env names)


def env_name_problem(names: list[str]) -> str | None:
    """Why one of the variable names cannot be set in a pod, or ``None``."""
    bad = [name for name in names if not _ENV_NAME.fullmatch(name)]
    return f"environment variable names Kubernetes refuses (printable ASCII only): {bad!r}" if bad else None


def timeout_text(seconds: float) -> str:
    """Seconds as an annotation value (``5``, ``2.5``)."""
    return str(int(seconds)) if float(seconds).is_integer() else repr(float(seconds))
