"""Emulated cloud backends for offline conformance runs.

Each emulator plays the probe's argv behind a real client library's transport
(``responses`` for Cloud Run's REST API, ``moto`` for ECS and CloudWatch
Logs, a werkzeug server on 127.0.0.1 for the Kubernetes API), so the
unchanged conformance suite can run against a cloud executor without network
access. They need the ``dev`` extra.
"""

from __future__ import annotations

__all__: list[str] = []
