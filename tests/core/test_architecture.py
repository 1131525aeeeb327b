"""docs/architecture.md names every module, each backend's in that backend's row."""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DOC = (ROOT / "docs" / "architecture.md").read_text(encoding="utf-8")
BACKENDS = sorted(path for path in (ROOT / "executor_kit" / "backends").iterdir() if (path / "__init__.py").exists())


def _modules(folder: Path) -> list[str]:
    return sorted(path.name for path in folder.glob("*.py") if path.name != "__init__.py")


def _row(package: str) -> str:
    return next((line for line in DOC.splitlines() if line.startswith(f"| `{package}`")), "")


@pytest.mark.parametrize("folder", ["executor_kit", "executor_kit/monitor", "contract_tests"])
def test_every_module_of_the_core_is_named(folder: str) -> None:
    assert [name for name in _modules(ROOT / folder) if f"`{name}`" not in DOC and f"{name}`" not in DOC] == []


def test_every_check_family_is_named() -> None:
    row = _row("checks/")
    assert [name for name in _modules(ROOT / "contract_tests" / "checks") if f"`{name[:-3]}`" not in row] == []


@pytest.mark.parametrize("backend", BACKENDS, ids=lambda path: path.name)
def test_every_module_of_a_backend_is_in_its_row(backend: Path) -> None:
    row = _row(f"backends/{backend.name}/")
    assert row, f"docs/architecture.md has no row for backends/{backend.name}/"
    assert [name for name in _modules(backend) if f"`{name}`" not in row] == []
