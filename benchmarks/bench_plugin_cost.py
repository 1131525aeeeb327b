"""What installing executor-kit adds to an unrelated project's pytest run (goal: <= 50 ms).

Two fresh virtual environments: one with pytest alone, one with pytest and
``pip install <this checkout>`` (no extras, as a downstream project gets it).
The same 50-test project runs in each, alternating, 7 times; the script prints
the medians and their difference. Needs a package index for pytest.
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import tempfile
import time
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RUNS = 7
GOAL_MS = 50.0


def _venv(path: Path, *packages: str) -> Path:
    venv.EnvBuilder(with_pip=True).create(path)
    python = path / "bin" / "python"
    subprocess.run([python, "-m", "pip", "install", "-q", "pytest", *packages], check=True, capture_output=True)
    return python


def _time(python: Path, project: Path) -> float:
    start = time.perf_counter()
    subprocess.run(
        [python, "-m", "pytest", "-q", "-p", "no:cacheprovider"], cwd=project, check=True, capture_output=True
    )
    return time.perf_counter() - start


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        project = folder / "project"
        project.mkdir()
        (project / "pytest.ini").write_text("[pytest]\n")
        (project / "test_app.py").write_text("".join(f"def test_{i}():\n    assert {i} == {i}\n" for i in range(50)))
        bare = _venv(folder / "bare")
        kit = _venv(folder / "kit", str(ROOT))
        samples: dict[Path, list[float]] = {bare: [], kit: []}
        for _ in range(RUNS):
            for python in (bare, kit):
                samples[python].append(_time(python, project))
    without, with_kit = (statistics.median(samples[p]) * 1000 for p in (bare, kit))
    print(f"50-test project, pytest alone:            {without:.0f} ms (median of {RUNS})")
    print(f"same project, executor-kit installed:     {with_kit:.0f} ms")
    verdict = "met" if with_kit - without <= GOAL_MS else "MISSED"
    print(
        f"added by installing the kit:              {with_kit - without:+.0f} ms (goal <= {GOAL_MS:.0f} ms: {verdict})"
    )


if __name__ == "__main__":
    sys.exit(main())
