"""The Docker executor's settings: one frozen dataclass, checked once (``executor_kit.settings``)."""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping
from typing import Any, ClassVar

from executor_kit.labels import is_label_mapping
from executor_kit.settings import Settings, setting

__all__ = ["PULL_POLICIES", "DockerSettings"]

#: The accepted values of ``pull_policy``.
PULL_POLICIES = ("never", "if-missing", "always")

_TLS_KEYS = frozenset({"verify", "ca_cert", "client_cert", "client_key"})
_SECONDS_COUNT = "a whole number of seconds >= 0"


def _is_optional_text(value: object) -> bool:
    return value is None or (isinstance(value, str) and bool(value.strip()))


def _is_tls_mapping(value: Mapping[Any, Any]) -> bool:
    paths = [value.get(key) for key in ("ca_cert", "client_cert", "client_key")]
    verify_ok = isinstance(value.get("verify", True), bool | str)
    return set(value) <= _TLS_KEYS and verify_ok and all(path is None or isinstance(path, str) for path in paths)


def _is_tls(value: object) -> bool:
    return value is None or isinstance(value, bool) or (isinstance(value, Mapping) and _is_tls_mapping(value))


def _is_bool(value: object) -> bool:
    return isinstance(value, bool)


def _is_count(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def _is_positive(value: object) -> bool:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return False
    return math.isfinite(value) and value > 0


@dataclasses.dataclass(frozen=True, kw_only=True)
class DockerSettings(Settings):
    """What a ``DockerExecutor`` is configured with (a plain mapping; unknown keys are refused).

    =====================  ========================================================
    ``base_url``           daemon URL; default from the environment like the Docker
                           CLI (``DOCKER_HOST``, ``DOCKER_TLS_VERIFY``, ``DOCKER_CERT_PATH``)
    ``tls``                ``True`` or ``{"verify", "ca_cert", "client_cert", "client_key"}``
    ``labels``             labels put on every container (``dict[str, str]``)
    ``network``            network to attach containers to (default: Docker's bridge)
    ``auto_remove``        Docker's ``--rm``: the daemon deletes a container when it
                           exits. Off by default, because the contract keeps logs and
                           results readable until ``cleanup``; when on, a finished
                           execution soon reads ``not-found``
    ``pull_policy``        ``"never"`` | ``"if-missing"`` (default) | ``"always"``
    ``harvest_cleans_up``  remove the container after a successful harvest (default off)
    ``stop_timeout``       seconds of SIGTERM grace before SIGKILL when ``cleanup`` stops a
                           running container (int, default 0: SIGKILL at once)
    ``cancel_grace``       seconds of SIGTERM grace before SIGKILL when ``cancel`` stops a
                           running container (int, default 10, as ``docker stop``)
    ``request_timeout``    seconds before a call to the daemon gives up (default 60;
                           formerly ``api_timeout``)
    ``log_driver``         the containers' logging driver (default: the engine's, json-file)
    =====================  ========================================================

    Engine limits of the log drivers: json-file stores a line over 16 KiB in
    pieces and turns a multi-byte character cut at a piece's edge into U+FFFD;
    ``"local"`` (engine 20.10) keeps those bytes but drops the newline ending
    such a line.

    Example:
        >>> DockerSettings.from_mapping({"pull_policy": "never"}).request_timeout
        60.0
        >>> DockerSettings.from_mapping({"api_timeout": 5})
        Traceback (most recent call last):
        ...
        executor_kit.errors.ExecutorConfigurationError: docker config 'api_timeout' was renamed to 'request_timeout'
    """

    backend = "docker"
    renamed: ClassVar[Mapping[str, str]] = {"api_timeout": "request_timeout"}

    base_url: str | None = setting(
        _is_optional_text, "a daemon URL such as 'unix:///var/run/docker.sock' or None", None
    )
    tls: bool | Mapping[str, Any] | None = setting(
        _is_tls, f"True, False, None or a mapping of str paths with keys among {sorted(_TLS_KEYS)}", None
    )
    labels: Mapping[str, str] = setting(
        is_label_mapping, "a dict[str, str] with non-empty keys, none of them reserved for the kit", {}, convert=dict
    )
    network: str | None = setting(_is_optional_text, "a network name or None", None)
    auto_remove: bool = setting(_is_bool, "a bool", False)
    pull_policy: str = setting(lambda value: value in PULL_POLICIES, f"one of {', '.join(PULL_POLICIES)}", "if-missing")
    harvest_cleans_up: bool = setting(_is_bool, "a bool", False)
    stop_timeout: int = setting(_is_count, _SECONDS_COUNT, 0)
    cancel_grace: int = setting(_is_count, _SECONDS_COUNT, 10)
    request_timeout: float = setting(_is_positive, "a number of seconds > 0", 60.0, convert=float)
    log_driver: str | None = setting(
        _is_optional_text, "a logging driver that keeps logs readable, such as 'local', or None", None
    )
