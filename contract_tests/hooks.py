"""Optional conformance hooks: what no generic suite can see without the backend's help.

An executor offers them as its ``conformance_hooks`` attribute: an object with
any of these methods (the built-in Docker executor offers both, the mock an
outage):

``foreign_execution(image)``
    A context manager that creates a resource of the backend that this executor
    did not launch (Docker: a container without the kit's labels) and yields
    ``(execution_id, still_there)``; ``still_there()`` tells whether the
    resource still exists. It removes the resource after the block.
``outage()``
    A context manager during which the backend is unreachable for this executor
    (and reachable again after it).

A clause that needs a hook the executor does not offer is ``n/a``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

__all__ = ["HOOKS", "hook"]

#: The hooks a clause may need.
HOOKS = ("foreign_execution", "outage")


def hook(executor: object, name: str) -> Callable[..., Any] | None:
    """The executor's hook ``name``, or ``None`` when it offers none.

    Example:
        >>> from executor_kit import get_executor
        >>> hook(get_executor("mock"), "outage") is not None, hook(object(), "outage")
        (True, None)
    """
    hooks = getattr(executor, "conformance_hooks", None)
    found = getattr(hooks, name, None) if hooks is not None else None
    return found if callable(found) else None
