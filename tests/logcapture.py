"""The kit's log capture (``contract_tests.logs``) and a secret to look for with it."""

from __future__ import annotations

from contract_tests.logs import Records, debug_records

__all__ = ["SECRET", "Records", "debug_records"]

#: A plain ASCII secret: nothing in a library escapes it on the way to a log record.
SECRET = "plainAsciiS3cretValue42"
