"""The time profile: how long the suite waits on a backend, and the built-in backends' profiles."""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping
from typing import Any

from executor_kit.base import ContainerExecutor
from executor_kit.settings import Settings, setting

__all__ = ["TimeProfile"]


def _is_seconds(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value) and value > 0


def _is_count(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value > 0


_SECONDS = "a positive number of seconds"


def _seconds(default: float) -> Any:
    return setting(_is_seconds, _SECONDS, default, convert=float)


@dataclasses.dataclass(frozen=True, kw_only=True)
class TimeProfile(Settings):
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

    ``from_mapping`` builds one from a plain mapping (what ``conformance_profile`` may
    be), so production code need not import the test kit; unknown keys get a
    did-you-mean, and every value is checked.

    Example:
        >>> TimeProfile.for_executor(__import__("executor_kit").get_executor("mock")).poll_interval
        0.5
        >>> TimeProfile.from_mapping({"poll_interval": 2, "long_sleep": 30}).long_sleep
        30.0
        >>> TimeProfile.from_mapping({"pol_interval": 2})  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ...
        executor_kit.errors.ExecutorConfigurationError: conformance_profile config 'pol_interval' is not ...
    """

    backend = "conformance_profile"
    poll_interval: float = _seconds(0.5)
    launch_deadline: float = _seconds(60.0)
    finish_deadline: float = _seconds(120.0)
    long_sleep: float = _seconds(20.0)
    clause_timeout: float | None = setting(
        lambda value: value is None or _is_seconds(value), f"None or {_SECONDS}", None, convert=lambda v: v and float(v)
    )
    max_concurrency: int = setting(_is_count, "a positive int", 32)
    model_budget: float = _seconds(10.0)
    settle: float = _seconds(3.0)

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


#: Profiles of the built-in real backends, by executor name.
_PROFILES = {"docker": TimeProfile(poll_interval=0.1, launch_deadline=30.0, finish_deadline=60.0, long_sleep=10.0)}
