"""An offline Kubernetes API for ``KubernetesExecutor``: a small HTTP server on 127.0.0.1.

``KubernetesEmulator`` serves the documented REST paths the executor uses,
with their request and response shapes, to the official ``kubernetes``
client, unchanged, over real HTTP (werkzeug, in a thread):

* ``/apis/batch/v1/namespaces/{ns}/jobs[/{name}]``: create, read, list (with
  ``labelSelector``), merge-patch, delete (with ``DeleteOptions`` and its
  ``propagationPolicy``);
* ``/api/v1/namespaces/{ns}/pods[/{name}]`` and ``.../pods/{name}/log``
  (``container``, ``stream``);
* ``/api/v1/namespaces/{ns}/secrets[/{name}]``; ``/version``.

Request bodies go through the official client's models; errors are
``Status`` objects with the API's codes and reasons (404 ``NotFound`` with
``details.kind``, 409 ``AlreadyExists``, 422 ``Invalid``, 401 for a wrong
bearer token). The cluster state, the Job controller and the kubelet that
plays the probe live in ``executor_kit.backends.kubernetes.cluster``.

**Split log streams.** With ``split_streams=True`` (the default) the
emulator acts as a cluster with the ``PodLogsQuerySplitStreams`` feature gate
on: ``stream=Stdout|Stderr|All``. With ``False`` it refuses a ``stream``
parameter with 422, and only the merged log can be read. (Whether a real API
server without the gate refuses or ignores the parameter depends on its
version; an ignored one would return the merged log twice, which is why
``split_log_streams`` is a setting the user states, not something the
executor guesses.)

**What it cannot show** is declared absent on the emulated executor:
``supports_networking`` (no packet leaves an emulated pod). Memory limits are
shown: the limit the executor sends is the one the probe's ``alloc`` is
measured against.

``emulated_executor`` is a ``module:callable`` target::

    executor-kit verify executor_kit.backends.kubernetes.emulator:emulated_executor

Example:
    >>> executor = emulated_executor()
    >>> ok, name = executor.launch_job(ContainerJob(image=PROBE_IMAGE, command=Probe().out("hi").exit(3).argv))
    >>> ok, str(executor.check_status(name)), executor.get_logs(name)
    (True, 'exited', ('hi\\n', ''))
    >>> executor.close()
"""

from __future__ import annotations

import dataclasses
import json
import re
import threading
import urllib.parse
import uuid
import weakref
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from werkzeug.serving import WSGIRequestHandler, make_server
from werkzeug.wrappers import Request, Response

from executor_kit.backends import OwnsEmulator
from executor_kit.backends.kubernetes.cluster import ApiError, Cluster, invalid, through_model
from executor_kit.backends.kubernetes.executor import KubernetesExecutor
from executor_kit.clock import Clock, VirtualClock
from executor_kit.probe import PROBE_IMAGE

__all__ = ["EmulatedKubernetesExecutor", "KubernetesEmulator", "emulated_executor"]

_PATH = re.compile(
    r"/(?:apis/batch/v1|api/v1)/namespaces/(?P<ns>[^/]+)/(?P<resource>jobs|pods|secrets)"
    r"(?:/(?P<name>[^/]+)(?P<log>/log)?)?"
)
_LIST_KINDS = {"jobs": ("JobList", "batch/v1"), "pods": ("PodList", "v1"), "secrets": ("SecretList", "v1")}
_StartResponse = Callable[..., Any]


@dataclasses.dataclass
class _Fault:
    method: str
    fragment: str
    status: int
    message: str
    times: int
    headers: dict[str, str]


class _QuietHandler(WSGIRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as the API server offers

    def log_request(self, *args: object, **kwargs: object) -> None:
        """Say nothing per request (werkzeug would print each to stderr)."""


def _json(status: int, body: Mapping[str, Any], headers: Mapping[str, str] | None = None) -> Response:
    return Response(json.dumps(body), status=status, headers=dict(headers or {}), content_type="application/json")


class KubernetesEmulator:
    """The emulated API server; see the module docstring.

    Args:
        clock: The clock shared with the executor (a ``VirtualClock`` in tests).
        images: Images that can be pulled (others fail with ``ErrImagePull``).
        namespaces: Namespaces that exist.
        split_streams: Serve the ``stream`` log option (the feature gate is on).
        start_delay: Seconds a pod spends in ``ContainerCreating``.

    Example:
        >>> with KubernetesEmulator(VirtualClock()) as emulator:
        ...     emulator.executor_config()["host"].startswith("http://127.0.0.1:")
        True
    """

    def __init__(
        self,
        clock: Clock,
        *,
        images: Iterable[str] = (PROBE_IMAGE, "busybox:latest"),
        namespaces: Iterable[str] = ("default", "batch"),
        split_streams: bool = True,
        start_delay: float = 0.0,
    ) -> None:
        self.clock = clock
        self.cluster = Cluster(clock, set(images), set(namespaces), start_delay)
        self.split_streams = split_streams
        self.token = uuid.uuid4().hex
        self.lock = threading.RLock()
        self.requests: list[tuple[str, str]] = []
        self._faults: list[_Fault] = []
        self._server: Any = None
        self._thread: threading.Thread | None = None
        self.host = ""

    # ----------------------------------------------------------- life cycle

    def start(self) -> KubernetesEmulator:
        """Serve on 127.0.0.1 and a free port; returns ``self``.

        Example:
            >>> emulator = KubernetesEmulator(VirtualClock()).start()
            >>> emulator.host.startswith("http://127.0.0.1:")
            True
            >>> emulator.stop(); emulator.stop(); emulator.host
            ''
        """
        self._server = make_server("127.0.0.1", 0, self._app, threaded=True, request_handler=_QuietHandler)
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        self._thread.start()
        self.host = f"http://127.0.0.1:{self._server.server_port}"
        return self

    def stop(self) -> None:
        """Stop serving; idempotent.

        Example:
            >>> import socket
            >>> emulator = KubernetesEmulator(VirtualClock()).start()
            >>> port = int(emulator.host.rpartition(":")[2])
            >>> emulator.stop()
            >>> socket.create_connection(("127.0.0.1", port))  # doctest: +ELLIPSIS
            Traceback (most recent call last):
            ...
            ConnectionRefusedError: [Errno ...] Connection refused
        """
        if self._server is None:
            return
        self._server.shutdown()
        self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._server, self._thread, self.host = None, None, ""

    def __enter__(self) -> KubernetesEmulator:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def executor_config(self) -> dict[str, Any]:
        """``KubernetesExecutor`` settings pointing at this emulation (``host`` and ``token``).

        Example:
            >>> with KubernetesEmulator(VirtualClock(), split_streams=False) as emulator:
            ...     sorted(emulator.executor_config())
            ['capabilities', 'host', 'namespace', 'split_log_streams', 'token']
        """
        return {
            "host": self.host,
            "token": self.token,
            "namespace": "default",
            "split_log_streams": self.split_streams,
            "capabilities": {"supports_networking": False},
        }

    def kubeconfig(self) -> str:
        """A kubeconfig (YAML is a superset of this JSON) naming this server, its token and a context ``emulated``.

        Example:
            >>> with KubernetesEmulator(VirtualClock()) as emulator:
            ...     json.loads(emulator.kubeconfig())["current-context"]
            'emulated'
        """
        return json.dumps(
            {
                "apiVersion": "v1",
                "kind": "Config",
                "clusters": [{"name": "emulated", "cluster": {"server": self.host}}],
                "users": [{"name": "emulated", "user": {"token": self.token}}],
                "contexts": [{"name": "emulated", "context": {"cluster": "emulated", "user": "emulated"}}],
                "current-context": "emulated",
            }
        )

    # ------------------------------------------------------ faults, counts

    def inject(
        self,
        status: int,
        *,
        times: int = 1,
        method: str = "",
        path: str = "",
        message: str = "",
        headers: Mapping[str, str] | None = None,
    ) -> None:
        """Answer the next ``times`` matching requests with ``status`` (a ``Status`` body).

        Example:
            >>> executor = emulated_executor()
            >>> quota = "exceeded quota: team, requested: pods=1"
            >>> executor.emulator.inject(403, method="POST", path="/jobs", message=quota)
            >>> executor.launch_job(ContainerJob(image=PROBE_IMAGE))
            (False, 'Kubernetes create Job failed: HTTP 403: exceeded quota: team, requested: pods=1')
            >>> executor.close()
        """
        with self.lock:
            self._faults.append(
                _Fault(method, path, status, message or f"injected {status}", times, dict(headers or {}))
            )

    def count(self, method: str, fragment: str) -> int:
        """How many requests with ``method`` had ``fragment`` in their path (query included).

        Example:
            >>> KubernetesEmulator(VirtualClock()).count("GET", "/jobs")
            0
        """
        with self.lock:
            return sum(1 for m, path in self.requests if m == method and fragment in path)

    def names(self, resource: str, namespace: str = "default") -> list[str]:
        """Names of the ``jobs``, ``pods`` or ``secrets`` of a namespace, as the server has them now.

        Example:
            >>> KubernetesEmulator(VirtualClock()).names("jobs")
            []
        """
        with self.lock:
            self.cluster.sync()
            return sorted(name for ns, name in self.cluster.objects[resource] if ns == namespace)

    def _fault(self, method: str, path: str) -> _Fault | None:
        for fault in self._faults:
            if fault.times > 0 and fault.method in ("", method) and fault.fragment in path:
                fault.times -= 1
                return fault
        return None

    # ----------------------------------------------------------------- HTTP

    def _app(self, environ: dict[str, Any], start_response: _StartResponse) -> Iterable[bytes]:
        request = Request(environ)
        response = self._answer(request)
        answer: Iterable[bytes] = response(environ, start_response)
        return answer

    def _answer(self, request: Request) -> Response:
        with self.lock:
            self.requests.append((request.method, request.full_path))
            fault = self._fault(request.method, request.full_path)
            if fault is not None:
                error = ApiError(fault.status, "Injected", fault.message)
                return _json(fault.status, error.status(), fault.headers)
            if request.headers.get("Authorization") != f"Bearer {self.token}":
                return _json(401, ApiError(401, "Unauthorized", "Unauthorized").status())
            try:
                self.cluster.sync()
                return self._route(request)
            except ApiError as error:
                return _json(error.code, error.status())

    def _route(self, request: Request) -> Response:
        if request.path == "/version":
            return _json(200, {"major": "1", "minor": "34", "gitVersion": "v1.34.0-executor-kit-emulation"})
        found = _PATH.fullmatch(request.path)
        if found is None:
            raise ApiError(404, "NotFound", f"the server could not find the requested resource ({request.path})")
        return self._resource(request, found)

    def _resource(self, request: Request, found: re.Match[str]) -> Response:
        namespace, resource = urllib.parse.unquote(found["ns"]), found["resource"]
        name = urllib.parse.unquote(found["name"]) if found["name"] else None
        if found["log"]:
            return self._log(request, namespace, str(name))
        handler = self._handlers().get((request.method, name is None))
        if handler is None:
            raise ApiError(405, "MethodNotAllowed", f"{request.method} is not supported here")
        return handler(request, namespace, resource, name)

    def _handlers(self) -> dict[tuple[str, bool], Callable[[Request, str, str, str | None], Response]]:
        return {
            ("GET", True): self._list,
            ("POST", True): self._create,
            ("GET", False): lambda r, ns, res, name: self._object(200, res, self.cluster.get(res, ns, str(name))),
            ("DELETE", False): self._delete,
            ("PATCH", False): self._patch,
        }

    def _object(self, status: int, resource: str, obj: Mapping[str, Any]) -> Response:
        through_model(resource, dict(obj))  # what the server answers decodes as the client's model, too
        return _json(status, obj)

    def _list(self, request: Request, namespace: str, resource: str, name: str | None) -> Response:
        items = self.cluster.select(resource, namespace, request.args.get("labelSelector", ""))
        kind, version = _LIST_KINDS[resource]
        metadata = {"resourceVersion": str(self.cluster.version)}
        return _json(200, {"kind": kind, "apiVersion": version, "metadata": metadata, "items": items})

    def _body(self, request: Request) -> Any:
        try:
            return json.loads(request.get_data(as_text=True) or "null")
        except ValueError as exc:
            raise ApiError(400, "BadRequest", f"the request body is not JSON: {exc}") from exc

    def _create(self, request: Request, namespace: str, resource: str, name: str | None) -> Response:
        create = {"jobs": self.cluster.create_job, "secrets": self.cluster.create_secret}.get(resource)
        if create is None:
            raise ApiError(405, "MethodNotAllowed", f"this emulation does not create {resource}")
        return self._object(201, resource, create(namespace, self._body(request)))

    def _delete(self, request: Request, namespace: str, resource: str, name: str | None) -> Response:
        options = self._body(request) or {}
        if not isinstance(options, dict) or options.get("propagationPolicy") not in (
            None,
            "Foreground",
            "Background",
            "Orphan",
        ):
            raise invalid("DeleteOptions", str(name), "propagationPolicy: Unsupported value")
        propagation = options.get("propagationPolicy") or request.args.get("propagationPolicy")
        return self._object(200, resource, self.cluster.delete(namespace, resource, str(name), propagation))

    def _patch(self, request: Request, namespace: str, resource: str, name: str | None) -> Response:
        if request.mimetype != "application/merge-patch+json":
            raise ApiError(
                415, "UnsupportedMediaType", f"this emulation accepts merge patches only, not {request.mimetype}"
            )
        return self._object(200, resource, self.cluster.patch(namespace, resource, str(name), self._body(request)))

    def _log(self, request: Request, namespace: str, name: str) -> Response:
        stream = request.args.get("stream")
        if stream is not None and not self.split_streams:
            raise invalid("PodLogOptions", name, "stream: Forbidden: may not be specified")
        if stream not in (None, "All", "Stdout", "Stderr"):
            raise invalid("PodLogOptions", name, f'stream: Unsupported value: "{stream}"')
        text = self.cluster.log(namespace, name, request.args.get("container"), stream or "All")
        return Response(text.encode("utf-8"), status=200, content_type="text/plain")


class EmulatedKubernetesExecutor(OwnsEmulator, KubernetesExecutor):
    """A ``KubernetesExecutor`` wired to a ``KubernetesEmulator``, which ``close`` stops.

    Example:
        >>> executor = emulated_executor()
        >>> executor.name, executor.get_capabilities()["supports_networking"]
        ('kubernetes', False)
        >>> emulator = executor.emulator; executor.shutdown()  # close() alone leaves it running
        >>> emulator.host  # stopped with it
        ''
    """

    def __init__(self, config: Mapping[str, Any], *, emulator: KubernetesEmulator) -> None:
        super().__init__(config, clock=emulator.clock)
        self.emulator = emulator


def emulated_executor(config: Mapping[str, Any] | None = None) -> EmulatedKubernetesExecutor:
    """A ``KubernetesExecutor`` against a fresh emulation on a ``VirtualClock``.

    Args:
        config: Executor settings laid over the emulation's; ``split_log_streams``
            also sets whether the emulated cluster serves split streams, and
            ``start_delay`` its ``ContainerCreating`` time.

    Example:
        >>> executor = emulated_executor({"split_log_streams": False})
        >>> executor.get_capabilities()["separates_output_streams"], executor.emulator.split_streams
        (False, False)
        >>> executor.close()
    """
    settings = dict(config or {})
    emulator = KubernetesEmulator(
        VirtualClock(),
        split_streams=bool(settings.get("split_log_streams", True)),
        start_delay=float(settings.pop("start_delay", 0.0)),
    )
    emulator.start()
    try:
        executor = EmulatedKubernetesExecutor({**emulator.executor_config(), **settings}, emulator=emulator)
    except BaseException:
        emulator.stop()
        raise
    weakref.finalize(executor, emulator.stop)  # close() releases the client only; the cluster runs until then
    return executor
