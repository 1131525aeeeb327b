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

__all__ = ["missing_dependency"]


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
