"""The public surface of the ``executor_kit`` package (as httpx tests its own)."""

from __future__ import annotations

import importlib
import inspect
import types

import executor_kit


def _public_names() -> list[str]:
    return [
        name
        for name, value in vars(executor_kit).items()
        if not name.startswith("_") and not isinstance(value, types.ModuleType)
    ]


def _isort_style(name: str) -> tuple[int, str]:
    """Ruff's ``__all__`` order (RUF022): CONSTANTS, then Classes, then the rest; each alphabetical."""
    return (0 if name.isupper() else 1 if name[:1].isupper() else 2, name)


def test_all_is_exactly_the_public_names_sorted() -> None:
    assert executor_kit.__all__ == sorted([*_public_names(), "__version__"], key=_isort_style)


def test_version_is_read_from_the_package_metadata() -> None:
    from importlib.metadata import version

    assert executor_kit.__version__ == version("executor-kit")


def test_run_jobs_is_exported() -> None:
    from executor_kit.monitor import run_jobs

    assert executor_kit.run_jobs is run_jobs
    assert "run_jobs" in executor_kit.__all__


def test_exported_names_keep_their_defining_module() -> None:
    """Classes and functions name the submodule that defines and exports them, never a private one."""
    for name in executor_kit.__all__:
        value = getattr(executor_kit, name)
        if not (inspect.isclass(value) or inspect.isfunction(value)):
            continue
        module_name = value.__module__
        assert module_name.startswith("executor_kit."), (name, module_name)
        assert not any(part.startswith("_") for part in module_name.split(".")), (name, module_name)
        assert name in importlib.import_module(module_name).__all__, (name, module_name)


def test_exported_classes_and_functions_have_runnable_examples() -> None:
    for name in executor_kit.__all__:
        value = getattr(executor_kit, name)
        if inspect.isclass(value) or inspect.isfunction(value):
            assert value.__doc__ and ">>>" in value.__doc__, name
