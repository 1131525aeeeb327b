"""The probe image on the engine: left as it is when present, built from the packaged Dockerfile when missing."""

from __future__ import annotations

from typing import Any

import docker.errors

from executor_kit.backends.docker.errors import docker_errors
from executor_kit.errors import ExecutorConfigurationError, ExecutorResourceError
from executor_kit.probe import PROBE_DIGEST_LABEL, probe_digest
from executor_kit.probe.build import build_probe_image

__all__ = ["ensure_probe_image"]


def ensure_probe_image(client: Any, image: str) -> str | None:
    """Build the probe as ``image`` unless the engine has it, up to date or not built by the kit.

    Returns:
        ``None`` when nothing was built; else what was done and why.

    Raises:
        ExecutorConfigurationError: in one line, when the build fails.
        ExecutorConnectionError: when the daemon cannot be reached.

    Example:
        >>> class Api:
        ...     def inspect_image(self, image):
        ...         return {"Config": {"Labels": {"maintainer": "someone else"}}}
        >>> ensure_probe_image(type("Client", (), {"api": Api()})(), "my/probe:1") is None
        True
    """
    digest = _probe_digest_of(client.api, image)
    if digest is not None and digest in ("", probe_digest()):
        return None  # up to date, or an image the kit did not build: left as it is
    _build_probe(client, image)
    return f"built probe image {image} from local busybox ({'it was missing' if digest is None else 'out of date'})"


def _probe_digest_of(api: Any, image: str) -> str | None:
    """The probe digest label of a kit-built image, ``""`` for another image, ``None`` when missing."""
    with docker_errors(f"inspect image {image!r}"):
        try:
            info = api.inspect_image(image)
        except docker.errors.NotFound:
            return None
    return str(((info.get("Config") or {}).get("Labels") or {}).get(PROBE_DIGEST_LABEL, ""))


def _build_probe(client: Any, image: str) -> None:
    """Build the probe as ``image``; any build failure becomes one configuration-error line."""
    try:
        build_probe_image(client, tag=image)
    except (ExecutorConfigurationError, ExecutorResourceError, docker.errors.NotFound) as exc:
        reason = str(exc).strip().partition("\n")[0]
        raise ExecutorConfigurationError(
            f"probe image {image} is missing and could not be built: {reason}; "
            "run `executor-kit build-probe` or pass --probe-image",
            backend="docker",
        ) from exc
