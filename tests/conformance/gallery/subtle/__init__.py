"""A second gallery: realistic, subtle broken executors, each wrong only under one condition.

Each is a ``MockExecutor`` subclass that differs from it only in one bug
modelled on a bug class of a real integration (Docker SDK, Kubernetes,
ECS/Fargate, Cloud Run, batch systems, workflow executors). ``GALLERY`` maps
each class to its ``Bug``: the clause families that should catch it (the first
is its own), the MUST sentence of docs/contract.md it breaks, the condition
under which it shows, and a witness scenario that shows it.
"""

from __future__ import annotations

from . import concurrency, omission, outcomes, resources, shapes, timing
from ._base import Bug

GALLERY: dict[type, Bug] = {
    **outcomes.REGISTRY,
    **timing.REGISTRY,
    **shapes.REGISTRY,
    **omission.REGISTRY,
    **resources.REGISTRY,
    **concurrency.REGISTRY,
}

__all__ = ["GALLERY", "Bug"]
