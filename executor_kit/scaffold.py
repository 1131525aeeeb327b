"""``executor-kit init``: scaffold a new executor package.

``executor-kit init NAME [--dir DIR]`` writes, into ``DIR`` (default ``./NAME``)::

    pyproject.toml                    entry point NAME in the group executor_kit.executors
    README.md
    NAME_executor/__init__.py
    NAME_executor/executor.py         NameSettings (its options, two examples with defaults) and
                                      NameExecutor(ContainerExecutor), every method a stub
    tests/test_conformance.py         the conformance suite in a few lines

Each stub raises ``NotImplementedError`` with a hint and the clauses it serves,
so running the test module right away lists every clause as failing with its
hint: the implementer's to-do list. Everything is checked before anything is
written, and the files are written into a temporary sibling directory that is
renamed into place, so a refused or failed ``init`` leaves nothing behind.
"""

from __future__ import annotations

import argparse
import json
import keyword
import os
import re
import shlex
import shutil
import sys
import tempfile
from importlib import metadata
from pathlib import Path
from urllib.parse import unquote, urlparse

from executor_kit.errors import ExecutorConfigurationError
from executor_kit.registry import available_executors

__all__ = ["TEMPLATES", "class_name", "kit_source", "render", "run_init"]

#: Where the templates live: ``__NAME__``, ``__CLASS__``, ``__SETTINGS__``, ``__PACKAGE__`` and ``__DIST__``
#: are replaced.
TEMPLATES = Path(__file__).resolve().with_name("scaffold_templates")

# generated path (with __PACKAGE__) -> template file
_LAYOUT = {
    "pyproject.toml": "pyproject.toml.tmpl",
    "README.md": "README.md.tmpl",
    "__PACKAGE__/__init__.py": "__init__.py.tmpl",
    "__PACKAGE__/executor.py": "executor.py.tmpl",
    "tests/test_conformance.py": "test_conformance.py.tmpl",
}

_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_]*\Z")


def class_name(name: str, *, suffix: str = "Executor") -> str:
    """A class name for an executor name: CamelCase plus ``suffix``.

    Example:
        >>> class_name("my_backend"), class_name("k8s"), class_name("k8s", suffix="Settings")
        ('MyBackendExecutor', 'K8sExecutor', 'K8sSettings')
    """
    return "".join(part[:1].upper() + part[1:] for part in name.split("_")) + suffix


def _substitutions(name: str) -> dict[str, str]:
    return {
        "__PACKAGE__": f"{name.lower()}_executor",
        "__DIST__": f"{name.lower().replace('_', '-')}-executor",
        "__CLASS__": class_name(name),
        "__SETTINGS__": class_name(name, suffix="Settings"),
        "__NAME__": name,
    }


def _fill(text: str, values: dict[str, str]) -> str:
    for token, value in values.items():
        text = text.replace(token, value)
    return text


def render(name: str) -> dict[str, str]:
    """The files of a new executor package: relative path -> content.

    Example:
        >>> files = render("demo")
        >>> sorted(files)[:2]
        ['README.md', 'demo_executor/__init__.py']
        >>> 'demo = "demo_executor.executor:DemoExecutor"' in files["pyproject.toml"]
        True
    """
    values = _substitutions(name)
    return {
        _fill(path, values): _fill((TEMPLATES / template).read_text("utf-8"), values)
        for path, template in _LAYOUT.items()
    }


def _check_name(name: str) -> None:
    if not _NAME.match(name) or keyword.iskeyword(name):
        raise ExecutorConfigurationError(
            f"{name!r} is not a valid executor name: use a Python identifier of ASCII letters, digits "
            "and underscores that starts with a letter"
        )
    if name in available_executors():
        raise ExecutorConfigurationError(f"an executor named {name!r} is already registered; choose another name")


def _check_target(target: Path) -> None:
    if target.exists() and not target.is_dir():
        raise ExecutorConfigurationError(f"{target} exists and is not a directory")
    if target.is_dir() and any(target.iterdir()):
        raise ExecutorConfigurationError(f"{target} exists and is not empty; choose a new or empty directory")


def _write(target: Path, files: dict[str, str]) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{target.name}-", dir=target.parent))
    try:
        for relative, content in files.items():
            (staging / relative).parent.mkdir(parents=True, exist_ok=True)
            (staging / relative).write_text(content, encoding="utf-8")
        staging.chmod(0o777 & ~_umask())
        os.replace(staging, target)
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def kit_source() -> str:
    """What ``pip install`` needs to install this kit elsewhere: its local path when installed from one.

    The scaffolded package depends on ``executor-kit``; in an environment
    without it, pip would look for it on an index. A kit installed from a clone
    (``pip install .`` or ``-e .``) records the clone's path, which works
    offline.

    Example:
        >>> kit_source() == "executor-kit" or Path(kit_source()).is_dir()
        True
    """
    try:
        recorded = metadata.distribution("executor-kit").read_text("direct_url.json")
    except metadata.PackageNotFoundError:
        recorded = None
    url = urlparse(json.loads(recorded).get("url", "")) if recorded else None
    if url is not None and url.scheme == "file" and Path(unquote(url.path)).is_dir():
        return unquote(url.path)
    return "executor-kit"


def _next_steps(name: str, target: Path, files: dict[str, str]) -> str:
    listing = "\n".join(f"  {target / relative}" for relative in sorted(files))
    python = shlex.quote(sys.executable)
    return (
        f"created the {name!r} executor ({class_name(name)}) in {target}:\n{listing}\n"
        "next, with the Python executor-kit runs on (the kit is installed there, so pip fetches nothing for it):\n"
        f"  cd {shlex.quote(str(target))}\n"
        f"  {python} -m pip install -e .\n"
        f"  {python} -m pytest tests/\n"
        "every clause fails with its hint until you implement it: that is your to-do list.\n"
        f"In another environment install the kit first: pip install {shlex.quote(kit_source())}"
    )


def run_init(args: argparse.Namespace) -> int:
    """Scaffold the package ``args.name`` into ``args.dir`` (default ``./NAME``).

    Args:
        args: ``name`` (a Python identifier) and ``dir`` (``None`` for ``./NAME``).

    Returns:
        0 when written; 2 with one line on stderr (and nothing written) for a
        bad name, a name already registered, or a target that exists and is
        not an empty directory.

    Example:
        >>> run_init(argparse.Namespace(name="not-valid", dir=None))
        2
    """
    target = Path(args.dir if args.dir is not None else args.name).absolute()
    try:
        _check_name(args.name)
        _check_target(target)
        files = render(args.name)
        _write(target, files)
    except (ExecutorConfigurationError, OSError) as exc:
        print(f"executor-kit init: {exc}", file=sys.stderr)
        return 2
    print(_next_steps(args.name, target, files))
    return 0
