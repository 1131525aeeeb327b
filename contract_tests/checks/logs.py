"""LOGS clauses: two real streams, complete, Unicode-safe, live and after exit."""

from __future__ import annotations

from contract_tests.checks import check, finished, odd_ids, same_output, scenario, unique_prefix
from contract_tests.checks.lifecycle import late_in_life
from contract_tests.harness import Harness, Spec
from executor_kit.probe import Probe, interpret

__all__: list[str] = []

UNICODE_OUT = "héllo wörld ✓ 日本語 🚀 \u200b zero-width"
UNICODE_ERR = "ошибка ✗ — ñ"

#: Output of every awkward shape, both streams interleaved (LOGS-009).
SHAPES = (
    Probe()
    .raw("out", "no newline yet, ")
    .raw("err", "stderr first\r\n")
    .raw("out", "CRLF\r\nCR only\rLF\n\n\nafter two empty lines\ntrailing spaces   \ttab\t\n")
    .raw("err", "outside the BMP: 𝄞 🚀 and inside: ✓ é\n")
    .repeat("out", 3000, "é🚀日" * 9 + "\n")  # 243 KB of multi-byte characters in short lines
    .repeat("err", 5000, "ж")
    .lines("err", 12000, 12)
    .repeat("out", 150000, "x")
    .raw("err", "   ")
    .raw("out", "\nthe end, without a newline")
)

RUNS: dict[str, Spec] = {
    "shapes": (SHAPES, {"environment": {"TERM": "xterm-256color"}}),  # a TERM never turns on a TTY
    "separate": (Probe().out("to stdout").err("to stderr").out("stdout again"), {}),
    "large": (Probe().lines("out", 20000, 80), {}),
    "long": (Probe().lines("err", 3, 100000), {}),
    "unicode": (Probe().out(UNICODE_OUT).err(UNICODE_ERR), {}),
    "last": (
        Probe().out("first line").lines("out", 500, 20).out("the very last line").err("last on stderr").exit(0),
        {},
    ),
}


@scenario
def _runs(h: Harness) -> list[Spec]:
    return list(RUNS.values())


def _numbered(count: int, width: int) -> str:
    return "".join(str(i).ljust(width, ".") + "\n" for i in range(1, count + 1))


@check("LOGS-001")
def streams_separated(h: Harness) -> None:
    run = finished(h, RUNS["separate"])
    assert all(isinstance(part, str) for part in run.logs), f"get_logs returned {run.logs!r}, not two str"
    assert run.logs == ("to stdout\nstdout again\n", "to stderr\n"), f"get_logs returned {run.logs!r}"


def _mismatch(got: str, want: str) -> str:
    index = next((i for i, (a, b) in enumerate(zip(got, want, strict=False)) if a != b), min(len(got), len(want)))
    return f"got {len(got)} chars, want {len(want)}; first difference at {index}: {got[index : index + 40]!r}"


@check("LOGS-002")
def large_output(h: Harness) -> None:
    run = finished(h, RUNS["large"])
    assert run.stdout == _numbered(20000, 80), _mismatch(run.stdout, _numbered(20000, 80))


@check("LOGS-003")
def long_lines(h: Harness) -> None:
    run = finished(h, RUNS["long"])
    assert run.logs[1] == _numbered(3, 100000), _mismatch(run.logs[1], _numbered(3, 100000))


@check("LOGS-004")
def unicode(h: Harness) -> None:
    run = finished(h, RUNS["unicode"])
    assert run.logs == (UNICODE_OUT + "\n", UNICODE_ERR + "\n"), f"get_logs returned {run.logs!r}"


@check("LOGS-005")
def no_trailing_loss(h: Harness) -> None:
    run = finished(h, RUNS["last"])
    assert run.stdout.startswith("first line\n1...."), f"stdout starts with {run.stdout[:40]!r}"
    assert run.stdout.endswith("the very last line\n"), f"stdout ends with {run.stdout[-60:]!r}"
    assert run.logs[1] == "last on stderr\n", f"stderr is {run.logs[1]!r}"


@check("LOGS-006")
def logs_while_running(h: Harness) -> None:
    _, execution_id = h.start(Probe().out("early").err("early on stderr").sleep(h.profile.long_sleep).out("late"))
    h.wait_for(
        lambda: h.executor.get_logs(execution_id) == ("early\n", "early on stderr\n"),
        h.profile.launch_deadline,
        "the early output to show in get_logs while running",
    )
    status = h.status(execution_id)
    assert status == "running", f"the workload read {status!r} (it sleeps {h.profile.long_sleep:g} s)"
    silent, quiet = late_in_life(h)
    h.sleep(quiet)
    logs = h.executor.get_logs(silent)
    assert logs == ("early\n", "early on stderr\n"), f"after {quiet:g} s of silence get_logs returned {logs!r}"


@check("LOGS-009")
def every_shape_exact(h: Harness) -> None:
    run = finished(h, RUNS["shapes"])
    want = interpret(SHAPES.argv).output_until(float("inf"))
    for stream, got, expected in zip(("stdout", "stderr"), run.logs, want, strict=True):
        assert same_output(h, got, expected), f"get_logs {stream}: {_mismatch(got, expected)}"
    for stream, got, expected in zip(("stdout", "stderr"), (run.job.stdout, run.job.stderr), run.logs, strict=True):
        assert got == expected, f"the harvested job's {stream} differs from get_logs: {_mismatch(got, expected)}"


@check("LOGS-008")
def logs_unknown(h: Harness) -> None:
    logs = h.executor.get_logs("executor-kit-unknown-execution-3")
    assert logs == ("", ""), f"get_logs of an unknown id returned {logs!r}"
    _, odd = odd_ids(h)
    answers = {what: h.executor.get_logs(eid) for what, eid in odd.items()}
    wrong = {what: logs for what, logs in answers.items() if logs != ("", "")}
    assert not wrong, f"get_logs of ids resembling a real one returned {wrong}"
    with unique_prefix(h) as (executor, real, prefix):
        logs = executor.get_logs(prefix)
    assert logs == ("", ""), f"get_logs of {prefix!r}, a unique prefix of {real!r}, returned {logs!r}"
