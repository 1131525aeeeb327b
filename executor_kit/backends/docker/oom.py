"""The engine's ``oom`` events for kit-managed containers, heard live.

Docker's ``OOMKilled`` flag cannot be trusted on its own: the engine handles a
container's OOM event and its exit in either order, and an exit handled second
clears the flag. The ``oom`` event is published either way, but the engine keeps
only its last 256 events for later queries, and an allocating workload can emit
hundreds of them. So the executor listens from before it creates a
memory-limited container, and asks this watch when such a container ends with
a SIGKILL (137) and no flag.
"""

from __future__ import annotations

import collections
import contextlib
import datetime as dt
import threading
from collections.abc import Callable, Iterable
from typing import Any

from executor_kit.labels import MANAGED_LABEL

_REMEMBERED = 4096  # container ids kept; far more than end between two looks


class OomWatch:
    """Ids of the kit-managed containers the engine reported OOM events for.

    ``start`` takes how to subscribe: a callable returning the engine's decoded
    event stream for the given filters (``docker.APIClient.events``), with
    ``close()``. The watch keeps no reference to it, so its listening thread
    never keeps an executor alive.

    Example:
        >>> class Events(list):
        ...     close = list.clear
        >>> watch = OomWatch()
        >>> watch.start(lambda **_: Events([{"id": "c1", "Action": "oom"}]))
        >>> watch.heard("c1", wait=1.0), watch.heard("c2", wait=0.0)
        (True, False)
        >>> watch.close()
    """

    def __init__(self) -> None:
        self._seen: collections.OrderedDict[str, None] = collections.OrderedDict()
        self._changed = threading.Condition()
        self._stream: Any = None
        self._listening_since: dt.datetime | None = None

    def start(self, subscribe: Callable[..., Iterable[dict[str, Any]]]) -> None:
        """Listen from now on (a no-op while listening); returns once the engine has the subscription."""
        with self._changed:
            if self._stream is not None:
                return
            since = dt.datetime.now(dt.timezone.utc)
            stream = subscribe(filters={"event": "oom", "label": [f"{MANAGED_LABEL}=true"]}, decode=True)
            self._stream, self._listening_since = stream, since
        threading.Thread(target=self._listen, args=(stream,), name="executor-kit-oom-watch", daemon=True).start()

    def covers(self, started: dt.datetime | None) -> bool:
        """Whether the watch has been listening since before ``started``."""
        with self._changed:
            since = self._listening_since
        return since is not None and started is not None and since <= started

    def heard(self, container_id: str, *, wait: float) -> bool:
        """Whether an OOM event came for ``container_id``, waiting up to ``wait`` s for it."""
        with self._changed:
            return self._changed.wait_for(lambda: container_id in self._seen, timeout=wait)

    def close(self) -> None:
        """Stop listening; ``start`` listens again."""
        with self._changed:
            stream, self._stream, self._listening_since = self._stream, None, None
        if stream is not None:
            with contextlib.suppress(Exception):
                stream.close()

    def _listen(self, stream: Iterable[dict[str, Any]]) -> None:
        with contextlib.suppress(Exception):  # a closed client or a lost daemon ends the stream
            for event in stream:
                self._note(str(event.get("id") or (event.get("Actor") or {}).get("ID") or ""))
        with self._changed:
            if self._stream is stream:
                self._stream, self._listening_since = None, None  # the next start subscribes again

    def _note(self, container_id: str) -> None:
        with self._changed:
            self._seen[container_id] = None
            self._seen.move_to_end(container_id)
            while len(self._seen) > _REMEMBERED:
                self._seen.popitem(last=False)
            self._changed.notify_all()
