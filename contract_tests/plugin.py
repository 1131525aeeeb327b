"""The pytest plugin (entry point ``pytest11``): inert until asked.

It adds the ``--executor``, ``--executor-config``, ``--probe-image`` and
``--contract-json/-junit/-markdown`` options, the ``contract_executor``,
``contract_harness`` and ``mock_executor`` fixtures, and prints the clause
table after a run that judged any clause.
"""

from __future__ import annotations

import contextlib
import signal
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from contract_tests.harness import Harness
from contract_tests.report import Report
from contract_tests.runner import new_harness
from contract_tests.suite import RESULTS
from executor_kit.base import ContainerExecutor
from executor_kit.errors import ExecutorConfigurationError
from executor_kit.mock.fixture import mock_executor
from executor_kit.probe import PROBE_IMAGE
from executor_kit.registry import load_config, resolve_executor

__all__ = [
    "SUITE_MODULE",
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


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "contract_clause(id): the conformance clause a test judges")
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
    raise KeyboardInterrupt(f"signal {signum}")


@contextlib.contextmanager
def harness_session(executor: ContainerExecutor, *, probe_image: str = PROBE_IMAGE) -> Iterator[Harness]:
    """A harness on ``executor`` for the block; everything it launched is cleaned up at the end.

    SIGTERM is turned into KeyboardInterrupt inside the block (the previous
    handler is restored after it), so an interrupted run still cleans up. Use
    it from the main thread.

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
    previous = signal.signal(signal.SIGTERM, _raise_interrupt)
    try:
        yield harness
    finally:
        harness.close()
        signal.signal(signal.SIGTERM, previous)


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
    image = request.config.getoption("probe_image") or getattr(request.cls, "probe_image", None) or PROBE_IMAGE
    with harness_session(contract_executor, probe_image=image) as harness:
        yield harness


def collect_reports(config: pytest.Config) -> list[Report]:
    """One report per target judged in this session, from the results the tests stashed.

    Example:
        >>> from types import SimpleNamespace
        >>> from contract_tests.clauses import clause_by_id
        >>> from contract_tests.runner import ClauseResult
        >>> stash = pytest.Stash()
        >>> stash[RESULTS] = [("mock", ClauseResult(clause_by_id("CAPS-001"), "pass"))]
        >>> [(r.target, len(r.results)) for r in collect_reports(SimpleNamespace(stash=stash))]
        [('mock', 1)]
    """
    by_target: dict[str, list[Any]] = {}
    for target, result in config.stash.get(RESULTS, []):
        by_target.setdefault(target, []).append(result)
    return [Report(target, results) for target, results in by_target.items()]


def _write(path: str | None, text: str) -> None:
    if path:
        Path(path).write_text(text, encoding="utf-8")


def pytest_terminal_summary(terminalreporter: Any, exitstatus: int, config: pytest.Config) -> None:
    colour = bool(getattr(terminalreporter, "hasmarkup", False)) and sys.stdout.isatty()
    for report in collect_reports(config):
        terminalreporter.write_line("")
        terminalreporter.write_line(report.table(colour=colour))
    write_reports(config)


def write_reports(config: pytest.Config) -> None:
    """Write the JSON, JUnit and Markdown reports the options ask for (first target).

    Example:
        >>> import tempfile
        >>> from types import SimpleNamespace
        >>> from contract_tests.clauses import clause_by_id
        >>> import json
        >>> from contract_tests.runner import ClauseResult
        >>> tmp = tempfile.TemporaryDirectory()
        >>> out = Path(tmp.name)
        >>> stash = pytest.Stash()
        >>> stash[RESULTS] = [("mock", ClauseResult(clause_by_id("CAPS-001"), "pass"))]
        >>> options = {"contract_json": str(out / "report.json"), "contract_markdown": str(out / "report.md")}
        >>> write_reports(SimpleNamespace(stash=stash, getoption=options.get))  # what it reads of a pytest.Config
        >>> sorted(path.name for path in out.iterdir())
        ['report.json', 'report.md']
        >>> json.loads((out / "report.json").read_text())["summary"]["pass"]
        1
        >>> (out / "report.md").read_text().splitlines()[0]
        '**executor-kit conformance (mock): 1/1 MUST pass, 0 SHOULD pass, 0 n/a, 0 inconclusive**'
        >>> tmp.cleanup()
    """
    reports = collect_reports(config)
    if not reports:
        return
    _write(config.getoption("contract_json"), reports[0].to_json())
    _write(config.getoption("contract_junit"), reports[0].to_junit())
    _write(config.getoption("contract_markdown"), reports[0].to_markdown())
