"""Where the contract was silent, what was decided; and which endings and shapes each clause is checked on.

Both are rendered into ``docs/contract.md`` beside the clause table, so the
document, the registry and the checks stay one source.
"""

from __future__ import annotations

__all__ = ["COVERAGE", "DECISIONS", "ENDINGS"]

#: The decisions that make the contract's silent places checkable, one sentence each.
DECISIONS: tuple[str, ...] = (
    "An executor is called from many threads at once (the monitor and the suite do): `launch_job`, "
    "`check_status` and `get_logs` answer each call for its own execution, whatever else is in flight "
    "(LAUNCH-003, STATUS-008, LOGS-007 ask at once, released together).",
    "Any exit code the workload gives (0-255, including 125-128, 255 and 128+n after a signal death) reads "
    "`exited`; only endings the platform imposes (timeout, OOM kill, could not start, lost) read `failed`.",
    "A harvested execution always has an `int` exit code: the workload's own; for a timeout or an OOM kill the "
    "code the platform gave (143 or 137 on Docker); `-1` when the platform gives none.",
    "`started_at` and `completed_at` are timezone-aware UTC datetimes, `started_at <= completed_at <= now`; "
    "`completed_at` is when the workload ended as closely as the backend knows, never the time of the harvest.",
    "After `cleanup` an execution is gone forever: `not-found`, `('', '')`, and `harvest_job` changes nothing "
    "and returns False, or True for a job that was harvested before.",
    "Ids are never reused: not after cleanup, not by a second executor instance of the same backend "
    "(a `MockExecutor` instance is a backend of its own).",
    "`launch_job` writes `external_execution_id`, `status` and `started_at` on the job and nothing else "
    "(nothing at all when it refuses); `harvest_job` writes only `exit_code`, `stdout`, `stderr`, "
    "`completed_at` and `status`. Neither mutates the caller's `command`, `environment` or `labels` objects, "
    "and the workload runs the spec as it was at the `launch_job` call.",
    "The workload's environment is the job's `environment` plus its `secret_environment`, plus only what the "
    "platform itself adds (for instance `PATH` from the image, `HOSTNAME`); nothing of the executor's own "
    "process environment; the job's values win over the platform's.",
    "`close()` releases client resources only: executions run on, and the executor (reconnecting) or a new "
    "instance sees them.",
    "`find_executions(labels)` matches every given key with exactly the given value; no prefix, partial or "
    "case-insensitive matches.",
    "Job labels are the user's, except the keys the kit sets itself (`executor_kit.labels.RESERVED_LABELS`: "
    "`executor-kit-managed`, `executor-kit-timeout-seconds`, `executor-kit-name`, `executor-kit-cleaned`): "
    "`validate_job` refuses a job carrying one, so every backend answers `(False, message)` naming the key "
    "(LAUNCH-005) and a user label never changes how the kit reads its own resources; other `executor-kit-` "
    "keys such as `executor-kit-run` stay the user's. The kit's backends label what they create with "
    "`executor_kit.labels.kit_labels` (configured labels, the job's, then `executor-kit-managed=true` and the "
    "job's timeout and name).",
    "An `ExecutorConnectionError`, `ExecutorResourceError` or `ExecutorAuthenticationError` makes a clause "
    "inconclusive only while the backend really is unreachable: raised although launches succeed before and "
    "after, it answers a job-level failure with an exception, and the clause fails.",
    "Pending, provisioning and pulling count as `running`; a job's timeout counts from the launch.",
    "`cancel` and `stream_logs` are optional (`supports_cancel`, `supports_log_streaming`; absent means not "
    "offered, and the base class raises `ExecutorNotSupportedError`). A cancel that ends the workload makes it "
    "read `failed` and harvest as `cancelled` with the platform's exit code (143 after SIGTERM, 137 when killed "
    "after the grace period); a workload that ends on its own first (also during the grace period) keeps its "
    "own outcome.",
    "`stream_logs` chunks are `(stream, text)` pairs; with `follow` the iterator ends once the workload has "
    "ended and everything was delivered, without it once what was written so far was delivered.",
    "A job asking for more than the backend grants (more vCPUs or memory than its quota or host allows) is a "
    "job-level failure: `launch_job` returns `(False, message)` (or runs it, if granted), never raises.",
    "A name in both `environment` and `secret_environment` takes the secret's value, as "
    "`executor_kit.job.job_environment` merges them.",
    "`get_capabilities` answers the same for the executor's whole life (no re-probing); an override (a "
    "`capabilities` config key, a subclass's `capabilities`) merges over the standard keys, never replaces them.",
    "An id is the whole, exact string `launch_job` returned: a unique prefix of it, its job's name or another "
    "spelling is an unknown id to `check_status`, `get_logs`, `harvest_job` and `cleanup` (which touches nothing).",
    "`memory_limit` is applied exactly in MiB at every size (1536 MiB is 1.5 GiB, never rounded to whole GiB).",
    "`find_executions` is optional: `None` means the backend cannot list, and FIND-001 is n/a.",
)

#: The endings and shapes the checks run workloads through, in the order of the coverage table.
ENDINGS: tuple[str, ...] = (
    "exit 0",
    "exit 1-3",
    "exit 125-128",
    "exit 255",
    "signal death",
    "no output",
    "timeout",
    "OOM",
    "running",
    "after settle",
    "after cleanup",
    "unknown id",
)

_ALL_ENDED = ("exit 0", "exit 1-3", "exit 125-128", "exit 255", "signal death", "no output", "timeout", "OOM")

#: Clause id -> the endings and shapes its check covers (clauses not listed look at one workload).
COVERAGE: dict[str, tuple[str, ...]] = {
    "STATUS-001": ("exit 0", "running", "after cleanup", "unknown id"),
    "STATUS-005": ("exit 0", "exit 1-3"),
    "STATUS-006": ("exit 0", "exit 1-3", "after settle"),
    "STATUS-008": (*_ALL_ENDED, "after settle"),
    "LOGS-006": ("running",),
    "LOGS-007": (*_ALL_ENDED, "after settle"),
    "LOGS-008": ("unknown id",),
    "LOGS-009": ("exit 0",),
    "HARVEST-002": ("exit 0", "exit 1-3", "exit 255"),
    "HARVEST-004": ("running",),
    "HARVEST-005": ("unknown id",),
    "HARVEST-007": _ALL_ENDED,
    "HARVEST-008": ("exit 0", "after settle"),
    "HARVEST-009": (*_ALL_ENDED, "after settle"),
    "CLEANUP-001": ("running",),
    "CLEANUP-003": ("unknown id",),
    "CLEANUP-006": (*_ALL_ENDED, "after settle", "after cleanup"),
    "TIMEOUT-001": ("timeout",),
    "TIMEOUT-002": ("timeout",),
    "LIMITS-001": ("OOM",),
    "MODEL-001": ("exit 0", "exit 1-3", "running", "after cleanup"),
}
