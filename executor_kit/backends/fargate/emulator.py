"""An offline AWS Fargate for ``FargateExecutor``: moto's server plus a probe player.

``FargateEmulator`` starts moto's ``ThreadedMotoServer`` on 127.0.0.1 and a
free port, so the executor talks HTTP to an endpoint as it does in production,
and provisions what a real account would have: a cluster, a VPC with DNS
hostnames enabled, a subnet, a security group, a log group and a task
definition whose container runs the probe image (with container-level memory).

moto records ``run_task`` but never runs anything: its tasks sit in ``RUNNING``,
their containers report exit code 0 and no logs are written. The emulator
fills that gap where the real platform would, on the server side: before and
after every request it plays each task's probe argv (``executor_kit.probe``)
against the clock it shares with the executor. It moves the task through
``PROVISIONING`` and ``RUNNING`` to ``STOPPED`` on moto's backend objects
(moto's own state transitions are set to ``manual`` with an unreachable count,
so only the emulator moves them), sets the container's ``exitCode`` and
``reason`` (``OutOfMemoryError`` when ``alloc`` exceeds the container's memory),
the task's ``stopCode``, ``stoppedReason`` and timestamps, and writes the log
events the log driver would write, one per line, in the log stream
``PREFIX/CONTAINER/TASK_ID``: FireLens JSON records (with ``source``) or plain
``awslogs`` lines (where empty lines vanish, as CloudWatch refuses empty
events). A ``stop_task`` ends the probe at that instant with 143 (SIGTERM), or
137 when it ignores SIGTERM (ECS then sends SIGKILL).

What the emulation cannot show is declared absent on the emulated executor:
``supports_networking`` (no packet ever leaves a moto task). Memory limits are
shown: the limit the executor sends in the container overrides is the one the
probe's ``alloc`` is measured against.

``emulated_executor`` is a ``module:callable`` target::

    executor-kit verify executor_kit.backends.fargate.emulator:emulated_executor

Example:
    >>> executor = emulated_executor()
    >>> job = ContainerJob(image="executor-kit-probe:latest", command=Probe().out("hi").exit(3).argv)
    >>> executor.launch_job(job)[0], executor.check_status(job.external_execution_id)
    (True, <ExecutionStatus.EXITED: 'exited'>)
    >>> executor.get_logs(job.external_execution_id)
    ('hi\\n', '')
    >>> executor.close()
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import json
import threading
import uuid
import weakref
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from executor_kit.backends import OwnsEmulator, missing_dependency

try:
    import boto3
    from moto.core.models import DEFAULT_ACCOUNT_ID
    from moto.ecs.models import ecs_backends
    from moto.logs.models import logs_backends
    from moto.moto_api import state_manager
    from moto.moto_server.threaded_moto_server import ThreadedMotoServer
    from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app
    from moto.secretsmanager.models import secretsmanager_backends
    from moto.ssm.models import ssm_backends
    from werkzeug.serving import WSGIRequestHandler, make_server

    from executor_kit.backends.fargate.executor import FargateExecutor
except ImportError as exc:  # one line that names the extra to install
    raise missing_dependency(exc) from exc

from executor_kit.clock import Clock, VirtualClock
from executor_kit.probe import PROBE_IMAGE, ProbeRun, interpret, is_probe

__all__ = ["EmulatedFargateExecutor", "FargateEmulator", "emulated_executor"]

_CREDENTIALS = {"aws_access_key_id": "testing", "aws_secret_access_key": "testing"}
_CONTAINER = "probe"
_CONTAINER_MEMORY = 2048
_TRANSITION_USERS = [0]
_TRANSITION_LOCK = threading.Lock()
_StartResponse = Callable[..., Any]


@functools.lru_cache(maxsize=1)
def _session() -> boto3.session.Session:
    """One session for the emulator's own clients (loading botocore's data once)."""
    return boto3.session.Session(**_CREDENTIALS)


def _hold_transitions(delta: int) -> None:
    """Keep moto from moving tasks on its own while any emulator runs."""
    with _TRANSITION_LOCK:
        _TRANSITION_USERS[0] += delta
        if _TRANSITION_USERS[0] > 0:
            state_manager.set_transition(model_name="ecs::task", transition={"progression": "manual", "times": 10**9})
        else:
            state_manager.unset_transition("ecs::task")


@dataclasses.dataclass
class _Fault:
    operation: str
    code: str
    status: int
    times: int


@dataclasses.dataclass
class _Played:
    """One task as the emulator plays it."""

    run: ProbeRun
    created: dt.datetime
    start_delay: float
    written: int = 0
    stopped: bool = False

    def started(self) -> dt.datetime:
        return self.created + dt.timedelta(seconds=self.start_delay)


def _lines(text: str) -> list[str]:
    pieces = text.split("\n")
    return pieces[:-1] if text.endswith("\n") else pieces


def _fetch_secret(reference: str) -> str | None:
    """What ECS's agent would fetch for a ``valueFrom`` ARN, read from moto's backends (None if absent)."""
    region = reference.split(":")[3]
    try:
        if ":secretsmanager:" in reference:
            backend = secretsmanager_backends[DEFAULT_ACCOUNT_ID][region]
            return str(backend.get_secret_value(reference, None, None)["SecretString"])  # type: ignore[arg-type]
        parameter = ssm_backends[DEFAULT_ACCOUNT_ID][region].get_parameter(reference.split(":parameter", 1)[1])
    except Exception:  # a reference moto cannot resolve: the variable stays unset
        return None
    return None if parameter is None else str(parameter.decrypt(parameter.value))


def _environment(definition: Mapping[str, Any], override: Mapping[str, Any]) -> dict[str, str]:
    pairs = list(definition.get("environment") or []) + list(override.get("environment") or [])
    environment = {pair["name"]: pair["value"] for pair in pairs}
    for secret in definition.get("secrets") or []:
        value = _fetch_secret(secret["valueFrom"])
        if value is not None:
            environment[secret["name"]] = value
    return environment


def _play(task: Any, definition: Mapping[str, Any]) -> ProbeRun:
    overrides = (task.overrides or {}).get("containerOverrides") or [{}]
    override = overrides[0]
    argv = override.get("command") or definition.get("command") or []
    memory = override.get("memory") or definition.get("memory")
    if not is_probe(argv):
        return ProbeRun(events=(), exit_code=0, duration=0.0)
    return interpret(argv, _environment(definition, override), memory_limit_mib=memory)


class _Middleware:
    """A WSGI wrapper: injected faults, then play the tasks around each request."""

    def __init__(self, emulator: FargateEmulator, app: Any) -> None:
        self.emulator = emulator
        self.app = app

    def __call__(self, environ: dict[str, Any], start_response: _StartResponse) -> Iterable[bytes]:
        operation = str(environ.get("HTTP_X_AMZ_TARGET", "")).rpartition(".")[2]
        fault = self.emulator.take_fault(operation)
        if fault is not None:
            body = json.dumps({"__type": fault.code, "message": f"injected {fault.code}"}).encode()
            start_response(f"{fault.status} Injected", [("Content-Type", "application/x-amz-json-1.1")])
            return [body]
        with self.emulator.lock:
            self.emulator.sync()
            answer = list(self.app(environ, start_response))
            self.emulator.sync()
        return answer


class _QuietHandler(WSGIRequestHandler):
    def log_request(self, *args: object, **kwargs: object) -> None:
        """Say nothing per request (werkzeug would print each to stderr)."""


class _Server(ThreadedMotoServer):
    def __init__(self, emulator: FargateEmulator) -> None:
        super().__init__(ip_address="127.0.0.1", port=0, verbose=False)
        self.emulator = emulator

    def _server_entry(self) -> None:
        app = _Middleware(self.emulator, DomainDispatcherApplication(create_backend_app))
        self._server = make_server(self._ip_address, self._port, app, True, request_handler=_QuietHandler)
        self._server_ready_event.set()
        self._server.serve_forever(poll_interval=0.05)


class FargateEmulator:
    """moto's server plus the probe player; see the module docstring.

    Args:
        clock: The clock shared with the executor (a ``VirtualClock`` in tests).
        region: The emulated region.
        log_format: ``firelens-json`` (records with ``source``) or ``awslogs``.
        start_delay: Seconds a task spends in ``PROVISIONING`` before it runs.

    Example:
        >>> with FargateEmulator(VirtualClock()) as emulator:
        ...     emulator.executor_config()["endpoint_url"].startswith("http://127.0.0.1:")
        True
    """

    def __init__(
        self,
        clock: Clock,
        *,
        region: str = "us-east-1",
        log_format: str = "firelens-json",
        start_delay: float = 0.0,
    ) -> None:
        self.clock = clock
        self.region = region
        self.log_format = log_format
        self.start_delay = start_delay
        suffix = uuid.uuid4().hex[:10]
        self.cluster = f"executor-kit-{suffix}"
        self.log_group = f"/executor-kit/{suffix}"
        self.family = f"executor-kit-probe-{suffix}"
        self.prefix = "executor-kit"
        self.lock = threading.RLock()
        self.resources: dict[str, Any] = {}
        self._played: dict[str, _Played] = {}
        self._faults: list[_Fault] = []
        self._server = _Server(self)
        self.endpoint_url = ""

    # ----------------------------------------------------------- life cycle

    def start(self) -> FargateEmulator:
        """Start the server and provision the account; returns ``self``.

        Example:
            >>> emulator = FargateEmulator(VirtualClock()).start()
            >>> emulator.endpoint_url.startswith("http://127.0.0.1:"), sorted(emulator.resources)
            (True, ['security_group', 'subnet', 'vpc'])
            >>> emulator.client("ecs").describe_clusters(clusters=[emulator.cluster])["clusters"][0]["status"]
            'ACTIVE'
            >>> emulator.stop()
        """
        self._server.start()
        host, port = self._server.get_host_and_port()
        self.endpoint_url = f"http://{host}:{port}"
        _hold_transitions(+1)
        self._provision()
        return self

    def client(self, service: str) -> Any:
        """A boto3 client of the emulated account (fake credentials, local endpoint).

        Example:
            >>> with FargateEmulator(VirtualClock()) as emulator:
            ...     ecs, logs = emulator.client("ecs"), emulator.client("logs")
            ...     definition = ecs.describe_task_definition(taskDefinition=emulator.family)["taskDefinition"]
            ...     groups = logs.describe_log_groups(logGroupNamePrefix=emulator.log_group)["logGroups"]
            >>> definition["containerDefinitions"][0]["image"]
            'executor-kit-probe:latest'
            >>> [group["logGroupName"] for group in groups] == [emulator.log_group]
            True
        """
        return _session().client(service, region_name=self.region, endpoint_url=self.endpoint_url)

    def _provision(self) -> None:
        ec2, ecs, logs = self.client("ec2"), self.client("ecs"), self.client("logs")
        vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
        ec2.modify_vpc_attribute(VpcId=vpc, EnableDnsHostnames={"Value": True})
        subnet = ec2.create_subnet(VpcId=vpc, CidrBlock="10.0.1.0/24", AvailabilityZone=f"{self.region}a")
        group = ec2.create_security_group(GroupName=self.cluster, Description="executor-kit", VpcId=vpc)
        ecs.create_cluster(clusterName=self.cluster)
        logs.create_log_group(logGroupName=self.log_group)
        ecs.register_task_definition(**self._task_definition())
        self.resources = {
            "vpc": vpc,
            "subnet": subnet["Subnet"]["SubnetId"],
            "security_group": group["GroupId"],
        }

    def _task_definition(self) -> dict[str, Any]:
        driver = "awsfirelens" if self.log_format == "firelens-json" else "awslogs"
        options = {"awslogs-group": self.log_group, "awslogs-region": self.region}
        return {
            "family": self.family,
            "requiresCompatibilities": ["FARGATE"],
            "networkMode": "awsvpc",
            "cpu": "1024",
            "memory": str(_CONTAINER_MEMORY),
            "containerDefinitions": [
                {
                    "name": _CONTAINER,
                    "image": PROBE_IMAGE,
                    "memory": _CONTAINER_MEMORY,
                    "essential": True,
                    "logConfiguration": {
                        "logDriver": driver,
                        "options": {**options, "awslogs-stream-prefix": self.prefix},
                    },
                }
            ],
        }

    def executor_config(self) -> dict[str, Any]:
        """The ``FargateExecutor`` settings that point at this emulation.

        Example:
            >>> with FargateEmulator(VirtualClock()) as emulator:
            ...     executor = FargateExecutor(emulator.executor_config(), clock=emulator.clock)
            ...     ok, arn = executor.launch_job(ContainerJob(image=PROBE_IMAGE, command=Probe().out("hi").argv))
            ...     ok, str(executor.check_status(arn)), executor.get_logs(arn)
            ...     executor.close()
            (True, 'exited', ('hi\\n', ''))
        """
        return {
            "region": self.region,
            "cluster": self.cluster,
            "task_definition": self.family,
            "container_name": _CONTAINER,
            "subnets": [self.resources["subnet"]],
            "security_groups": [self.resources["security_group"]],
            "log_group": self.log_group,
            "log_stream_prefix": self.prefix,
            "log_format": self.log_format,
            "endpoint_url": self.endpoint_url,
            "max_attempts": 2,
            "capabilities": {"supports_networking": False},
            **_CREDENTIALS,
        }

    def stop(self) -> None:
        """Forget this emulation's tasks and logs and stop the server; idempotent.

        Example:
            >>> import socket
            >>> first = FargateEmulator(VirtualClock()).start()
            >>> cluster, port = first.cluster, int(first.endpoint_url.rpartition(":")[2])
            >>> first.stop(); first.stop()  # idempotent
            >>> first.endpoint_url
            ''
            >>> # the server is gone:
            >>> socket.create_connection(("127.0.0.1", port))  # doctest: +ELLIPSIS
            Traceback (most recent call last):
            ...
            ConnectionRefusedError: [Errno ...] Connection refused
            >>> with FargateEmulator(VirtualClock()) as second:  # moto's state is per process: the cluster was removed
            ...     second.client("ecs").describe_clusters(clusters=[cluster])["failures"][0]["reason"]
            'MISSING'
        """
        if not self.endpoint_url:
            return
        with self.lock:
            self._ecs().tasks.pop(self.cluster, None)
            self._ecs().clusters.pop(self.cluster, None)
            self._logs().groups.pop(self.log_group, None)
        self._server.stop()
        _hold_transitions(-1)
        self.endpoint_url = ""

    def __enter__(self) -> FargateEmulator:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    # --------------------------------------------------------------- faults

    def inject_fault(self, operation: str, code: str, *, status: int = 400, times: int = 1) -> None:
        """Answer the next ``times`` requests for ``operation`` with an AWS error.

        Args:
            operation: An API name such as ``DescribeTasks`` or ``GetLogEvents``.
            code: The error code (``ThrottlingException``, ``ExpiredTokenException``...).
            status: The HTTP status.
            times: How many requests fail.

        Example:
            >>> executor = emulated_executor()
            >>> ok, arn = executor.launch_job(ContainerJob(image=PROBE_IMAGE, command=["probe"]))
            >>> executor.emulator.inject_fault("DescribeTasks", "AccessDeniedException", times=1)
            >>> executor.check_status(arn)  # doctest: +ELLIPSIS
            Traceback (most recent call last):
            ...
            executor_kit.errors.ExecutorAuthenticationError: AWS DescribeTasks failed: ...AccessDeniedException...
            >>> str(executor.check_status(arn))  # the fault is used up
            'exited'
            >>> executor.close()
        """
        with self.lock:
            self._faults.append(_Fault(operation, code, status, times))

    def take_fault(self, operation: str) -> _Fault | None:
        """The fault due for this request, if any (used by the server).

        Example:
            >>> FargateEmulator(VirtualClock()).take_fault("RunTask") is None
            True
        """
        with self.lock:
            fault = next((f for f in self._faults if f.operation == operation and f.times > 0), None)
            if fault is not None:
                fault.times -= 1
            return fault

    # ---------------------------------------------------------------- player

    def _ecs(self) -> Any:
        return ecs_backends[DEFAULT_ACCOUNT_ID][self.region]

    def _logs(self) -> Any:
        return logs_backends[DEFAULT_ACCOUNT_ID][self.region]

    def sync(self) -> None:
        """Bring every task of this emulation up to the clock's present.

        Example:
            >>> executor = emulated_executor()
            >>> emulator = executor.emulator
            >>> arn = executor.launch_job(ContainerJob(image=PROBE_IMAGE, command=Probe().sleep(5).exit(3).argv))[1]
            >>> # moto's own task object, read here without a request to the server:
            >>> task = ecs_backends[DEFAULT_ACCOUNT_ID][emulator.region].tasks[emulator.cluster][arn]
            >>> emulator.clock.sleep(5); task.last_status  # no request since: nothing has moved it yet
            'RUNNING'
            >>> emulator.sync(); task.last_status, task.containers[0].exitCode, task.stop_code
            ('STOPPED', 3, 'EssentialContainerExited')
            >>> executor.close()
        """
        with self.lock:
            for arn, task in list(self._ecs().tasks.get(self.cluster, {}).items()):
                played = self._played.get(arn) or self._register(arn, task)
                if not played.stopped:
                    self._advance(task, played)

    def _register(self, arn: str, task: Any) -> _Played:
        definition = self._ecs().describe_task_definition(task.task_definition_arn).container_definitions[0]
        played = _Played(_play(task, definition), self.clock.now(), self.start_delay)
        task.created_at = played.created
        task.status = "PROVISIONING"
        self._played[arn] = played
        return played

    def _elapsed(self, played: _Played) -> float:
        return (self.clock.now() - played.started()).total_seconds()

    def _advance(self, task: Any, played: _Played) -> None:
        elapsed = self._elapsed(played)
        if elapsed < 0:
            return
        self._begin(task, played)
        if task.desired_status == "STOPPED":
            self._end(task, played, min(elapsed, played.run.duration), *self._stop_outcome(task, played))
        elif elapsed >= played.run.duration:
            self._end(task, played, played.run.duration, *self._exit_outcome(played))
        else:
            self._write(task, played, elapsed)

    def _begin(self, task: Any, played: _Played) -> None:
        if getattr(task, "started_at", None) is None:
            task.started_at = played.started()
            task.pull_started_at = task.pull_stopped_at = played.created
            for container in task.containers:
                container.last_status = "RUNNING"
        if task.desired_status != "STOPPED":
            task.status = "RUNNING"

    def _stop_outcome(self, task: Any, played: _Played) -> tuple[int, str | None, str, str]:
        code = 137 if played.run.ignores_term else 143
        return code, None, "UserInitiated", task.stopped_reason or "Task stopped by user"

    def _exit_outcome(self, played: _Played) -> tuple[int, str | None, str, str]:
        reason = "OutOfMemoryError: Container killed due to memory usage" if played.run.oom_killed else None
        return played.run.exit_code, reason, "EssentialContainerExited", "Essential container in task exited"

    def _end(self, task: Any, played: _Played, at: float, code: int, reason: str | None, *why: str) -> None:
        self._write(task, played, at)
        stopped = played.started() + dt.timedelta(seconds=at)
        for container in task.containers:
            container.exitCode, container.last_status = code, "STOPPED"
            container.reason = reason
        task.status, task.desired_status = "STOPPED", "STOPPED"
        task.stop_code, task.stopped_reason = why
        task.stopping_at = task.execution_stopped_at = task.stopped_at = stopped
        played.stopped = True

    def _write(self, task: Any, played: _Played, until: float) -> None:
        due = [event for event in played.run.events if event.at <= until][played.written :]
        group = self._logs().groups.get(self.log_group)
        if group is None:
            return
        stream = f"{self.prefix}/{_CONTAINER}/{task.id}"
        if stream not in group.streams:
            group.create_log_stream(stream)
        messages = [(event.at, msg) for event in due for msg in self._messages(task, event.stream, event.text)]
        if messages:
            group.streams[stream].put_log_events([self._event(played, at, msg) for at, msg in messages])
        played.written += len(due)

    def _event(self, played: _Played, at: float, message: str) -> dict[str, Any]:
        moment = played.started() + dt.timedelta(seconds=at)
        return {"timestamp": int(moment.timestamp() * 1000), "message": message}

    def _messages(self, task: Any, stream: str, text: str) -> list[str]:
        if self.log_format == "awslogs":
            return [line for line in _lines(text) if line]
        record = {"container_name": _CONTAINER, "source": stream, "ecs_task_arn": task.task_arn}
        return [json.dumps({**record, "log": line}, ensure_ascii=False) for line in _lines(text)]


class EmulatedFargateExecutor(OwnsEmulator, FargateExecutor):
    """A ``FargateExecutor`` wired to a ``FargateEmulator``, which ``close`` stops.

    Example:
        >>> executor = emulated_executor()
        >>> isinstance(executor, FargateExecutor), executor.get_capabilities()["supports_networking"]
        (True, False)
        >>> executor.settings.endpoint_url == executor.emulator.endpoint_url
        True
        >>> emulator = executor.emulator; executor.shutdown()  # close() alone leaves it running
        >>> emulator.endpoint_url  # stopped with it
        ''
    """

    def __init__(self, config: Mapping[str, Any], *, emulator: FargateEmulator) -> None:
        super().__init__(config, clock=emulator.clock)
        self.emulator = emulator


def emulated_executor(config: Mapping[str, Any] | None = None) -> EmulatedFargateExecutor:
    """A ``FargateExecutor`` against a fresh emulation on a ``VirtualClock``.

    Args:
        config: Executor settings laid over the emulation's (``log_format`` is
            also used by the emulator; ``start_delay`` sets its provisioning time).

    Example:
        >>> executor = emulated_executor({"log_format": "awslogs"})
        >>> executor.get_capabilities()["separates_output_streams"]
        False
        >>> executor.close()
    """
    settings = dict(config or {})
    emulator = FargateEmulator(
        VirtualClock(),
        log_format=settings.get("log_format", "firelens-json"),
        start_delay=float(settings.pop("start_delay", 0.0)),
    )
    emulator.start()
    try:
        executor = EmulatedFargateExecutor({**emulator.executor_config(), **settings}, emulator=emulator)
    except BaseException:
        emulator.stop()
        raise
    weakref.finalize(executor, emulator.stop)  # close() releases clients only; the emulated AWS runs until then
    return executor
