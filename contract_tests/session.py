"""The conformance session: what the pytest plugin does once a run asks for the kit.

``contract_tests.plugin`` (the ``pytest11`` entry point) stays cheap for every
pytest run; it imports this module only when ``--executor``, a report option,
a conformance test or a kit fixture is used. Here the executor under test is
resolved, the ledger of verdicts is kept, the harness is driven with signals
shielded during cleanup, and the clause table and reports are written.
"""

from __future__ import annotations

import contextlib
import dataclasses
import importlib.util
import signal
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from contract_tests.clause import in_profile
from contract_tests.clauses import CLAUSES, clause_by_id
from contract_tests.harness import Harness
from contract_tests.ledger import Ledger
from contract_tests.plugin import SUITE_MODULE
from contract_tests.report import Report
from contract_tests.runner import new_harness
from contract_tests.schedule import Schedule
from executor_kit.base import ContainerExecutor
from executor_kit.errors import ExecutorConfigurationError, ExecutorError
from executor_kit.probe import PROBE_IMAGE
from executor_kit.registry import load_config, resolve_executor

__all__ = [
    "SUITE_MODULE",
    "attach",
    "check_report_paths",
    "collect_reports",
    "configure",
    "configured_executor",
    "executor_for",
    "harness_for",
    "harness_session",
    "leave_out",
    "load_config",
    "missing_dependency",
    "signals_interrupt",
    "write_reports",
]

_EXECUTOR = pytest.StashKey[ContainerExecutor]()
_LEDGER = pytest.StashKey[Ledger]()
_REPORT_OPTIONS = ("contract_json", "contract_junit", "contract_markdown")


def configure(config: pytest.Config) -> None:
    """Set up a run given ``--executor`` or a report option: check the report paths, resolve the executor.

    Raises:
        pytest.UsageError: in one line, for an unwritable report path or an unusable target.
    """
    attach(config)
    try:
        check_report_paths([config.getoption(name, None) for name in _REPORT_OPTIONS])
    except ExecutorConfigurationError as exc:
        raise pytest.UsageError(str(exc)) from None
    target = config.getoption("executor", None)
    if not target:
        return
    try:
        config.stash[_EXECUTOR] = executor = resolve_executor(target, load_config(config.getoption("executor_config")))
        _prepare_probe(config, executor)
    except ExecutorError as exc:
        raise pytest.UsageError(f"--executor {target}: {exc}") from None
    config.args.append(SUITE_MODULE)


def attach(config: pytest.Config) -> Ledger:
    """The run's ledger of verdicts, registered with the session hooks on first use.

    Example:
        >>> config = pytest.Config.fromdictargs({}, [])
        >>> attach(config) is attach(config)
        True
    """
    ledger = config.stash.get(_LEDGER, None)
    if ledger is None:
        problem = missing_dependency()
        if problem:
            raise pytest.UsageError(problem)
        target, profile = config.getoption("executor", None) or "", config.getoption("contract_profile", "standard")
        config.stash[_LEDGER] = ledger = Ledger(target=target, profile=profile)
        config.pluginmanager.register(ledger, "executor-kit-ledger")
        config.pluginmanager.register(_SessionHooks(), "executor-kit-session")
    return ledger


def missing_dependency() -> str | None:
    """One line naming the extra to install when the suite's own dependency (Hypothesis) is missing.

    Hypothesis is not a hard dependency: its pytest plugin costs every pytest
    run of a project that merely installs the kit a large import.

    Example:
        >>> missing_dependency() is None  # the test environment has the extra
        True
    """
    try:
        found = importlib.util.find_spec("hypothesis") is not None
    except ValueError:  # ``sys.modules["hypothesis"] = None``: its import is blocked
        found = False
    return None if found else "the conformance suite needs Hypothesis: pip install 'executor-kit[conformance]'"


def _prepare_probe(config: pytest.Config, executor: ContainerExecutor) -> None:
    """Let the backend make the probe image runnable (Docker builds a missing one); once, on the controller."""
    if _is_worker(config):
        return
    note = executor.prepare_probe(config.getoption("probe_image", None) or PROBE_IMAGE)
    if note:
        print(f"executor-kit: {note}", file=sys.stderr)


class _SessionHooks:
    """The hooks of a conformance run: close the executor, print the clause table, write the reports."""

    def pytest_unconfigure(self, config: pytest.Config) -> None:
        executor = config.stash.get(_EXECUTOR, None)
        if executor is not None:
            executor.close()

    def pytest_terminal_summary(self, terminalreporter: Any, exitstatus: int, config: pytest.Config) -> None:
        if _is_worker(config):
            return
        colour = bool(getattr(terminalreporter, "hasmarkup", False)) and sys.stdout.isatty()
        for report in collect_reports(config):
            terminalreporter.write_line("")
            terminalreporter.write_line(report.table(colour=colour))
        write_reports(config)


def configured_executor(stash: pytest.Stash) -> ContainerExecutor:
    """The executor ``--executor`` named, as ``pytest_configure`` keeps it in the config's ``stash``.

    Raises:
        pytest.fail.Exception: (fails the test) when there is none.

    Example:
        >>> from executor_kit.backends.mock import MockExecutor
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


def executor_for(request: pytest.FixtureRequest) -> ContainerExecutor:
    """What the ``contract_executor`` fixture gives: the executor ``--executor`` named.

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


@contextlib.contextmanager
def signals_interrupt() -> Iterator[None]:
    """In the block, SIGINT and SIGTERM raise ``KeyboardInterrupt`` (main thread only); the handlers are restored after.

    Example:
        >>> with signals_interrupt():
        ...     signal.getsignal(signal.SIGTERM) is _raise_interrupt
        True
    """
    previous = _handle(_raise_interrupt)
    try:
        yield
    finally:
        _restore(previous)


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
        >>> from executor_kit.backends.mock import MockExecutor
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
    with signals_interrupt():
        try:
            yield harness
        finally:
            _shielded_close(harness)


def harness_for(request: pytest.FixtureRequest, contract_executor: ContainerExecutor) -> Iterator[Harness]:
    """What the ``contract_harness`` fixture gives: ``harness_session`` around the test class.

    The probe image is ``--probe-image``, else the class's ``probe_image``, else
    ``PROBE_IMAGE``.

    Example:
        >>> from executor_kit.backends.mock import MockExecutor
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
        _concurrency(harness, config.getoption("max_concurrency", None))
        harness.depth = config.getoption("contract_profile", "standard")
        harness.new_executor = _factory(request)
        _schedule(request, harness)
        yield harness


def leave_out(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Deselect the conformance tests of clauses the suite profile (``--contract-profile quick``) leaves out."""
    profile = config.getoption("contract_profile", "standard")
    out = [item for item in items if any(not in_profile(clause_by_id(m.args[0]), profile) for m in _clause_marks(item))]
    if out:
        config.hook.pytest_deselected(items=out)
        items[:] = [item for item in items if item not in out]


def _factory(request: pytest.FixtureRequest) -> Any:
    """How to make a second instance of the executor under test: ``--executor`` again, or the class's own.

    A ``ContractSuite`` subclass may define ``contract_executor_factory`` (a
    staticmethod or classmethod returning a new instance) for the clauses that
    need one (ids across instances, ``close()``).
    """
    config = request.config
    target = config.getoption("executor", None)
    if target:
        return lambda: resolve_executor(target, load_config(config.getoption("executor_config")))
    return getattr(request.cls, "contract_executor_factory", None)


def _schedule(request: pytest.FixtureRequest, harness: Harness) -> None:
    """Judge the class's selected clauses ahead, concurrently, on a real clock (see ``contract_tests.schedule``).

    Not on a virtual clock (verdicts stay deterministic), nor in a pytest-xdist
    worker (it cannot know which tests it will be given).
    """
    virtual = getattr(harness.executor.clock, "is_virtual", False)
    if virtual or _is_worker(request.config) or harness.profile.max_concurrency < 2:
        return
    ids = {
        marker.args[0]
        for item in request.session.items
        if getattr(item, "cls", None) is request.cls
        for marker in _clause_marks(item)
    }
    harness.schedule = Schedule(harness, [clause for clause in CLAUSES if clause.id in ids]).start()


def _clause_marks(item: pytest.Item) -> list[pytest.Mark]:
    return list(item.iter_markers("contract_clause"))


def _concurrency(harness: Harness, max_concurrency: int | None) -> None:
    if max_concurrency is not None:
        harness.profile = dataclasses.replace(harness.profile, max_concurrency=max_concurrency)


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
