"""``executor-kit verify``: run the suite under pytest, print the table, exit by the verdicts."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

import pytest

from contract_tests.plugin import SUITE_MODULE, collect_reports, load_config
from contract_tests.report import Report
from executor_kit.registry import resolve_executor

__all__ = ["run_verify"]

_INI = str(Path(__file__).with_name("verify.ini"))


class _Collect:
    """A pytest plugin object that keeps the report of the session."""

    def __init__(self) -> None:
        self.reports: list[Report] = []

    def pytest_sessionfinish(self, session: pytest.Session) -> None:
        self.reports = collect_reports(session.config)


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
    }
    for flag, value in options.items():
        argv += [flag, value] if value else []
    return argv


def run_verify(args: argparse.Namespace) -> int:
    """Run the conformance suite against ``args.target``; 0 only when every MUST clause passes or is n/a.

    The target is checked first, so a bad one gives one clear line and exit 2.

    Example:
        >>> args = argparse.Namespace(target="mock", config=None, probe_image=None,
        ...                           json=None, junit=None, markdown=None, select="CAPS")
        >>> run_verify(args)  # doctest: +ELLIPSIS +NORMALIZE_WHITESPACE
        .. [100%]
        <BLANKLINE>
        executor-kit conformance: mock
          CAPS
            CAPS-001 MUST pass get_capabilities returns the standard keys, all bool.
            CAPS-002 MUST pass get_capabilities is stable across calls.
        executor-kit conformance (mock): 2/2 MUST pass, 0 SHOULD pass, 0 n/a, 0 inconclusive
        2 passed, ... deselected in ...s
        0
        >>> run_verify(argparse.Namespace(target="no-such-backend", config=None))  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ...
        executor_kit.errors.ExecutorConfigurationError: unknown executor 'no-such-backend'; ...
    """
    if os.getcwd() not in sys.path:
        sys.path.insert(0, os.getcwd())
    resolve_executor(args.target, load_config(args.config)).close()
    collect = _Collect()
    code = pytest.main(_pytest_args(args), plugins=[collect])
    if not collect.reports:
        print(f"executor-kit verify: no clause was judged (pytest exit {int(code)})", file=sys.stderr)
        return 2
    return collect.reports[0].exit_code()
