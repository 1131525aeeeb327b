"""The public surface of executor_kit.backends.mock."""

from __future__ import annotations

import importlib
import inspect

import pytest

import executor_kit.backends.mock

MODULES = [
    "__init__",
    "config",
    "execution",
    "executor",
    "faults",
    "fixture",
    "hooks",
    "journal",
    "launching",
    "lifecycle",
    "outcomes",
    "state",
    "streaming",
]


def test_package_all_is_its_public_names() -> None:
    public = {name for name in vars(executor_kit.backends.mock) if not name.startswith("_") and name not in MODULES}
    public -= {"annotations"}
    assert sorted(executor_kit.backends.mock.__all__) == sorted(public)


@pytest.mark.parametrize("name", MODULES[1:])
def test_every_module_declares_all_and_documents_it(name: str) -> None:
    module = importlib.import_module(f"executor_kit.backends.mock.{name}")
    for exported in module.__all__:
        obj = getattr(module, exported)
        if inspect.isclass(obj) or inspect.isfunction(obj):
            assert obj.__doc__ and ">>>" in obj.__doc__, exported


def test_registered_as_mock() -> None:
    from executor_kit import get_executor

    assert type(get_executor("mock")) is executor_kit.backends.mock.MockExecutor
