"""The Docker SDK client of one executor: its arguments from the settings and the environment, and its transport.

docker-py's ``UnixHTTPConnection.connect`` leaks its socket when the daemon is
down (a ``ResourceWarning`` per failed call). :func:`connect` mounts a fixed
transport on the client it builds only; nothing global is patched.

Example:
    >>> from executor_kit.backends.docker.settings import DockerSettings
    >>> kwargs = client_kwargs(DockerSettings.from_mapping({"base_url": "unix:///var/run/docker.sock"}))
    >>> kwargs["base_url"], kwargs["timeout"]
    ('unix:///var/run/docker.sock', 60.0)
"""

from __future__ import annotations

import socket
from collections.abc import Mapping
from typing import Any

import docker
import docker.constants
import docker.errors
import docker.tls
import docker.transport
import docker.transport.unixconn
import docker.utils

from executor_kit.backends.docker.settings import DockerSettings
from executor_kit.errors import ExecutorConfigurationError, ExecutorConnectionError

__all__ = ["client_kwargs", "connect"]


def client_kwargs(settings: DockerSettings) -> dict[str, Any]:
    """The arguments of ``docker.DockerClient``: the ``DOCKER_*`` environment, then the settings over it.

    Raises:
        ExecutorConfigurationError: for an unusable environment, TLS files that
            cannot be used, or a malformed daemon address (in one line).

    Example:
        >>> client_kwargs(DockerSettings.from_mapping({"base_url": "tcp://localhost:99999"}))
        Traceback (most recent call last):
        ...
        executor_kit.errors.ExecutorConfigurationError: Docker: the daemon address 'tcp://localhost:99999' ...
    """
    try:
        kwargs: dict[str, Any] = dict(docker.utils.kwargs_from_env())
    except docker.errors.DockerException as exc:
        raise ExecutorConfigurationError(f"the DOCKER_* environment is unusable: {exc}", backend="docker") from exc
    if settings.base_url:
        kwargs["base_url"] = settings.base_url
    if settings.tls is not None:
        kwargs["tls"] = _tls_config(settings.tls)
    _check_address(kwargs.get("base_url"), "config 'base_url'" if settings.base_url else "DOCKER_HOST", kwargs)
    return {**kwargs, "timeout": settings.request_timeout, "max_pool_size": 32}


def _tls_config(tls: Any) -> Any:
    if not isinstance(tls, Mapping):
        return tls
    cert, key = tls.get("client_cert"), tls.get("client_key")
    try:
        return docker.tls.TLSConfig(
            client_cert=(cert, key) if cert or key else None,
            ca_cert=tls.get("ca_cert"),
            verify=tls.get("verify", tls.get("ca_cert") is not None),
        )
    except docker.errors.TLSParameterError as exc:
        raise DockerSettings.error("tls", f"is unusable: {exc}") from exc


def _check_address(url: str | None, source: str, kwargs: Mapping[str, Any]) -> None:
    """Parse the daemon address as the SDK will, so a malformed one is one configuration-error line."""
    if not url:
        return
    try:
        docker.utils.parse_host(url, docker.constants.IS_WINDOWS_PLATFORM, tls=bool(kwargs.get("tls")))
    except (ValueError, docker.errors.DockerException) as exc:
        reason = str(exc).strip().partition("\n")[0]
        raise ExecutorConfigurationError(
            f"Docker: the daemon address {url!r} ({source}) is malformed: {reason}", backend="docker"
        ) from exc


def connect(kwargs: Mapping[str, Any]) -> Any:
    """A ``docker.DockerClient`` built from ``kwargs``, with the socket-closing unix transport.

    A unix socket is tried first, so a daemon that is not there is one clear error.

    Raises:
        ExecutorConnectionError: when nothing listens on the unix socket.

    Example:
        >>> connect({"base_url": "unix:///nonexistent/docker.sock", "timeout": 1})  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ...
        executor_kit.errors.ExecutorConnectionError: Docker: could not reach the daemon at unix:///nonexistent/...
    """
    path = _unix_socket_path(kwargs.get("base_url"))
    if path is not None:
        _reach_unix_socket(path, kwargs["timeout"])
    client = docker.DockerClient(**kwargs)
    old = getattr(client.api, "_custom_adapter", None)
    if isinstance(old, docker.transport.UnixHTTPAdapter):
        adapter = _ClosingUnixAdapter(f"http+unix://{old.socket_path}", old.timeout, max_pool_size=old.max_pool_size)
        client.api.mount("http+docker://", adapter)
        client.api._custom_adapter = adapter  # what APIClient closes and reuses
        old.close()
    return client


def _unix_socket_path(base_url: str | None) -> str | None:
    url = base_url or docker.constants.DEFAULT_UNIX_SOCKET
    for prefix in ("http+unix://", "unix://"):
        if url.startswith(prefix):
            return "/" + url[len(prefix) :].lstrip("/")
    return None


def _reach_unix_socket(path: str, timeout: float) -> None:
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
        sock.settimeout(timeout)
        try:
            sock.connect(path)
        except OSError as exc:
            raise ExecutorConnectionError(
                f"Docker: could not reach the daemon at unix://{path}: {exc}", backend="docker"
            ) from exc


class _ClosingUnixConnection(docker.transport.unixconn.UnixHTTPConnection):  # type: ignore[misc]
    def connect(self) -> None:
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            sock.settimeout(self.timeout)
            sock.connect(self.unix_socket)
        except BaseException:
            sock.close()
            raise
        self.sock = sock


class _ClosingUnixPool(docker.transport.unixconn.UnixHTTPConnectionPool):  # type: ignore[misc]
    def _new_conn(self) -> _ClosingUnixConnection:
        return _ClosingUnixConnection(self.base_url, self.socket_path, self.timeout)


class _ClosingUnixAdapter(docker.transport.UnixHTTPAdapter):  # type: ignore[misc]
    def get_connection(self, url: str, proxies: Any = None) -> Any:
        with self.pools.lock:
            pool = self.pools.get(url)
            if pool is None:
                pool = _ClosingUnixPool(url, self.socket_path, self.timeout, maxsize=self.max_pool_size)
                self.pools[url] = pool
        return pool
