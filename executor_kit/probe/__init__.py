"""The probe: the one workload the conformance suite runs on every backend.

Real backends run the shell script ``probe`` (shipped beside this module) in
the probe image; ``MockExecutor`` and the cloud emulators interpret the same
argv with ``interpret``. The argv is ``probe STEP...``, the steps run in order:

============================  ===============================================
``out TEXT``                  print TEXT and a newline to stdout
``err TEXT``                  print TEXT and a newline to stderr
``env NAME``                  print the value of NAME (empty if unset) and a newline
``has NAME``                  print ``set`` or ``unset`` and a newline
``sleep SECONDS``             sleep (decimal seconds)
``alloc MIB``                 allocate and touch MIB mebibytes, then free them (the
                              image's script waits a second first, so a container
                              engine is watching for OOM kills by then)
``lines STREAM COUNT WIDTH``  write COUNT lines to ``out`` or ``err``; line i is
                              ``str(i)`` padded with ``.`` to WIDTH characters
``raw STREAM TEXT``           write TEXT exactly (no newline added) to ``out`` or ``err``
``repeat STREAM COUNT TEXT``  write TEXT COUNT times, nothing added, to ``out`` or ``err``
``ignore-term``               ignore SIGTERM and SIGINT from now on
``die SIGNAL``                end as a process killed by signal number SIGNAL
                              does: exit code 128 + SIGNAL
``exit CODE``                 exit with CODE (mod 256) at once
============================  ===============================================

Without ``exit`` the probe exits 0. SIGTERM ends it with 143 unless ignored.
An unknown step writes ``probe: unknown step X`` to stderr and exits 64.
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path

__all__ = [
    "MISSING_IMAGE",
    "PROBE_DIGEST_LABEL",
    "PROBE_DIR",
    "PROBE_IMAGE",
    "Probe",
    "ProbeEvent",
    "ProbeRun",
    "interpret",
    "is_probe",
    "probe_digest",
]

#: The tag the suite runs by default on real backends.
PROBE_IMAGE = "executor-kit-probe:latest"

#: An image name that by convention never exists on any backend (launch must fail).
MISSING_IMAGE = "executor-kit-missing-image:absent"

#: The folder holding the probe script and its Dockerfile (the build context).
PROBE_DIR = Path(__file__).resolve().parent

#: The image label that records which probe (``probe_digest()``) a kit-built probe image holds.
PROBE_DIGEST_LABEL = "executor-kit-probe-digest"


def probe_digest() -> str:
    """A short hash of the probe script and its Dockerfile: a kit-built image with another one is out of date.

    Example:
        >>> len(probe_digest()), probe_digest() == probe_digest()
        (16, True)
    """
    content = b"".join((PROBE_DIR / name).read_bytes() for name in ("probe", "Dockerfile"))
    return hashlib.sha256(content).hexdigest()[:16]


@dataclasses.dataclass(frozen=True)
class ProbeEvent:
    """Output written at ``at`` seconds after the start, on ``stream``.

    Example:
        >>> ProbeEvent(0.0, "stdout", "hi\\n").text
        'hi\\n'
    """

    at: float
    stream: str
    text: str


@dataclasses.dataclass(frozen=True)
class ProbeRun:
    """What a probe argv does, computed without running it.

    Example:
        >>> run = interpret(Probe().out("a").sleep(2).out("b").argv)
        >>> run.output_until(1.0), run.duration, run.exit_code
        (('a\\n', ''), 2.0, 0)
    """

    events: tuple[ProbeEvent, ...]
    exit_code: int
    duration: float
    oom_killed: bool = False
    ignores_term: bool = False

    def output_until(self, elapsed: float) -> tuple[str, str]:
        """``(stdout, stderr)`` written within ``elapsed`` seconds of the start.

        Example:
            >>> interpret(Probe().err("e").argv).output_until(0)
            ('', 'e\\n')
        """
        if not self.events or elapsed >= self.events[-1].at:  # events are in time order
            return self._final_output
        return _collect(event for event in self.events if event.at <= elapsed)

    @functools.cached_property
    def _final_output(self) -> tuple[str, str]:
        return _collect(self.events)


def _collect(events: Iterable[ProbeEvent]) -> tuple[str, str]:
    stdout: list[str] = []
    stderr: list[str] = []
    for event in events:
        (stdout if event.stream == "stdout" else stderr).append(event.text)
    return "".join(stdout), "".join(stderr)


@dataclasses.dataclass
class _State:
    args: list[str]
    environment: Mapping[str, str]
    memory_limit_mib: float | None
    now: float = 0.0
    events: list[ProbeEvent] = dataclasses.field(default_factory=list)
    exit_code: int | None = None
    oom_killed: bool = False
    ignores_term: bool = False

    def take(self) -> str:
        return self.args.pop(0) if self.args else ""

    def write(self, stream: str, text: str) -> None:
        self.events.append(ProbeEvent(self.now, stream, text))

    def stop(self, code: int, message: str | None = None) -> None:
        if message:
            self.write("stderr", message)
        self.exit_code = code


def _number(state: _State, step: str) -> float | None:
    raw = state.take()
    try:
        return float(raw)
    except ValueError:
        state.stop(64, f"probe: {step} needs a number, got {raw!r}\n")
        return None


def _sleep(state: _State) -> None:
    seconds = _number(state, "sleep")
    state.now += max(0.0, seconds or 0.0)


def _alloc(state: _State) -> None:
    mib = _number(state, "alloc")
    limit = state.memory_limit_mib
    if mib is not None and limit is not None and mib >= limit:
        state.oom_killed = True
        state.stop(137)


def _lines(state: _State) -> None:
    stream = {"out": "stdout", "err": "stderr"}.get(state.take())
    count, width = _number(state, "lines"), _number(state, "lines")
    if stream is None or count is None or width is None:
        state.stop(64, "probe: lines needs out|err COUNT WIDTH\n")
        return
    state.write(stream, "".join(str(i).ljust(int(width), ".") + "\n" for i in range(1, int(count) + 1)))


def _stream(state: _State) -> str:
    return "stderr" if state.take() == "err" else "stdout"


def _raw(state: _State) -> None:
    stream = _stream(state)
    state.write(stream, state.take())


def _repeat(state: _State) -> None:
    stream, count = _stream(state), _number(state, "repeat")
    text = state.take()
    if count is not None:
        state.write(stream, text * int(count))


def _die(state: _State) -> None:
    signal = _number(state, "die")
    if signal is not None:
        state.stop((128 + int(signal)) % 256)


def _exit(state: _State) -> None:
    code = _number(state, "exit")
    if code is not None:
        state.stop(int(code) % 256)


def _ignore_term(state: _State) -> None:
    state.ignores_term = True


_STEPS: dict[str, Callable[[_State], None]] = {
    "out": lambda state: state.write("stdout", state.take() + "\n"),
    "err": lambda state: state.write("stderr", state.take() + "\n"),
    "env": lambda state: state.write("stdout", state.environment.get(state.take(), "") + "\n"),
    "has": lambda state: state.write("stdout", "set\n" if state.take() in state.environment else "unset\n"),
    "sleep": _sleep,
    "alloc": _alloc,
    "lines": _lines,
    "raw": _raw,
    "repeat": _repeat,
    "die": _die,
    "exit": _exit,
    "ignore-term": _ignore_term,
}


def _unknown_step(step: str) -> Callable[[_State], None]:
    return lambda state: state.stop(64, f"probe: unknown step {step}\n")


def interpret(
    argv: Sequence[str],
    environment: Mapping[str, str] | None = None,
    *,
    memory_limit_mib: float | None = None,
) -> ProbeRun:
    """Compute what the probe does for ``argv`` (with or without the leading ``probe``).

    Args:
        argv: The probe's command line.
        environment: The variables the workload sees.
        memory_limit_mib: A limit under which ``alloc`` of as much or more is OOM-killed.

    Example:
        >>> run = interpret(["probe", "env", "A", "exit", "3"], {"A": "x y"})
        >>> run.output_until(0), run.exit_code
        (('x y\\n', ''), 3)
    """
    args = list(argv[1:] if is_probe(argv) else argv)
    state = _State(args, environment or {}, memory_limit_mib)
    while state.args and state.exit_code is None:
        step = state.take()
        _STEPS.get(step, _unknown_step(step))(state)
    code = 0 if state.exit_code is None else state.exit_code
    return ProbeRun(tuple(state.events), code, state.now, state.oom_killed, state.ignores_term)


def is_probe(command: Sequence[str]) -> bool:
    """Whether ``command`` runs the probe.

    Example:
        >>> is_probe(["probe", "out", "x"]), is_probe(["echo", "x"])
        (True, False)
    """
    return bool(command) and command[0] in ("probe", "/bin/probe")


class Probe:
    """Builds a probe argv step by step.

    Example:
        >>> Probe().out("a b").err("c").exit(3).argv
        ['probe', 'out', 'a b', 'err', 'c', 'exit', '3']
    """

    def __init__(self) -> None:
        self.argv: list[str] = ["probe"]

    def _add(self, *parts: object) -> Probe:
        self.argv.extend(str(part) for part in parts)
        return self

    def out(self, text: str) -> Probe:
        """Print ``text`` to stdout. Example: ``Probe().out("hi")``."""
        return self._add("out", text)

    def err(self, text: str) -> Probe:
        """Print ``text`` to stderr. Example: ``Probe().err("oops")``."""
        return self._add("err", text)

    def env(self, name: str) -> Probe:
        """Print the value of variable ``name``. Example: ``Probe().env("HOME")``."""
        return self._add("env", name)

    def has(self, name: str) -> Probe:
        """Print whether variable ``name`` is set. Example: ``Probe().has("HOME")``."""
        return self._add("has", name)

    def sleep(self, seconds: float) -> Probe:
        """Sleep. Example: ``Probe().sleep(0.5)``."""
        return self._add("sleep", seconds)

    def alloc(self, mib: int) -> Probe:
        """Allocate ``mib`` MiB. Example: ``Probe().alloc(64)``."""
        return self._add("alloc", mib)

    def lines(self, stream: str, count: int, width: int) -> Probe:
        """Write numbered lines to ``out`` or ``err``. Example: ``Probe().lines("out", 3, 5)``."""
        return self._add("lines", stream, count, width)

    def raw(self, stream: str, text: str) -> Probe:
        """Write ``text`` exactly to ``out`` or ``err``. Example: ``Probe().raw("out", "no newline")``."""
        return self._add("raw", stream, text)

    def repeat(self, stream: str, count: int, text: str) -> Probe:
        """Write ``text`` ``count`` times to ``out`` or ``err``. Example: ``Probe().repeat("out", 3, "é")``."""
        return self._add("repeat", stream, count, text)

    def die(self, signal: int) -> Probe:
        """End as if killed by ``signal`` (exit code 128 + signal). Example: ``Probe().die(9)``."""
        return self._add("die", signal)

    def ignore_term(self) -> Probe:
        """Ignore SIGTERM from now on. Example: ``Probe().ignore_term()``."""
        return self._add("ignore-term")

    def exit(self, code: int) -> Probe:
        """Exit with ``code``. Example: ``Probe().exit(3)``."""
        return self._add("exit", code)
