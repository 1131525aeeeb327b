"""The probe script writes through the descriptors it inherits, so output captured to files opened 'w' is whole.

Before, ``lines`` reopened ``/dev/stdout`` for appending: its lines went to the
end of the file through a new open file description, and the next ``out`` (at
the shell's own offset, not at the end) overwrote them. A process executor
capturing into files opened for writing then failed LOGS-005 for the probe's
fault, with a hint about reading logs.
"""

from __future__ import annotations

import importlib.util
import shutil
import subprocess
import sys
from pathlib import Path
from typing import IO

import pytest

from contract_tests.checks.logs import RUNS
from contract_tests.runner import evaluate
from executor_kit.probe import PROBE_DIR, Probe, interpret

ROOT = Path(__file__).resolve().parents[2]
BUSYBOX = shutil.which("busybox")
SHELL = [BUSYBOX, "sh"] if BUSYBOX else [shutil.which("sh") or "/bin/sh"]

WORKLOADS = {
    **{name: spec[0] for name, spec in RUNS.items()},
    "interleaved": Probe().out("a").lines("out", 3, 5).out("b").err("c").lines("err", 2, 4).err("d").exit(3),
}


def _run_to_files(probe: Probe, directory: Path, mode: str) -> tuple[str, str, int]:
    with open(directory / "out", mode) as out, open(directory / "err", mode) as err:
        done = subprocess.run([*SHELL, str(PROBE_DIR / "probe"), *probe.argv[1:]], stdout=out, stderr=err, check=False)
    return _exact(directory / "out"), _exact(directory / "err"), done.returncode


def _exact(path: Path) -> str:
    with open(path, encoding="utf-8", newline="") as file:  # no newline translation: CR stays CR
        return file.read()


@pytest.mark.parametrize("mode", ["w", "a"])
@pytest.mark.parametrize("name", sorted(WORKLOADS))
def test_the_script_writes_what_the_interpreter_says(name: str, mode: str, tmp_path: Path) -> None:
    probe = WORKLOADS[name]
    expected = interpret(probe.argv)
    stdout, stderr, code = _run_to_files(probe, tmp_path, mode)
    assert code == expected.exit_code
    assert (stdout, stderr) == expected.output_until(expected.duration)


def _local_process_module() -> object:
    path = ROOT / "examples" / "local_process" / "local_process_executor.py"
    spec = importlib.util.spec_from_file_location("_local_process_for_probe_test", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def test_an_executor_capturing_to_files_opened_w_passes_the_logs_clauses(monkeypatch: pytest.MonkeyPatch) -> None:
    module = _local_process_module()

    # The example opens its capture files for appending; make it open them for writing, as many executors do.
    def open_for_writing(path: Path, mode: str) -> IO[bytes]:
        return path.open(mode.replace("a", "w"))  # type: ignore[return-value]

    monkeypatch.setattr(module, "open", open_for_writing, raising=False)
    executor = module.LocalProcessExecutor()  # type: ignore[attr-defined]
    results = evaluate(executor, ["LOGS-001", "LOGS-002", "LOGS-003", "LOGS-005"])
    assert {result.clause.id: result.verdict for result in results} == dict.fromkeys(
        ["LOGS-001", "LOGS-002", "LOGS-003", "LOGS-005"], "pass"
    ), [result.message for result in results if result.verdict != "pass"]
