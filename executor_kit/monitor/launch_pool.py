"""The monitor's launch threads: a pool that never loses track of a launch, even on Ctrl-C.

``concurrent.futures.ThreadPoolExecutor`` can lose a launch to an interrupt: a
``KeyboardInterrupt`` that lands inside ``submit`` (while it starts a thread)
leaves a work item queued, or a thread running, that the caller holds no
future for. Here every piece of state the caller waits on (the queue and the
count of launches in progress) changes under one lock, and only in calls an
interrupt cannot split, so :meth:`LaunchPool.drain` knows when the last launch
has returned.

Example:
    >>> pool = LaunchPool(2)
    >>> pool.run([1, 2, 3], lambda item: item * 10)
    [10, 20, 30]
    >>> pool.close()
"""

from __future__ import annotations

import contextlib
import threading
from collections import deque
from collections.abc import Callable, Sequence
from typing import Any

__all__ = ["LaunchPool"]


class _Task:
    __slots__ = ("done", "function", "item", "result")

    def __init__(self, item: Any, function: Callable[[Any], Any]) -> None:
        self.item, self.function = item, function
        self.result: Any = None
        self.done = False


class LaunchPool:
    """``workers`` daemon threads running one batch of calls at a time.

    Args:
        workers: How many threads (started at once, so a later interrupt cannot
            land in a thread start).

    Example:
        >>> with contextlib.closing(LaunchPool(3)) as pool:
        ...     pool.run(["a", "b"], str.upper)
        ['A', 'B']
    """

    def __init__(self, workers: int) -> None:
        self._cond = threading.Condition()
        self._todo: deque[_Task] = deque()
        self._busy = 0
        self._closed = False
        for _ in range(workers):
            threading.Thread(target=self._work, name="run_jobs-launch", daemon=True).start()

    def _next(self) -> _Task | None:
        with self._cond:
            while not self._todo and not self._closed:
                self._cond.wait()
            if not self._todo:
                return None
            self._busy += 1
            return self._todo.popleft()

    def _work(self) -> None:
        task = self._next()
        while task is not None:
            try:
                task.result = task.function(task.item)
            finally:
                with self._cond:
                    task.done = True
                    self._busy -= 1
                    self._cond.notify_all()
            task = self._next()

    def run(self, items: Sequence[Any], function: Callable[[Any], Any]) -> list[Any]:
        """``[function(item) for item in items]``, in parallel; ``function`` must not raise.

        Example:
            >>> with contextlib.closing(LaunchPool(2)) as pool:
            ...     pool.run(range(3), lambda n: n + 1)
            [1, 2, 3]
        """
        tasks = [_Task(item, function) for item in items]
        with self._cond:
            self._todo.extend(tasks)
            self._cond.notify_all()
            while not all(task.done for task in tasks):
                self._cond.wait()
        return [task.result for task in tasks]

    def drain(self) -> None:
        """Drop the calls not started and wait for those in progress; a further Ctrl-C does not stop it.

        Example:
            >>> import time
            >>> pool, seen, started = LaunchPool(1), [], threading.Event()
            >>> def slow(n):
            ...     started.set(); time.sleep(0.1); seen.append(n)
            >>> threading.Thread(target=pool.run, args=([1, 2, 3], slow), daemon=True).start()
            >>> started.wait(5); pool.drain(); seen  # 1 was in progress and finished; 2 and 3 were dropped
            True
            [1]
            >>> pool.close()
        """
        while True:
            with contextlib.suppress(KeyboardInterrupt), self._cond:
                self._todo.clear()
                while self._busy:
                    self._cond.wait()
                return

    def close(self) -> None:
        """Let the threads end once idle; idempotent.

        Example:
            >>> import time
            >>> before = threading.active_count()
            >>> pool = LaunchPool(2); pool.close(); pool.close()  # the second does nothing
            >>> end = time.monotonic() + 5
            >>> while threading.active_count() > before and time.monotonic() < end:
            ...     time.sleep(0.01)
            >>> threading.active_count() <= before  # its threads have ended
            True
        """
        with self._cond:
            self._closed = True
            self._cond.notify_all()
