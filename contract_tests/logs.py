"""Every log record of the process, captured at DEBUG, to look for secret values in them.

SECRETS-002 captures the records of a run with a secret; the kit's own tests use
the same capture for each backend.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager

__all__ = ["Records", "debug_records"]


class Records(logging.Handler):
    """Keeps every record it sees.

    Example:
        >>> with debug_records() as records:
        ...     logging.getLogger("demo").debug("token=%s", "s3cret")
        >>> records.leaking("s3cret")
        ['demo: token=s3cret']
    """

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        """Keep ``record``."""
        self.records.append(record)

    def text(self) -> str:
        """Everything the records hold: messages, arguments and tracebacks, one per line."""
        return "\n".join(_texts(record) for record in self.records)

    def leaking(self, value: str) -> list[str]:
        """The records (``logger: message``) whose message, arguments or traceback contain ``value``."""
        return [f"{r.name}: {r.getMessage()[:200]}" for r in self.records if value in _texts(r)]


def _texts(record: logging.LogRecord) -> str:
    args = record.args if isinstance(record.args, tuple) else (record.args,)
    return "\n".join([record.getMessage(), *(str(arg) for arg in args), record.exc_text or ""])


@contextmanager
def debug_records() -> Iterator[Records]:
    """A ``Records`` handler on the root logger, with the root (and so every library) at DEBUG.

    Example:
        >>> with debug_records() as records:
        ...     logging.getLogger("demo").info("hello")
        >>> [r.getMessage() for r in records.records]
        ['hello']
    """
    handler, root = Records(), logging.getLogger()
    level = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    try:
        yield handler
    finally:
        root.removeHandler(handler)
        root.setLevel(level)
