"""Mutation score of MockExecutor (and of DockerExecutor's mapping): how many mutants do the kit's checks kill?

mutmut 3 (the ``mutation`` extra: ``pip install -e '.[mutation]'``) writes the
mutants: a copy of ``executor_kit`` in a temporary directory in which every
function of the target files is a trampoline that calls the original or one
mutant, chosen by the name mutmut's ``set_mutant_under_test`` records. This
script imports that copy once and forks a child per mutant (mutmut's own
runner takes one test command; the two figures below need two oracles):

- (a) the conformance suite alone: ``contract_tests.evaluate`` on a fresh
  executor kills a mutant when a MUST clause ends ``fail`` or ``inconclusive``
  (what makes ``executor-kit verify`` exit non-zero) or the run crashes; a
  mutant that fails only SHOULD clauses survives (and is counted apart);
- (b) the suite, then, for its survivors, the target's unit tests (stopping
  at the first failure).

Targets: ``--target mock`` (default): the MockExecutor's ``executor``, ``launching``,
``lifecycle``, ``state`` and ``outcomes`` modules (``executor_kit/backends/mock/``), unit
tests ``tests/mock/test_mock_*.py``. ``--target docker``: the status / logs / harvest
mapping functions of ``executor_kit/backends/docker/`` (``state``, ``stream``, ``observe``,
``executor``; listed in ``_DOCKER_MAPPING``), on the real engine, unit
tests ``tests/docker/test_lifecycle.py`` and ``test_docker_conformance.py``;
a suite run takes 20-40 s there, so use ``--sample``.

A child that outlives ``--timeout`` is stopped (SIGTERM, so the run cleans up
what it launched; SIGKILL a minute later) and counted ``timeout`` (a kill, as
in mutmut). The script prints total / killed / survived / timeout and the score
for (a) and (b), the score of (a) on the mutants of functions the suite calls,
and (with ``--list``) each survivor of (b) with its changed lines.

Run: ``python benchmarks/bench_mutation.py [--target mock|docker] [--list]
[--workers 2] [--sample N [--seed S]] [--only GLOB] [--json FILE]``. All the
mock's mutants take about 25 minutes on two busy cores (most of it the unit
tests of the suite's survivors); ``--sample 100`` about three.
"""

from __future__ import annotations

import argparse
import ast
import contextlib
import dataclasses
import difflib
import fnmatch
import importlib
import json
import os
import random
import shutil
import signal
import sys
import tempfile
import time
import traceback
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[1]


@dataclasses.dataclass(frozen=True)
class Target:
    """What is mutated, and what must kill it."""

    files: tuple[str, ...]
    executor: str  # a name for executor_kit.get_executor
    unit_tests: tuple[str, ...]
    functions: tuple[str, ...] = ()  # mutate only these (mutmut's mangled names); empty: every function
    timeout: float = 20.0  # seconds for one suite run before the mutant counts as timeout


MOCK = Target(
    tuple(
        f"executor_kit/backends/mock/{module}.py"
        for module in ("executor", "launching", "lifecycle", "state", "outcomes")  # executor.py before its split
    ),
    "mock",
    tuple(sorted(str(path) for path in (ROOT / "tests" / "mock").glob("test_mock_*.py"))),
)
# The Docker executor's status / logs / harvest mapping: the functions that turn what the engine
# reports into the contract's words. Killing them takes the real engine.
_DOCKER_MAPPING = {
    "state": (
        *("_run_seconds", "timed_out", "timeout_of", "parse_time", "_oom_reason", "_timeout_reason"),
        *("_restart_reason", "_engine_reason", "platform_reason"),
    ),
    "stream": ("_drain", "demultiplex"),
    "observe": ("ContainerObserver.status_of", "ContainerObserver.failure_reason", "ContainerObserver.result_of"),
    "executor": (
        *("DockerExecutor._status_from_row", "DockerExecutor._logs", "DockerExecutor.get_logs"),
        "DockerExecutor.harvest_job",
    ),
}


def _mangled(name: str) -> str:
    """mutmut's name of a function (``x_name``) or a method (``xǁClassǁname``)."""
    owner, _, method = name.rpartition(".")
    return f"xǁ{owner}ǁ{method}" if owner else f"x_{name}"


DOCKER = Target(
    tuple(f"executor_kit/backends/docker/{module}.py" for module in _DOCKER_MAPPING),
    "docker",
    (str(ROOT / "tests/docker/test_lifecycle.py"), str(ROOT / "tests/docker/test_docker_conformance.py")),
    tuple(_mangled(name) for names in _DOCKER_MAPPING.values() for name in names),
    timeout=300.0,
)
TARGETS = {"mock": MOCK, "docker": DOCKER}
_target = MOCK  # set by main before any child is forked
SURVIVED, KILLED, TIMEOUT = "survived", "killed", "timeout"
# exit codes of the suite child; only a SHOULD clause failing is not a kill (verify exits 0)
SUITE_PASS, SUITE_FAIL, SUITE_INCONCLUSIVE, SUITE_CRASH, SUITE_SHOULD = 0, 1, 2, 3, 4


def _generate(work: Path) -> list[str]:
    """Write the mutated copy of executor_kit under ``work/mutants``; return the mutant names."""
    shutil.copytree(ROOT / "executor_kit", work / "executor_kit", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copytree(work / "executor_kit", work / "mutants" / "executor_kit")
    sources = ", ".join(json.dumps(target) for target in _target.files)
    (work / "pyproject.toml").write_text(f"[tool.mutmut]\nsource_paths = [{sources}]\n")
    os.chdir(work)  # mutmut reads its configuration from the working directory
    from mutmut.__main__ import create_mutants_for_file
    from mutmut.mutation.data import SourceFileMutationData

    names: list[str] = []
    for target in _target.files:
        result = create_mutants_for_file(Path(target), Path("mutants") / target)
        if result.error is not None:
            raise result.error
        data = SourceFileMutationData(path=Path(target))
        data.load()
        names.extend(sorted(data.exit_code_by_key, key=_mutant_order))
    wanted = set(_target.functions)
    return [name for name in names if not wanted or _function_of(name).rpartition(".")[2] in wanted]


def _mutant_order(name: str) -> tuple[str, int]:
    function, _, number = name.rpartition("__mutmut_")
    return function, int(number)


def _import_mutated(work: Path) -> None:
    sys.path.insert(0, str(work / "mutants"))
    for target in _target.files:
        module = importlib.import_module(target.removesuffix(".py").replace("/", "."))
        if not Path(module.__file__ or "").is_relative_to(work):
            raise SystemExit(f"{module.__name__} was imported from {module.__file__}, not from the mutated copy")


def _suite_oracle(mutant: str = "") -> int:
    from contract_tests import Level, evaluate
    from executor_kit import get_executor
    from executor_kit.probe import PROBE_IMAGE

    try:
        executor = get_executor(_target.executor)
        executor.prepare_probe(PROBE_IMAGE)
        with executor:
            results = evaluate(executor)
    except BaseException:  # a crash of the run: verify would exit non-zero
        return SUITE_CRASH
    verdicts = {result.verdict for result in results if result.clause.level == Level.MUST}
    if "fail" in verdicts:
        return SUITE_FAIL
    if "inconclusive" in verdicts:
        return SUITE_INCONCLUSIVE
    return SUITE_SHOULD if any(result.verdict == "fail" for result in results) else SUITE_PASS


_PYTEST_ARGS = ("-q", "-x", "-p", "no:randomly", "-p", "no:cacheprovider", "--rootdir", str(ROOT))
_tests_by_function: dict[str, list[str]] = {}  # filled by main before the unit tests' children are forked


def _unit_oracle(mutant: str = "") -> int:
    """The unit tests that call the mutated function (all of them for the unmutated copy)."""
    tests = _tests_by_function.get(_function_of(mutant), []) if mutant and _tests_by_function else []
    tests = tests or list(_target.unit_tests)
    return int(pytest.main([*_PYTEST_ARGS, *tests]))


class _Hits:
    """A pytest plugin: which mutated functions each test calls (mutmut's ``stats`` mode)."""

    def __init__(self) -> None:
        self.tests_by_function: dict[str, list[str]] = {}

    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_protocol(self, item: Any) -> Any:
        from mutmut.state import state

        state()._stats.clear()
        result = yield
        for function in state()._stats:
            self.tests_by_function.setdefault(function, []).append(str(ROOT / item.nodeid))
        return result


def _reach() -> dict[str, Any]:
    """In a child, in mutmut's ``stats`` mode: the functions the suite calls, and the unit tests calling each."""
    from mutmut.mutation.trampoline import set_mutant_under_test
    from mutmut.state import state

    set_mutant_under_test("stats")
    hits = _Hits()  # pytest first: it must import Hypothesis itself (to rewrite its asserts)
    code = pytest.main([*_PYTEST_ARGS, *_target.unit_tests], plugins=[hits])
    state()._stats.clear()
    _suite_oracle()
    suite = sorted(state()._stats)
    return {"suite": suite, "unit": hits.tests_by_function, "unit_exit": int(code)}


def _in_child(function: Callable[[], dict[str, Any]]) -> dict[str, Any]:
    """``function()`` run in a forked child (its threads and imports stay there), its result as JSON."""
    with tempfile.NamedTemporaryFile(suffix=".json") as out:
        pid = os.fork()
        if pid == 0:  # pragma: no cover - the child
            try:
                devnull = os.open(os.devnull, os.O_WRONLY)
                os.dup2(devnull, 1)
                os.dup2(devnull, 2)
                Path(out.name).write_text(json.dumps(function()))
            except BaseException:
                Path(out.name).write_text(json.dumps({"error": traceback.format_exc()}))
            finally:
                os._exit(0)
        os.waitpid(pid, 0)
        result: dict[str, Any] = json.loads(Path(out.name).read_text() or '{"error": "no answer"}')
    if "error" in result:
        raise SystemExit(f"{function.__name__} failed in its child:\n{result['error']}")
    return result


def _child(mutant: str, oracle: Callable[[str], int]) -> int:
    from mutmut.mutation.trampoline import set_mutant_under_test

    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 1)
    os.dup2(devnull, 2)
    set_mutant_under_test(mutant)
    signal.signal(signal.SIGTERM, _stop)  # at the timeout: clean up what the run launched, then exit
    return oracle(mutant)


def _stop(signum: int, frame: object) -> None:
    raise SystemExit(128 + signum)


def _run_all(mutants: list[str], oracle: Callable[[str], int], workers: int, timeout: float) -> dict[str, int | None]:
    """Each mutant's child exit code (``None``: killed at the timeout)."""
    pending, running, codes = list(reversed(mutants)), {}, {}
    progress = _Progress(oracle.__name__.strip("_"), len(mutants))
    while pending or running:
        progress.show(len(codes))
        while pending and len(running) < workers:
            mutant = pending.pop()
            sys.stdout.flush()
            pid = os.fork()
            if pid == 0:  # pragma: no cover - the child
                code = 99
                try:
                    code = _child(mutant, oracle)
                finally:
                    os._exit(code)
            running[pid] = (mutant, time.monotonic() + timeout)
        _reap(running, codes)
    return codes


class _Progress:
    """A line on stderr every 10 % of a long run."""

    def __init__(self, label: str, total: int) -> None:
        self.label, self.total, self.next = label, total, max(total // 10, 1)

    def show(self, done: int) -> None:
        if done >= self.next and self.total >= 50:
            print(f"  {self.label}: {done}/{self.total}", file=sys.stderr, flush=True)
            self.next += max(self.total // 10, 1)


def _reap(running: dict[int, tuple[str, float]], codes: dict[str, int | None]) -> None:
    pid, status = os.waitpid(-1, os.WNOHANG)
    if pid:
        mutant, _ = running.pop(pid)
        codes[mutant] = os.waitstatus_to_exitcode(status)
        return
    now = time.monotonic()
    for pid, (mutant, deadline) in list(running.items()):
        if now > deadline:
            _terminate(pid)
            running.pop(pid)
            codes[mutant] = None
    time.sleep(0.02)


def _terminate(pid: int, grace: float = 60.0) -> None:
    """SIGTERM (the run's cleanup runs), then SIGKILL after ``grace`` seconds."""
    os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + grace
    while time.monotonic() < deadline:
        if os.waitpid(pid, os.WNOHANG)[0]:
            return
        time.sleep(0.05)
    os.kill(pid, signal.SIGKILL)
    os.waitpid(pid, 0)


def _outcome(code: int | None) -> str:
    if code is None:
        return TIMEOUT
    return SURVIVED if code in (0, SUITE_SHOULD) else KILLED


def _function_of(mutant: str) -> str:
    return mutant.rpartition("__mutmut_")[0]


def _changed_lines(work: Path, mutant: str) -> list[str]:
    """The mutant's lines that differ from the original function (``-``/``+`` pairs)."""
    module, _, name = mutant.rpartition(".")
    tree_source = _mutated_source(work, module)
    bodies = {node.name: node for node in ast.walk(tree_source[0]) if isinstance(node, ast.FunctionDef)}
    original_name = _function_of(name) + "__mutmut_orig"
    original = ast.get_source_segment(tree_source[1], bodies[original_name]) or ""
    mutated = (ast.get_source_segment(tree_source[1], bodies[name]) or "").replace(name, original_name, 1)
    diff = difflib.unified_diff(original.splitlines(), mutated.splitlines(), lineterm="", n=0)
    return [line.strip() for line in diff if line[:1] in "+-" and line[:3] not in ("+++", "---")]


_SOURCES: dict[str, tuple[ast.Module, str]] = {}


def _mutated_source(work: Path, module: str) -> tuple[ast.Module, str]:
    if module not in _SOURCES:
        text = (work / "mutants" / (module.replace(".", "/") + ".py")).read_text()
        _SOURCES[module] = (ast.parse(text), text)
    return _SOURCES[module]


def _summary(label: str, outcomes: dict[str, str]) -> str:
    total = len(outcomes)
    counts = {kind: sum(1 for value in outcomes.values() if value == kind) for kind in (KILLED, SURVIVED, TIMEOUT)}
    score = (counts[KILLED] + counts[TIMEOUT]) / total if total else 0.0
    return (
        f"{label}: total {total}, killed {counts[KILLED]}, survived {counts[SURVIVED]}, "
        f"timeout {counts[TIMEOUT]} -> score {score:.1%}"
    )


def _select(mutants: list[str], only: str | None, sample: int | None, seed: int) -> list[str]:
    chosen = [mutant for mutant in mutants if only is None or fnmatch.fnmatchcase(mutant, only)]
    if sample is not None and sample < len(chosen):
        chosen = sorted(random.Random(seed).sample(chosen, sample), key=mutants.index)
    return chosen


def _parse() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--target", choices=sorted(TARGETS), default="mock", help="what to mutate (default mock)")
    parser.add_argument("--workers", type=int, default=2, help="children at a time (default 2)")
    parser.add_argument("--timeout", type=float, help="seconds per suite run before it counts as timeout")
    parser.add_argument("--unit-timeout", type=float, default=600.0, help="the same for a run of the unit tests")
    parser.add_argument("--sample", type=int, help="test a seeded random sample of this many mutants")
    parser.add_argument("--seed", type=int, default=0, help="seed of --sample")
    parser.add_argument("--only", help="test only the mutants whose name matches this glob")
    parser.add_argument("--list", action="store_true", help="list the survivors of (b) with their changed lines")
    parser.add_argument("--json", help="also write every mutant's outcome to this JSON file")
    parser.add_argument("--keep", help="generate the mutated copy in this directory and keep it")
    return parser.parse_args()


@contextlib.contextmanager
def _workdir(keep: str | None) -> Iterator[Path]:
    if keep is not None:
        Path(keep).mkdir(parents=True, exist_ok=True)
        yield Path(keep).resolve()
        return
    with tempfile.TemporaryDirectory(prefix="executor-kit-mutation-") as work:
        yield Path(work)


def _baseline() -> None:
    """The unmutated copy passes both oracles, and a broken trampoline fails the suite."""
    codes = _run_all(["", "fail"], _suite_oracle, 2, 120.0)
    if codes[""] != SUITE_PASS or _outcome(codes["fail"]) == SURVIVED:
        raise SystemExit(f"baseline broken: suite exit codes clean={codes['']} forced-fail={codes['fail']}")
    clean_unit = _run_all([""], _unit_oracle, 1, 300.0)[""]
    if clean_unit != 0:
        raise SystemExit(f"baseline broken: the mock's unit tests exit {clean_unit} on the unmutated copy")


def _report(
    chosen: list[str], suite_codes: dict[str, int | None], unit: dict[str, str], reached: set[str]
) -> list[dict]:
    suite = {mutant: _outcome(suite_codes[mutant]) for mutant in chosen}
    both = {mutant: unit.get(mutant, suite[mutant]) for mutant in chosen}
    print(_summary("(a) conformance suite alone", suite))
    print(
        _summary(
            "(a) on mutants of functions the suite calls", {m: suite[m] for m in chosen if _function_of(m) in reached}
        )
    )
    print(_summary("(b) suite + the mock's unit tests", both))
    unsure = sum(1 for code in suite_codes.values() if code in (SUITE_INCONCLUSIVE, SUITE_CRASH))
    should = sum(1 for code in suite_codes.values() if code == SUITE_SHOULD)
    print(f"    (of the suite's kills, {unsure} by an inconclusive MUST clause or a crashed run;")
    print(f"    of its survivors, {should} fail a SHOULD clause, which does not make verify exit non-zero)")
    return [{"mutant": m, "suite": suite[m], "suite_exit": suite_codes[m], "with_unit_tests": both[m]} for m in chosen]


def _list_survivors(work: Path, rows: list[dict]) -> None:
    print("\nsurvivors of (b):")
    for row in rows:
        if row["with_unit_tests"] == SURVIVED:
            print(f"- {row['mutant']}" + "".join(f"\n    {line}" for line in _changed_lines(work, row["mutant"])))


def main() -> int:
    global _target, _tests_by_function
    args = _parse()
    _target = TARGETS[args.target]
    os.environ.setdefault("TESTCONTAINERS_RYUK_DISABLED", "true")  # the Docker tests' own containers
    json_path = Path(args.json).resolve() if args.json else None  # before the script changes directory
    started = time.perf_counter()
    with _workdir(args.keep) as work:
        mutants = _generate(work)
        _import_mutated(work)
        _baseline()
        reach = _in_child(_reach)
        reached, _tests_by_function = set(reach["suite"]), reach["unit"]
        if reach["unit_exit"] != 0:
            raise SystemExit(f"baseline broken: the unit tests exit {reach['unit_exit']} in mutmut's stats mode")
        chosen = _select(mutants, args.only, args.sample, args.seed)
        print(f"{len(mutants)} mutants of {', '.join(_target.files)}; testing {len(chosen)}", flush=True)
        # A mutant of a function the checks never call survives them: it is not run.
        suite_codes = dict.fromkeys(chosen, SUITE_PASS)
        reachable = [mutant for mutant in chosen if _function_of(mutant) in reached]
        suite_codes |= _run_all(reachable, _suite_oracle, args.workers, args.timeout or _target.timeout)
        left = [m for m in chosen if _outcome(suite_codes[m]) == SURVIVED and _function_of(m) in _tests_by_function]
        unit_codes = _run_all(left, _unit_oracle, args.workers, args.unit_timeout)
        # Survivors of the unit tests that call their function (and of the suite) get every unit test.
        last = [
            m for m in chosen if _outcome(suite_codes[m]) == SURVIVED and _outcome(unit_codes.get(m, 0)) == SURVIVED
        ]
        _tests_by_function = {}
        unit_codes |= _run_all(last, _unit_oracle, args.workers, args.unit_timeout)
        rows = _report(chosen, suite_codes, {m: _outcome(code) for m, code in unit_codes.items()}, reached)
        if args.list:
            _list_survivors(work, rows)
        if json_path is not None:
            json_path.write_text(json.dumps(rows, indent=1))
    print(f"\n({time.perf_counter() - started:.0f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
