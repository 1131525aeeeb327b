"""Live output for ``run_jobs(on_output=...)``: what each running job wrote since the last tick.

Each tick reads ``get_logs`` of the running executions (so it works on any
executor) and hands the new text of each stream to the callback; when a job
settles, the rest comes from what the harvest recorded on the job. Output only
grows under the contract; a shorter answer (a backend that lost lines) is
ignored rather than repeated.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterable

from executor_kit.base import ContainerExecutor
from executor_kit.errors import ExecutorConnectionError, ExecutorResourceError
from executor_kit.job import JobLike

__all__ = ["OnOutput", "OutputRelay"]

#: ``on_output(job, stream, text)``: ``stream`` is ``"stdout"`` or ``"stderr"``.
OnOutput = Callable[[JobLike, str, str], object]


class OutputRelay:
    """Hands new output to ``on_output``, per job and stream, in order, each piece once.

    Example:
        >>> from executor_kit import ContainerJob, MockExecutor, Probe
        >>> mock, seen = MockExecutor(), []
        >>> job = ContainerJob(image="x", command=Probe().out("a").sleep(5).out("b").argv)
        >>> _, eid = mock.launch_job(job)
        >>> relay = OutputRelay(mock, lambda job, stream, text: seen.append(text))
        >>> relay.poll([(eid, job)]); mock.advance(5); relay.poll([(eid, job)]); relay.poll([(eid, job)])
        >>> seen
        ['a\\n', 'b\\n']
    """

    def __init__(self, executor: ContainerExecutor, on_output: OnOutput) -> None:
        self.executor = executor
        self.on_output = on_output
        self.sent: dict[str, tuple[int, int]] = {}

    def poll(self, running: Iterable[tuple[str, JobLike]]) -> None:
        """Deliver what each running execution wrote since the last poll (transient errors: next time)."""
        for execution_id, job in running:
            with contextlib.suppress(ExecutorConnectionError, ExecutorResourceError):
                self._deliver(execution_id, job, self.executor.get_logs(execution_id))

    def finish(self, execution_id: str, job: JobLike) -> None:
        """Deliver the rest from the job's recorded ``stdout`` and ``stderr``; forget the execution."""
        self._deliver(execution_id, job, (job.stdout or "", job.stderr or ""))
        self.sent.pop(execution_id, None)

    def _deliver(self, execution_id: str, job: JobLike, logs: tuple[str, str]) -> None:
        sent = self.sent.get(execution_id, (0, 0))
        for stream, text, start in zip(("stdout", "stderr"), logs, sent, strict=True):
            if len(text) > start:
                self.on_output(job, stream, text[start:])
        self.sent[execution_id] = (max(len(logs[0]), sent[0]), max(len(logs[1]), sent[1]))
