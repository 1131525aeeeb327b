"""Keep secret values out of the log records of the libraries an executor drives.

The kit's own messages go through :func:`executor_kit.job.redact`. The libraries
under an executor log on their own: at ``DEBUG`` botocore writes every request
body (a Fargate ``RunTask`` carries the job's environment) and every response
body (``DescribeTasks`` returns the overrides, environment included). A
:class:`SecretLogGuard` puts one process-wide :class:`logging.Filter` on each
logger of those libraries; while a secret value is *held* (during a launch, and
from a successful launch until ``cleanup``) every record created on them has
the value, and its JSON- and ``repr``-escaped forms, replaced by ``***`` in its
message, its arguments and its formatted traceback.

:func:`shown_config_value` is what configuration errors print for a value: a
setting whose name looks secret (``aws_secret_access_key``, ``*token*``,
``*password*``) shows its type only.

Example:
    >>> import logging
    >>> guard = SecretLogGuard(["botocore"])
    >>> seen = []
    >>> class Keep(logging.Handler):
    ...     def emit(self, record):
    ...         seen.append(record.getMessage())
    >>> handler, log = Keep(), logging.getLogger("botocore.endpoint")
    >>> log.addHandler(handler); log.setLevel(logging.DEBUG)
    >>> with guard.hiding(["hunter2"]):
    ...     log.debug("params: %s", {"environment": [{"value": "hunter2"}]})
    >>> log.debug("after: hunter2"); log.removeHandler(handler); log.setLevel(logging.NOTSET)
    >>> seen
    ["params: {'environment': [{'value': '***'}]}", 'after: hunter2']
"""

from __future__ import annotations

import collections
import contextlib
import json
import logging
import re
import threading
import weakref
from collections.abc import Iterable, Iterator, Sequence

__all__ = ["SecretLogGuard", "shown_config_value"]

_SECRET_KEY = re.compile(r"secret|token|passw|credential|private|api_?key", re.IGNORECASE)


def shown_config_value(key: object, value: object) -> str:
    """How a configuration error shows ``value``: its type only when ``key`` looks secret.

    Example:
        >>> shown_config_value("aws_secret_access_key", 12345), shown_config_value("region", 7)
        ('an int (value hidden)', '7')
    """
    if not _SECRET_KEY.search(str(key)):
        return repr(value)
    kind = type(value).__name__
    return f"{'an' if kind[:1] in 'aeiou' else 'a'} {kind} (value hidden)"


def _forms(value: str) -> set[str]:
    """The spellings a library may log a value in: plain, JSON-escaped, ``repr``-escaped."""
    forms = {value, json.dumps(value)[1:-1], json.dumps(value, ensure_ascii=False)[1:-1], repr(value)[1:-1]}
    forms.add(repr(value.encode("utf-8", "backslashreplace"))[2:-1])
    return {form for form in forms if form}


def _scrub(text: str, forms: Sequence[str]) -> str:
    for form in forms:
        text = text.replace(form, "***")
    return text


class _Redactor(logging.Filter):
    """The process-wide filter: counts of held values, and their forms longest first."""

    def __init__(self) -> None:
        super().__init__()
        self._lock = threading.Lock()
        self._held: collections.Counter[str] = collections.Counter()
        self._forms: tuple[str, ...] = ()

    def change(self, values: Sequence[str], step: int) -> None:
        if not values:
            return
        with self._lock:
            for value in values:
                self._held[value] += step
            self._held = +self._held
            forms = set().union(*(_forms(value) for value in self._held))
            self._forms = tuple(sorted(forms, key=len, reverse=True))

    def filter(self, record: logging.LogRecord) -> bool:
        forms = self._forms
        if forms:
            _redact_record(record, forms)
        return True


def _message(record: logging.LogRecord) -> str:
    try:
        return record.getMessage()
    except Exception:  # a malformed record: its template as it is
        return str(record.msg)


def _redact_traceback(record: logging.LogRecord, forms: Sequence[str]) -> None:
    if record.exc_info and not record.exc_text:
        record.exc_text = logging.Formatter().formatException(record.exc_info)
    if record.exc_text:
        record.exc_text = _scrub(record.exc_text, forms)


def _redact_record(record: logging.LogRecord, forms: Sequence[str]) -> None:
    message = _message(record)
    if any(form in message for form in forms):
        record.msg, record.args = _scrub(message, forms), None
    _redact_traceback(record, forms)


_REDACTOR = _Redactor()


def _protect(prefixes: Sequence[str]) -> None:
    """Put the filter on every existing logger named ``prefix`` or ``prefix.*``."""
    names = [*prefixes, *logging.root.manager.loggerDict]
    for name in names:
        if any(name == prefix or name.startswith(prefix + ".") for prefix in prefixes):
            logging.getLogger(name).addFilter(_REDACTOR)


def _release_all(held: dict[str, tuple[str, ...]]) -> None:
    for values in held.values():
        _REDACTOR.change(values, -1)
    held.clear()


class SecretLogGuard:
    """Hides secret values from the loggers of the libraries one executor drives.

    Args:
        loggers: Logger name prefixes (``"botocore"`` covers ``botocore.endpoint``).
        owner: When given, whatever is still held is released once ``owner`` is
            garbage-collected (an executor dropped without ``cleanup``).

    Example:
        >>> guard = SecretLogGuard(["docker", "urllib3"])
        >>> guard.keep("exec-1", ["s3cr3t"]); guard.held("exec-1")
        ('s3cr3t',)
        >>> guard.release("exec-1"); guard.held("exec-1")
        ()
    """

    def __init__(self, loggers: Iterable[str], owner: object | None = None) -> None:
        self.loggers = tuple(loggers)
        self._lock = threading.Lock()
        self._held: dict[str, tuple[str, ...]] = {}
        if owner is not None:
            weakref.finalize(owner, _release_all, self._held)

    @contextlib.contextmanager
    def hiding(self, values: Iterable[str]) -> Iterator[None]:
        """Hide ``values`` for the duration of the block (a launch in flight).

        Example:
            >>> log = logging.getLogger("demo.hiding")
            >>> record = log.makeRecord(log.name, logging.INFO, "f", 1, "token=%s", ("tok3n",), None)
            >>> with SecretLogGuard(["demo.hiding"]).hiding(["tok3n"]):
            ...     bool(log.filter(record))
            True
            >>> record.getMessage()
            'token=***'
        """
        kept = tuple(value for value in values if value)
        if kept:
            _protect(self.loggers)
        _REDACTOR.change(kept, 1)
        try:
            yield
        finally:
            _REDACTOR.change(kept, -1)

    def keep(self, execution_id: str, values: Iterable[str]) -> None:
        """Hide ``values`` until :meth:`release` of ``execution_id`` (the execution's life).

        Example:
            >>> log, guard = logging.getLogger("demo.keep"), SecretLogGuard(["demo.keep"])
            >>> guard.keep("e-1", ["v4lue"])
            >>> record = log.makeRecord(log.name, logging.INFO, "f", 1, "got %s", ("v4lue",), None)
            >>> bool(log.filter(record)), record.getMessage()
            (True, 'got ***')
            >>> guard.release("e-1")
        """
        kept = tuple(value for value in values if value)
        if not kept:
            return
        _protect(self.loggers)
        _REDACTOR.change(kept, 1)
        with self._lock:
            previous = self._held.pop(execution_id, ())
            self._held[execution_id] = kept
        _REDACTOR.change(previous, -1)

    def release(self, execution_id: str) -> None:
        """Stop hiding what :meth:`keep` held for ``execution_id``; a no-op for an unknown id.

        Example:
            >>> log, guard = logging.getLogger("demo.release"), SecretLogGuard(["demo.release"])
            >>> guard.keep("e-1", ["r3leased"]); guard.release("e-1"); guard.release("never-kept")
            >>> record = log.makeRecord(log.name, logging.INFO, "f", 1, "got %s", ("r3leased",), None)
            >>> bool(log.filter(record)), record.getMessage()
            (True, 'got r3leased')
        """
        with self._lock:
            values = self._held.pop(execution_id, ())
        _REDACTOR.change(values, -1)

    def held(self, execution_id: str) -> tuple[str, ...]:
        """The values held for ``execution_id``.

        Example:
            >>> SecretLogGuard(["urllib3"]).held("x")
            ()
        """
        with self._lock:
            return self._held.get(execution_id, ())
