"""Build the probe image from the script and Dockerfile shipped in the package.

The Dockerfile says ``FROM busybox``; the build never pulls, so it works
without a registry when ``busybox:latest`` is present on the engine (CI builds
it from scratch, see ``.ci/run``). ``executor-kit build-probe`` calls this.
"""

from __future__ import annotations

from typing import Any

from executor_kit.errors import ExecutorResourceError
from executor_kit.probe import PROBE_DIGEST_LABEL, PROBE_DIR, PROBE_IMAGE, probe_digest

__all__ = ["build_probe_image"]


def _build_log(log: Any) -> str:
    lines = [str(entry.get("stream") or entry.get("error") or "") for entry in log or () if isinstance(entry, dict)]
    return "".join(lines).strip()[-2000:]


def build_probe_image(client: Any = None, *, tag: str = PROBE_IMAGE) -> str:
    """Build the probe image and tag it; return the tag.

    Args:
        client: A ``docker.DockerClient``; default ``docker.from_env()`` (closed afterwards).
        tag: The image tag to give it.

    Returns:
        ``tag``, ready to use as a job's ``image``.

    Raises:
        ExecutorConnectionError: when the daemon cannot be reached.
        ExecutorResourceError: when the build fails (for instance because the
            base image ``busybox`` is absent and no registry is reachable).

    Example:
        >>> build_probe_image.__defaults__, build_probe_image.__kwdefaults__
        ((None,), {'tag': 'executor-kit-probe:latest'})
    """
    import docker
    import docker.errors

    from executor_kit.backends.docker.errors import docker_errors

    with docker_errors("build the probe image"):
        own = client is None
        client = docker.from_env() if own else client
        try:
            labels = {PROBE_DIGEST_LABEL: probe_digest()}
            client.images.build(path=str(PROBE_DIR), tag=tag, rm=True, pull=False, labels=labels)
        except docker.errors.BuildError as exc:
            detail = _build_log(exc.build_log)
            raise ExecutorResourceError(f"building {tag} failed: {exc.msg}\n{detail}", backend="docker") from exc
        finally:
            if own:
                client.close()
    return tag
