"""Bugs of limits, capabilities, errors, secrets and cleanup that show only with particular values.

Memory limits that are not multiples of a GiB or that swap allows to exceed,
capabilities given as a partial override, throttling under bursts of calls,
secrets echoed by a failed launch into the executor's repr, and cleanup of a
workload that ignores SIGTERM.
"""

from __future__ import annotations

from typing import Any

from executor_kit import ContainerJob
from executor_kit.errors import ExecutorError
from executor_kit.job import JobLike, job_environment
from executor_kit.probe import MISSING_IMAGE, Probe
from executor_kit.status import ExecutionStatus

from ._base import Bug, Subtle, registrar
from ._witness import expect_status, launch

P = Probe  # witness argvs: P().out("x").exit(3).argv
REGISTRY: dict[type, Bug] = {}
bug = registrar(REGISTRY)


@bug(
    "LIMITS",
    "LIMITS-002: A workload within its memory limit runs to 'exited' (the limit is in MiB).",
    "a memory_limit of 1024 MiB or more that is not a whole number of GiB",
    expect_status(P().alloc(1100).argv, "exited", [1], memory_limit=1536),
)
class MemoryLimitFloorsToGiB(Subtle):
    """Kubernetes quantity built as f'{mib // 1024}Gi' above a GiB: 1536 MiB becomes 1Gi."""

    def _memory_limit(self, job: JobLike) -> int | None:
        limit = super()._memory_limit(job)
        return limit if limit is None or limit < 1024 else (limit // 1024) * 1024


@bug(
    "LIMITS",
    "LIMITS-001: A declared memory limit bounds the workload: allocating beyond it ends in 'failed'.",
    "an allocation between the limit and twice the limit",
    expect_status(P().alloc(150).argv, "failed", [1], memory_limit=100),
)
class SwapDoublesLimit(Subtle):
    """Docker: mem_limit set without memswap_limit, so swap (by default as much again) lets the workload live."""

    def _memory_limit(self, job: JobLike) -> int | None:
        limit = super()._memory_limit(job)
        return None if limit is None else 2 * limit


def _override_keeps_standard_keys(ex: Any) -> None:
    configured = type(ex)({"capabilities": {"supports_secrets": True}})
    capabilities = configured.get_capabilities()
    missing = {"supports_resource_limits", "supports_networking", "supports_persistent_storage"} - set(capabilities)
    assert not missing, f"standard keys missing with a partial override: {sorted(missing)}"


@bug(
    "CAPS",
    "CAPS-001: get_capabilities returns the standard keys, all bool.",
    "the executor is configured with a partial 'capabilities' override",
    _override_keeps_standard_keys,
)
class CapabilitiesOverrideReplaces(Subtle):
    """Executors that replace the capability dict with the configured one instead of merging it."""

    def get_capabilities(self) -> dict[str, bool]:
        configured = self.config.get("capabilities")
        return dict(configured) if configured else super().get_capabilities()


def _burst_raises_only_executor_errors(ex: Any) -> None:
    _, execution_id = launch(ex, P().sleep(100).argv)
    for _ in range(150):
        try:
            ex.check_status(execution_id)
        except ExecutorError:
            continue


@bug(
    "ERRORS",
    "ERRORS-002: Every exception an executor raises is an ExecutorError.",
    "more than 100 status calls within one second (throttling)",
    _burst_raises_only_executor_errors,
)
class ThrottlingRaisesRaw(Subtle):
    """boto3/requests clients whose ThrottlingException / HTTP 429 escapes unwrapped under a burst of polls."""

    def check_status(self, execution_id: str) -> ExecutionStatus:
        window = self.__dict__.setdefault("_window", [])
        now = self._now()
        window[:] = [moment for moment in window if now - moment < 1.0] + [now]
        if len(window) > 100:
            raise RuntimeError("ThrottlingException: Rate exceeded")
        return super().check_status(execution_id)


def _repr_free_of_secrets(ex: Any) -> None:
    job = ContainerJob(image=MISSING_IMAGE, command=["probe"], secret_environment={"TOKEN": "hunter2-secret"})
    assert ex.launch_job(job)[0] is False
    assert "hunter2-secret" not in repr(ex), "a secret value in the executor's repr"


@bug(
    "SECRETS",
    "SECRETS-002: Secret values never appear in the executor's repr, launch messages or exceptions.",
    "repr of the executor after a failed launch of a job with secrets",
    _repr_free_of_secrets,
)
class SecretInReprAfterFailedLaunch(Subtle):
    """Executors keeping the last failed spec for debugging and showing it in __repr__."""

    def launch_job(self, job: JobLike) -> tuple[bool, str]:
        ok, message = super().launch_job(job)
        if not ok:
            self._last_failure = f"{message} (env={job_environment(job)!r})"
        return ok, message

    def __repr__(self) -> str:
        failure = self.__dict__.get("_last_failure")
        return super().__repr__() if failure is None else f"{super().__repr__()[:-1]} last_failure={failure!r}>"


def _cleanup_stops_term_ignorer(ex: Any) -> None:
    _, execution_id = launch(ex, P().ignore_term().sleep(1000).argv)
    ex.advance(1)
    assert ex.cleanup(execution_id) is True
    ex.advance(60)
    assert ex.check_status(execution_id) == "not-found", "the workload survived cleanup"


@bug(
    "CLEANUP",
    "CLEANUP-001: Cleaning up a running execution returns True, stops it, and it reads 'not-found'.",
    "a running workload that ignores SIGTERM",
    _cleanup_stops_term_ignorer,
)
class CleanupGivesUpOnTermIgnorer(Subtle):
    """ECS/Batch: StopTask's SIGTERM is ignored, the delete is refused while running, the error is swallowed."""

    def cleanup(self, execution_id: str) -> bool:
        record = self._live(execution_id)
        ignores = record is not None and record.run is not None and record.run.ignores_term
        if ignores and not self._ended(execution_id):
            return True
        return super().cleanup(execution_id)
