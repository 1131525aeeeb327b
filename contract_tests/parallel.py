"""Run a function over items on daemon threads: how the suite waits for many workloads at once."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Sequence
from typing import Any

__all__ = ["at_once", "parallel_map"]


def parallel_map(function: Callable[[Any], Any], items: Iterable[Any], workers: int = 8) -> list[Any]:
    """``[function(item) for item in items]`` on up to ``workers`` daemon threads; the first error is raised.

    Daemon threads, unlike a ``ThreadPoolExecutor``'s, never keep an interrupted
    run's process alive when the executor under test hangs in a call.

    Example:
        >>> parallel_map(lambda n: n * n, range(5), workers=2)
        [0, 1, 4, 9, 16]
    """
    todo = list(enumerate(items))
    results: list[Any] = [None] * len(todo)
    errors: list[BaseException] = []
    threads = [
        threading.Thread(target=_drain, args=(function, todo, results, errors), daemon=True)
        for _ in range(min(workers, len(todo)))
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if errors:
        raise errors[0]
    return results


def _drain(function: Callable[[Any], Any], todo: list[Any], results: list[Any], errors: list[BaseException]) -> None:
    while not errors:
        try:
            index, item = todo.pop(0)  # atomic: each item goes to one worker
        except IndexError:  # nothing left
            return
        try:
            results[index] = function(item)
        except BaseException as exc:  # handed to the caller thread, an IndexError too
            errors.append(exc)


def at_once(function: Callable[[Any], Any], items: Sequence[Any], timeout: float = 60.0) -> list[Any]:
    """``[function(item) for item in items]``, one thread per item, all released together by a barrier.

    What a race needs: every call in flight at the same moment, not merely on
    a pool. A thread that cannot join within ``timeout`` seconds breaks the
    barrier (``threading.BrokenBarrierError``) instead of hanging.

    Example:
        >>> at_once(str.upper, ["a", "b", "c"])
        ['A', 'B', 'C']
    """
    barrier = threading.Barrier(len(items)) if items else None

    def released(item: Any) -> Any:
        if barrier is not None:
            barrier.wait(timeout)
        return function(item)

    return parallel_map(released, items, workers=len(items))
