"""Every code block in README.md and docs/*.md runs as written, so the docs cannot rot.

The convention (also in README.md, "Docs that run"):

* every fenced block names its language; ``text`` blocks are shown, not run;
* a ``python`` block runs alone, in a fresh namespace, in an empty temporary
  directory: it must carry its own imports. A block that defines ``test_``
  functions or subclasses ``ContractSuite`` is a pytest module and must pass;
* a ``json`` block must parse; ``bash``/``sh`` blocks run with ``bash -euo pipefail``
  in that directory, with this environment's scripts first on ``PATH``;
* an HTML comment right before a block changes that:
  ``<!-- docs-test: docker -->`` (runs only with a Docker engine, like the
  ``docker`` tests), ``<!-- docs-test: file NAME -->`` (the block is also written
  to ``NAME`` for the later blocks of the same page), and
  ``<!-- docs-test: skip REASON -->`` (not run; the reason is required: use it
  sparingly).

The README's placeholders for "your" executor (``my_package.MyExecutor``,
``my_package.module:factory``) are provided by a small ``my_package`` written
next to the block: a ``MockExecutor`` that accepts any config.
"""

from __future__ import annotations

import dataclasses
import json
import os
import re
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
LANGUAGES = {"python", "bash", "sh", "json", "text"}

_BLOCK = re.compile(
    r"(?:^<!--\s*docs-test:\s*(?P<directive>[^>]*?)\s*-->\n)?^```(?P<lang>[\w-]*)\n(?P<body>.*?)^```\s*$",
    re.DOTALL | re.MULTILINE,
)

MY_PACKAGE = '''
from executor_kit import MockExecutor


class MyExecutor(MockExecutor):
    """A stand-in for the reader's executor: any config is accepted (and ignored)."""

    def __init__(self, config=None, **kwargs):
        super().__init__(**kwargs)
'''
MY_MODULE = """
from my_package import MyExecutor


def factory(config):
    return MyExecutor(config)
"""


@dataclasses.dataclass(frozen=True)
class Block:
    page: Path
    line: int
    lang: str
    directive: str
    body: str

    @property
    def id(self) -> str:
        return f"{self.page.relative_to(ROOT)}:{self.line}"

    @property
    def skip_reason(self) -> str | None:
        return self.directive[len("skip") :].strip() if self.directive.startswith("skip") else None

    @property
    def file_name(self) -> str | None:
        return self.directive[len("file") :].strip() if self.directive.startswith("file ") else None

    @property
    def is_pytest_module(self) -> bool:
        return bool(re.search(r"^def test_|^class Test\w*\(ContractSuite\)", self.body, re.MULTILINE))


def _blocks(page: Path) -> list[Block]:
    text = page.read_text(encoding="utf-8")
    return [
        Block(page, text.count("\n", 0, match.start("body")), match["lang"], match["directive"] or "", match["body"])
        for match in _BLOCK.finditer(text)
    ]


BLOCKS = [block for page in PAGES for block in _blocks(page)]
RUNNABLE = [block for block in BLOCKS if block.lang != "text"]


def _param(block: Block) -> object:
    marks = [pytest.mark.docker] if block.directive == "docker" else []
    return pytest.param(block, id=block.id, marks=marks)


def _prepare(block: Block, where: Path) -> None:
    """The page's earlier ``file`` blocks, and the placeholder package."""
    for earlier in _blocks(block.page):
        if earlier.line < block.line and earlier.file_name:
            (where / earlier.file_name).write_text(earlier.body, encoding="utf-8")
    (where / "my_package").mkdir(exist_ok=True)
    (where / "my_package" / "__init__.py").write_text(MY_PACKAGE, encoding="utf-8")
    (where / "my_package" / "module.py").write_text(MY_MODULE, encoding="utf-8")


def _env(where: Path) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith(("PYTEST_", "HYPOTHESIS"))}
    path = os.pathsep.join([str(Path(sys.executable).parent), env.get("PATH", "")])
    return {**env, "PATH": path, "PYTHONPATH": os.pathsep.join([str(where), str(ROOT)]), "COLUMNS": "100"}


def _run_python(block: Block, where: Path) -> None:
    script = where / "block.py"
    script.write_text(block.body, encoding="utf-8")
    _check(block, [sys.executable, str(script)], where)


def _run_pytest(block: Block, where: Path) -> None:
    (where / "test_block.py").write_text(block.body, encoding="utf-8")
    argv = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "no:randomly", "test_block.py"]
    done = _check(block, argv, where)
    assert re.search(r"\d+ passed", done.stdout), done.stdout


def _run_shell(block: Block, where: Path) -> None:
    _check(block, ["bash", "-euo", "pipefail", "-c", block.body], where)


def _check(block: Block, argv: list[str], where: Path) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(argv, cwd=where, env=_env(where), capture_output=True, text=True, timeout=300, check=False)
    assert done.returncode == 0, f"{block.id} exited {done.returncode}:\n{block.body}\n{done.stdout}\n{done.stderr}"
    return done


def _run_json(block: Block, where: Path) -> None:
    json.loads(block.body)


def _runner(block: Block) -> Callable[[Block, Path], None]:
    if block.lang == "python":
        return _run_pytest if block.is_pytest_module else _run_python
    return {"json": _run_json, "bash": _run_shell, "sh": _run_shell}[block.lang]


@pytest.mark.parametrize("block", [_param(block) for block in RUNNABLE])
def test_every_docs_block_runs_as_written(block: Block, tmp_path: Path, request: pytest.FixtureRequest) -> None:
    if block.skip_reason is not None:
        assert block.skip_reason, f"{block.id}: a skipped block must say why"
        pytest.skip(block.skip_reason)
    if block.directive == "docker":
        request.getfixturevalue("docker_client")  # skips without an engine (fails under CI)
    _prepare(block, tmp_path)
    _runner(block)(block, tmp_path)


def test_every_block_names_a_known_language_and_a_known_directive() -> None:
    for block in BLOCKS:
        assert block.lang in LANGUAGES, f"{block.id}: fenced block language {block.lang!r} (use one of {LANGUAGES})"
        assert block.directive in ("", "docker") or block.file_name or block.skip_reason, (block.id, block.directive)


def test_skipping_is_rare() -> None:
    skipped = [block.id for block in RUNNABLE if block.skip_reason is not None]
    assert len(skipped) <= 2, skipped


def test_the_blocks_are_found() -> None:
    assert len([block for block in BLOCKS if block.lang == "python"]) >= 12
    assert {block.page.name for block in RUNNABLE} >= {"README.md", "mock.md", "monitor.md", "validate.md"}


def test_readme_quick_start_is_what_ci_runs() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert "pip install '.[conformance]' && executor-kit verify" in readme
    assert "grep -m1 -- '# the whole test suite' README.md" in ci
    assert re.search(r"^pip install -e '\.\[dev\]' && python -m pytest +# the whole test suite$", readme, re.M)


def test_readme_relative_links_resolve_in_the_checkout_and_the_sdist() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    links = re.findall(r"\]\(([^)#]+)\)", readme)
    relative = [link for link in links if "://" not in link]
    assert relative
    for link in relative:
        assert (ROOT / link).exists(), link


def test_the_contract_document_check_passes_on_the_committed_file() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "contract_tests.docs", "--check"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr


def test_the_capability_rows_match_what_the_executors_declare() -> None:
    from contract_tests.matrix import capability_cell
    from executor_kit.registry import resolve_executor

    lines = (ROOT / "docs" / "capabilities.md").read_text(encoding="utf-8").splitlines()
    header = next(line for line in lines if line.startswith("| | "))
    columns = [cell.strip() for cell in header.strip("|").split("|")[1:]]
    targets = {
        "mock": "mock",
        "docker": "docker",
        "cloudrun": "executor_kit.backends.cloudrun.emulator:emulated_executor",
        "fargate": "executor_kit.backends.fargate.emulator:emulated_executor",
        "kubernetes": "executor_kit.backends.kubernetes.emulator:emulated_executor",
    }
    rows = {
        cells[0]: cells[1:]
        for cells in ([cell.strip() for cell in line.strip("|").split("|")] for line in lines if line.startswith("| "))
    }
    for index, column in enumerate(columns):
        with resolve_executor(targets[column]) as executor:
            declared = executor.get_capabilities()
        for key in [key for key in rows if key.startswith(("supports_", "separates_"))]:
            assert rows[key][index] == capability_cell(declared, key), (column, key)
