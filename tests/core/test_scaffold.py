"""``executor-kit init``: the scaffold installs, registers, and lists every clause as a to-do.

The module fixture does what a new implementer does: ``executor-kit init``
into a temporary directory, install the result into a fresh venv (so the kit's
environment is untouched and the entry point is real package metadata), and run
the generated test module with pytest in that venv. Right after ``init`` every
clause must fail with its hint, except the two the base class already keeps
(see ``PASS_BEFORE_ANY_CODE``).

The venv sees exactly what the test environment has, nothing from the base
interpreter: it is made without ``--system-site-packages`` and a ``.pth`` file
in its purelib adds the running interpreter's purelib and platlib as site
directories (their own ``.pth`` files, such as an editable install of the kit,
included). So ``pip --no-build-isolation`` finds hatchling, and pytest finds the
kit, where the ``dev`` extra put them.

Most of the ~50 s this takes is MODEL-001: its Hypothesis state machine sleeps
for real between steps against an executor whose launch always raises.
"""

from __future__ import annotations

import dataclasses
import os
import subprocess
import sys
import sysconfig
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from contract_tests import CLAUSES, clause_by_id
from executor_kit.base import OPTIONAL_CAPABILITIES
from executor_kit.cli import main
from executor_kit.registry import ENTRY_POINT_GROUP

NAME = "scaffold_demo"
CLASS = "ScaffoldDemoExecutor"

# CAPS-001/002 (standard keys, all bool, stable) are kept by ContainerExecutor.get_capabilities,
# which the scaffold inherits: the stub declares its capabilities as data instead of a method.
# Every other clause needs one of the stubbed methods, so it fails until that is written.
PASS_BEFORE_ANY_CODE = {"CAPS-001", "CAPS-002"}
#: The scaffold offers no conformance hooks (contract_tests.hooks): these clauses are n/a for it.
NEEDS_A_HOOK = {clause.id for clause in CLAUSES if clause.hook}
#: The clauses of optional capabilities (cancel, live logs): n/a until the executor declares them.
OPTIONAL = {clause.id for clause in CLAUSES if clause.capability in OPTIONAL_CAPABILITIES}
NOT_APPLICABLE = NEEDS_A_HOOK | OPTIONAL


@dataclasses.dataclass
class Scaffolded:
    root: Path
    python: Path
    init_output: str
    suite: subprocess.CompletedProcess[str]
    verdicts: dict[str, tuple[str, str]]  # clause id -> (outcome, failure text)


def _env() -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if key not in ("PYTEST_ADDOPTS", "PYTHONPATH")}
    return {**env, "PIP_DISABLE_PIP_VERSION_CHECK": "1", "PIP_NO_INDEX": "1", "PYTHONDONTWRITEBYTECODE": "1"}


def _run(argv: list[str], cwd: Path | None = None, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    return subprocess.run(argv, cwd=cwd, env=_env(), capture_output=True, text=True, timeout=timeout, check=False)


def _checked(argv: list[str], cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    done = _run(argv, cwd)
    assert done.returncode == 0, f"{argv} exited {done.returncode}:\n{done.stdout}\n{done.stderr}"
    return done


def _venv(where: Path) -> Path:
    """A venv whose imports fall back on this test environment's packages (see the module docstring)."""
    _checked([sys.executable, "-m", "venv", "--without-pip", str(where)])
    python = where / ("Scripts" if os.name == "nt" else "bin") / "python"
    purelib = _checked([str(python), "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"]).stdout.strip()
    ours = sysconfig.get_paths()
    site_dirs = dict.fromkeys(ours[key] for key in ("purelib", "platlib"))  # often one directory: add it once
    lines = "".join(f"import site; site.addsitedir({site_dir!r})\n" for site_dir in site_dirs)
    (Path(purelib) / "_executor_kit_test_env.pth").write_text(lines)
    return python


def _install(python: Path, package: Path) -> None:
    # With its dependencies, from no index (PIP_NO_INDEX): the executor-kit the package depends on is
    # the one this environment installed from a path, as the scaffold's instructions say.
    pip = [sys.executable, "-m", "pip", "--python", str(python), "install"]
    _checked([*pip, "--no-build-isolation", str(package)])


def _clause_id(testcase: ET.Element) -> str:
    return testcase.attrib["name"].removeprefix("test_").replace("_", "-")


def _verdicts(junit: Path) -> dict[str, tuple[str, str]]:
    verdicts = {}
    for testcase in ET.parse(junit).getroot().iter("testcase"):
        failure = testcase.find("failure")
        outcome = "failed" if failure is not None else "skipped" if testcase.find("skipped") is not None else "passed"
        text = "" if failure is None else f"{failure.get('message', '')}\n{failure.text or ''}"
        verdicts[_clause_id(testcase)] = (outcome, text)
    return verdicts


@pytest.fixture(scope="module")
def scaffolded(tmp_path_factory: pytest.TempPathFactory) -> Scaffolded:
    base = tmp_path_factory.mktemp("scaffold")
    root = base / "project"
    init = _checked([sys.executable, "-m", "executor_kit.cli", "init", NAME, "--dir", str(root)], cwd=base)
    python = _venv(base / "venv")
    _install(python, root)
    junit = base / "junit.xml"
    suite = _run([str(python), "-m", "pytest", "-p", "no:cacheprovider", f"--junitxml={junit}"], cwd=root)
    return Scaffolded(root, python, init.stdout, suite, _verdicts(junit))


def test_init_writes_the_package_layout(scaffolded: Scaffolded) -> None:
    files = sorted(str(path.relative_to(scaffolded.root)) for path in scaffolded.root.rglob("*") if path.is_file())
    package = f"{NAME}_executor"
    assert set(files) >= {
        "pyproject.toml",
        "README.md",
        f"{package}/__init__.py",
        f"{package}/executor.py",
        "tests/test_conformance.py",
    }
    pyproject = (scaffolded.root / "pyproject.toml").read_text()
    assert f'[project.entry-points."{ENTRY_POINT_GROUP}"]' in pyproject
    assert f'{NAME} = "{package}.executor:{CLASS}"' in pyproject
    assert "pytest tests/" in scaffolded.init_output


def test_every_clause_fails_with_its_hint_right_after_init(scaffolded: Scaffolded) -> None:
    verdicts = scaffolded.verdicts
    assert set(verdicts) == {clause.id for clause in CLAUSES}, scaffolded.suite.stdout[-3000:]
    failed = {clause_id for clause_id, (outcome, _) in verdicts.items() if outcome == "failed"}
    passed = {clause_id for clause_id, (outcome, _) in verdicts.items() if outcome == "passed"}
    assert failed == {clause.id for clause in CLAUSES} - PASS_BEFORE_ANY_CODE - NOT_APPLICABLE
    assert passed == PASS_BEFORE_ANY_CODE
    assert {
        clause_id for clause_id, (outcome, _) in verdicts.items() if outcome == "skipped"
    } == NEEDS_A_HOOK | OPTIONAL
    assert scaffolded.suite.returncode == 1


@pytest.mark.parametrize(
    "clause_id", sorted({clause.id for clause in CLAUSES} - PASS_BEFORE_ANY_CODE - NEEDS_A_HOOK - OPTIONAL)
)
def test_a_failing_clause_shows_the_stub_hint_and_the_clause_hint(scaffolded: Scaffolded, clause_id: str) -> None:
    outcome, text = scaffolded.verdicts[clause_id]
    assert outcome == "failed"
    assert f"NotImplementedError: {CLASS}." in text and "is not implemented yet [" in text, text
    assert f"hint: {clause_by_id(clause_id).hint}" in text, text


def test_the_terminal_shows_the_to_do_list_once(scaffolded: Scaffolded) -> None:
    out = " ".join(scaffolded.suite.stdout.split())  # the table wraps to the terminal's width
    failing = len(CLAUSES) - len(PASS_BEFORE_ANY_CODE) - len(NOT_APPLICABLE)
    assert f"{failing} failed, {len(PASS_BEFORE_ANY_CODE)} passed, {len(NOT_APPLICABLE)} skipped" in out
    assert f"executor-kit conformance ({NAME})" in out
    # Each stub's message is shown once in the table (six stubbed methods), later clauses say whose observation
    # they share. (pytest's short summary after it repeats each message in full when CI is set: not counted.)
    table = out.split("short test summary info")[0]
    assert 1 <= table.count("is not implemented yet [") <= 6, table
    assert table.count("observed: same as ") == failing - table.count("is not implemented yet ["), table
    for clause in CLAUSES:
        if clause.id not in PASS_BEFORE_ANY_CODE | NOT_APPLICABLE:
            assert f"hint: {clause.hint}" in out


def test_the_next_steps_use_the_python_the_kit_runs_on(scaffolded: Scaffolded) -> None:
    from executor_kit.scaffold import kit_source

    assert f"{sys.executable} -m pip install -e ." in scaffolded.init_output
    assert f"{sys.executable} -m pytest tests/" in scaffolded.init_output
    assert f"install the kit first: pip install {kit_source()}" in scaffolded.init_output
    assert kit_source() in ("executor-kit", str(Path(__file__).resolve().parents[2]))


def test_the_entry_point_makes_get_executor_work_after_install(scaffolded: Scaffolded) -> None:
    code = (
        f"import executor_kit; e = executor_kit.get_executor({NAME!r}); "
        f"print(type(e).__module__, type(e).__name__, e.name, {NAME!r} in executor_kit.available_executors())"
    )
    done = _checked([str(scaffolded.python), "-c", code])
    assert done.stdout.split() == [f"{NAME}_executor.executor", CLASS, NAME, "True"]


def test_the_generated_settings_refuse_a_misspelt_key_through_get_executor(scaffolded: Scaffolded) -> None:
    code = (
        "import executor_kit\n"
        "try:\n"
        f"    executor_kit.get_executor({NAME!r}, {{'endpont': 'http://x'}})\n"
        "except executor_kit.ExecutorConfigurationError as exc:\n"
        "    print(exc)\n"
    )
    done = _checked([str(scaffolded.python), "-c", code])
    assert done.stdout.strip() == (
        f"{NAME} config 'endpont' is not a known setting (did you mean 'endpoint'?); known: endpoint, request_timeout"
    )


def test_the_generated_executor_examples_run(scaffolded: Scaffolded) -> None:
    module = f"{NAME}_executor/executor.py"
    done = _run(
        [str(scaffolded.python), "-m", "pytest", "-p", "no:cacheprovider", "--doctest-modules", module],
        cwd=scaffolded.root,
    )
    assert done.returncode == 0 and "2 passed" in done.stdout, done.stdout


def test_the_install_stayed_in_its_venv(scaffolded: Scaffolded) -> None:
    from importlib.metadata import entry_points

    assert NAME not in {entry_point.name for entry_point in entry_points(group=ENTRY_POINT_GROUP)}


def test_init_into_an_empty_existing_directory_works(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["init", "empty_ok", "--dir", str(tmp_path)]) == 0
    assert (tmp_path / "empty_ok_executor" / "executor.py").is_file()
    assert "EmptyOkExecutor" in capsys.readouterr().out


def test_init_defaults_to_a_directory_named_after_the_executor(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    assert main(["init", "here"]) == 0
    assert (tmp_path / "here" / "pyproject.toml").is_file()
    assert sorted(path.name for path in tmp_path.iterdir()) == ["here"]  # no staging directory left


def _refused(argv: list[str], capsys: pytest.CaptureFixture[str]) -> str:
    assert main(argv) == 2
    captured = capsys.readouterr()
    lines = captured.err.splitlines()
    assert len(lines) == 1 and lines[0].startswith("executor-kit init: "), captured.err
    assert captured.out == ""
    return lines[0]


@pytest.mark.parametrize(
    ("name", "problem"),
    [
        ("my-backend", "not a valid executor name"),
        ("1st", "not a valid executor name"),
        ("class", "not a valid executor name"),
        ("", "not a valid executor name"),
        ("_private", "not a valid executor name"),
        ("ünïcode", "not a valid executor name"),
        ("docker", "already registered"),
    ],
)
def test_a_bad_name_is_refused_and_nothing_is_written(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], name: str, problem: str
) -> None:
    target = tmp_path / "target"
    assert problem in _refused(["init", name, "--dir", str(target)], capsys)
    assert list(tmp_path.iterdir()) == []


def test_a_non_empty_directory_is_refused_and_left_as_it_was(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "notes.txt").write_text("mine")
    assert "is not empty" in _refused(["init", "fine_name", "--dir", str(tmp_path)], capsys)
    assert [path.name for path in tmp_path.iterdir()] == ["notes.txt"]
    assert (tmp_path / "notes.txt").read_text() == "mine"


def test_a_file_as_target_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "taken").write_text("")
    assert "not a directory" in _refused(["init", "fine_name", "--dir", str(tmp_path / "taken")], capsys)
    assert [path.name for path in tmp_path.iterdir()] == ["taken"]
