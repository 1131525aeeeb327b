"""Cloud Logging entries of a Cloud Run execution as ``(stream, text)`` chunks, read once or tailed.

Cloud Run writes each line of a container's stdout and stderr as one entry of
the log ``run.googleapis.com/stdout`` or ``run.googleapis.com/stderr``;
``entries:list`` with ``orderBy: "timestamp asc"`` returns them oldest first,
entries with equal timestamps in ``insertId`` order. ``get_logs`` reads them
once, ``stream_logs`` again and again; both turn entries into chunks here.

Tailing by polling, as the REST API allows: each read asks only for entries at
or after the newest timestamp delivered (``timestamp>="…"`` in the filter), and
``LogCursor`` drops the entries of that timestamp it has delivered already,
told apart by ``insertId``.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from typing import Any

from executor_kit.backends.cloudrun.executions import EXECUTION_NAME
from executor_kit.base import LogChunk

__all__ = ["STREAMS", "LogCursor", "entries_request", "log_chunks"]

#: The streams Cloud Run keeps apart, by the name ending its log (``…%2Fstdout``).
STREAMS = ("stdout", "stderr")

Entry = Mapping[str, Any]


def _log_filter(execution_id: str, execution: Entry, since: str | None) -> str:
    match = EXECUTION_NAME.fullmatch(execution_id)
    if match is None:
        raise ValueError(f"not an execution name: {execution_id!r}")
    project, region, job, name = match.groups()
    logs = " OR ".join(f'logName="projects/{project}/logs/run.googleapis.com%2F{s}"' for s in STREAMS)
    # Without a timestamp term Cloud Logging lists only the last 24 hours.
    after = since or execution.get("createTime", "1970-01-01T00:00:00Z")
    return (
        f'resource.type="cloud_run_job" AND resource.labels.job_name="{job}" '
        f'AND resource.labels.location="{region}" '
        f'AND labels."run.googleapis.com/execution_name"="{name}" AND ({logs}) '
        f'AND timestamp>="{after}"'
    )


def entries_request(execution_id: str, execution: Entry, since: str | None, page_size: int) -> dict[str, Any]:
    """The ``entries:list`` body for the execution's stdout and stderr entries at or after ``since``, oldest first.

    Without ``since``, from the execution's ``createTime``: without a
    timestamp term Cloud Logging lists only the last 24 hours.

    Example:
        >>> eid = "projects/p-1234/locations/us-east1/jobs/j/executions/j-1"
        >>> body = entries_request(eid, {"createTime": "2026-01-01T00:00:00Z"}, None, 100)
        >>> body["resourceNames"], body["orderBy"], body["filter"].endswith('timestamp>="2026-01-01T00:00:00Z"')
        (['projects/p-1234'], 'timestamp asc', True)
    """
    return {
        "resourceNames": [f"projects/{execution_id.split('/')[1]}"],
        "filter": _log_filter(execution_id, execution, since),
        "orderBy": "timestamp asc",
        "pageSize": page_size,
    }


def log_chunks(entries: Iterable[Entry]) -> Iterator[LogChunk]:
    """``(stream, line + "\\n")`` for each entry of the stdout or stderr log, in order.

    An entry is one line, so a chunk never splits a character; entries of any
    other log are skipped.

    Example:
        >>> entries = [
        ...     {"logName": "projects/p/logs/run.googleapis.com%2Fstdout", "textPayload": "hé"},
        ...     {"logName": "projects/p/logs/run.googleapis.com%2Fstderr"},  # an empty line: proto3 omits ""
        ...     {"logName": "projects/p/logs/run.googleapis.com%2Fvarlog%2Fsystem", "textPayload": "x"},
        ... ]
        >>> list(log_chunks(entries))
        [('stdout', 'hé\\n'), ('stderr', '\\n')]
    """
    for entry in entries:
        stream = str(entry.get("logName", "")).rpartition("%2F")[2]
        if stream in STREAMS:
            yield stream, str(entry.get("textPayload", "")) + "\n"


class LogCursor:
    """How far a tail has got: the newest timestamp delivered and the ``insertId`` values delivered at it.

    ``since`` is the timestamp for the next read's ``timestamp>=`` term
    (``None`` before the first entry); ``fresh`` passes on, in order, the
    entries not delivered yet and moves the cursor past them. Entries come
    oldest first, so only those at ``since`` itself can be seen twice.

    Example:
        >>> cursor = LogCursor()
        >>> first = [{"timestamp": "2026-01-01T00:00:01Z", "insertId": "a"},
        ...          {"timestamp": "2026-01-01T00:00:02Z", "insertId": "b"}]
        >>> [e["insertId"] for e in cursor.fresh(first)], cursor.since
        (['a', 'b'], '2026-01-01T00:00:02Z')
        >>> again = [{"timestamp": "2026-01-01T00:00:02Z", "insertId": "b"},  # read again: at or after since
        ...          {"timestamp": "2026-01-01T00:00:02Z", "insertId": "c"},  # same moment, new entry
        ...          {"timestamp": "2026-01-01T00:00:03Z", "insertId": "d"}]
        >>> [e["insertId"] for e in cursor.fresh(again)], cursor.since
        (['c', 'd'], '2026-01-01T00:00:03Z')
    """

    def __init__(self) -> None:
        self.since: str | None = None
        self._delivered: set[str] = set()

    def fresh(self, entries: Iterable[Entry]) -> Iterator[Entry]:
        """The entries not delivered before, in order; each is counted as delivered when passed on.

        Example:
            >>> cursor = LogCursor()
            >>> entry = {"timestamp": "2026-01-01T00:00:01Z", "insertId": "a"}
            >>> len(list(cursor.fresh([entry]))), len(list(cursor.fresh([entry])))
            (1, 0)
        """
        return (entry for entry in entries if self._take(entry))

    def _take(self, entry: Entry) -> bool:
        stamp, key = str(entry.get("timestamp", "")), str(entry.get("insertId", ""))
        if stamp != self.since:
            self.since, self._delivered = stamp, {key}
            return True
        fresh = key not in self._delivered
        self._delivered.add(key)
        return fresh
