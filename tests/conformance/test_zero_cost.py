"""Installing the kit costs an unrelated pytest run nothing; the suite names its missing extra in one line.

The timing itself is a benchmark (``benchmarks/bench_plugin_cost.py``); here the
behaviour behind it: the plugin loads, and nothing of the kit (nor Hypothesis)
is imported, until a run asks for the kit.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

_RECORDER = """
import json, sys

def pytest_sessionfinish(session):
    heavy = sorted(m for m in sys.modules if m.split(".")[0] in ("executor_kit", "hypothesis") or m in (
        "contract_tests.session", "contract_tests.harness", "contract_tests.runner"))
    plugins = [name for name, _ in session.config.pluginmanager.list_name_plugin()]
    with open("modules.json", "w") as out:
        json.dump({"heavy": heavy, "plugins": plugins}, out)
"""


def _pytest(project: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    command = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "no:hypothesispytest", *args]
    return subprocess.run(command, cwd=project, env=env, capture_output=True, text=True, timeout=300, check=False)


def _project(tmp_path: Path, tests: str) -> Path:
    (tmp_path / "pytest.ini").write_text("[pytest]\n", encoding="utf-8")
    (tmp_path / "conftest.py").write_text(_RECORDER, encoding="utf-8")
    (tmp_path / "test_app.py").write_text(tests, encoding="utf-8")
    return tmp_path


def test_an_unrelated_run_imports_nothing_of_the_kit(tmp_path: Path) -> None:
    project = _project(tmp_path, "".join(f"def test_{i}():\n    assert {i} == {i}\n" for i in range(50)))
    result = _pytest(project)
    assert result.returncode == 0, result.stdout + result.stderr
    seen = json.loads((project / "modules.json").read_text(encoding="utf-8"))
    assert "executor_kit" in seen["plugins"]  # the plugin is loaded ...
    assert seen["heavy"] == []  # ... and inert


def test_the_mock_fixture_imports_the_mock_but_not_the_suite(tmp_path: Path) -> None:
    tests = "def test_mock(mock_executor):\n    assert mock_executor.name == 'mock'\n"
    result = _pytest(_project(tmp_path, tests))
    assert result.returncode == 0, result.stdout + result.stderr
    heavy = json.loads((tmp_path / "modules.json").read_text(encoding="utf-8"))["heavy"]
    assert "executor_kit.backends.mock" in heavy
    assert not [m for m in heavy if m.startswith(("hypothesis", "contract_tests"))], heavy


def test_verify_without_hypothesis_names_the_extra_in_one_line() -> None:
    code = "import sys; sys.modules['hypothesis'] = None; from executor_kit.cli import main; sys.exit(main(['verify']))"
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert result.returncode == 2
    assert result.stdout == ""
    assert result.stderr == (
        "executor-kit verify: the conformance suite needs Hypothesis: pip install 'executor-kit[conformance]'\n"
    )


def test_a_contract_suite_without_hypothesis_is_a_usage_error_naming_the_extra(tmp_path: Path) -> None:
    tests = (
        "import sys\nsys.modules['hypothesis'] = None\n"
        "import pytest\nfrom contract_tests import ContractSuite\nfrom executor_kit import MockExecutor\n\n"
        "class TestMine(ContractSuite):\n"
        "    @pytest.fixture(scope='class')\n    @classmethod\n"
        "    def contract_executor(cls):\n        return MockExecutor()\n"
    )
    result = _pytest(_project(tmp_path, tests))
    assert result.returncode == 4, result.stdout + result.stderr  # pytest's usage error
    assert "pip install 'executor-kit[conformance]'" in result.stderr
