"""Scripted outcomes and the rules that choose them.

An ``Outcome`` says what a launched job does (exit code, output, duration, or
a launch failure, an OOM kill, a loss by the platform). A ``Rule`` pairs an
outcome with matchers on the job's image, name, command or labels, or a
callable; the first rule that matches (and is not used up) wins. Every matcher
explains a miss, so an unexpected job in strict mode lists why each rule
did not apply.
"""

from __future__ import annotations

import dataclasses
import fnmatch
import math
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from executor_kit.clock import MAX_SPAN
from executor_kit.errors import ExecutorConfigurationError
from executor_kit.job import JobLike, describe_job, redact, secret_values

__all__ = ["OUTCOME_FIELDS", "Outcome", "Rule", "UnexpectedJobError", "unexpected_job"]


def _fail(field: str, problem: str) -> ExecutorConfigurationError:
    return ExecutorConfigurationError(f"{field} {problem}")


def _check_bool(field: str, value: object) -> None:
    if not isinstance(value, bool):
        raise _fail(field, f"must be a bool, got {value!r}")


def _check_int(field: str, value: object) -> None:
    if isinstance(value, bool) or not isinstance(value, int):
        raise _fail(field, f"must be an int, got {value!r}")


def _check_str(field: str, value: object) -> None:
    if not isinstance(value, str):
        raise _fail(field, f"must be a str, got {value!r}")


def _check_optional_str(field: str, value: object) -> None:
    if value is not None:
        _check_str(field, value)


def _check_duration(field: str, value: object) -> None:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise _fail(field, f"must be a finite number of seconds, got {value!r}")
    if value < 0:
        raise _fail(field, f"must not be negative, got {value!r}")
    if value > MAX_SPAN:
        raise _fail(field, f"must be at most {MAX_SPAN:g} seconds (the virtual clock's span), got {value!r}")


#: Every field an outcome has, with its check (also used by the config parser).
OUTCOME_FIELDS: Mapping[str, Callable[[str, object], None]] = {
    "exit_code": _check_int,
    "stdout": _check_str,
    "stderr": _check_str,
    "duration": _check_duration,
    "launch_error": _check_optional_str,
    "oom_killed": _check_bool,
    "lost": _check_bool,
    "ignores_term": _check_bool,
    "startup": _check_duration,
    "never_starts": _check_bool,
    "cancel_delay": _check_duration,
    "cancel_error": _check_optional_str,
}


@dataclasses.dataclass(frozen=True)
class Outcome:
    """What a launched job does on the mock.

    Output is visible from the launch on; the execution ends ``duration``
    virtual seconds after it. ``launch_error`` makes ``launch_job`` return
    ``(False, launch_error)``; ``oom_killed`` ends it ``failed`` with exit code
    137; ``lost`` ends it ``failed`` with exit code -1 (the platform lost it);
    ``ignores_term`` makes a timeout or a cancel kill it with 137 instead of 143
    (a cancel after the grace period). ``startup`` is a phase before the
    workload starts (an image pull, a capacity wait: it reads ``running`` with
    no output; its ``duration`` counts after it, its timeout from the launch);
    ``never_starts`` keeps it in that phase until its timeout or a cancel.
    ``cancel_delay`` makes ``cancel`` take effect that many seconds late (a slow
    platform); ``cancel_error`` makes it raise ``ExecutorResourceError`` with
    that message while the workload runs.

    Raises:
        ExecutorConfigurationError: naming the field with a wrong type or a
            negative duration.

    Example:
        >>> Outcome(exit_code=3, stderr="boom\\n").exit_code
        3
        >>> Outcome(duration=-1)
        Traceback (most recent call last):
        ...
        executor_kit.errors.ExecutorConfigurationError: duration must not be negative, got -1
    """

    exit_code: int = 0
    stdout: str = ""
    stderr: str = ""
    duration: float = 0.0
    launch_error: str | None = None
    oom_killed: bool = False
    lost: bool = False
    ignores_term: bool = False
    startup: float = 0.0
    never_starts: bool = False
    cancel_delay: float = 0.0
    cancel_error: str | None = None

    def __post_init__(self) -> None:
        for field, check in OUTCOME_FIELDS.items():
            check(field, getattr(self, field))
        for field in ("launch_error", "cancel_error"):
            if getattr(self, field) == "":
                raise _fail(field, "must be a non-empty message")

    @classmethod
    def pending(cls, *, startup: float | None = None) -> Outcome:
        """A job stuck starting: for ``startup`` seconds, or (``None``) until its timeout or a cancel.

        Example:
            >>> Outcome.pending().never_starts, Outcome.pending(startup=30).startup
            (True, 30)
        """
        return cls(never_starts=True) if startup is None else cls(startup=startup)

    @classmethod
    def launch_failure(cls, message: str) -> Outcome:
        """The job fails to launch: ``launch_job`` returns ``(False, message)``.

        Example:
            >>> Outcome.launch_failure("image not found").launch_error
            'image not found'
        """
        return cls(launch_error=message)

    @classmethod
    def oom(cls, *, after: float = 0.0, stdout: str = "", stderr: str = "") -> Outcome:
        """The job is killed for lack of memory ``after`` seconds.

        Example:
            >>> Outcome.oom(after=2).oom_killed
            True
        """
        return cls(exit_code=137, duration=after, stdout=stdout, stderr=stderr, oom_killed=True)

    @classmethod
    def lost_after(cls, seconds: float = 0.0) -> Outcome:
        """The platform loses the job ``seconds`` after launch (no exit code).

        Example:
            >>> Outcome.lost_after(5).lost
            True
        """
        return cls(duration=seconds, lost=True)

    def describe(self) -> str:
        """The fields that differ from the defaults, as ``k=v`` pairs.

        Example:
            >>> Outcome(exit_code=2, duration=1.5).describe()
            'exit_code=2, duration=1.5'
        """
        default = _DEFAULT_FIELDS
        changed = [f"{k}={v!r}" for k, v in dataclasses.asdict(self).items() if default[k] != v]
        return ", ".join(changed) or "default"


_DEFAULT_FIELDS = {field.name: field.default for field in dataclasses.fields(Outcome)}

JobMatcher = Callable[[Any], bool]


def _image_miss(rule: Rule, job: Any) -> str | None:
    if rule.image is None or fnmatch.fnmatchcase(job.image, rule.image):
        return None
    return f"image {job.image!r} does not match {rule.image!r}"


def _name_miss(rule: Rule, job: Any) -> str | None:
    if rule.name is None or (job.name is not None and fnmatch.fnmatchcase(job.name, rule.name)):
        return None
    return f"name {job.name!r} does not match {rule.name!r}"


def _command_miss(rule: Rule, job: Any) -> str | None:
    prefix = rule.command
    if prefix is None or list(job.command[: len(prefix)]) == list(prefix):
        return None
    return f"command {list(job.command)!r} does not start with {list(prefix)!r}"


def _labels_miss(rule: Rule, job: Any) -> str | None:
    wanted = rule.labels or {}
    missing = {key: value for key, value in wanted.items() if job.labels.get(key) != value}
    return f"labels lack {missing!r}" if missing else None


def _callable_miss(rule: Rule, job: Any) -> str | None:
    if rule.match is None:
        return None
    try:
        matched = rule.match(job)
    except Exception as exc:  # a user's matcher; only ExecutorError may escape the mock
        raise ExecutorConfigurationError(
            f"rule match function {rule.match!r} raised {type(exc).__name__}: {exc}"
        ) from exc
    return None if matched else f"match function {getattr(rule.match, '__name__', rule.match)!r} said no"


_MATCHERS = (_image_miss, _name_miss, _command_miss, _labels_miss, _callable_miss)


def _check_pattern(field: str, value: object) -> None:
    _check_optional_str(field, value)


def _check_command(field: str, value: object) -> None:
    ok = value is None or (
        not isinstance(value, str) and isinstance(value, Sequence) and all(isinstance(arg, str) for arg in value)
    )
    if not ok:
        raise _fail(field, f"must be a list of str (an argv prefix), got {value!r}")


def _check_labels(field: str, value: object) -> None:
    ok = value is None or (
        isinstance(value, Mapping) and all(isinstance(k, str) and isinstance(v, str) for k, v in value.items())
    )
    if not ok:
        raise _fail(field, f"must map str to str, got {value!r}")


def _check_times(field: str, value: object) -> None:
    if value is None:
        return
    _check_int(field, value)
    if value < 1:  # type: ignore[operator]  # an int, checked above
        raise _fail(field, f"must be at least 1, got {value!r}")


def _check_match(field: str, value: object) -> None:
    if value is not None and not callable(value):
        raise _fail(field, f"must be callable, got {value!r}")


def _check_outcome(field: str, value: object) -> None:
    if not isinstance(value, Outcome):
        raise _fail(field, f"must be an Outcome, got {value!r}")


#: Every field a rule has, with its check (also used by the config parser).
RULE_FIELDS: Mapping[str, Callable[[str, object], None]] = {
    "outcome": _check_outcome,
    "image": _check_pattern,
    "name": _check_pattern,
    "command": _check_command,
    "labels": _check_labels,
    "match": _check_match,
    "times": _check_times,
}


@dataclasses.dataclass(frozen=True, eq=False)
class Rule:
    """An outcome for the jobs that match; every matcher given must agree.

    ``image`` and ``name`` are shell-style patterns (``"python:*"``),
    ``command`` is an argv prefix, ``labels`` a subset the job must carry,
    ``match`` any callable taking the job. ``times`` limits how often the rule
    applies (``None``: always).

    Example:
        >>> from executor_kit.job import ContainerJob
        >>> rule = Rule(Outcome(exit_code=2), image="python:*", command=["python", "-m"])
        >>> rule.explain(ContainerJob(image="python:3.12", command=["python", "-m", "x"])) is None
        True
        >>> rule.explain(ContainerJob(image="busybox", command=["true"]))
        "image 'busybox' does not match 'python:*'; command ['true'] does not start with ['python', '-m']"
    """

    outcome: Outcome = dataclasses.field(default_factory=Outcome)
    image: str | None = None
    name: str | None = None
    command: Sequence[str] | None = None
    labels: Mapping[str, str] | None = None
    match: JobMatcher | None = None
    times: int | None = None

    def __post_init__(self) -> None:
        for field, check in RULE_FIELDS.items():
            check(field, getattr(self, field))
        if self.command is not None:
            object.__setattr__(self, "command", tuple(self.command))
        if self.labels is not None:
            object.__setattr__(self, "labels", dict(self.labels))

    def explain(self, job: JobLike) -> str | None:
        """``None`` when ``job`` matches, else why it does not.

        Example:
            >>> from executor_kit.job import ContainerJob
            >>> Rule(labels={"team": "a"}).explain(ContainerJob(image="x"))
            "labels lack {'team': 'a'}"
        """
        misses = [reason for reason in (matcher(self, job) for matcher in _MATCHERS) if reason]
        return "; ".join(misses) or None

    def matches(self, job: JobLike) -> bool:
        """Whether ``job`` matches every matcher of the rule.

        Example:
            >>> from executor_kit.job import ContainerJob
            >>> Rule(name="etl-*").matches(ContainerJob(image="x", name="etl-1"))
            True
        """
        return self.explain(job) is None

    def describe(self) -> str:
        """A one-line summary: matchers, then the outcome.

        Example:
            >>> Rule(Outcome(exit_code=1), image="busybox", times=2).describe()
            "Rule(image='busybox', times=2) -> exit_code=1"
        """
        shown = ("image", "name", "command", "labels", "match", "times")
        parts = [f"{key}={getattr(self, key)!r}" for key in shown if getattr(self, key) is not None]
        return f"Rule({', '.join(parts)}) -> {self.outcome.describe()}"


class UnexpectedJobError(ExecutorConfigurationError):
    """A strict ``MockExecutor`` was given a job that no rule covers.

    The message shows the job (secrets redacted) and why each rule missed.

    Example:
        >>> issubclass(UnexpectedJobError, ExecutorConfigurationError)
        True
    """


def unexpected_job(job: JobLike, rules: Sequence[Rule], uses: Sequence[int]) -> UnexpectedJobError:
    """Build the error a strict mock raises for an unmatched job.

    Example:
        >>> from executor_kit.job import ContainerJob
        >>> err = unexpected_job(ContainerJob(image="busybox"), [Rule(image="alpine")], [0])
        >>> print(err)  # doctest: +ELLIPSIS
        strict MockExecutor has no rule for job {'image': 'busybox', ...}
          rule 0: Rule(image='alpine') -> default: image 'busybox' does not match 'alpine'
    """
    lines = [f"strict MockExecutor has no rule for job {describe_job(job)}"]
    for index, (rule, used) in enumerate(zip(rules, uses, strict=True)):
        lines.append(f"  rule {index}: {rule.describe()}: {_miss_reason(rule, used, job)}")
    if not rules:
        lines.append("  (no rules are configured)")
    return UnexpectedJobError(redact("\n".join(lines), secret_values(job)), backend="mock")


def _miss_reason(rule: Rule, used: int, job: JobLike) -> str:
    if rule.times is not None and used >= rule.times:
        return f"used up ({used} of {rule.times} times)"
    return rule.explain(job) or "matches"
