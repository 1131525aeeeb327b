"""Names every docstring example may use without importing them (pytest's ``doctest_namespace``).

* ``ContainerJob``, ``Probe`` and ``PROBE_IMAGE``, which nearly every example needs;
* in the modules of a cloud backend (``executor_kit.backends.{cloudrun,fargate,kubernetes}``),
  ``emulated_executor``: that backend's executor on its offline emulator.
"""

from __future__ import annotations

import importlib
from typing import Any

import pytest

_EMULATED = ("cloudrun", "fargate", "kubernetes")


@pytest.fixture(autouse=True)
def _doctest_names(request: pytest.FixtureRequest, doctest_namespace: dict[str, Any]) -> None:
    if type(request.node).__name__ != "DoctestItem":
        return
    from executor_kit import ContainerJob
    from executor_kit.probe import PROBE_IMAGE, Probe

    doctest_namespace.update(ContainerJob=ContainerJob, Probe=Probe, PROBE_IMAGE=PROBE_IMAGE)
    package = request.node.name.split(".")[:3]
    if package[:2] == ["executor_kit", "backends"] and package[2:] and package[2] in _EMULATED:
        emulator = importlib.import_module(f"executor_kit.backends.{package[2]}.emulator")
        doctest_namespace["emulated_executor"] = emulator.emulated_executor
    else:
        doctest_namespace.pop("emulated_executor", None)
