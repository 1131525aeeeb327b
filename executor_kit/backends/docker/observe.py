"""The kit's containers read into the contract's words: status, failure reason, result.

Status mapping: ``created``/``running``/``paused``/``restarting`` →
``running``; ``exited`` → ``exited``, except ``failed`` when the kernel
OOM-killed it, the engine reported an error, its timeout ended it, or it was
killed with SIGKILL from outside; ``dead`` → ``failed``; ``removing`` or
missing → ``not-found``. An external SIGKILL is told apart from a workload
that itself exits 137 by the engine's ``kill`` event (looked up once per such
container, then remembered); the engine keeps a bounded event history, so on a
very busy engine an old external kill may read ``exited`` with code 137. An OOM
kill is told by the engine's ``oom`` event, heard live from before a
memory-limited container is created (the ``OOMKilled`` flag alone is cleared
when the engine handles the exit after the event). A workload OOM-killed right
at its start (containerd attaches its OOM monitor only after the process has
started) can die before the engine watches; the engine then reports nothing,
and it reads ``exited`` with code 137. The probe's ``alloc`` waits a second first.

Restarts from outside: an execution id follows the container's *first* run;
the kit never restarts a container, so a ``docker start`` of a finished one is
a new life the id does not follow. An executor that saw the run end keeps that
end (status, exit code, ``FinishedAt``) and reads logs only up to it. An
executor that did not (another process) recognises the restart by the
``FinishedAt`` the engine keeps while the container runs again, and reads
``failed`` (reason "restarted from outside the kit ...", exit code -1: the
engine no longer keeps the first run's code). Terminal stays terminal either
way. Limitation: once the second life has ended too, an executor that saw
neither end reads the second one.

What is looked up in the engine's events (a kill, a stop, an OOM) is decided
once per container and remembered, as is an end seen, in bounded memos.

Example:
    >>> from executor_kit.clock import SystemClock
    >>> observer = ContainerObserver(lambda: None, SystemClock())
    >>> observer.status_of({"Id": "c1", "State": {"Status": "exited", "ExitCode": 0}})
    <ExecutionStatus.EXITED: 'exited'>
    >>> observer.close()
"""

from __future__ import annotations

import collections
import datetime as dt
import threading
from collections.abc import Callable, Mapping
from typing import Any, TypeVar

import docker.errors

from executor_kit.backends.docker.errors import docker_errors
from executor_kit.backends.docker.oom import OomWatch
from executor_kit.backends.docker.state import (
    RESTARTED_KEY,
    RUNNING_STATES,
    is_managed,
    launched_at,
    parse_time,
    platform_reason,
    timed_out,
    timeout_of,
)
from executor_kit.clock import Clock
from executor_kit.status import ExecutionStatus

__all__ = ["CANCEL_REASON", "ContainerObserver"]

#: The failure reason of an execution ``cancel`` stopped.
CANCEL_REASON = "cancelled"

_SIGKILL_EXIT = 137
_STOPPED_EXITS = frozenset({143, 137})  # SIGTERM, or SIGKILL after the grace period
# How long (s) a limit-killed container's ``oom`` event is awaited after its exit.
_OOM_EVENT_WAIT = 3.0
_OOM_EVENT_SLACK = 5.0  # s after the exit within which the event still counts
_KILL_MEMO_SIZE = 1024
_END_MEMO_SIZE = 4096
_RAN_AGAIN = "ExecutorKitRanAgain"  # in a kept end: the container has been started again since

_K = TypeVar("_K")
_V = TypeVar("_V")


def _bounded_put(memo: collections.OrderedDict[_K, _V], key: _K, value: _V, size: int) -> None:
    memo[key] = value
    while len(memo) > size:
        memo.popitem(last=False)


class ContainerObserver:
    """Reads the kit's containers for one executor, remembering what it had to look up.

    Args:
        api: Returns the ``docker.APIClient`` to ask (connected on first use).
        clock: Where deadlines are read.

    Example:
        >>> from executor_kit.clock import SystemClock
        >>> observer = ContainerObserver(lambda: None, SystemClock())
        >>> observer.inspect(""), observer.logs_until("c1")
        (None, {})
    """

    def __init__(self, api: Callable[[], Any], clock: Clock) -> None:
        self._api = api
        self.clock = clock
        self._killed: collections.OrderedDict[str, str | None] = collections.OrderedDict()
        self._cancels: collections.OrderedDict[str, bool] = collections.OrderedDict()
        self._ended: collections.OrderedDict[str, dict[str, Any]] = collections.OrderedDict()
        self._memo_lock = threading.Lock()
        self._oom_watch = OomWatch()

    def listen_for_oom(self) -> None:
        """Hear the engine's ``oom`` events from now on (before a memory-limited container is created).

        Raises:
            ExecutorConnectionError: when the daemon cannot be reached.
        """
        with docker_errors("listen for OOM events"):
            self._oom_watch.start(self._api().events)

    def close(self) -> None:
        """Stop listening for OOM events.

        Example:
            >>> from executor_kit.clock import SystemClock
            >>> observer = ContainerObserver(lambda: None, SystemClock())
            >>> observer.close(); observer.close()  # never started: nothing to stop, twice
            >>> observer.forget("c1") is None
            True
        """
        self._oom_watch.close()

    # -- one container -----------------------------------------------------------------------
    def inspect(self, execution_id: object) -> dict[str, Any] | None:
        """The kit's container ``execution_id`` as its id follows it; ``None`` when unknown, foreign or gone.

        Raises:
            ExecutorConnectionError: when the daemon cannot be reached.
        """
        if not isinstance(execution_id, str) or not execution_id:
            return None
        with docker_errors("inspect a container", execution_id=execution_id):
            try:
                info: dict[str, Any] = self._api().inspect_container(execution_id)
            except docker.errors.NotFound:
                return None
        return self.follow(self._oom_settled(execution_id, info)) if is_managed(info, execution_id) else None

    def _oom_settled(self, execution_id: str, info: dict[str, Any]) -> dict[str, Any]:
        """A limit-killed container marked OOM-killed when the engine reported an ``oom`` event for it.

        The event is heard live when the watch ran since the container started (it
        can trail the exit, so it is awaited briefly), else looked up in the
        engine's event log. Decided once per container: the end is memoised.
        """
        if not self._may_be_oom(execution_id, info):
            return info
        state = info.get("State") or {}
        listened = self._oom_watch.covers(parse_time(state.get("StartedAt")))
        heard = self._oom_watch.heard(execution_id, wait=_OOM_EVENT_WAIT if listened else 0.0)
        if heard or self._has_event(execution_id, state, "oom", slack=_OOM_EVENT_SLACK):
            return {**info, "State": {**state, "OOMKilled": True}}
        return info

    def _may_be_oom(self, execution_id: str, info: Mapping[str, Any]) -> bool:
        state, limited = info.get("State") or {}, bool((info.get("HostConfig") or {}).get("Memory"))
        if state.get("Running") or state.get("ExitCode") != _SIGKILL_EXIT or state.get("OOMKilled") or not limited:
            return False
        with self._memo_lock:
            return execution_id not in self._ended

    def follow(self, info: dict[str, Any]) -> dict[str, Any]:
        """The container as its execution id follows it: its first run, whose end, once seen, is kept.

        Example:
            >>> from executor_kit.clock import SystemClock
            >>> observer = ContainerObserver(lambda: None, SystemClock())
            >>> ended = {"Status": "exited", "ExitCode": 3, "StartedAt": "t0", "FinishedAt": "t1"}
            >>> _ = observer.follow({"Id": "c1", "State": ended})
            >>> again = {"Status": "running", "StartedAt": "t2", "FinishedAt": "t1"}  # restarted from outside
            >>> observer.follow({"Id": "c1", "State": again})["State"]["ExitCode"]  # the end it follows
            3

        A container restarted from outside (``docker start``) keeps the ``FinishedAt``
        of its earlier run while it runs again; the kit never restarts one, so that
        is a new life the id does not follow.
        """
        execution_id = str(info["Id"])
        with self._memo_lock:
            ended = self._ended.get(execution_id)
        if ended is not None:
            return {**info, "State": self._kept_end(execution_id, ended, info.get("State") or {})}
        state = info.get("State") or {}
        if state.get("Status") in RUNNING_STATES and parse_time(state.get("FinishedAt")) is not None:
            state = {**state, "Status": "exited", "ExitCode": -1, RESTARTED_KEY: True}
            info = {**info, "State": state}
        if state.get("Status") not in (*RUNNING_STATES, "removing"):
            self._remember_end(execution_id, state)
        return info

    def _kept_end(self, execution_id: str, ended: dict[str, Any], now: Mapping[str, Any]) -> dict[str, Any]:
        """The end seen before; marked when the container has been started again since."""
        if now.get("StartedAt") != ended.get("StartedAt") and not ended.get(_RAN_AGAIN):
            ended = {**ended, _RAN_AGAIN: True}
            self._remember_end(execution_id, ended)
        return ended

    def _remember_end(self, execution_id: str, state: dict[str, Any]) -> None:
        with self._memo_lock:
            _bounded_put(self._ended, execution_id, state, _END_MEMO_SIZE)

    def forget(self, execution_id: str) -> None:
        """Drop the end kept for ``execution_id`` (its container was removed).

        Example:
            >>> from executor_kit.clock import SystemClock
            >>> observer = ContainerObserver(lambda: None, SystemClock())
            >>> _ = observer.follow({"Id": "c1", "State": {"Status": "exited", "ExitCode": 3}})
            >>> observer.forget("c1")
            >>> observer.follow({"Id": "c1", "State": {"Status": "running"}})["State"]["Status"]
            'running'
        """
        with self._memo_lock:
            self._ended.pop(execution_id, None)

    def logs_until(self, execution_id: str) -> dict[str, str]:
        """For a container restarted from outside: the ``until`` that limits its logs to the run the id follows."""
        with self._memo_lock:
            state = self._ended.get(execution_id) or {}
        finished = parse_time(state.get("FinishedAt"))
        if finished is None or not (state.get(RESTARTED_KEY) or state.get(_RAN_AGAIN)):
            return {}
        return {"until": f"{finished.timestamp() + 0.001:.6f}"}

    # -- status --------------------------------------------------------------------------------
    def status_of(self, info: Mapping[str, Any] | None) -> ExecutionStatus:
        """The kit's word for an inspected container; one past its deadline is killed and reads ``failed``.

        Raises:
            ExecutorConnectionError: when the daemon cannot be reached.
        """
        if info is None or (info.get("State") or {}).get("Status") == "removing":
            return ExecutionStatus.NOT_FOUND
        if self._overdue(info):
            self._kill(str(info["Id"]))
            return ExecutionStatus.FAILED
        if (info.get("State") or {}).get("Status") in RUNNING_STATES:
            return ExecutionStatus.RUNNING
        return ExecutionStatus.FAILED if self.failure_reason(info) else ExecutionStatus.EXITED

    def surely_running(self, row: Mapping[str, Any]) -> bool:
        """Whether a list row alone says ``running`` (not past its deadline, no end seen); else inspect it.

        Example:
            >>> from executor_kit.clock import SystemClock
            >>> ContainerObserver(lambda: None, SystemClock()).surely_running({"Id": "c1", "State": "running"})
            True
        """
        if row.get("State") not in RUNNING_STATES or self._may_be_overdue(row):
            return False
        with self._memo_lock:
            return row.get("Id") not in self._ended

    def _may_be_overdue(self, row: Mapping[str, Any]) -> bool:
        timeout = timeout_of(row)
        created = dt.datetime.fromtimestamp(int(row.get("Created") or 0), dt.timezone.utc)
        return timeout is not None and (self.clock.now() - created).total_seconds() >= timeout

    def _overdue(self, info: Mapping[str, Any]) -> bool:
        state = info.get("State") or {}
        timeout, launched = timeout_of(info), launched_at(info)
        if state.get("Status") not in RUNNING_STATES or timeout is None or launched is None:
            return False
        return (self.clock.now() - launched).total_seconds() >= timeout

    def _kill(self, execution_id: str) -> None:
        with docker_errors("kill a container", execution_id=execution_id):
            try:
                self._api().kill(execution_id)
            except docker.errors.APIError as exc:
                if exc.status_code not in (404, 409):  # gone, or no longer running
                    raise

    # -- why it failed -------------------------------------------------------------------------
    def failure_reason(self, info: Mapping[str, Any]) -> str | None:
        """Why an ended container failed (``CANCEL_REASON`` for a cancel), or ``None`` when it simply exited.

        Raises:
            ExecutorConnectionError: when the daemon cannot be reached (for an event look-up).

        Example:
            >>> from executor_kit.clock import SystemClock
            >>> ContainerObserver(lambda: None, SystemClock()).failure_reason({"State": {"Status": "dead"}})
            'the engine reports the container dead'
        """
        status = (info.get("State") or {}).get("Status")
        if status == "dead":
            return "the engine reports the container dead"
        return platform_reason(info) or self._cancel_reason(info) or self._killed_from_outside(info)

    def result_of(self, info: Mapping[str, Any]) -> dict[str, Any]:
        """What ``record_result`` takes besides the output: exit code, end time, timeout, cancel, reason.

        Example:
            >>> from executor_kit.clock import SystemClock
            >>> observer = ContainerObserver(lambda: None, SystemClock())
            >>> result = observer.result_of({"State": {"ExitCode": 3, "FinishedAt": "2026-01-01T00:00:00Z"}})
            >>> result["exit_code"], result["completed_at"].year, result["reason"]
            (3, 2026, None)
        """
        state = info.get("State") or {}
        reason = self.failure_reason(info)
        return {
            "exit_code": int(state.get("ExitCode", -1)),
            "completed_at": parse_time(state.get("FinishedAt")) or self.clock.now(),
            "timed_out": timed_out(info),
            "cancelled": reason == CANCEL_REASON,
            "reason": reason,
        }

    def remember_cancel(self, execution_id: str, cancelled: bool) -> None:
        """Note whether ``cancel`` stopped ``execution_id`` (so no event look-up is needed).

        Example:
            >>> from executor_kit.clock import SystemClock
            >>> observer = ContainerObserver(lambda: None, SystemClock())
            >>> observer.remember_cancel("c1", True)
            >>> observer.failure_reason({"Id": "c1", "State": {"Status": "exited", "ExitCode": 143}})
            'cancelled'
        """
        with self._memo_lock:
            _bounded_put(self._cancels, execution_id, cancelled, _KILL_MEMO_SIZE)

    def _cancel_reason(self, info: Mapping[str, Any]) -> str | None:
        """``cancelled`` when ``cancel`` stopped the container (its SIGTERM or the kill after the grace)."""
        state, execution_id = info.get("State") or {}, str(info.get("Id"))
        if state.get("ExitCode") not in _STOPPED_EXITS:
            return None
        with self._memo_lock:
            known = self._cancels.get(execution_id)
        if known is None:
            known = self._has_event(execution_id, state, "stop")
            self.remember_cancel(execution_id, known)
        return CANCEL_REASON if known else None

    def _killed_from_outside(self, info: Mapping[str, Any]) -> str | None:
        """A reason when a SIGKILL from outside the kit ended the container (memoised)."""
        state, execution_id = info.get("State") or {}, str(info.get("Id"))
        if state.get("ExitCode") != _SIGKILL_EXIT:
            return None
        with self._memo_lock:
            if execution_id in self._killed:
                return self._killed[execution_id]
        killed = self._has_event(execution_id, state, "kill")
        reason = "killed from outside the kit (SIGKILL)" if killed else None
        with self._memo_lock:
            _bounded_put(self._killed, execution_id, reason, _KILL_MEMO_SIZE)
        return reason

    def _has_event(self, execution_id: str, state: Mapping[str, Any], event: str, slack: float = 1.0) -> bool:
        """Whether the engine logged ``event`` for the container between its start and ``slack`` s after its end."""
        started, finished = parse_time(state.get("StartedAt")), parse_time(state.get("FinishedAt"))
        if started is None or finished is None:
            return False
        until = min(finished + dt.timedelta(seconds=slack), self.clock.now())
        with docker_errors("read container events", execution_id=execution_id):
            events = self._api().events(
                since=f"{started.timestamp():.6f}",
                until=f"{max(until, finished).timestamp():.6f}",
                filters={"container": execution_id, "event": event},
                decode=True,
            )
            return any(True for _ in events)
