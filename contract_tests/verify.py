"""``executor-kit verify``: run the suite under pytest, print the table, exit by the verdicts."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import pytest

from contract_tests.live import LiveProgress
from contract_tests.report import Report
from contract_tests.session import (
    SUITE_MODULE,
    check_report_paths,
    collect_reports,
    load_config,
    missing_dependency,
    signals_interrupt,
)
from executor_kit.base import ContainerExecutor
from executor_kit.probe import PROBE_IMAGE
from executor_kit.registry import import_from_working_directory, resolve_executor

__all__ = ["run_verify"]

_INI = str(Path(__file__).with_name("verify.ini"))


class _Collect:
    """A pytest plugin object that keeps the session's config, to read its reports after the run."""

    def __init__(self) -> None:
        self.config: pytest.Config | None = None

    def pytest_configure(self, config: pytest.Config) -> None:
        self.config = config

    def reports(self) -> list[Report]:
        return collect_reports(self.config) if self.config is not None else []


def _pytest_args(args: argparse.Namespace) -> list[str]:
    argv = [
        SUITE_MODULE,
        "-c",
        _INI,
        "--rootdir",
        str(Path(SUITE_MODULE).parent),
        "-q",
        "-p",
        "no:cacheprovider",
        # the CLI imported the kit before pytest started: nothing is left to rewrite, nothing to warn about
        "-W",
        "ignore::pytest.PytestAssertRewriteWarning",
        "--executor",
        args.target,
    ]
    options = {
        "--executor-config": args.config,
        "--probe-image": args.probe_image,
        "--contract-json": args.json,
        "--contract-junit": args.junit,
        "--contract-markdown": args.markdown,
        "-k": args.select,
        "--clause-timeout": getattr(args, "clause_timeout", None),
        "--contract-timeout": getattr(args, "timeout", None),
        "--max-concurrency": getattr(args, "max_concurrency", None),
        "--contract-profile": getattr(args, "profile", None),
    }
    for flag, value in options.items():
        argv += [flag, str(value)] if value is not None else []
    return argv


def run_verify(args: argparse.Namespace) -> int:
    """Run the conformance suite against ``args.target``; 0 only when every MUST clause was judged and passed.

    Exit 1 when a MUST clause fails; 2 when one was not judged (inconclusive,
    interrupted, or deselected: a partial run). The target and the report paths
    are checked first, so a bad one gives one clear line and exit 2.

    Example:
        >>> args = argparse.Namespace(target="mock", config=None, probe_image=None,
        ...                           json=None, junit=None, markdown=None, select="CAPS")
        >>> run_verify(args)  # doctest: +ELLIPSIS +NORMALIZE_WHITESPACE
        .. [100%]
        <BLANKLINE>
        executor-kit conformance: mock
          LAUNCH
            LAUNCH-001 MUST not-run ...
            CAPS-001 MUST pass get_capabilities returns the standard keys, all bool.
            CAPS-002 MUST pass get_capabilities is stable across calls.
        ...
        executor-kit conformance (mock): 2/2 MUST pass, 0 SHOULD pass, 0 n/a, 0 inconclusive, 76 not run (partial run)
        2 passed, ... deselected in ...s
        2
        >>> run_verify(argparse.Namespace(target="no-such-backend", config=None))  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ...
        executor_kit.errors.ExecutorConfigurationError: unknown executor 'no-such-backend'; ...
    """
    problem = missing_dependency()
    if problem:
        print(f"executor-kit verify: {problem}", file=sys.stderr)
        return 2
    try:
        with signals_interrupt():  # SIGTERM, like Ctrl-C, ends the run with its cleanup, from the first moment
            return _run(args)
    except KeyboardInterrupt:
        print("executor-kit verify: interrupted before the suite started; nothing was judged", file=sys.stderr)
        return 2


def _run(args: argparse.Namespace) -> int:
    import_from_working_directory()
    check_report_paths([getattr(args, name, None) for name in ("json", "junit", "markdown")])
    _prepare(resolve_executor(args.target, load_config(args.config)), args)
    collect = _Collect()
    code = pytest.main(_pytest_args(args), plugins=[collect, LiveProgress()])
    reports = collect.reports()
    if not reports:
        print(f"executor-kit verify: no clause was judged (pytest exit {int(code)})", file=sys.stderr)
        return 2
    return _exit_code(reports[0].exit_code(), int(code))


def _prepare(executor: ContainerExecutor, args: argparse.Namespace) -> None:
    """Let the backend make the probe image runnable (Docker builds it when missing); one line says so."""
    try:
        note = executor.prepare_probe(getattr(args, "probe_image", None) or PROBE_IMAGE)
    finally:
        executor.close()
    if note:
        print(f"executor-kit verify: {note}", file=sys.stderr)


def _exit_code(verdict: int, pytest_status: int) -> int:
    """The kit's verdict, never milder than pytest's: an interrupted or broken session is not a pass."""
    broken = pytest_status in (pytest.ExitCode.INTERRUPTED, pytest.ExitCode.INTERNAL_ERROR, pytest.ExitCode.USAGE_ERROR)
    return 2 if broken and verdict == 0 else verdict
