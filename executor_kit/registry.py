"""The factory and plug-in registry: names → executors.

Built-in backends are imported lazily from a table of ``module:attribute``
paths, so ``import executor_kit`` needs no optional dependency. Third parties
register with ``register_executor`` or the entry-point group
``executor_kit.executors``.
"""

from __future__ import annotations

import difflib
import importlib
import importlib.metadata
import json
import os
import sys
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from executor_kit.base import ContainerExecutor
from executor_kit.errors import ExecutorConfigurationError

__all__ = [
    "ENTRY_POINT_GROUP",
    "ExecutorFactory",
    "available_executors",
    "get_executor",
    "import_from_working_directory",
    "load_config",
    "load_object",
    "register_executor",
    "resolve_executor",
    "unregister_executor",
]

#: The entry-point group third-party executors register under.
ENTRY_POINT_GROUP = "executor_kit.executors"

#: A class or callable taking the config mapping and returning an executor.
ExecutorFactory = Callable[[Mapping[str, Any]], ContainerExecutor]

# name -> (import path, extra to install when the import fails)
_BUILTINS: dict[str, tuple[str, str | None]] = {
    "mock": ("executor_kit.backends.mock:MockExecutor", None),
    "docker": ("executor_kit.backends.docker.executor:DockerExecutor", "docker"),
    "cloudrun": ("executor_kit.backends.cloudrun.executor:CloudRunExecutor", "cloudrun"),
    "fargate": ("executor_kit.backends.fargate.executor:FargateExecutor", "fargate"),
    "kubernetes": ("executor_kit.backends.kubernetes.executor:KubernetesExecutor", "kubernetes"),
}

_registered: dict[str, ExecutorFactory] = {}


def register_executor(name: str, factory: ExecutorFactory, *, replace: bool = False) -> None:
    """Make ``get_executor(name)`` build executors with ``factory``.

    Args:
        name: A non-empty name without surrounding whitespace.
        factory: A ``ContainerExecutor`` subclass or a callable taking the config.
        replace: Allow replacing an existing registration or built-in.

    Raises:
        ExecutorConfigurationError: for a bad name, a non-callable factory, or a
            name already taken when ``replace`` is false.

    Example:
        >>> from executor_kit import MockExecutor
        >>> register_executor("my-mock", MockExecutor)
        >>> get_executor("my-mock").name
        'mock'
        >>> unregister_executor("my-mock")
    """
    if not isinstance(name, str) or not name or name != name.strip():
        raise ExecutorConfigurationError(f"executor name must be a non-empty str without spaces, got {name!r}")
    if not callable(factory):
        raise ExecutorConfigurationError(f"factory for {name!r} must be callable, got {factory!r}")
    if not replace and name in _known_names():
        raise ExecutorConfigurationError(f"executor {name!r} is already registered; pass replace=True")
    _registered[name] = factory


def unregister_executor(name: str) -> None:
    """Forget a name registered with ``register_executor`` (no error if absent).

    Example:
        >>> from executor_kit.backends.mock import MockExecutor
        >>> register_executor("demo-gone", MockExecutor); "demo-gone" in available_executors()
        True
        >>> unregister_executor("demo-gone"); unregister_executor("never-registered")
        >>> "demo-gone" in available_executors()
        False
    """
    _registered.pop(name, None)


def _entry_points() -> dict[str, importlib.metadata.EntryPoint]:
    return {ep.name: ep for ep in importlib.metadata.entry_points(group=ENTRY_POINT_GROUP)}


def _known_names() -> set[str]:
    return set(_BUILTINS) | set(_registered) | set(_entry_points())


def available_executors() -> list[str]:
    """Every name ``get_executor`` accepts: built-ins, registered, entry points.

    Example:
        >>> {"mock", "docker", "cloudrun", "fargate"} <= set(available_executors())
        True
    """
    return sorted(_known_names())


def _unknown(name: object) -> ExecutorConfigurationError:
    known = available_executors()
    close = difflib.get_close_matches(str(name).strip().lower(), known, n=1)
    hint = f" Did you mean {close[0]!r}?" if close else ""
    return ExecutorConfigurationError(f"unknown executor {name!r}; known executors: {', '.join(known)}.{hint}")


def load_object(path: str) -> Any:
    """Import ``"package.module:attribute"`` and return the attribute.

    Raises:
        ExecutorConfigurationError: when the path is malformed or does not import.

    Example:
        >>> from executor_kit.backends.mock import MockExecutor
        >>> load_object("executor_kit.backends.mock:MockExecutor") is MockExecutor
        True
        >>> load_object("executor_kit.labels")  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ...
        executor_kit.errors.ExecutorConfigurationError: 'executor_kit.labels' is not of the form ...:callable'
        >>> load_object("executor_kit.labels:Nope")  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ...
        executor_kit.errors.ExecutorConfigurationError: cannot import 'executor_kit.labels:Nope': ... 'Nope'
    """
    module_name, _, attribute = path.partition(":")
    if not module_name or not attribute:
        raise ExecutorConfigurationError(f"{path!r} is not of the form 'package.module:callable'")
    try:
        return getattr(importlib.import_module(module_name), attribute)
    except (ImportError, AttributeError) as exc:
        raise ExecutorConfigurationError(f"cannot import {path!r}: {exc}") from exc


def _load_builtin(name: str) -> ExecutorFactory:
    path, extra = _BUILTINS[name]
    module_name, _, attribute = path.partition(":")
    try:
        module = importlib.import_module(module_name)
    except ImportError as exc:
        hint = f"pip install 'executor-kit[{extra}]'" if extra else "reinstall executor-kit"
        raise ExecutorConfigurationError(
            f"executor {name!r} needs an optional dependency that is missing ({exc.name}): {hint}"
        ) from exc
    factory: ExecutorFactory = getattr(module, attribute)
    return factory


def _factory_for(name: str) -> ExecutorFactory:
    if name in _registered:
        return _registered[name]
    if name in _BUILTINS:
        return _load_builtin(name)
    entry_point = _entry_points().get(name)
    if entry_point is None:
        raise _unknown(name)
    factory: ExecutorFactory = entry_point.load()
    return factory


def _build(label: str, factory: ExecutorFactory, config: Mapping[str, Any]) -> ContainerExecutor:
    executor = factory(config)
    if not isinstance(executor, ContainerExecutor):
        raise ExecutorConfigurationError(f"{label} returned {type(executor).__name__}, not a ContainerExecutor")
    return executor


def _check_config(config: object) -> Mapping[str, Any]:
    if config is None:
        return {}
    if not isinstance(config, Mapping):
        raise ExecutorConfigurationError(f"executor config must be a mapping, got {type(config).__name__}")
    return config


def get_executor(name: str, config: Mapping[str, Any] | None = None) -> ContainerExecutor:
    """Build the executor registered as ``name`` with ``config``.

    Args:
        name: A built-in (``mock``, ``docker``, ``cloudrun``, ``fargate``, ``kubernetes``), a
            ``register_executor`` name or an entry-point name.
        config: The backend's settings as a plain mapping.

    Raises:
        ExecutorConfigurationError: for an empty, non-str or unknown name (the
            message lists the known ones), a config that is not a mapping, or a
            backend whose optional dependency is missing (naming the extra).

    Example:
        >>> get_executor("mock").name
        'mock'
        >>> get_executor("dokcer")  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ...
        executor_kit.errors.ExecutorConfigurationError: unknown executor 'dokcer'; known executors: ...
    """
    if not isinstance(name, str) or not name:
        raise _unknown(name)
    settings = _check_config(config)
    return _build(f"executor {name!r}", _factory_for(name), settings)


def resolve_executor(target: str, config: Mapping[str, Any] | None = None) -> ContainerExecutor:
    """Build an executor from a registered name or a ``module:callable`` path.

    The callable is called with the config mapping and must return a
    ``ContainerExecutor``. This is what ``--executor`` and ``executor-kit
    verify`` accept.

    Raises:
        ExecutorConfigurationError: when the target cannot be imported, raises,
            or returns something that is not a ``ContainerExecutor``.

    Example:
        >>> resolve_executor("executor_kit:MockExecutor").name
        'mock'
    """
    if not isinstance(target, str) or ":" not in target:
        return get_executor(target, config)
    factory = load_object(target)
    settings = _check_config(config)
    try:
        return _build(target, factory, settings)
    except ExecutorConfigurationError:
        raise
    except Exception as exc:
        raise ExecutorConfigurationError(f"{target} raised {type(exc).__name__}: {exc}") from exc


def import_from_working_directory() -> None:
    """Let ``module:callable`` targets name modules of the current directory, as ``python -m`` does.

    The command-line entry points (``verify``, ``reap``) call it before they resolve a target.

    Example:
        >>> import_from_working_directory()
        >>> os.getcwd() in sys.path
        True
    """
    if os.getcwd() not in sys.path:
        sys.path.insert(0, os.getcwd())


def load_config(value: str | None) -> dict[str, Any]:
    """Parse a config given on a command line: a JSON object, or a path to a file holding one.

    ``pytest --executor-config``, ``executor-kit verify --config`` and
    ``executor-kit reap --config`` all read it this way.

    Raises:
        ExecutorConfigurationError: for anything else.

    Example:
        >>> load_config('{"seed": 3}')
        {'seed': 3}
        >>> load_config("[1]")
        Traceback (most recent call last):
        ...
        executor_kit.errors.ExecutorConfigurationError: the executor config must be a JSON object, got list
        >>> load_config("no-such-config.json")  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ...
        executor_kit.errors.ExecutorConfigurationError: the executor config file no-such-config.json was not found ...
    """
    if value is None:
        return {}
    config = _parse_config(value)
    if not isinstance(config, dict):
        raise ExecutorConfigurationError(f"the executor config must be a JSON object, got {type(config).__name__}")
    return config


def _parse_config(value: str) -> Any:
    if not value.lstrip().startswith(("{", "[")) and os.path.isfile(value):
        return _parse_file(Path(value))
    try:
        return json.loads(value)
    except json.JSONDecodeError as exc:
        if value.lstrip().startswith(("{", "[")):
            raise ExecutorConfigurationError(f"the executor config is neither JSON nor a JSON file: {exc}") from exc
        raise ExecutorConfigurationError(
            f"the executor config file {value} was not found (give a JSON object or the path of a JSON file)"
        ) from None


def _parse_file(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ExecutorConfigurationError(f"cannot read the executor config file {path}: {exc.strerror}") from exc
    except json.JSONDecodeError as exc:
        raise ExecutorConfigurationError(f"the executor config file {path} is not valid JSON: {exc}") from exc
