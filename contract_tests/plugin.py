"""The pytest plugin (entry point ``pytest11``): inert, and cheap, until asked.

Installing the kit must not slow down an unrelated project's pytest runs, so
this module imports only pytest and the standard library. It adds the
``--executor``, ``--executor-config``, ``--probe-image``,
``--contract-json/-junit/-markdown`` and time-limit options and the
``contract_executor``, ``contract_harness`` and ``mock_executor`` fixtures;
the kit itself (``contract_tests.session``) is imported only when
``--executor`` or a report option is given, a conformance test is collected
(a ``ContractSuite`` subclass), or a kit fixture is used.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from contract_tests.harness import Harness
    from executor_kit.backends.mock import MockExecutor
    from executor_kit.base import ContainerExecutor

__all__ = ["SUITE_MODULE", "contract_executor", "contract_harness", "mock_executor"]


#: The module ``--executor`` adds to the collection.
SUITE_MODULE = str(Path(__file__).with_name("executor_suite.py"))

#: A conformance test's node id ends like this (``ContractSuite`` names its tests by clause).
_CLAUSE_TEST = re.compile(r"::test_[A-Z]+_\d{3}$")
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
    group.addoption("--probe-image", default=None, help="the probe image (default: the kit's probe image)")
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
        "--contract-profile",
        choices=("quick", "standard", "full"),
        default="standard",
        help="quick: one clause per family (a smoke test); standard: every clause; full: deeper generated inputs",
    )
    group.addoption(
        "--max-concurrency",
        type=int,
        default=None,
        metavar="N",
        help="at most N clauses (and shared workloads) at once on a real backend (default: the time profile's, 32)",
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
    if config.getoption("executor", None) or any(config.getoption(name, None) for name in _REPORT_OPTIONS):
        from contract_tests import session

        session.configure(config)


def _asks_for_the_kit(nodeids: list[str]) -> bool:
    """Whether any collected test is a conformance test.

    Example:
        >>> _asks_for_the_kit(["t.py::TestMine::test_LOGS_001"]), _asks_for_the_kit(["t.py::test_x"])
        (True, False)
    """
    return any(_CLAUSE_TEST.search(nodeid) for nodeid in nodeids)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if _asks_for_the_kit([item.nodeid for item in items]):
        from contract_tests import session

        session.attach(config)
        session.leave_out(config, items)


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_node_collection_finished(node: Any, ids: list[str]) -> None:
    # The xdist controller collects nothing itself; its workers' collections say whether the kit is needed.
    if _asks_for_the_kit(ids):
        from contract_tests import session

        session.attach(node.config).select(ids)  # the ledger may be new: it missed this call


@pytest.fixture(scope="class")
def contract_executor(request: pytest.FixtureRequest) -> ContainerExecutor:
    """The executor under test: from ``--executor``; override it to plug yours in.

    It is ``contract_tests.session.executor_for(request)``.

    Example:
        >>> from contract_tests.session import _EXECUTOR, configured_executor
        >>> from executor_kit.registry import resolve_executor
        >>> stash = pytest.Stash()
        >>> stash[_EXECUTOR] = resolve_executor("mock", {})  # as after pytest --executor=mock
        >>> configured_executor(stash).name
        'mock'
    """
    from contract_tests import session

    return session.executor_for(request)


@pytest.fixture(scope="class")
def contract_harness(request: pytest.FixtureRequest, contract_executor: ContainerExecutor) -> Iterator[Harness]:
    """The harness the conformance tests drive: ``harness_session`` around the test class.

    The probe image is ``--probe-image``, else the class's ``probe_image``, else
    ``PROBE_IMAGE``. Everything it launched is cleaned up at the end of the class.

    Example:
        >>> from contract_tests.session import harness_session
        >>> from executor_kit.backends.mock import MockExecutor
        >>> executor = MockExecutor()
        >>> with harness_session(executor, probe_image="registry.local/probe:1") as harness:
        ...     job, eid = harness.start(Probe().sleep(60))
        ...     job.image, executor.live_executions() == [eid]
        ('registry.local/probe:1', True)
        >>> executor.live_executions()  # teardown cleaned up
        []
    """
    from contract_tests import session

    yield from session.harness_for(request, contract_executor)


@pytest.fixture
def mock_executor(request: pytest.FixtureRequest) -> Iterator[MockExecutor]:
    """A new ``MockExecutor`` on its own virtual clock, checked at teardown if asked.

    The config is the indirect parameter (``request.param``), if any; set-up and
    teardown are ``executor_kit.backends.mock.fixture.checked_mock_executor``'s.

    Example:
        >>> from executor_kit.backends.mock.fixture import checked_mock_executor
        >>> with checked_mock_executor() as executor:  # what a test without a parameter receives
        ...     executor.launch_job(ContainerJob(image="busybox"))
        (True, 'mock-1')
    """
    from executor_kit.backends.mock.fixture import checked_mock_executor

    with checked_mock_executor(getattr(request, "param", None)) as executor:
        yield executor
