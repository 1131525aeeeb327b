"""The Docker executor's conformance hooks (``contract_tests.hooks``): a foreign container, an outage."""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

import docker.errors

from executor_kit.labels import MANAGED_LABEL

if TYPE_CHECKING:
    from executor_kit.backends.docker.executor import DockerExecutor

__all__ = ["FOREIGN_LABEL", "DockerHooks"]

#: The label of a foreign container: it is not the kit's (no ``MANAGED_LABEL``), but it can be found.
FOREIGN_LABEL = "executor-kit-foreign"

#: Where no daemon listens: the executor's client points here during an outage.
_NOWHERE = "unix:///nonexistent/executor-kit-outage.sock"


class DockerHooks:
    """Hooks of one ``DockerExecutor``.

    Example:
        >>> from executor_kit.backends.docker.executor import DockerExecutor
        >>> type(DockerExecutor().conformance_hooks).__name__
        'DockerHooks'
    """

    def __init__(self, executor: DockerExecutor) -> None:
        self.executor = executor

    @contextlib.contextmanager
    def foreign_execution(self, image: str) -> Iterator[tuple[str, Callable[[], bool]]]:
        """A running container this executor did not launch (no ``MANAGED_LABEL``); removed after the block."""
        api = self.executor.api
        labels = {k: v for k, v in self.executor.settings.labels.items() if k != MANAGED_LABEL}
        name = f"executor-kit-foreign-{uuid.uuid4().hex[:12]}"
        created = api.create_container(
            image,
            command=["probe", "out", "foreign", "sleep", "600"],
            labels={**labels, FOREIGN_LABEL: "true"},
            name=name,
        )
        container_id = str(created["Id"])
        try:
            api.start(container_id)
            yield container_id, lambda: _exists(api, container_id)
        finally:
            with contextlib.suppress(docker.errors.NotFound):
                api.remove_container(container_id, force=True)

    @contextlib.contextmanager
    def outage(self) -> Iterator[None]:
        """The executor's client points where no daemon listens for the block, then back."""
        executor = self.executor
        saved = executor.point_client_at(_NOWHERE)
        try:
            yield
        finally:
            executor.point_client_at(saved)


def _exists(api: Any, container_id: str) -> bool:
    try:
        api.inspect_container(container_id)
    except docker.errors.NotFound:
        return False
    return True
