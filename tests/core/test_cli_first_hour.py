"""The command line a new user meets: --version, a safe ``reap``, a clean working directory, readable tables."""

from __future__ import annotations

import io
import json
import os
import re
import subprocess
import sys
from importlib import metadata
from pathlib import Path

import pytest

from contract_tests.clauses import CLAUSES, clause_by_id
from contract_tests.live import LiveProgress
from contract_tests.report import Report
from contract_tests.runner import ClauseResult
from executor_kit.backends.mock import MockExecutor
from executor_kit.cli import main
from executor_kit.registry import register_executor, unregister_executor

ROOT = Path(__file__).resolve().parents[2]


def _cli(*args: str, cwd: Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    environment = {key: value for key, value in os.environ.items() if not key.startswith(("HYPOTHESIS", "PYTEST"))}
    environment["PYTHONPATH"] = str(ROOT)
    return subprocess.run(
        [sys.executable, "-m", "executor_kit.cli", *args],
        cwd=cwd,
        env={**environment, **(env or {})},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["--version"])
    assert exited.value.code == 0
    assert capsys.readouterr().out.strip() == f"executor-kit {metadata.version('executor-kit')}"


# -- reap -------------------------------------------------------------------------------------------------------

_SHARED = MockExecutor()


@pytest.fixture
def shared_mock() -> object:
    """A mock registered under a name, with executions of two runs, as an engine shared by two CI runs is."""
    from executor_kit import ContainerJob

    for execution_id in _SHARED.live_executions():
        _SHARED.cleanup(execution_id)
    ids = {}
    for run in ("mine", "next-door"):
        ok, ids[run] = _SHARED.launch_job(ContainerJob(image="x", labels={"executor-kit-run": run}))
        assert ok
    register_executor("shared-mock", lambda config: _SHARED, replace=True)
    yield ids
    unregister_executor("shared-mock")


def test_reap_without_a_selection_removes_nothing(
    shared_mock: dict[str, str], capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["reap", "--backend", "shared-mock"]) == 0
    out, err = capsys.readouterr()
    assert sorted(out.splitlines()) == sorted(f"would remove {eid}" for eid in shared_mock.values())
    assert "nothing removed; pass --run-label RUN (repeatable) or --all" in err
    assert sorted(_SHARED.live_executions()) == sorted(shared_mock.values())


def test_reap_a_run_label_removes_only_that_run(
    shared_mock: dict[str, str], capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["reap", "--backend", "shared-mock", "--run-label", "mine"]) == 0
    assert capsys.readouterr().out.splitlines() == [f"removed {shared_mock['mine']}"]
    assert _SHARED.live_executions() == [shared_mock["next-door"]]


def test_reap_all_removes_every_run(shared_mock: dict[str, str], capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["reap", "--backend", "shared-mock", "--all", "--dry-run"]) == 0
    assert len(_SHARED.live_executions()) == 2
    assert main(["reap", "--backend", "shared-mock", "--all"]) == 0
    assert _SHARED.live_executions() == []
    assert capsys.readouterr().out.count("removed ") == 2


def test_reap_all_and_a_run_label_exclude_each_other(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["reap", "--backend", "mock", "--all", "--run-label", "r"])
    assert exited.value.code == 2
    assert "not allowed with argument" in capsys.readouterr().err


# -- verify -----------------------------------------------------------------------------------------------------


def test_verify_leaves_nothing_in_its_working_directory(tmp_path: Path) -> None:
    done = _cli("verify", "-k", "MODEL or CAPS", cwd=tmp_path)
    assert "MODEL-001    SHOULD pass" in done.stdout, done.stdout + done.stderr
    assert sorted(path.name for path in tmp_path.iterdir()) == []


def test_a_missing_config_file_says_file_not_found(tmp_path: Path) -> None:
    done = _cli("verify", "--config", "settings.json", cwd=tmp_path)
    assert done.returncode == 2
    assert done.stderr.strip() == (
        "executor-kit verify: the executor config file settings.json was not found "
        "(give a JSON object or the path of a JSON file)"
    )


def test_a_config_file_that_is_not_json_says_so(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "settings.json").write_text("seed: 3\n")
    assert main(["reap", "--backend", "mock", "--config", str(tmp_path / "settings.json")]) == 2
    assert f"the executor config file {tmp_path / 'settings.json'} is not valid JSON" in capsys.readouterr().err


def test_a_config_file_is_read(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "settings.json").write_text(json.dumps({"seed": 3}))
    assert main(["reap", "--backend", "mock", "--all", "--config", str(tmp_path / "settings.json")]) == 0
    assert capsys.readouterr().out == "nothing to reap on mock\n"


# -- the terminal table -----------------------------------------------------------------------------------------


def _failing_report() -> Report:
    stub = "raised NotImplementedError: launch_job is not implemented yet: " + "see-the-stub-docstring; " * 8
    results = [ClauseResult(clause, "fail", stub) for clause in CLAUSES[:30]]
    return Report("demo", results)


def test_long_statements_wrap_to_the_width_instead_of_being_cut() -> None:
    statement = clause_by_id("HARVEST-001").statement
    assert len(statement) > 70
    for width in (60, 100, 200):
        table = Report("x", [ClauseResult(clause_by_id("HARVEST-001"), "pass")]).table(width=width)
        rows = table.splitlines()[2:-1]
        assert all(len(line) <= width for line in rows), (width, rows)
        assert " ".join(line.strip() for line in rows).endswith(statement)


def test_columns_sets_the_width(monkeypatch: pytest.MonkeyPatch) -> None:
    report = Report("x", [ClauseResult(clause_by_id("HARVEST-001"), "pass")])
    monkeypatch.setenv("COLUMNS", "200")
    assert len(report.table().splitlines()) == 4
    monkeypatch.setenv("COLUMNS", "60")
    assert len(report.table().splitlines()) > 4


def test_no_color_wins_over_colour(monkeypatch: pytest.MonkeyPatch) -> None:
    report = Report("x", [ClauseResult(clause_by_id("CAPS-001"), "pass")])
    assert "\033[" in report.table(colour=True)
    monkeypatch.setenv("NO_COLOR", "1")
    assert "\033[" not in report.table(colour=True)


def test_a_repeated_observation_is_shown_once() -> None:
    table = _failing_report().table(width=100)
    first = CLAUSES[0].id
    assert table.count("see-the-stub-docstring") == 8
    assert table.count(f"observed: same as {first}") == 29
    assert len(table.splitlines()) < 160
    for clause in CLAUSES[:30]:
        assert f"hint: {clause.hint.split()[0]}" in table


def test_the_cli_table_honours_columns_and_no_color(tmp_path: Path) -> None:
    done = _cli("verify", "-k", "HARVEST", cwd=tmp_path, env={"COLUMNS": "72", "NO_COLOR": "1"})
    rows = [line for line in done.stdout.splitlines() if line.startswith("    ")]
    assert rows, done.stdout
    assert all(len(line) <= 72 for line in rows), rows
    assert "\033[" not in done.stdout
    assert "completed_at and status 'completed' for exit code 0." in " ".join(line.strip() for line in rows)


# -- the live line ----------------------------------------------------------------------------------------------


def _clause_run(live: LiveProgress, nodeid: str, seconds: float) -> None:
    import time

    live.pytest_runtest_logstart(nodeid, ("", 0, ""))
    time.sleep(seconds)
    live.pytest_runtest_logfinish(nodeid, ("", 0, ""))


def test_the_live_line_shows_a_slow_clause_with_its_time_on_a_terminal() -> None:
    out = io.StringIO()
    live = LiveProgress(out, tty=True, after=0.1, every=0.05)
    _clause_run(live, "s.py::T::test_LOGS_002", 0.4)
    _clause_run(live, "s.py::T::test_LOGS_003", 0.0)
    text = out.getvalue()
    assert "\r\033[K  LOGS-002 running, 0 s" in text
    assert re.search(r"\r\033\[K  LOGS-002 took 0\.\d s\n$", text), text
    assert "LOGS-003" not in text  # a fast clause shows nothing


SLOW_BACKEND = """
import time
from executor_kit import MockExecutor


class Slow(MockExecutor):
    def get_capabilities(self):
        time.sleep(0.9)  # CAPS-002 asks twice or more: well over 1.5 s
        return super().get_capabilities()
"""


def test_verify_prints_a_line_for_a_slow_clause(tmp_path: Path) -> None:
    (tmp_path / "slow_backend.py").write_text(SLOW_BACKEND)
    done = _cli(
        "verify", "slow_backend:Slow", "-k", "CAPS or LOGS_008", cwd=tmp_path, env={"PYTHONPATH": f"{tmp_path}:{ROOT}"}
    )
    assert re.search(r"^  CAPS-002 took \d+\.\d s$", done.stderr, re.MULTILINE), done.stderr
    assert "running" not in done.stderr  # the refreshed live line is for terminals only


def test_off_a_terminal_only_slow_clauses_get_a_line() -> None:
    out = io.StringIO()
    live = LiveProgress(out, tty=False, after=0.1, every=0.05)
    _clause_run(live, "s.py::T::test_TIMEOUT_001", 0.2)
    _clause_run(live, "s.py::T::test_CAPS_001", 0.0)
    assert re.fullmatch(r"\n  TIMEOUT-001 took 0\.\d s\n", out.getvalue())


# -- the generators ---------------------------------------------------------------------------------------------


def test_matrix_has_help(capsys: pytest.CaptureFixture[str]) -> None:
    from contract_tests.matrix import main as matrix

    with pytest.raises(SystemExit) as exited:
        matrix(["--help"])
    assert exited.value.code == 0
    assert "usage: python -m contract_tests.matrix" in capsys.readouterr().out


def test_matrix_shows_a_dash_for_a_key_a_backend_does_not_declare() -> None:
    from contract_tests.matrix import render_matrix

    table = render_matrix(
        [
            ("a", {"supports_secrets": True, "separates_output_streams": False}, Report("a", [])),
            ("b", {"supports_secrets": False}, Report("b", [])),
        ]
    )
    assert "| separates_output_streams | no | — |" in table
    assert "| supports_secrets | yes | no |" in table


def test_docs_check_fails_on_a_stale_file_and_write_fixes_it(tmp_path: Path) -> None:
    from contract_tests.docs import main as docs

    stale = tmp_path / "contract.md"
    stale.write_text("# old\n")
    assert docs(["--check", "--output", str(stale)]) == 1
    assert stale.read_text() == "# old\n"
    assert docs(["--output", str(stale)]) == 0
    assert docs(["--check", "--output", str(stale)]) == 0
