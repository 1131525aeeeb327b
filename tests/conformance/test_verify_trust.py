"""``executor-kit verify`` is honest or gives no verdict: every clause listed, never a pass it did not judge.

Each case runs the command as a user does (a real ``python -m executor_kit.cli``
process, from the repository root) against a hostile executor of
``tests.conformance.gallery.hostile`` or the mock.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Mapping
from pathlib import Path

import pytest

from contract_tests import CLAUSES, evaluate
from contract_tests.checks.inputs import SECRET_VALUE
from executor_kit.backends.mock import MockExecutor

ROOT = Path(__file__).resolve().parents[2]
HOSTILE = "tests.conformance.gallery.hostile"


def verify(*args: str, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "executor_kit.cli", "verify", *args]
    return subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=timeout, check=False)


def verdicts(path: Path) -> dict[str, tuple[str, str]]:
    report = json.loads(path.read_text(encoding="utf-8"))
    assert [entry["id"] for entry in report["clauses"]] == [clause.id for clause in CLAUSES]
    return {entry["id"]: (entry["verdict"], entry["observed"]) for entry in report["clauses"]}


@pytest.mark.parametrize(("name", "escape"), [("CancelsLaunch", "CancelledError"), ("ExitsOnLaunch", "SystemExit")])
def test_a_base_exception_from_the_executor_is_inconclusive_never_a_pass(
    tmp_path: Path, name: str, escape: str
) -> None:
    report = tmp_path / "r.json"
    result = verify(f"{HOSTILE}:{name}", "--json", str(report), "-k", "LAUNCH or CAPS")
    assert result.returncode == 2, result.stdout + result.stderr
    seen = verdicts(report)
    assert seen["LAUNCH-001"][0] == "inconclusive" and escape in seen["LAUNCH-001"][1]
    assert seen["CAPS-001"][0] == "pass"
    assert "MUST pass" in result.stdout and " 0 inconclusive" not in result.stdout


def test_a_hanging_call_makes_its_clause_inconclusive_and_the_run_goes_on(tmp_path: Path) -> None:
    report = tmp_path / "r.json"
    result = verify(
        f"{HOSTILE}:HangsOnStatus", "--json", str(report), "--clause-timeout", "2", "-k", "STATUS_002 or CAPS"
    )
    assert result.returncode == 2, result.stdout + result.stderr
    seen = verdicts(report)
    assert seen["STATUS-002"] == ("inconclusive", "not judged: no answer within 2 s (a hanging call?); the run went on")
    assert seen["CAPS-001"][0] == seen["CAPS-002"][0] == "pass"


def test_the_run_timeout_leaves_later_clauses_inconclusive(tmp_path: Path) -> None:
    report = tmp_path / "r.json"
    result = verify("mock", "--json", str(report), "--timeout", "0")
    assert result.returncode == 2, result.stdout + result.stderr
    assert {verdict for verdict, _ in verdicts(report).values()} == {"inconclusive"}


def test_a_secret_echoed_by_the_executor_reaches_no_report(tmp_path: Path) -> None:
    files = {kind: tmp_path / f"report.{kind}" for kind in ("json", "junit", "markdown")}
    options = [item for kind, path in files.items() for item in (f"--{kind}", str(path))]
    result = verify(f"{HOSTILE}:EchoesSecrets", *options, "-k", "SECRETS")
    assert result.returncode == 1, result.stdout + result.stderr
    assert verdicts(files["json"])["SECRETS-001"][0] == "fail"
    for text in [result.stdout, result.stderr, *(path.read_text(encoding="utf-8") for path in files.values())]:
        assert SECRET_VALUE not in text
    assert "***" in files["json"].read_text(encoding="utf-8")


@pytest.mark.parametrize("flag", ["--json", "--junit", "--markdown"])
def test_an_unwritable_report_path_stops_before_anything_runs(tmp_path: Path, flag: str) -> None:
    result = verify("mock", flag, str(tmp_path / "no-such-dir" / "report"))
    assert result.returncode == 2
    assert result.stdout == ""
    assert len(result.stderr.splitlines()) == 1 and "cannot write the report" in result.stderr, result.stderr


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM])
def test_a_signal_mid_run_exits_2_with_a_complete_report(tmp_path: Path, signum: int) -> None:
    report = tmp_path / "r.json"
    command = [sys.executable, "-m", "executor_kit.cli", "verify", f"{HOSTILE}:HangsOnStatus", "--json", str(report)]
    command += ["--clause-timeout", "10"]
    process = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        time.sleep(4)  # inside the first status call, which hangs (cleanup then waits for it: --clause-timeout)
        process.send_signal(signum)
        out, err = process.communicate(timeout=60)
    finally:
        process.kill()  # never an orphaned verify, whatever failed above
        process.wait()
    assert process.returncode == 2, out + err
    seen = verdicts(report)
    assert any(verdict == "inconclusive" and "interrupted" in why for verdict, why in seen.values()), seen
    assert "pass" not in {seen[c.id][0] for c in CLAUSES if c.id.startswith("STATUS")}


def test_xdist_reports_are_complete_and_agree_with_pytest(tmp_path: Path) -> None:
    pytest.importorskip("xdist")
    report = tmp_path / "r.json"
    argv = ["-p", "no:cacheprovider", "-n", "2", "--executor=tests.conformance.gallery.broken:MergedStreams"]
    command = [sys.executable, "-m", "pytest", *argv, "--contract-json", str(report)]
    env = {**os.environ, "PYTHONPATH": str(ROOT)}  # an empty project directory: only the suite is collected
    result = subprocess.run(command, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300, check=False)
    seen = verdicts(report)
    assert result.returncode == 1, result.stdout + result.stderr
    assert seen["LOGS-001"][0] == "fail"
    assert "not-run" not in {verdict for verdict, _ in seen.values()}
    assert "inconclusive" not in {verdict for verdict, _ in seen.values()}
    assert "executor-kit conformance (tests.conformance.gallery.broken:MergedStreams)" in result.stdout


def test_a_status_outside_the_vocabulary_is_named_in_the_failure(tmp_path: Path) -> None:
    report = tmp_path / "r.json"
    result = verify(f"{HOSTILE}:QueuedForever", "--json", str(report), "-k", "HARVEST_001")
    assert result.returncode == 1, result.stdout + result.stderr  # a failure outranks the partial run
    verdict, observed = verdicts(report)["HARVEST-001"]
    assert verdict == "fail"
    assert "last statuses ['queued', 'queued', 'queued']" in observed, observed
    assert "'queued' is not a status word of the contract" in observed, observed


def test_every_failing_sub_case_of_a_clause_is_reported(tmp_path: Path) -> None:
    report = tmp_path / "r.json"
    result = verify(f"{HOSTILE}:SloppyValidation", "--json", str(report), "-k", "LAUNCH_005")
    verdict, observed = verdicts(report)["LAUNCH-005"]
    assert verdict == "fail", result.stdout + result.stderr
    assert "a str command: raised TypeError: can only join an iterable" in observed, observed
    assert "a negative memory limit: accepted and launched as 'mock-" in observed, observed
    assert "an empty image" not in observed


class _CannotFind(MockExecutor):
    """A backend that cannot list: ``find_executions`` returns None, as the base class does."""

    def find_executions(self, labels: Mapping[str, str]) -> list[str] | None:  # type: ignore[override]
        return None


class _FindsSometimes(MockExecutor):
    """Lists, except when asked for a label no execution has: then None instead of []."""

    def find_executions(self, labels: Mapping[str, str]) -> list[str] | None:  # type: ignore[override]
        return None if "kit-absent" in labels else super().find_executions(labels)


def test_find_is_not_applicable_when_the_executor_cannot_list() -> None:
    (result,) = evaluate(_CannotFind(), ["FIND-001"])
    assert result.verdict == "n/a" and "find_executions returns None" in result.observed, result


def test_find_answering_none_to_some_queries_only_fails() -> None:
    (result,) = evaluate(_FindsSometimes(), ["FIND-001"])
    assert result.verdict == "fail" and "a label it lacks" in result.observed, result
