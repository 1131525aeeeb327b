"""Wall time of the whole conformance suite on MockExecutor vs a bare pytest run.

Both run as fresh ``python -m pytest`` subprocesses (same interpreter start-up
and collection costs), the bare one over as many trivial tests as the suite has
clauses. Prints the medians of 5 runs each and their ratio (goal <= 2.0).
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from contract_tests import CLAUSES

RUNS = 5


def _time(args: list[str], cwd: str) -> float:
    start = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *args],
        cwd=cwd,
        check=True,
        capture_output=True,
    )
    return time.perf_counter() - start


def main() -> None:
    with tempfile.TemporaryDirectory() as empty, tempfile.TemporaryDirectory() as tmp:
        trivial = Path(tmp, "test_trivial.py")
        trivial.write_text("".join(f"def test_{i}():\n    assert True\n\n" for i in range(len(CLAUSES))))
        for folder in (empty, tmp):
            Path(folder, "pytest.ini").write_text("[pytest]\n")
        suite = statistics.median(_time(["--executor", "mock"], empty) for _ in range(RUNS))
        bare = statistics.median(_time([str(trivial)], tmp) for _ in range(RUNS))
    print(f"conformance suite on MockExecutor ({len(CLAUSES)} clauses): {suite:.2f} s (median of {RUNS})")
    print(f"bare pytest, {len(CLAUSES)} trivial tests:                  {bare:.2f} s")
    print(f"ratio: {suite / bare:.2f} (goal <= 2.0)")


if __name__ == "__main__":
    main()
