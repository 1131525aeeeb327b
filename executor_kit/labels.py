"""Label keys the kit puts on everything it launches.

The keys are valid as Docker labels, AWS tags and Google Cloud labels
(lowercase letters, digits and dashes).
"""

from __future__ import annotations

__all__ = ["MANAGED_LABEL", "RUN_LABEL"]

#: Set to ``"true"`` on every container, task or job a kit executor creates.
MANAGED_LABEL = "executor-kit-managed"

#: Identifies one conformance or test run, so ``executor-kit reap`` finds its leftovers.
RUN_LABEL = "executor-kit-run"
