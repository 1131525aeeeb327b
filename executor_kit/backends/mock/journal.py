"""The journal: every call made to a ``MockExecutor``, in order, and assertions on it.

Jobs are recorded as ``JobSummary`` (secret values left out); log results are
redacted of the job's secret values. The journal shares the mock's lock, so
readers get consistent snapshots while other threads call the mock.
"""

from __future__ import annotations

import threading
import types
from collections.abc import Iterator, Mapping, Sequence
from typing import Any, NamedTuple

from executor_kit.backends.mock.outcomes import Rule
from executor_kit.job import JobLike

__all__ = ["Call", "JobSummary", "Journal"]


class JobSummary(NamedTuple):
    """A launched job's inputs as recorded: no secret values, only their names.

    Example:
        >>> from executor_kit.job import ContainerJob
        >>> s = JobSummary.of(ContainerJob(image="x", command=["a"], secret_environment={"T": "v"}))
        >>> s.image, s.command, s.secret_names
        ('x', ('a',), ('T',))
    """

    image: str
    command: tuple[str, ...]
    name: str | None
    labels: Mapping[str, str]
    environment: Mapping[str, str]
    secret_names: tuple[str, ...]

    @classmethod
    def of(cls, job: JobLike) -> JobSummary:
        """Summarise ``job`` (copies, so later changes to the job do not show).

        Example:
            >>> from executor_kit.job import ContainerJob
            >>> JobSummary.of(ContainerJob(image="x", name="n")).name
            'n'
        """
        secrets: Mapping[str, str] = getattr(job, "secret_environment", None) or {}
        fields = (
            job.image,
            tuple(job.command),
            job.name,
            _copy(job.labels),
            _copy(job.environment),
            tuple(secrets),
        )
        return _new_tuple(cls, fields)

    @classmethod
    def of_invalid(cls, job: object) -> JobSummary:
        """Summarise a job that failed validation: what is not of the right type is left empty.

        Example:
            >>> from executor_kit.job import ContainerJob
            >>> job = ContainerJob(image="x", command=["a"]); job.command = None
            >>> JobSummary.of_invalid(job).command
            ()
        """
        name = getattr(job, "name", None)
        return cls(
            _text(getattr(job, "image", "")),
            tuple(_text(arg) for arg in _items(getattr(job, "command", ()))),
            name if isinstance(name, str) else None,
            _str_mapping(getattr(job, "labels", None)),
            _str_mapping(getattr(job, "environment", None)),
            tuple(_text(key) for key in _keys(getattr(job, "secret_environment", None))),
        )


def _text(value: object) -> str:
    return value if isinstance(value, str) else ""


def _items(value: object) -> tuple[object, ...]:
    return tuple(value) if isinstance(value, list | tuple) else ()


def _keys(value: object) -> tuple[object, ...]:
    return tuple(value) if isinstance(value, Mapping) else ()


def _str_mapping(value: object) -> Mapping[str, str]:
    if not isinstance(value, Mapping):
        return _EMPTY
    return {k: v for k, v in value.items() if isinstance(k, str) and isinstance(v, str)}


_EMPTY: Mapping[str, str] = types.MappingProxyType({})
_new_tuple = tuple.__new__  # builds a NamedTuple without its Python-level __new__ (hot path)


def _copy(mapping: Mapping[str, str]) -> Mapping[str, str]:
    return dict(mapping) if mapping else _EMPTY


class Call(NamedTuple):
    """One call: its number (from 0), method, arguments, result or error, and virtual time.

    Example:
        >>> Call(0, "check_status", ("mock-1",), "running", None, 0.0).result
        'running'
    """

    number: int
    method: str
    args: tuple[Any, ...]
    result: Any
    error: BaseException | None
    at: float


def _filter(
    image: str | None,
    name: str | None,
    command: Sequence[str] | None,
    labels: Mapping[str, str] | None,
) -> Rule:
    return Rule(image=image, name=name, command=command, labels=labels)


class Journal:
    """The ordered record of calls; thread-safe under the lock it is given.

    Args:
        lock: The lock guarding the mock's state (the journal shares it).

    Example:
        >>> journal = Journal()
        >>> journal.append("check_status", ("x",), "not-found", None, 0.0)
        >>> journal.count("check_status"), journal.calls()[0].result
        (1, 'not-found')
    """

    def __init__(self, lock: threading.RLock | None = None) -> None:
        self._lock = lock or threading.RLock()
        self._calls: list[Call] = []

    def append(self, method: str, args: tuple[Any, ...], result: Any, error: BaseException | None, at: float) -> None:
        """Record a call (the mock does this; tests read).

        Example:
            >>> j = Journal(); j.append("cleanup", ("x",), True, None, 1.0); len(j)
            1
        """
        with self._lock:
            self.record(method, args, result, error, at)

    def record(self, method: str, args: tuple[Any, ...], result: Any, error: BaseException | None, at: float) -> None:
        """Like ``append`` for a caller that already holds the lock (the mock's hot path).

        Example:
            >>> j = Journal(); j.record("cleanup", ("x",), True, None, 1.0); j.calls()[0].number
            0
        """
        calls = self._calls
        calls.append(_new_tuple(Call, (len(calls), method, args, result, error, at)))

    def clear(self) -> None:
        """Forget every call.

        Example:
            >>> j = Journal(); j.append("cleanup", ("x",), True, None, 0.0); j.clear(); len(j)
            0
        """
        with self._lock:
            self._calls.clear()

    def __len__(self) -> int:
        with self._lock:
            return len(self._calls)

    def __iter__(self) -> Iterator[Call]:
        return iter(self.calls())

    def calls(self, method: str | None = None) -> list[Call]:
        """A snapshot of the calls, all or those of ``method``.

        Example:
            >>> Journal().calls("launch_job")
            []
        """
        with self._lock:
            snapshot = list(self._calls)
        return [call for call in snapshot if method is None or call.method == method]

    def count(self, method: str) -> int:
        """How many times ``method`` was called (including calls that raised).

        Example:
            >>> Journal().count("get_logs")
            0
        """
        return len(self.calls(method))

    def launched(
        self,
        *,
        image: str | None = None,
        name: str | None = None,
        command: Sequence[str] | None = None,
        labels: Mapping[str, str] | None = None,
    ) -> list[JobSummary]:
        """The jobs launched successfully, optionally filtered like a ``Rule``.

        ``image`` and ``name`` are shell-style patterns, ``command`` an argv
        prefix, ``labels`` a subset.

        Example:
            >>> Journal().launched(image="python:*")
            []
        """
        rule = _filter(image, name, command, labels)
        jobs = [call.args[0] for call in self.calls("launch_job") if _succeeded(call)]
        return [job for job in jobs if rule.matches(job)]

    def assert_launched(
        self,
        *,
        image: str | None = None,
        name: str | None = None,
        command: Sequence[str] | None = None,
        labels: Mapping[str, str] | None = None,
        times: int | None = None,
    ) -> list[JobSummary]:
        """Assert that matching jobs were launched (``times`` exactly, or at least once).

        Returns:
            The matching launches.

        Raises:
            AssertionError: listing every launch, when the count is wrong.

        Example:
            >>> Journal().assert_launched(image="busybox")  # doctest: +ELLIPSIS
            Traceback (most recent call last):
            ...
            AssertionError: expected at least one launch matching ... launched: none
        """
        found = self.launched(image=image, name=name, command=command, labels=labels)
        ok = len(found) == times if times is not None else bool(found)
        if not ok:
            self._fail_launch(_filter(image, name, command, labels), times, len(found))
        return found

    def assert_not_launched(
        self,
        *,
        image: str | None = None,
        name: str | None = None,
        command: Sequence[str] | None = None,
        labels: Mapping[str, str] | None = None,
    ) -> None:
        """Assert that no matching job was launched.

        Example:
            >>> Journal().assert_not_launched(image="busybox")
        """
        self.assert_launched(image=image, name=name, command=command, labels=labels, times=0)

    def _fail_launch(self, rule: Rule, times: int | None, found: int) -> None:
        wanted = f"exactly {times} launch(es)" if times is not None else "at least one launch"
        matchers = rule.describe().split(" -> ")[0]
        everything = self.launched()
        shown = "\n".join(f"  {job}" for job in everything) or "none"
        raise AssertionError(f"expected {wanted} matching {matchers}, found {found}; launched: {shown}")

    def assert_called(self, method: str, *, times: int | None = None) -> None:
        """Assert that ``method`` was called (``times`` exactly, or at least once).

        Example:
            >>> j = Journal(); j.append("cleanup", ("x",), True, None, 0.0)
            >>> j.assert_called("cleanup", times=1)
        """
        count = self.count(method)
        ok = count == times if times is not None else count > 0
        if not ok:
            wanted = f"exactly {times}" if times is not None else "at least one"
            raise AssertionError(f"expected {wanted} call(s) of {method}, got {count}; calls: {self.summary()}")

    def assert_not_called(self, method: str) -> None:
        """Assert that ``method`` was never called.

        Example:
            >>> Journal().assert_not_called("cleanup")
        """
        self.assert_called(method, times=0)

    def summary(self) -> str:
        """The methods called, in order, as one line.

        Example:
            >>> j = Journal(); j.append("cleanup", ("x",), True, None, 0.0); j.summary()
            "cleanup('x')"
        """
        return ", ".join(_call_text(call) for call in self.calls()) or "none"


def _succeeded(call: Call) -> bool:
    return call.error is None and bool(call.result[0])


def _call_text(call: Call) -> str:
    args = ", ".join(repr(arg) for arg in call.args)
    return f"{call.method}({args})"
