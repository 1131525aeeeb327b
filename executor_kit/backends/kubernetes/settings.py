"""``KubernetesSettings``: the options of ``KubernetesExecutor``, and the API client they describe.

Example:
    >>> settings = KubernetesSettings.from_mapping({"host": "https://k8s.example:6443", "token": "t"})
    >>> settings.namespace, settings.grace_period_seconds, settings.labels
    ('default', 10, {})
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Mapping
from typing import Any

from kubernetes import client as k8s_client
from kubernetes import config as _k8s_config

from executor_kit.backends.kubernetes.support import BACKEND, is_dns_label, one_line
from executor_kit.labels import is_label_mapping
from executor_kit.settings import Settings, setting

__all__ = ["KubernetesSettings", "make_api_client"]

k8s_config: Any = _k8s_config  # its loaders are untyped

PULL_POLICIES = ("Always", "IfNotPresent", "Never")


def _is_text(value: object) -> bool:
    return isinstance(value, str) and bool(value.strip())


def _is_optional_text(value: object) -> bool:
    return value is None or _is_text(value)


def _is_bool(value: object) -> bool:
    return isinstance(value, bool)


def _is_seconds(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def _is_optional_seconds(value: object) -> bool:
    return value is None or _is_seconds(value)


def _is_positive(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and value > 0


def _is_attempts(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and 1 <= value <= 20


def _is_flags(value: object) -> bool:
    return isinstance(value, Mapping) and all(isinstance(v, bool) for v in value.values())


def _is_namespace(value: object) -> bool:
    return isinstance(value, str) and is_dns_label(value)


def _is_pull_policy(value: object) -> bool:
    return value in PULL_POLICIES


@dataclasses.dataclass(frozen=True, kw_only=True)
class KubernetesSettings(Settings):
    """The options of ``KubernetesExecutor``, all optional; ``None`` for an option means its default.

    Connection: ``kubeconfig`` (default ``$KUBECONFIG`` or ``~/.kube/config``)
    and ``context``, or ``in_cluster``, or ``host`` (+ ``token``), and
    ``verify_ssl``. Jobs: ``namespace``, ``ttl_seconds_after_finished``,
    ``grace_period_seconds``, ``image_pull_policy``, ``service_account``,
    ``labels``. Behaviour: ``split_log_streams``, ``launch_wait_seconds``,
    ``poll_interval``, ``request_timeout``, ``max_attempts``,
    ``harvest_cleans_up``, ``capabilities``.

    Example:
        >>> KubernetesSettings.from_mapping({"token": "t"})
        Traceback (most recent call last):
        ...
        executor_kit.errors.ExecutorConfigurationError: kubernetes config 'token' needs 'host' (the API server URL)
        >>> KubernetesSettings.from_mapping({"image_pull_policy": "Sometimes"})
        Traceback (most recent call last):
        ...
        executor_kit.errors.ExecutorConfigurationError: kubernetes config 'image_pull_policy' must be Always, ...
    """

    backend = BACKEND

    namespace: str = setting(_is_namespace, "a DNS-1123 label (the namespace jobs run in)", "default")
    kubeconfig: str | None = setting(_is_optional_text, "None or the path of a kubeconfig file", None)
    context: str | None = setting(_is_optional_text, "None or a kubeconfig context name", None)
    in_cluster: bool = setting(_is_bool, "a bool (use the pod's service account)", False)
    host: str | None = setting(
        _is_optional_text, "None or the API server URL (with 'token', instead of a kubeconfig)", None
    )
    token: str | None = setting(_is_optional_text, "None or a bearer token for 'host'", None, secret=True)
    verify_ssl: bool = setting(_is_bool, "a bool", True)
    split_log_streams: bool = setting(_is_bool, "a bool (the cluster serves pod logs with stream=Stdout|Stderr)", False)
    ttl_seconds_after_finished: int | None = setting(
        _is_optional_seconds, "None or an int >= 0 (Job ttlSecondsAfterFinished)", None
    )
    grace_period_seconds: int = setting(_is_seconds, "an int >= 0 (the pod's terminationGracePeriodSeconds)", 10)
    launch_wait_seconds: int = setting(_is_seconds, "an int >= 0 (how long launch watches the pull)", 30)
    poll_interval: float = setting(_is_positive, "a positive number of seconds", 1.0, convert=float)
    request_timeout: float = setting(_is_positive, "a positive number of seconds", 30.0, convert=float)
    max_attempts: int = setting(_is_attempts, "an int from 1 to 20 (for 409/429/5xx answers)", 5)
    image_pull_policy: str | None = setting(_is_pull_policy, "Always, IfNotPresent or Never", None)
    service_account: str | None = setting(_is_optional_text, "None or a service account name", None)
    labels: Mapping[str, str] = setting(
        is_label_mapping, "a dict[str, str] of labels for every job, none reserved for the kit", {}
    )
    capabilities: Mapping[str, bool] = setting(_is_flags, "a dict[str, bool] of capability overrides", {})
    harvest_cleans_up: bool = setting(_is_bool, "a bool", False)

    def validate(self) -> None:
        """A ``token`` needs a ``host`` to send it to.

        Example:
            >>> KubernetesSettings(host="https://k8s.example:6443", token="t").validate() is None
            True
        """
        if self.token and not self.host:
            raise self.error("token", "needs 'host' (the API server URL)")


# -------------------------------------------------------------- the API client


def make_api_client(settings: KubernetesSettings) -> Any:
    """A ``kubernetes.client.ApiClient`` from ``host``/``token``, in-cluster config or a kubeconfig.

    Raises:
        ExecutorConfigurationError: for a kubeconfig that is missing or
            malformed, or ``in_cluster`` outside a pod (one line).

    Example:
        >>> client = make_api_client(KubernetesSettings(host="https://k8s.example:6443/", token="t"))
        >>> client.configuration.host, client.configuration.retries
        ('https://k8s.example:6443', 0)
        >>> client.close()
    """
    configuration = k8s_client.Configuration()
    if settings.host:
        configuration.host = settings.host.rstrip("/")
        if settings.token:
            configuration.api_key = {"authorization": f"Bearer {settings.token}"}
    elif settings.in_cluster:
        _in_cluster(configuration)
    else:
        _from_kubeconfig(settings, configuration)
    configuration.verify_ssl = settings.verify_ssl and configuration.verify_ssl
    configuration.retries = 0  # retries are ours, on the executor's clock
    return k8s_client.ApiClient(configuration)


def _from_kubeconfig(settings: KubernetesSettings, configuration: Any) -> None:
    path = os.path.expanduser(settings.kubeconfig or os.environ.get("KUBECONFIG", "~/.kube/config"))
    if not os.path.isfile(path):
        message = f"names no readable file: {path!r} (set 'kubeconfig', or 'in_cluster': true)"
        raise KubernetesSettings.error("kubeconfig", message)
    try:
        k8s_config.load_kube_config(
            config_file=path, context=settings.context, client_configuration=configuration, persist_config=False
        )
    except Exception as exc:  # ConfigException, YAML and type errors of a malformed file alike
        raise KubernetesSettings.error("kubeconfig", f"{path!r} cannot be used: {one_line(exc)}") from exc


def _in_cluster(configuration: Any) -> None:
    try:
        k8s_config.load_incluster_config(client_configuration=configuration)
    except Exception as exc:
        message = f"is set but this is not a pod with a service account: {one_line(exc)}"
        raise KubernetesSettings.error("in_cluster", message) from exc
