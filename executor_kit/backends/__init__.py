"""The built-in backends, one package each: ``mock``, ``docker``, ``cloudrun``, ``fargate``, ``kubernetes``.

A package holds its executor (``executor.py``), its private helpers and, for
the clouds, the emulator the offline tests run it against (``emulator.py``).
Each emulator plays the probe's argv behind a real client library's transport
(``responses`` for Cloud Run's REST API, ``moto`` for ECS and CloudWatch Logs,
a werkzeug server on 127.0.0.1 for the Kubernetes API). They need the
``emulators`` extra (``pip install 'executor-kit[emulators]'``); without it,
importing one raises an ``ImportError`` whose one-line message names that extra.
Importing this package imports no backend.
"""

from __future__ import annotations

from typing import Any, Protocol

__all__ = ["OwnsEmulator", "missing_dependency"]


class _Emulated(Protocol):
    emulator: Any

    def close(self) -> None: ...


class OwnsEmulator:
    """Mixin of an executor on an emulation it owns (put it first among the bases).

    ``close()`` releases the client only, as the contract says, and the
    emulated backend runs on; ``shutdown()`` closes the client, then stops the
    emulation.

    Example:
        >>> class Emulation:
        ...     stopped = False
        ...     def stop(self): self.stopped = True
        >>> class Executor(OwnsEmulator):
        ...     closed = False
        ...     def close(self): self.closed = True
        >>> ex = Executor(); ex.emulator = Emulation(); ex.shutdown()
        >>> ex.closed, ex.emulator.stopped
        (True, True)
    """

    def shutdown(self: _Emulated) -> None:
        """Close the client, then stop the emulation (a no-op for the emulation when there is none).

        Example:
            >>> class Executor(OwnsEmulator):
            ...     def close(self): print("closed")
            >>> Executor().shutdown()
            closed
        """
        self.close()
        emulator = getattr(self, "emulator", None)
        if emulator is not None:
            emulator.stop()


def missing_dependency(error: ImportError) -> ImportError:
    """The error an emulator raises when a library it needs is not installed: it names the extra.

    Example:
        >>> print(missing_dependency(ModuleNotFoundError("No module named 'responses'", name="responses")))
        the offline cloud emulators need 'responses', which is not installed: pip install 'executor-kit[emulators]'
    """
    return ModuleNotFoundError(
        f"the offline cloud emulators need {error.name!r}, which is not installed: "
        "pip install 'executor-kit[emulators]'",
        name=error.name,
    )
