"""The time profile: how long the suite waits on a backend, and the built-in backends' profiles."""

from __future__ import annotations

import dataclasses
import difflib
from collections.abc import Mapping
from typing import Any

from executor_kit.base import ContainerExecutor
from executor_kit.errors import ExecutorConfigurationError

__all__ = ["TimeProfile"]


@dataclasses.dataclass(frozen=True)
class TimeProfile:
    """How long the suite waits on a backend.

    Args:
        poll_interval: Seconds between two status checks.
        launch_deadline: Seconds a workload may take to start (and to be cleaned up).
        finish_deadline: Seconds a short workload may take to finish.
        long_sleep: Seconds a "still running" workload sleeps; long enough to
            observe it running.
        clause_timeout: Wall-clock seconds one clause may take before it is
            ``inconclusive`` (a hanging call); ``None`` derives it from the others.
        max_concurrency: At most this many clauses (and shared workloads) at
            once on a real clock; lower it for a backend with a tight quota.
        model_budget: Wall-clock seconds the model check may spend starting
            new sequences of steps.
        settle: Seconds of quiet after which endings, logs and harvests are
            observed again (on a virtual clock at least 25 hours).

    Example:
        >>> TimeProfile.for_executor(__import__("executor_kit").get_executor("mock")).poll_interval
        0.5
    """

    poll_interval: float = 0.5
    launch_deadline: float = 60.0
    finish_deadline: float = 120.0
    long_sleep: float = 20.0
    clause_timeout: float | None = None
    max_concurrency: int = 32
    model_budget: float = 10.0
    settle: float = 3.0

    @property
    def clause_limit(self) -> float:
        """Wall-clock seconds one clause may take: ``clause_timeout``, else twice its longest wait.

        Example:
            >>> TimeProfile().clause_limit, TimeProfile(clause_timeout=5).clause_limit
            (400.0, 5)
        """
        if self.clause_timeout is not None:
            return self.clause_timeout
        return 2 * (self.launch_deadline + self.finish_deadline + self.long_sleep)

    @classmethod
    def from_mapping(cls, values: Mapping[str, Any]) -> TimeProfile:
        """A profile from a plain mapping, so production code need not import the test kit.

        Raises:
            ExecutorConfigurationError: for an unknown key (with a did-you-mean) or a value that is
                not a positive number (``max_concurrency``: a positive int).

        Example:
            >>> TimeProfile.from_mapping({"poll_interval": 2, "long_sleep": 30}).long_sleep
            30.0
            >>> TimeProfile.from_mapping({"pol_interval": 2})
            Traceback (most recent call last):
            ...
            executor_kit.errors.ExecutorConfigurationError: conformance_profile: unknown key 'pol_interval' \
(did you mean 'poll_interval'?)
        """
        return cls(**{key: _profile_value(key, value) for key, value in values.items()})

    @classmethod
    def for_executor(cls, executor: ContainerExecutor) -> TimeProfile:
        """The executor's own ``conformance_profile`` (a ``TimeProfile`` or a mapping), else the kit's for its name.

        Example:
            >>> TimeProfile.for_executor(object()).long_sleep  # type: ignore[arg-type]
            20.0
            >>> class Slow:
            ...     conformance_profile = {"launch_deadline": 300}
            >>> TimeProfile.for_executor(Slow()).launch_deadline  # type: ignore[arg-type]
            300.0
        """
        profile = getattr(executor, "conformance_profile", None)
        if isinstance(profile, TimeProfile):
            return profile
        if isinstance(profile, Mapping):
            return cls.from_mapping(profile)
        return _PROFILES.get(getattr(executor, "name", ""), cls())


_FIELDS = {field.name: field for field in dataclasses.fields(TimeProfile)}


def _profile_value(key: str, value: Any) -> Any:
    """``value`` checked for the profile field ``key``, as the field's type."""
    if key not in _FIELDS:
        guess = difflib.get_close_matches(key, _FIELDS, n=1)
        hint = f" (did you mean {guess[0]!r}?)" if guess else f"; known: {', '.join(_FIELDS)}"
        raise ExecutorConfigurationError(f"conformance_profile: unknown key {key!r}{hint}")
    whole = key == "max_concurrency"
    valid = isinstance(value, int if whole else (int, float)) and not isinstance(value, bool) and value > 0
    if not valid and not (key == "clause_timeout" and value is None):
        kind = "a positive int" if whole else "a positive number of seconds"
        raise ExecutorConfigurationError(f"conformance_profile: {key} must be {kind}, not {value!r}")
    return value if whole or value is None else float(value)


#: Profiles of the built-in real backends, by executor name.
_PROFILES = {"docker": TimeProfile(poll_interval=0.1, launch_deadline=30.0, finish_deadline=60.0, long_sleep=10.0)}
