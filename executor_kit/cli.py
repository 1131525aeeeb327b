"""The ``executor-kit`` command line: verify, reap, build-probe, init."""

from __future__ import annotations

import argparse
import contextlib
import os
import shutil
import sys
import tempfile
from collections.abc import Callable, Iterator, Sequence
from importlib import metadata

from executor_kit.errors import ExecutorError

__all__ = ["main"]


def _version() -> str:
    try:
        return metadata.version("executor-kit")
    except metadata.PackageNotFoundError:  # a source tree that was never installed
        return "unknown"


@contextlib.contextmanager
def _hypothesis_storage() -> Iterator[None]:
    """Point Hypothesis's storage (``.hypothesis/``) at a temporary directory, unless the user chose one.

    ``verify`` must leave nothing in the directory it runs from; the suite keeps
    no example database, so nothing of value is lost when the directory goes.
    """
    if os.environ.get("HYPOTHESIS_STORAGE_DIRECTORY"):
        yield
        return
    storage = tempfile.mkdtemp(prefix="executor-kit-hypothesis-")
    os.environ["HYPOTHESIS_STORAGE_DIRECTORY"] = storage
    try:
        yield
    finally:
        os.environ.pop("HYPOTHESIS_STORAGE_DIRECTORY", None)
        shutil.rmtree(storage, ignore_errors=True)


def _verify(args: argparse.Namespace) -> int:
    with _hypothesis_storage():
        from contract_tests.verify import run_verify

        return run_verify(args)


def _reap(args: argparse.Namespace) -> int:
    from executor_kit.reap import run_reap

    return run_reap(args)


def _build_probe(args: argparse.Namespace) -> int:
    from executor_kit.probe.build import build_probe_image

    print(f"built {build_probe_image(tag=args.tag)}")
    return 0


def _init(args: argparse.Namespace) -> int:
    from executor_kit.scaffold import run_init

    return run_init(args)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="executor-kit", description="Run containers on any backend, one contract.")
    parser.add_argument("--version", action="version", version=f"%(prog)s {_version()}")
    commands = parser.add_subparsers(dest="command", required=True)
    verify = commands.add_parser("verify", help="run the conformance suite and print the clause table")
    verify.add_argument("target", nargs="?", default="mock", help="registered name or module:callable (default mock)")
    verify.add_argument("--config", help="the executor's config: JSON object or JSON file")
    verify.add_argument("--probe-image", help="the probe image the backend runs")
    verify.add_argument("--json", help="write the JSON report to FILE")
    verify.add_argument("--junit", help="write a JUnit XML report to FILE")
    verify.add_argument("--markdown", help="write a Markdown matrix to FILE")
    verify.add_argument("-k", dest="select", help="only clauses matching this pytest -k expression (a partial run)")
    verify.add_argument("--clause-timeout", type=float, help="seconds one clause may take (default: backend profile)")
    verify.add_argument("--timeout", type=float, help="seconds for the whole run; later clauses are inconclusive")
    verify.add_argument(
        "--profile",
        choices=("quick", "standard", "full"),
        help="quick: one clause per family (a CI smoke test); standard (default): every clause; full: deeper",
    )
    verify.add_argument("--max-concurrency", type=int, help="at most N clauses at once on a real backend (default 32)")
    verify.set_defaults(run=_verify)
    reap = commands.add_parser("reap", help="remove what conformance runs or interrupted tests left behind")
    reap.add_argument("--backend", default="docker", help="registered name or module:callable (default docker)")
    reap.add_argument("--config", help="the executor's config: JSON object or JSON file")
    which = reap.add_mutually_exclusive_group()
    which.add_argument("--run-label", action="append", default=[], help="remove this run's executions (repeatable)")
    which.add_argument("--all", action="store_true", help="remove every kit-labelled execution, of every run")
    reap.add_argument("--dry-run", action="store_true", help="list, do not remove")
    reap.set_defaults(run=_reap)
    build = commands.add_parser("build-probe", help="build the probe image on the local Docker engine")
    build.add_argument("--tag", default="executor-kit-probe:latest")
    build.set_defaults(run=_build_probe)
    init = commands.add_parser("init", help="scaffold a new executor package")
    init.add_argument("name", help="the executor's name, a Python identifier")
    init.add_argument("--dir", default=None, help="where to create it (default ./NAME)")
    init.set_defaults(run=_init)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit code.

    Example:
        >>> main(["reap", "--backend", "mock", "--all"])
        nothing to reap on mock
        0
    """
    args = _parser().parse_args(argv)
    run: Callable[[argparse.Namespace], int] = args.run
    try:
        return run(args)
    except ExecutorError as exc:
        print(f"executor-kit {args.command}: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
