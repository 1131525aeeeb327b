"""Capture every log record of the process at DEBUG, to look for secret values in them."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager

#: A plain ASCII secret: nothing in a library escapes it on the way to a log record.
SECRET = "plainAsciiS3cretValue42"


class Records(logging.Handler):
    """Keeps every record it sees."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)

    def leaking(self, value: str) -> list[str]:
        """The records (logger: message) whose message or arguments contain ``value``."""
        return [f"{r.name}: {r.getMessage()[:200]}" for r in self.records if value in _texts(r)]


def _texts(record: logging.LogRecord) -> str:
    args = record.args if isinstance(record.args, tuple) else (record.args,)
    return "\n".join([record.getMessage(), *(str(arg) for arg in args), record.exc_text or ""])


@contextmanager
def debug_records() -> Iterator[Records]:
    """A handler on the root logger, with the root (and so every library) at DEBUG."""
    handler, root = Records(), logging.getLogger()
    level = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    try:
        yield handler
    finally:
        root.removeHandler(handler)
        root.setLevel(level)
