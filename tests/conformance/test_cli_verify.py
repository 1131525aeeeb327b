"""``executor-kit verify``: the clause table, exit codes, bad targets, report files.

Most runs are in-process (``executor_kit.cli.main``); two go through a real
``python -m executor_kit.cli`` process to check the exit status and stderr a
shell sees. Gallery executors are named as ``tests.conformance.gallery.broken:Class``,
importable with the repository root as the working directory.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path
from xml.etree import ElementTree as ET

import pytest

from contract_tests import CLAUSES
from executor_kit.cli import main

ROOT = Path(__file__).resolve().parents[2]
GALLERY = "tests.conformance.gallery.broken"
MUSTS = sum(clause.level.value == "MUST" for clause in CLAUSES)
SHOULDS = len(CLAUSES) - MUSTS


@pytest.fixture(autouse=True)
def _at_the_root(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)


def verify(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(["verify", *args])
    out, err = capsys.readouterr()
    return code, out, err


def row(out: str, clause_id: str) -> str:
    return next((line for line in out.splitlines() if line.startswith(f"    {clause_id} ")), "")


def test_verify_defaults_to_mock_and_prints_the_table(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = verify(capsys)
    assert code == 0, out
    assert "executor-kit conformance: mock" in out
    for clause in CLAUSES:
        assert re.match(rf"    {clause.id} +{clause.level.value} +pass ", row(out, clause.id)), clause.id
    assert f"executor-kit conformance (mock): {MUSTS}/{MUSTS} MUST pass, {SHOULDS} SHOULD pass" in out


BROKEN_TARGETS = [
    ("IdFromJob", "LAUNCH-002"),
    ("MergedStreams", "LOGS-001"),
    ("IgnoresTimeout", "TIMEOUT-001"),
    ("SoftDelete", "LEAKS-001"),
]


@pytest.mark.parametrize(("name", "clause_id"), BROKEN_TARGETS)
def test_verify_a_broken_executor_exits_1_naming_the_clause(
    capsys: pytest.CaptureFixture[str], name: str, clause_id: str
) -> None:
    code, out, _ = verify(capsys, f"{GALLERY}:{name}")
    assert code == 1, out
    assert re.match(rf"    {clause_id} +MUST +fail ", row(out, clause_id)), out
    assert f"[{clause_id}]" in out
    assert f"executor-kit conformance ({GALLERY}:{name}): " in out


def test_a_failing_should_clause_is_shown_but_does_not_fail_verify(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = verify(capsys, f"{GALLERY}:BatchSkipsUnknown")
    assert code == 0, out
    assert re.match(r"    STATUS-007 +SHOULD +fail ", row(out, "STATUS-007")), out
    assert f"{MUSTS}/{MUSTS} MUST pass, {SHOULDS - 1} SHOULD pass" in out


def test_verify_selects_clauses_with_k(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = verify(capsys, f"{GALLERY}:MergedStreams", "-k", "CAPS")
    assert code == 2, out  # a partial run is no pass
    assert [clause.id for clause in CLAUSES if " pass " in row(out, clause.id)] == ["CAPS-001", "CAPS-002"]
    assert all(" not-run " in row(out, c.id) for c in CLAUSES if c.family != "CAPS")
    assert f"{len(CLAUSES) - 2} not run (partial run)" in out


@pytest.mark.parametrize(
    ("args", "problem"),
    [
        (["no.such.module:thing"], "cannot import 'no.such.module:thing'"),
        (["nosuchname"], "unknown executor 'nosuchname'; known executors:"),
        (["builtins:dict"], "builtins:dict returned dict, not a ContainerExecutor"),
        ([f"{GALLERY}:GALLERY"], "raised TypeError: 'tuple' object is not callable"),
        (["mock", "--config", "{nope"], "neither JSON nor a JSON file"),
        (["mock", "--config", '{"nope": 1}'], "'nope' is not a known setting"),
    ],
)
def test_a_bad_target_gives_one_line_and_exit_2(
    capsys: pytest.CaptureFixture[str], args: list[str], problem: str
) -> None:
    code, out, err = verify(capsys, *args)
    assert code == 2
    assert out == ""
    assert len(err.splitlines()) == 1 and err.startswith("executor-kit verify: "), err
    assert problem in err, err


def test_verify_writes_json_junit_and_markdown(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    files = {kind: tmp_path / f"report.{kind}" for kind in ("json", "junit", "markdown")}
    options = [item for kind, path in files.items() for item in (f"--{kind}", str(path))]
    code, _, _ = verify(capsys, f"{GALLERY}:MergedStreams", "-k", "LOGS", *options)
    assert code == 1
    report = json.loads(files["json"].read_text(encoding="utf-8"))
    assert set(report) >= {"target", "clauses", "summary"}
    assert report["target"] == f"{GALLERY}:MergedStreams"
    for entry in report["clauses"]:
        assert {"id", "level", "verdict", "observed", "hint"} <= set(entry)
        assert entry["verdict"] in ("pass", "fail", "n/a", "inconclusive", "not-run")
    assert [entry["id"] for entry in report["clauses"]] == [clause.id for clause in CLAUSES]
    verdicts = {entry["id"]: entry["verdict"] for entry in report["clauses"] if entry["verdict"] != "not-run"}
    assert set(verdicts) == {clause.id for clause in CLAUSES if clause.family == "LOGS"}
    assert verdicts["LOGS-001"] == "fail"
    assert report["summary"]["fail"] == sum(verdict == "fail" for verdict in verdicts.values())
    suite = ET.fromstring(files["junit"].read_text(encoding="utf-8"))
    cases = {case.get("name"): case for case in suite.iter("testcase")}
    assert set(cases) == {clause.id for clause in CLAUSES}
    assert cases["LOGS-001"].find("failure") is not None and cases["LOGS-008"].find("failure") is None
    markdown = files["markdown"].read_text(encoding="utf-8")
    assert "| LOGS-001 | MUST | fail |" in markdown and "| LOGS-008 | MUST | pass |" in markdown


# -- through a real process ----------------------------------------------------------


def cli(*args: str) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "executor_kit.cli", "verify", *args]
    return subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=120, check=False)


def test_the_command_exits_1_for_a_broken_executor() -> None:
    result = cli(f"{GALLERY}:MergedStreams", "-k", "LOGS_001 or CAPS")
    assert result.returncode == 1, result.stdout + result.stderr
    assert re.search(r"^    LOGS-001 +MUST +fail ", result.stdout, re.MULTILINE), result.stdout
    assert "[LOGS-001]" in result.stdout


def test_the_command_gives_one_line_for_a_bad_target() -> None:
    result = cli("no.such.module:thing")
    assert result.returncode == 2
    assert result.stdout == ""
    assert result.stderr.count("\n") == 1 and "Traceback" not in result.stderr, result.stderr
    assert result.stderr.startswith("executor-kit verify: cannot import 'no.such.module:thing'")
