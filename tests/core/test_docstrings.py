"""The docstrings' examples: each asserts something, none repeats the shared preamble, no path is stale."""

from __future__ import annotations

import ast
import doctest
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SOURCES = sorted(
    path for folder in ("executor_kit", "contract_tests", "examples") for path in (ROOT / folder).rglob("*.py")
)
#: Paths inside the project ``executor-kit init`` generates, not in this repository.
GENERATED = {"tests/test_conformance.py"}
#: What the root conftest.py puts in every example's namespace.
SHARED_IMPORTS = re.compile(
    r">>> from executor_kit(\.probe)? import (ContainerJob|PROBE_IMAGE, Probe|Probe)$"
    r"|>>> from executor_kit\.backends\.\w+\.emulator import emulated_executor$"
)
PATH = re.compile(r"\b(?:tests|docs|examples|benchmarks|executor_kit|contract_tests)/[\w./-]+\.(?:py|md|toml|tmpl)\b")


def _docstrings(path: Path) -> Iterator[tuple[str, str]]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef):
            text = ast.get_docstring(node, clean=True)
            if text and ">>>" in text:
                yield f"{path.relative_to(ROOT)}:{getattr(node, 'name', '<module>')}", text


def _asserts(examples: list[doctest.Example]) -> bool:
    shown = any(example.want.strip() or example.exc_msg for example in examples)
    return shown or any(re.search(r"\bassert", example.source) for example in examples)


def test_every_example_asserts_something() -> None:
    parser = doctest.DocTestParser()
    silent = [where for path in SOURCES for where, text in _docstrings(path) if not _asserts(parser.get_examples(text))]
    assert silent == [], "examples that show nothing and assert nothing:\n" + "\n".join(silent)


def test_no_example_repeats_what_the_doctest_namespace_gives() -> None:
    repeated = [
        f"{where}: {line.strip()}"
        for path in SOURCES
        for where, text in _docstrings(path)
        for line in text.splitlines()
        if SHARED_IMPORTS.search(line.strip())
    ]
    assert repeated == [], "imports that conftest.py's doctest_namespace already gives:\n" + "\n".join(repeated)


PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md")), *sorted((ROOT / "examples").glob("*/README.md"))]


@pytest.mark.parametrize("path", SOURCES + PAGES, ids=lambda path: str(path.relative_to(ROOT)))
def test_every_path_a_module_or_page_names_exists(path: Path) -> None:
    named = set(PATH.findall(path.read_text(encoding="utf-8"))) - GENERATED
    assert sorted(name for name in named if not (ROOT / name).exists()) == []
