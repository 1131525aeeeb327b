"""The pytest plugin, through pytester: the three ways in, bad input, inertness, reports.

The plugin is registered through the ``pytest11`` entry point of the installed
package, so every pytester session loads it (asserted below).
"""

from __future__ import annotations

import json
from xml.etree import ElementTree as ET

import pytest

from contract_tests import CLAUSES, evaluate
from executor_kit.backends.mock import MockExecutor

pytest_plugins = ["pytester"]


@pytest.fixture(scope="module", autouse=True)
def _hypothesis_imported_once() -> None:
    """Import everything the suite imports lazily (Hypothesis) in this process first.

    In-process pytester runs drop the modules they imported when they end; a
    Hypothesis imported afresh by the next run then meets objects of the old
    one (``isinstance`` fails inside Hypothesis). Importing it here keeps one copy.
    """
    evaluate(MockExecutor(), ["MODEL-001"])


N_CLAUSES = len(CLAUSES)

#: Executors for ``--executor=factories:...``, written into the pytester directory.
FACTORIES = """
from executor_kit.backends.mock import MockExecutor


class TimeoutAsFailed(MockExecutor):
    def harvest_job(self, job):
        done = super().harvest_job(job)
        if job.status == "timeout":
            job.status = "failed"
        return done


def timeout_as_failed(config):
    return TimeoutAsFailed(config)


def raises(config):
    raise RuntimeError("the factory blew up")


def not_an_executor(config):
    return {"not": "an executor"}


not_callable = 42
"""


@pytest.fixture
def factories(pytester: pytest.Pytester) -> pytest.Pytester:
    pytester.makepyfile(factories=FACTORIES)
    pytester.syspathinsert()
    return pytester


def run(pytester: pytest.Pytester, *args: str) -> pytest.RunResult:
    return pytester.runpytest("-p", "no:cacheprovider", *args)


def table_line(result: pytest.RunResult) -> str:
    return next((line for line in result.outlines if line.startswith("executor-kit conformance (")), "")


# -- (a) one subclass and one fixture -----------------------------------------


def test_a_subclass_and_a_fixture_run_the_whole_suite(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        test_mine="""
        import pytest
        from contract_tests import ContractSuite
        from executor_kit.backends.mock import MockExecutor

        class TestMyExecutor(ContractSuite):
            @pytest.fixture(scope="class")
            @classmethod
            def contract_executor(cls):
                return MockExecutor()
        """
    )
    result = run(pytester)
    result.assert_outcomes(passed=N_CLAUSES)
    assert result.ret == 0
    assert "executor-kit conformance: mock" in result.outlines
    assert table_line(result).startswith("executor-kit conformance (mock): ")


def test_a_subclass_without_an_executor_fails_with_a_clear_message(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        test_mine="""
        from contract_tests import ContractSuite

        class TestNothing(ContractSuite):
            pass
        """
    )
    result = run(pytester, "-k", "CAPS_001")
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(["*no executor to test: pass --executor=TARGET or define a contract_executor*"])


# -- (b) and (c): --executor with no code --------------------------------------


def test_executor_option_runs_the_suite_without_any_test_file(pytester: pytest.Pytester) -> None:
    result = run(pytester, "--executor=mock")
    result.assert_outcomes(passed=N_CLAUSES)
    assert result.ret == 0
    assert table_line(result) == (
        f"executor-kit conformance (mock): {sum(c.level.value == 'MUST' for c in CLAUSES)}/"
        f"{sum(c.level.value == 'MUST' for c in CLAUSES)} MUST pass, "
        f"{sum(c.level.value == 'SHOULD' for c in CLAUSES)} SHOULD pass, 0 n/a, 0 inconclusive"
    )


def test_executor_config_reaches_the_executor(pytester: pytest.Pytester) -> None:
    config = json.dumps({"capabilities": {"supports_resource_limits": False}})
    result = run(pytester, "--executor=mock", f"--executor-config={config}", "-k", "LIMITS")
    result.assert_outcomes(skipped=2)
    result.stdout.fnmatch_lines(["*LIMITS-001*n/a*", "*capability declared absent*"])


def test_executor_config_from_a_file(pytester: pytest.Pytester) -> None:
    path = pytester.makefile(".json", config='{"capabilities": {"supports_secrets": false}}')
    result = run(pytester, "--executor=mock", f"--executor-config={path}", "-k", "SECRETS_001")
    result.assert_outcomes(skipped=1)


def test_a_broken_executor_fails_naming_the_clause(factories: pytest.Pytester) -> None:
    result = run(factories, "--executor=factories:timeout_as_failed")
    result.assert_outcomes(passed=N_CLAUSES - 2, failed=2)  # TIMEOUT-002, and HARVEST-007 follows every ending
    assert result.ret == 1
    result.stdout.fnmatch_lines(
        [
            "[[]TIMEOUT-002[]] Harvesting a timed-out execution records job status 'timeout'.",
            "  observed: plain: harvest returned True with status 'failed', want True and 'timeout'",
            "  hint: Remember*",
            "    TIMEOUT-002  MUST   fail *",
            "FAILED *test_TIMEOUT_002*",
        ]
    )
    assert "Traceback" not in result.stdout.str(), "a clause failure shows the verdict, not a traceback"
    musts = sum(clause.level.value == "MUST" for clause in CLAUSES)
    assert table_line(result).startswith(f"executor-kit conformance (factories:timeout_as_failed): {musts - 2}/")


# -- (d) bad input: one line, non-zero exit, no traceback -----------------------

BAD_INPUT = [
    pytest.param(["--executor=no.such.module:thing"], "cannot import 'no.such.module:thing'", id="no-module"),
    pytest.param(["--executor=factories:missing"], "cannot import 'factories:missing'", id="no-attribute"),
    pytest.param(["--executor=nosuchname"], "unknown executor 'nosuchname'; known executors:", id="no-name"),
    pytest.param(["--executor=factories:raises"], "raised RuntimeError: the factory blew up", id="raises"),
    pytest.param(["--executor=factories:not_an_executor"], "returned dict, not a ContainerExecutor", id="dict"),
    pytest.param(["--executor=factories:not_callable"], "factories:not_callable", id="not-callable"),
    pytest.param(["--executor=mock", "--executor-config={nope"], "neither JSON nor a JSON file", id="not-json"),
    pytest.param(["--executor=mock", "--executor-config=[1, 2]"], "must be a JSON object, got list", id="list"),
    pytest.param(["--executor=mock", '--executor-config={"nope": 1}'], "'nope' is not a known setting", id="bad-key"),
]


@pytest.mark.parametrize(("args", "problem"), BAD_INPUT)
def test_bad_input_gives_one_clear_line(factories: pytest.Pytester, args: list[str], problem: str) -> None:
    result = run(factories, *args)
    assert result.ret not in (0, 1), f"exit {result.ret}"
    errors = [line for line in result.errlines if line.strip()]
    assert len(errors) == 1, f"want one line, got {errors}"
    target = args[0].split("=", 1)[1]
    assert errors[0].startswith(f"ERROR: --executor {target}: "), errors
    assert problem in errors[0], errors
    assert "Traceback" not in result.stdout.str() + result.stderr.str()


# -- (e) inert until asked ------------------------------------------------------


def test_the_plugin_is_loaded_through_the_entry_point(pytester: pytest.Pytester) -> None:
    config = pytester.parseconfigure()
    assert config.pluginmanager.hasplugin("executor_kit")


def test_the_plugin_is_inert_without_executor(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_plain="def test_one():\n    assert 1 + 1 == 2\n")
    result = run(pytester)
    result.assert_outcomes(passed=1)
    assert "executor-kit conformance" not in result.stdout.str()
    assert "TestContract" not in result.stdout.str()
    written = sorted(path.name for path in pytester.path.iterdir() if not path.name.startswith("."))
    assert written == ["test_plain.py"]


def test_a_plain_failure_is_reported_as_usual(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_plain="def test_one():\n    assert 1 + 1 == 3\n")
    result = run(pytester)
    result.assert_outcomes(failed=1)
    assert "executor-kit conformance" not in result.stdout.str()


# -- (f) the report files ---------------------------------------------------------


def _report_args(pytester: pytest.Pytester) -> list[str]:
    return [
        f"--contract-json={pytester.path / 'report.json'}",
        f"--contract-junit={pytester.path / 'report.xml'}",
        f"--contract-markdown={pytester.path / 'report.md'}",
    ]


def test_report_files_have_the_documented_shape(pytester: pytest.Pytester) -> None:
    result = run(pytester, "--executor=mock", *_report_args(pytester))
    assert result.ret == 0
    report = json.loads((pytester.path / "report.json").read_text(encoding="utf-8"))
    assert report["target"] == "mock"
    assert [clause["id"] for clause in report["clauses"]] == [clause.id for clause in CLAUSES]
    assert report["schema"] == "executor-kit-report/1" and report["exit_code"] == 0 and not report["partial"]
    assert report["started"] <= report["finished"] and report["kit_version"]
    for entry in report["clauses"]:
        assert {"id", "level", "verdict", "statement", "observed", "hint", "duration"} <= set(entry)
        assert entry["level"] in ("MUST", "SHOULD") and entry["verdict"] == "pass"
    assert report["summary"]["pass"] == N_CLAUSES and report["summary"]["fail"] == 0
    suite = ET.fromstring((pytester.path / "report.xml").read_text(encoding="utf-8")).find("testsuite")
    assert suite is not None and {"errors", "failures", "skipped", "tests", "time", "timestamp"} <= set(suite.attrib)
    assert [case.get("name") for case in suite.iter("testcase")] == [clause.id for clause in CLAUSES]
    assert suite.get("tests") == str(N_CLAUSES) and suite.get("failures") == "0"
    markdown = (pytester.path / "report.md").read_text(encoding="utf-8")
    assert "| Clause | Level | Verdict | Statement |" in markdown
    assert "| CAPS-001 | MUST | pass |" in markdown


def test_report_files_record_a_failure(factories: pytest.Pytester) -> None:
    target = "--executor=factories:timeout_as_failed"
    result = run(factories, target, "-k", "TIMEOUT", *_report_args(factories))
    assert result.ret == 1
    report = json.loads((factories.path / "report.json").read_text(encoding="utf-8"))
    assert report["target"] == "factories:timeout_as_failed"
    verdicts = {entry["id"]: (entry["verdict"], entry["observed"]) for entry in report["clauses"]}
    assert verdicts["TIMEOUT-001"] == ("pass", "")
    assert verdicts["TIMEOUT-002"][0] == "fail" and "want True and 'timeout'" in verdicts["TIMEOUT-002"][1]
    assert {verdict for key, (verdict, _) in verdicts.items() if "TIMEOUT" not in key} == {"not-run"}
    assert report["partial"] and report["exit_code"] == 1
    assert report["summary"]["fail"] == 1 and report["summary"]["must_failed"] == 1
    suite = ET.fromstring((factories.path / "report.xml").read_text(encoding="utf-8"))
    failed = [case.get("name") for case in suite.iter("testcase") if case.find("failure") is not None]
    assert failed == ["TIMEOUT-002"]
    assert "| TIMEOUT-002 | MUST | fail |" in (factories.path / "report.md").read_text(encoding="utf-8")


def test_na_is_reported_as_skipped_in_junit(pytester: pytest.Pytester) -> None:
    config = '{"capabilities": {"supports_resource_limits": false}}'
    args = ["--executor=mock", f"--executor-config={config}", "-k", "LIMITS", *_report_args(pytester)]
    assert run(pytester, *args).ret == 0
    report = json.loads((pytester.path / "report.json").read_text(encoding="utf-8"))
    verdicts = {entry["id"]: entry["verdict"] for entry in report["clauses"]}
    assert [verdicts[key] for key in verdicts if key.startswith("LIMITS")] == ["n/a", "n/a"]
    suite = ET.fromstring((pytester.path / "report.xml").read_text(encoding="utf-8")).find("testsuite")
    assert suite is not None and suite.get("skipped") == str(N_CLAUSES)  # 2 n/a, the rest deselected
