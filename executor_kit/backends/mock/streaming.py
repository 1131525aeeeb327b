"""Live output of a ``MockExecutor`` execution, on the virtual clock.

A chunk is one write of the workload (one probe step, or an outcome's whole
stdout then stderr), so chunks are in order per stream, never split a
character, and joined per stream equal ``get_logs``.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator

from executor_kit.backends.mock.execution import Execution
from executor_kit.base import LogChunk
from executor_kit.clock import Clock

__all__ = ["follow_logs"]

Lookup = Callable[[str], tuple["Execution | None", float]]


def follow_logs(lookup: Lookup, execution_id: str, clock: Clock, *, follow: bool) -> Iterator[LogChunk]:
    """Chunks of ``execution_id`` as they are written; see ``MockExecutor.stream_logs``.

    ``lookup`` returns the execution (``None`` once unknown) and the time, read
    together under the executor's lock; nothing is held between chunks.

    Example:
        >>> from executor_kit import ContainerJob, MockExecutor
        >>> mock = MockExecutor(); _, eid = mock.launch_job(ContainerJob(image="x", command=["probe", "err", "é"]))
        >>> list(follow_logs(mock._lookup, eid, mock.clock, follow=True))
        [('stderr', 'é\\n')]
    """
    delivered = 0
    while (found := _known(lookup, execution_id)) is not None:
        execution, now = found
        written = execution.written(now)
        if written > delivered:  # deliver, then look at the time again: the consumer may have let it pass
            yield from ((event.stream, event.text) for event in execution.events[delivered:written])
            delivered = written
        elif _goes_on(execution, now, delivered, follow):
            clock.sleep(execution.next_change(delivered) - now)
        else:
            return


def _known(lookup: Lookup, execution_id: str) -> tuple[Execution, float] | None:
    execution, now = lookup(execution_id)
    return None if execution is None else (execution, now)


def _goes_on(execution: Execution, now: float, delivered: int, follow: bool) -> bool:
    """Whether more can come: following, not ended, and not waiting for ever."""
    return follow and now < execution.end and math.isfinite(execution.next_change(delivered))
