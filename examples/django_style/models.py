"""A Django-style model used as the job, through the JobLike protocol.

In a real project this would be ``class Job(models.Model)`` with fields of the
same names; executors read and write plain attributes, so no subclassing of
``ContainerJob`` is needed. ``save()`` stands in for the ORM's.
"""

from __future__ import annotations

import datetime as dt
from typing import ClassVar


class BuildJob:
    """A row of the application's ``build_job`` table (Django stand-in, no dependency)."""

    saved: ClassVar[list[BuildJob]] = []

    def __init__(self, repo: str, commit: str) -> None:
        self.image = "builder:latest"
        self.command = ["build", repo, commit]
        self.environment = {"REPO": repo, "COMMIT": commit}
        self.name = f"build-{commit[:7]}"
        self.labels = {"app": "ci"}
        self.cpu_limit: float | None = 2.0
        self.memory_limit: int | None = 2048
        self.timeout_seconds: float | None = 1800
        self.status = "pending"
        self.external_execution_id: str | None = None
        self.exit_code: int | None = None
        self.stdout = ""
        self.stderr = ""
        self.started_at: dt.datetime | None = None
        self.completed_at: dt.datetime | None = None

    def save(self) -> None:
        BuildJob.saved.append(self)
