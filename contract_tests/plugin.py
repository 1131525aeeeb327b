"""The pytest plugin (entry point ``pytest11``): inert until asked.

It adds the ``--executor``, ``--executor-config``, ``--probe-image`` and
``--contract-json/-junit/-markdown`` options, the ``contract_executor``,
``contract_harness`` and ``mock_executor`` fixtures, and prints the clause
table after a run that judged any clause.
"""

from __future__ import annotations

import contextlib
import dataclasses
import signal
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from contract_tests.harness import Harness
from contract_tests.ledger import Ledger
from contract_tests.report import Report
from contract_tests.runner import new_harness
from executor_kit.base import ContainerExecutor
from executor_kit.errors import ExecutorConfigurationError
from executor_kit.mock.fixture import mock_executor
from executor_kit.probe import PROBE_IMAGE
from executor_kit.registry import load_config, resolve_executor

__all__ = [
    "SUITE_MODULE",
    "check_report_paths",
    "collect_reports",
    "configured_executor",
    "contract_executor",
    "contract_harness",
    "harness_session",
    "load_config",
    "mock_executor",
    "write_reports",
]

#: The module ``--executor`` adds to the collection.
SUITE_MODULE = str(Path(__file__).with_name("executor_suite.py"))

_EXECUTOR = pytest.StashKey[ContainerExecutor]()
_LEDGER = pytest.StashKey[Ledger]()
_REPORT_OPTIONS = ("contract_json", "contract_junit", "contract_markdown")


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("executor-kit", "executor-kit conformance suite")
    group.addoption(
        "--executor",
        default=None,
        metavar="TARGET",
        help="run the conformance suite against a registered executor name or module:callable",
    )
    group.addoption(
        "--executor-config",
        default=None,
        metavar="JSON_OR_FILE",
        help="the executor's config: a JSON object or a path to a JSON file",
    )
    group.addoption("--probe-image", default=None, help=f"the probe image (default {PROBE_IMAGE})")
    group.addoption("--contract-json", default=None, metavar="FILE", help="write the JSON report")
    group.addoption("--contract-junit", default=None, metavar="FILE", help="write a JUnit XML report")
    group.addoption("--contract-markdown", default=None, metavar="FILE", help="write a Markdown matrix")
    group.addoption(
        "--clause-timeout",
        type=float,
        default=None,
        metavar="SECONDS",
        help="wall time one clause may take before it is inconclusive (default: from the backend's time profile)",
    )
    group.addoption(
        "--contract-timeout",
        type=float,
        default=None,
        metavar="SECONDS",
        help="wall time for the whole conformance run; clauses not started by then are inconclusive",
    )


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "contract_clause(id): the conformance clause a test judges")
    config.stash[_LEDGER] = ledger = Ledger(target=config.getoption("executor", None) or "")
    config.pluginmanager.register(ledger, "executor-kit-ledger")
    try:
        check_report_paths([config.getoption(name, None) for name in _REPORT_OPTIONS])
    except ExecutorConfigurationError as exc:
        raise pytest.UsageError(str(exc)) from None
    target = config.getoption("executor", None)
    if not target:
        return
    try:
        config.stash[_EXECUTOR] = resolve_executor(target, load_config(config.getoption("executor_config")))
    except ExecutorConfigurationError as exc:
        raise pytest.UsageError(f"--executor {target}: {exc}") from None
    config.args.append(SUITE_MODULE)


def pytest_unconfigure(config: pytest.Config) -> None:
    executor = config.stash.get(_EXECUTOR, None)
    if executor is not None:
        executor.close()


def configured_executor(stash: pytest.Stash) -> ContainerExecutor:
    """The executor ``--executor`` named, as ``pytest_configure`` keeps it in the config's ``stash``.

    Raises:
        pytest.fail.Exception: (fails the test) when there is none.

    Example:
        >>> from executor_kit.mock import MockExecutor
        >>> stash = pytest.Stash()
        >>> try:
        ...     configured_executor(stash)
        ... except pytest.fail.Exception as exc:
        ...     print(exc)
        no executor to test: pass --executor=TARGET or define a contract_executor fixture
        >>> stash[_EXECUTOR] = MockExecutor()  # what pytest_configure stores for --executor=mock
        >>> configured_executor(stash) is stash[_EXECUTOR]
        True
    """
    executor = stash.get(_EXECUTOR, None)
    if executor is None:
        pytest.fail("no executor to test: pass --executor=TARGET or define a contract_executor fixture", pytrace=False)
    return executor


@pytest.fixture(scope="class")
def contract_executor(request: pytest.FixtureRequest) -> ContainerExecutor:
    """The executor under test: from ``--executor``; override it to plug yours in.

    It is ``configured_executor(request.config.stash)``.

    Example:
        >>> stash = pytest.Stash()
        >>> stash[_EXECUTOR] = resolve_executor("mock", {})  # as after pytest --executor=mock
        >>> configured_executor(stash).name
        'mock'
    """
    return configured_executor(request.config.stash)


def _raise_interrupt(signum: int, frame: Any) -> None:
    _handle(_note_signal)  # from the first signal on, later ones are reported: the unwinding ends in the cleanup
    raise KeyboardInterrupt(f"signal {signum}")


def _note_signal(signum: int, frame: Any) -> None:
    print(f"executor-kit: signal {signum} during cleanup; finishing the cleanup first", file=sys.stderr)


def _handle(handler: Any) -> dict[int, Any]:
    """Install ``handler`` for SIGINT and SIGTERM (main thread only); return what was there."""
    if threading.current_thread() is not threading.main_thread():
        return {}
    return {signum: signal.signal(signum, handler) for signum in (signal.SIGINT, signal.SIGTERM)}


def _restore(previous: dict[int, Any]) -> None:
    for signum, handler in previous.items():
        signal.signal(signum, handler)


def _shielded_close(harness: Harness) -> None:
    # A later signal is reported, not obeyed mid-cleanup: only SIGKILL (or a hanging backend) leaves resources.
    previous = _handle(_note_signal)
    try:
        closing = threading.Thread(target=harness.close, daemon=True, name="executor-kit cleanup")
        closing.start()
        closing.join(harness.profile.clause_limit)
    finally:
        _restore(previous)
    if closing.is_alive():
        print(
            f"executor-kit: cleanup did not finish within {harness.profile.clause_limit:g} s; "
            f"remove what is left with `executor-kit reap --run-label {harness.run_id}`",
            file=sys.stderr,
        )


@contextlib.contextmanager
def harness_session(executor: ContainerExecutor, *, probe_image: str = PROBE_IMAGE) -> Iterator[Harness]:
    """A harness on ``executor`` for the block; everything it launched is cleaned up at the end.

    SIGTERM is turned into KeyboardInterrupt inside the block (the previous
    handler is restored after it), so an interrupted run still cleans up; while
    it cleans up, SIGINT and SIGTERM are reported, not obeyed. Use it from the
    main thread.

    Example:
        >>> from executor_kit.mock import MockExecutor
        >>> from executor_kit.probe import Probe
        >>> executor, before = MockExecutor(), signal.getsignal(signal.SIGTERM)
        >>> try:
        ...     with harness_session(executor) as harness:
        ...         eid = harness.start(Probe().sleep(60))[1]
        ...         signal.getsignal(signal.SIGTERM)(signal.SIGTERM, None)  # what a SIGTERM does now
        ... except KeyboardInterrupt as exc:
        ...     print("interrupted:", exc)
        interrupted: signal 15
        >>> executor.live_executions(), signal.getsignal(signal.SIGTERM) is before  # cleaned up, handler restored
        ([], True)
    """
    harness = new_harness(executor, probe_image=probe_image)
    previous = _handle(_raise_interrupt)
    try:
        yield harness
    finally:
        _shielded_close(harness)
        _restore(previous)


@pytest.fixture(scope="class")
def contract_harness(request: pytest.FixtureRequest, contract_executor: ContainerExecutor) -> Iterator[Harness]:
    """The harness the conformance tests drive: ``harness_session`` around the test class.

    The probe image is ``--probe-image``, else the class's ``probe_image``, else
    ``PROBE_IMAGE``.

    Example:
        >>> from executor_kit.mock import MockExecutor
        >>> from executor_kit.probe import Probe
        >>> executor = MockExecutor()
        >>> with harness_session(executor, probe_image="registry.local/probe:1") as harness:
        ...     job, eid = harness.start(Probe().sleep(60))
        ...     job.image, executor.live_executions() == [eid]
        ('registry.local/probe:1', True)
        >>> executor.live_executions()  # teardown cleaned up
        []
    """
    config = request.config
    image = config.getoption("probe_image") or getattr(request.cls, "probe_image", None) or PROBE_IMAGE
    with harness_session(contract_executor, probe_image=image) as harness:
        _limit(harness, config.getoption("clause_timeout", None), config.getoption("contract_timeout", None))
        yield harness


def _limit(harness: Harness, clause_timeout: float | None, run_timeout: float | None) -> None:
    if clause_timeout is not None:
        harness.profile = dataclasses.replace(harness.profile, clause_timeout=clause_timeout)
    if run_timeout is not None:
        harness.deadline = time.monotonic() + run_timeout


def collect_reports(config: pytest.Config) -> list[Report]:
    """One complete report per conformance test class of this session (every clause of the registry).

    Example:
        >>> from types import SimpleNamespace
        >>> stash = pytest.Stash()
        >>> stash[_LEDGER] = Ledger()
        >>> collect_reports(SimpleNamespace(stash=stash))
        []
    """
    ledger = config.stash.get(_LEDGER, None)
    return ledger.reports() if ledger is not None else []


def check_report_paths(paths: list[str | None]) -> None:
    """Make sure every report path can be written, before anything runs.

    Raises:
        ExecutorConfigurationError: naming the first path that cannot be written.

    Example:
        >>> check_report_paths([None])
        >>> check_report_paths(["/no/such/dir/report.json"])  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ...
        executor_kit.errors.ExecutorConfigurationError: cannot write the report /no/such/dir/report.json: ...
    """
    for path in filter(None, paths):
        _try_writing(Path(path))


def _try_writing(path: Path) -> None:
    existed = path.exists()
    try:
        with path.open("a", encoding="utf-8"):
            pass
    except OSError as exc:
        raise ExecutorConfigurationError(f"cannot write the report {path}: {exc.strerror or exc}") from None
    if not existed:
        path.unlink()


def _write(path: str | None, render: Any) -> None:
    if not path:
        return
    try:
        Path(path).write_text(render(), encoding="utf-8")
    except OSError as exc:  # one report that cannot be written never keeps the others from being written
        print(f"executor-kit: could not write the report {path}: {exc}", file=sys.stderr)


def _is_worker(config: pytest.Config) -> bool:
    return hasattr(config, "workerinput")


def pytest_terminal_summary(terminalreporter: Any, exitstatus: int, config: pytest.Config) -> None:
    if _is_worker(config):
        return
    colour = bool(getattr(terminalreporter, "hasmarkup", False)) and sys.stdout.isatty()
    for report in collect_reports(config):
        terminalreporter.write_line("")
        terminalreporter.write_line(report.table(colour=colour))
    write_reports(config)


def write_reports(config: pytest.Config) -> None:
    """Write the JSON, JUnit and Markdown reports the options ask for (first target).

    Example:
        >>> import tempfile, json
        >>> from types import SimpleNamespace
        >>> from contract_tests.clauses import clause_by_id
        >>> from contract_tests.runner import ClauseResult
        >>> tmp = tempfile.TemporaryDirectory()
        >>> out = Path(tmp.name)
        >>> stash = pytest.Stash()
        >>> stash[_LEDGER] = ledger = Ledger()
        >>> ledger.select(["t.py::T::test_CAPS_001"])
        >>> ledger.results["t.py::T::test_CAPS_001"] = ("mock", ClauseResult(clause_by_id("CAPS-001"), "pass"))
        >>> options = {"contract_json": str(out / "report.json"), "contract_markdown": str(out / "report.md")}
        >>> write_reports(SimpleNamespace(stash=stash, getoption=options.get))  # what it reads of a pytest.Config
        >>> sorted(path.name for path in out.iterdir())
        ['report.json', 'report.md']
        >>> json.loads((out / "report.json").read_text())["summary"]["pass"]
        1
        >>> tmp.cleanup()
    """
    reports = collect_reports(config)
    if not reports:
        return
    _write(config.getoption("contract_json"), reports[0].to_json)
    _write(config.getoption("contract_junit"), reports[0].to_junit)
    _write(config.getoption("contract_markdown"), reports[0].to_markdown)
