"""Which stream each CloudWatch log event of a Fargate task came from, for ``get_logs`` and ``stream_logs`` alike.

One event is one line (or one piece of a long line). ``labelled`` reads each
event as ``(stream, text)`` by the executor's ``log_format``; ``joined`` (for
``get_logs``) and ``chunks`` (for ``stream_logs``) both build on it, so the two
cannot tell the streams apart differently:

* ``firelens-json``: the event is the JSON record Docker's fluentd driver
  produces; its ``source`` is ``stdout`` or ``stderr``. A record marked
  ``partial_message`` (a long line the engine cut) gets no line end, so it
  joins the next piece. An event that is no such record counts as stdout.
* ``awslogs``: the driver does not record the stream; every line is stdout.

Events hold decoded text (JSON strings, CloudWatch's UTF-8), so no chunk ever
splits a character.
"""

from __future__ import annotations

import itertools
import json
import operator
from collections.abc import Callable, Iterable, Iterator

from executor_kit.base import LogChunk

__all__ = ["LOG_FORMATS", "chunks", "joined", "labelled"]


def _firelens_line(message: str) -> LogChunk:
    try:
        record = json.loads(message)
    except ValueError:
        return "stdout", message + "\n"
    if not isinstance(record, dict):
        return "stdout", message + "\n"
    partial = record.get("partial_message") == "true" and record.get("partial_last") != "true"
    stream = "stderr" if record.get("source") == "stderr" else "stdout"
    return stream, str(record.get("log", "")) + ("" if partial else "\n")


def _awslogs_line(message: str) -> LogChunk:
    return "stdout", message + "\n"


_LINE_READERS: dict[str, Callable[[str], LogChunk]] = {
    "firelens-json": _firelens_line,
    "awslogs": _awslogs_line,
}

#: The ``log_format`` values the executor reads.
LOG_FORMATS: tuple[str, ...] = tuple(_LINE_READERS)


def labelled(messages: Iterable[str], log_format: str) -> Iterator[LogChunk]:
    """``(stream, text)`` of each event's message, in order.

    Example:
        >>> record = '{"source": "stderr", "log": "oops"}'
        >>> list(labelled(["plain", record], "firelens-json")), list(labelled([record], "awslogs"))
        ([('stdout', 'plain\\n'), ('stderr', 'oops\\n')], [('stdout', '{"source": "stderr", "log": "oops"}\\n')])
    """
    read = _LINE_READERS[log_format]
    return (read(message) for message in messages)


def joined(messages: Iterable[str], log_format: str) -> tuple[str, str]:
    """``(stdout, stderr)``: the labelled events joined per stream.

    Example:
        >>> events = ['{"source": "stdout", "log": "a"}', '{"source": "stderr", "log": "b"}']
        >>> joined(events, "firelens-json")
        ('a\\n', 'b\\n')
    """
    parts: dict[str, list[str]] = {"stdout": [], "stderr": []}
    for stream, text in labelled(messages, log_format):
        parts[stream].append(text)
    return "".join(parts["stdout"]), "".join(parts["stderr"])


def chunks(messages: Iterable[str], log_format: str) -> Iterator[LogChunk]:
    """The labelled events as chunks: each run of one stream's events joined into one, none empty.

    Example:
        >>> piece = '{"source": "stdout", "log": "lo", "partial_message": "true"}'
        >>> rest = '{"source": "stdout", "log": "ng", "partial_message": "true", "partial_last": "true"}'
        >>> err = '{"source": "stderr", "log": "é"}'
        >>> list(chunks(["first", piece, rest, err], "firelens-json"))
        [('stdout', 'first\\nlong\\n'), ('stderr', 'é\\n')]
    """
    for stream, run in itertools.groupby(labelled(messages, log_format), key=operator.itemgetter(0)):
        text = "".join(piece for _, piece in run)
        if text:
            yield stream, text
