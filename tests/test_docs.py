"""The docs' runnable snippets run, so they cannot rot."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def _python_blocks(path: Path) -> list[str]:
    return re.findall(r"```python\n(.*?)```", path.read_text(encoding="utf-8"), flags=re.DOTALL)


def test_readme_mock_example_passes_as_a_test(pytester: pytest.Pytester) -> None:
    readme = _python_blocks(ROOT / "README.md")
    blocks = [block for block in readme if "def test_" in block and "mock_executor" in block]
    assert len(blocks) == 1
    pytester.makepyfile(test_readme=blocks[0])
    pytester.runpytest_subprocess("-p", "no:cacheprovider").assert_outcomes(passed=1)


def test_readme_quick_start_is_what_ci_runs() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert "pip install '.[conformance]' && executor-kit verify" in readme
    assert "grep -m1 -- '# the whole test suite' README.md" in ci
    assert re.search(r"^pip install -e '\.\[dev\]' && python -m pytest +# the whole test suite$", readme, re.M)


def test_mock_cookbook_snippets_run() -> None:
    from executor_kit import ContainerJob, MockExecutor, get_executor
    from executor_kit.errors import ExecutorConnectionError, ExecutorResourceError
    from executor_kit.mock import Outcome

    namespace = {
        "MockExecutor": MockExecutor,
        "get_executor": get_executor,
        "Outcome": Outcome,
        "ExecutorConnectionError": ExecutorConnectionError,
        "ExecutorResourceError": ExecutorResourceError,
        "mock": MockExecutor(),
        "job": ContainerJob(image="etl:1", command=["run"]),
    }
    runnable = [block for block in _python_blocks(ROOT / "docs" / "mock.md") if "def test_" not in block]
    assert len(runnable) >= 5
    for block in runnable:
        exec(compile(block, "docs/mock.md", "exec"), namespace)
