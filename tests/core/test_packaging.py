"""What ships: the wheel and the sdist built from this tree, and the extras a plain install needs.

The build runs ``python -m build --no-isolation`` (the ``build`` package and
hatchling come from the ``test`` extra), into a temporary directory.
"""

from __future__ import annotations

import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path

import pytest

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10: pytest depends on tomli there
    import tomli as tomllib

ROOT = Path(__file__).resolve().parents[2]
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))

SHIPPED = [
    "executor_kit/py.typed",
    "contract_tests/py.typed",
    "executor_kit/probe/probe",
    "executor_kit/probe/Dockerfile",
    "executor_kit/scaffold_templates/pyproject.toml.tmpl",
    "contract_tests/verify.ini",
]


@pytest.fixture(scope="module")
def dist(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("dist")
    done = subprocess.run(
        [sys.executable, "-m", "build", "--no-isolation", "--outdir", str(out), str(ROOT)],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return out


def _wheel_names(dist: Path) -> list[str]:
    (wheel,) = dist.glob("*.whl")
    with zipfile.ZipFile(wheel) as archive:
        return archive.namelist()


def _sdist_names(dist: Path) -> list[str]:
    (sdist,) = dist.glob("*.tar.gz")
    with tarfile.open(sdist) as archive:
        return [name.split("/", 1)[1] for name in archive.getnames() if "/" in name]


def test_the_wheel_ships_the_license_types_probe_and_templates_but_no_tests(dist: Path) -> None:
    names = _wheel_names(dist)
    for path in SHIPPED:
        assert path in names, path
    assert any(name.endswith(".dist-info/licenses/LICENSE") for name in names)
    assert not [name for name in names if name.startswith(("tests/", "examples/", "benchmarks/"))]


def test_the_sdist_ships_license_changelog_docs_and_tests(dist: Path) -> None:
    names = _sdist_names(dist)
    for path in [*SHIPPED, "LICENSE", "CHANGELOG.md", "README.md", "pyproject.toml", "docs/contract.md"]:
        assert path in names, path
    assert "tests/core/test_packaging.py" in names


def test_the_metadata_names_license_and_project_urls(dist: Path) -> None:
    (wheel,) = dist.glob("*.whl")
    with zipfile.ZipFile(wheel) as archive:
        (metadata,) = [name for name in archive.namelist() if name.endswith(".dist-info/METADATA")]
        text = archive.read(metadata).decode()
    assert "License-Expression: MIT" in text
    assert "Project-URL: Homepage, " in text
    assert "Provides-Extra: emulators" in text
    assert "Provides-Extra: test" in text


def test_dev_is_tools_plus_the_test_extra() -> None:
    extras = PYPROJECT["project"]["optional-dependencies"]
    assert "executor-kit[test]" in extras["dev"]
    tools = {requirement.split(">")[0].split("=")[0] for requirement in extras["dev"] if "[" not in requirement}
    assert tools == {"ruff", "mypy", "tox"}
    assert "executor-kit[conformance,docker,cloudrun,fargate,kubernetes,emulators]" in extras["test"]
    assert any(requirement.startswith("moto[") for requirement in extras["emulators"])
    assert any(requirement.startswith("responses") for requirement in extras["emulators"])


@pytest.mark.parametrize(
    ("module", "target"),
    [("responses", "cloudrun"), ("moto", "fargate"), ("google.auth", "cloudrun"), ("boto3", "fargate")],
)
def test_a_missing_emulator_dependency_names_the_extra_in_one_line(module: str, target: str, tmp_path: Path) -> None:
    script = (
        f"import sys; sys.modules[{module!r}] = None\n"
        "from executor_kit.cli import main\n"
        f"sys.exit(main(['verify', 'executor_kit.backends.{target}.emulator:emulated_executor']))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], cwd=tmp_path, capture_output=True, text=True, timeout=60, check=False
    )
    assert done.returncode == 2
    assert done.stderr.count("\n") == 1, done.stderr
    assert f"the offline cloud emulators need '{module}" in done.stderr, done.stderr
    assert "pip install 'executor-kit[emulators]'" in done.stderr
