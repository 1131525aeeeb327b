"""``executor-kit reap``: remove what conformance runs or interrupted tests left behind."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Mapping

from executor_kit.base import ContainerExecutor
from executor_kit.errors import ExecutorConfigurationError
from executor_kit.labels import RUN_LABEL
from executor_kit.registry import import_from_working_directory, load_config, resolve_executor

__all__ = ["reap", "run_reap"]


def reap(executor: ContainerExecutor, *, run_ids: list[str] | None = None, dry_run: bool = False) -> list[str]:
    """Find the kit's executions (optionally of given runs) and clean them up.

    An executor's ``find_executions`` lists only what it manages (the
    ``executor-kit-managed`` label), so an empty selector means all of those.

    Args:
        executor: Where to look.
        run_ids: Only executions labelled with one of these run ids.
        dry_run: List without removing.

    Returns:
        The ids found (and, unless ``dry_run``, removed).

    Raises:
        ExecutorConfigurationError: if the backend cannot list its executions.

    Example:
        >>> from executor_kit import ContainerJob, get_executor
        >>> ex = get_executor("mock")
        >>> ok, eid = ex.launch_job(ContainerJob(image="x", labels={"executor-kit-run": "r1"}))
        >>> reap(ex, run_ids=["r1"]) == [eid], ex.check_status(eid)
        (True, <ExecutionStatus.NOT_FOUND: 'not-found'>)
    """
    selectors: list[Mapping[str, str]] = [{RUN_LABEL: run} for run in run_ids] if run_ids else [{}]
    found = [eid for selector in selectors for eid in _find(executor, selector)]
    if not dry_run:
        for execution_id in found:
            executor.cleanup(execution_id)
    return found


def _find(executor: ContainerExecutor, labels: Mapping[str, str]) -> list[str]:
    found = executor.find_executions(labels)
    if found is None:
        raise ExecutorConfigurationError(f"executor {executor.name!r} cannot list its executions; nothing to reap")
    return found


def run_reap(args: argparse.Namespace) -> int:
    """The ``reap`` command: print what was removed (or would be, with ``--dry-run``).

    Without ``--run-label`` or ``--all`` nothing is removed: the executions of
    every run are listed (another run may be in progress next door), and a line
    on stderr says how to remove them.

    Example:
        >>> run_reap(argparse.Namespace(backend="mock", config=None, run_label=[], all=False, dry_run=False))
        nothing to reap on mock
        0
    """
    import_from_working_directory()
    config = load_config(args.config)
    chosen = bool(args.run_label) or getattr(args, "all", False)
    dry_run = args.dry_run or not chosen
    with resolve_executor(args.backend, config) as executor:
        found = reap(executor, run_ids=args.run_label or None, dry_run=dry_run)
    for execution_id in found:
        print(f"{'would remove' if dry_run else 'removed'} {execution_id}")
    if not found:
        print(f"nothing to reap on {args.backend}")
    elif not chosen:
        print("executor-kit reap: nothing removed; pass --run-label RUN (repeatable) or --all", file=sys.stderr)
    return 0
