"""Cloud Logging in the Cloud Run emulation: the entries a workload writes and the ``entries:list`` filter.

Each line of the workload's stdout and stderr is one entry of the log
``run.googleapis.com%2Fstdout`` / ``%2Fstderr``, labelled
``run.googleapis.com/execution_name``. The filter understands
``field="value"`` terms joined by ``AND`` (``OR`` between terms of the same
field, as in the ``logName`` group) and comparisons of ``timestamp`` with
``=``, ``!=``, ``<``, ``<=``, ``>``, ``>=``, all of which must hold.
Timestamps compare as instants, as Cloud Logging compares them: RFC 3339 with
any fraction of a second (to the nanosecond) and any UTC offset. Anything
else is refused with 400 ``INVALID_ARGUMENT`` rather than half understood.
Nothing here is public.

Example:
    >>> wanted = parse_filter('logName="a" AND timestamp>="2026-01-01T00:00:00+01:00"')
    >>> wanted.matches({"logName": "a", "timestamp": "2025-12-31T23:00:00Z"})
    True
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import operator
import re
from collections.abc import Callable, Mapping
from typing import Any

from executor_kit.backends.cloudrun.emulator_state import ApiError, compact, stamp
from executor_kit.probe import ProbeEvent, ProbeRun

__all__: list[str] = []

_TERM = re.compile(r'([\w.]+(?:\."[^"]*")?)\s*(<=|>=|!=|<|>|=)\s*"((?:[^"\\]|\\.)*)"')
#: What may stand between the terms of a filter the emulator understands.
_JOINERS = re.compile(r"(?:\s|AND|OR|\(|\))*")
_RFC3339 = re.compile(r"(\d{4}-\d{2}-\d{2})[Tt](\d{2}:\d{2}:\d{2})(?:\.(\d{1,9}))?([Zz]|[+-]\d{2}:\d{2})")
_COMPARE: dict[str, Callable[[Any, Any], bool]] = {
    "=": operator.eq,
    "!=": operator.ne,
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
}
#: The label that names an execution's entries.
EXECUTION_LABEL = 'labels."run.googleapis.com/execution_name"'


def _lines(event: ProbeEvent) -> list[str]:
    text = event.text[:-1] if event.text.endswith("\n") else event.text
    return text.split("\n")


def log_entries(
    project: str, region: str, name: str, run: ProbeRun, start: dt.datetime
) -> list[tuple[float, dict[str, Any]]]:
    """``(seconds after start, entry)`` for each line the run writes, in order, ``insertId`` counting up.

    Example:
        >>> run = ProbeRun((ProbeEvent(1.5, "stdout", "a\\nb\\n"),), 0, 2.0)
        >>> start = dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc)
        >>> entries = log_entries("p", "r", "projects/p/locations/r/jobs/j/executions/j-1", run, start)
        >>> [(at, e["textPayload"], e["timestamp"]) for at, e in entries]
        [(1.5, 'a', '2026-01-01T00:00:01.500000Z'), (1.5, 'b', '2026-01-01T00:00:01.500000Z')]
    """
    job, short = name.split("/")[5], name.rsplit("/", 1)[1]
    resource = {
        "type": "cloud_run_job",
        "labels": {"job_name": job, "location": region, "project_id": project},
    }
    labels = {
        "run.googleapis.com/execution_name": short,
        "run.googleapis.com/task_index": "0",
        "run.googleapis.com/task_attempt": "0",
    }
    out: list[tuple[float, dict[str, Any]]] = []
    for event in run.events:
        moment = stamp(start + dt.timedelta(seconds=event.at))
        log_name = f"projects/{project}/logs/run.googleapis.com%2F{event.stream}"
        for line in _lines(event):
            entry = {
                "logName": log_name,
                "resource": resource,
                "labels": labels,
                "textPayload": line,
                "timestamp": moment,
                "receiveTimestamp": moment,
                "insertId": f"{len(out):010d}",
            }
            out.append((event.at, compact(entry)))
    return out


def check_listing(body: Mapping[str, Any], project: str) -> int:
    """The page size of a valid ``entries:list`` request for ``project``; 400 for an invalid one.

    Example:
        >>> check_listing({"resourceNames": ["projects/p"]}, "p")
        50
        >>> check_listing({"resourceNames": ["projects/p"], "pageSize": 5000}, "p")
        Traceback (most recent call last):
        ...
        executor_kit.backends.cloudrun.emulator_state.ApiError: pageSize must be in [1, 1000], got 5000
    """
    if f"projects/{project}" not in body.get("resourceNames", []):
        raise ApiError(400, "resourceNames must name the project the entries belong to.")
    if body.get("orderBy", "timestamp asc") not in ("timestamp asc", "timestamp desc"):
        raise ApiError(400, f"orderBy must be 'timestamp asc' or 'timestamp desc', got {body['orderBy']!r}")
    size = int(body.get("pageSize") or 50)
    if not 0 < size <= 1000:
        raise ApiError(400, f"pageSize must be in [1, 1000], got {size}")
    return size


@dataclasses.dataclass
class LogFilter:
    """A parsed ``entries:list`` filter: the values wanted per field, and the bounds on ``timestamp``.

    Example:
        >>> wanted = LogFilter()
        >>> wanted.add("logName", "=", "a"); wanted.add("logName", "=", "b")
        >>> wanted.matches({"logName": "b", "timestamp": "2026-01-01T00:00:00Z"})
        True
    """

    fields: dict[str, list[str]] = dataclasses.field(default_factory=dict)
    times: list[tuple[Callable[[Any, Any], bool], tuple[dt.datetime, int]]] = dataclasses.field(default_factory=list)

    def add(self, field: str, comparison: str, value: str) -> None:
        """One term: ``timestamp`` compared any way, another field only for equality (400 otherwise).

        Example:
            >>> LogFilter().add("logName", ">", "a")
            Traceback (most recent call last):
            ...
            executor_kit.backends.cloudrun.emulator_state.ApiError: The emulator compares only timestamp with '>', ...
        """
        if field == "timestamp":
            self.times.append((_COMPARE[comparison], _instant(value)))
        elif comparison == "=":
            self.fields.setdefault(field, []).append(value)
        else:
            raise ApiError(400, f"The emulator compares only timestamp with {comparison!r}, not {field}.")

    def matches(self, entry: Mapping[str, Any]) -> bool:
        """Whether ``entry`` has one of the wanted values of each field and a timestamp within every bound.

        Example:
            >>> parse_filter('timestamp<"2026-01-01T00:00:00.5Z"').matches({"timestamp": "2026-01-01T00:00:00Z"})
            True
        """
        if not all(_field(entry, field) in values for field, values in self.fields.items()):
            return False
        moment = _instant(str(entry.get("timestamp", "")))
        return all(compare(moment, bound) for compare, bound in self.times)


def parse_filter(text: str) -> LogFilter:
    """The filter's terms; a filter with more than terms, ``AND``, ``OR`` and parentheses is refused (400).

    Example:
        >>> parse_filter('NOT logName="a"')
        Traceback (most recent call last):
        ...
        executor_kit.backends.cloudrun.emulator_state.ApiError: Unsupported filter 'NOT logName="a"': ...
    """
    if not _JOINERS.fullmatch(_TERM.sub(" ", text)):
        raise ApiError(
            400,
            f'Unsupported filter {text!r}: the emulator understands field="value" terms and '
            "comparisons of timestamp, joined by AND and OR.",
        )
    parsed = LogFilter()
    for field, comparison, value in _TERM.findall(text):
        parsed.add(field, comparison, value)
    return parsed


def _instant(value: str) -> tuple[dt.datetime, int]:
    """An RFC 3339 timestamp as (its whole second in UTC, nanoseconds): in the order Cloud Logging compares them."""
    match = _RFC3339.fullmatch(value)
    day, clock, fraction, zone = match.groups() if match else ("", "", "", "")
    try:
        second = dt.datetime.fromisoformat(f"{day}T{clock}{'+00:00' if zone in ('Z', 'z') else zone}")
    except ValueError:
        message = f'Invalid timestamp "{value}": use RFC 3339, like "2026-12-07T02:30:00.5Z".'
        raise ApiError(400, message) from None
    return second.astimezone(dt.timezone.utc), int((fraction or "").ljust(9, "0"))


def _field(entry: Mapping[str, Any], field: str) -> str:
    if field.startswith('labels."'):
        return str(entry.get("labels", {}).get(field[len('labels."') : -1], ""))
    value: Any = entry
    for part in field.split("."):
        value = value.get(part, "") if isinstance(value, dict) else ""
    return str(value)
