"""Live logs (``supports_log_streaming``): ``stream_logs`` chunks, per stream, complete, whole characters.

A stream is consumed in a thread with a wall-clock limit, so a stream that
never ends fails its clause instead of hanging the run.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from typing import Any

from contract_tests.checks import check, same_output
from contract_tests.harness import Harness
from executor_kit.probe import Probe, interpret

__all__: list[str] = []

Chunks = list[tuple[Any, Any]]
Taker = Callable[[Chunks], None] | None
_STREAMS = ("stdout", "stderr")


def _virtual(h: Harness) -> bool:
    return bool(getattr(h.executor.clock, "is_virtual", False))


def _step(h: Harness) -> float:
    """A pause between writes: seconds on a virtual clock, a fraction of one on a real one."""
    return 5.0 if _virtual(h) else 0.5


def _limit(h: Harness) -> float:
    return h.profile.launch_deadline + h.profile.finish_deadline


def _drain(h: Harness, stream: Iterator[Any], what: str, take: Taker = None) -> Chunks:
    """Every chunk of ``stream``; fails if it does not end within the profile's deadlines."""
    chunks: Chunks = []
    errors: list[BaseException] = []
    worker = threading.Thread(target=_consume, args=(stream, chunks, errors, take), daemon=True)
    worker.start()
    worker.join(_limit(h))
    assert not worker.is_alive(), f"stream_logs ({what}) did not end within {_limit(h):g} s; got {chunks!r}"
    assert not errors, f"stream_logs ({what}) raised {type(errors[0]).__name__}: {errors[0]}"
    return chunks


def _consume(stream: Iterator[Any], chunks: Chunks, errors: list[BaseException], take: Taker) -> None:
    try:
        for chunk in stream:
            chunks.append(chunk)
            if take is not None:
                take(chunks)
    except Exception as exc:  # reported by _drain as what was observed
        errors.append(exc)


def _joined(chunks: Chunks) -> tuple[str, str]:
    return tuple("".join(text for name, text in chunks if name == stream) for stream in _STREAMS)  # type: ignore[return-value]


def _shape(chunks: Chunks) -> None:
    bad = [
        c for c in chunks if not (isinstance(c, tuple) and len(c) == 2 and c[0] in _STREAMS and isinstance(c[1], str))
    ]
    assert not bad, f"chunks that are not ('stdout' | 'stderr', str) pairs: {bad[:3]!r}"


def _expected(probe: Probe) -> tuple[str, str]:
    return interpret(probe.argv).output_until(float("inf"))


def _same(h: Harness, got: tuple[str, str], want: tuple[str, str], what: str) -> None:
    ok = all(same_output(h, g, w) for g, w in zip(got, want, strict=True))
    assert ok, f"{what}: joined per stream {got!r} (want {want!r})"


def _follow(h: Harness, probe: Probe, what: str, take: Taker = None) -> tuple[str, Chunks]:
    _, execution_id = h.start(probe)
    chunks = _drain(h, h.executor.stream_logs(execution_id, follow=True), what, take)
    _shape(chunks)
    return execution_id, chunks


@check("STREAM-001")
def follow_to_the_end(h: Harness) -> None:
    probe = Probe().out("first").sleep(_step(h)).err("second").sleep(_step(h)).out("third")
    execution_id, chunks = _follow(h, probe, "follow=True")
    status = h.wait_terminal(execution_id, _limit(h))
    assert status == "exited", f"after the stream ended the execution read {status!r}"
    _same(h, _joined(chunks), h.executor.get_logs(execution_id), "stream_logs against get_logs")
    _same(h, _joined(chunks), _expected(probe), "stream_logs against what was written")


@check("STREAM-002")
def in_order_per_stream(h: Harness) -> None:
    probe = Probe()
    for index in range(1, 7):
        probe.out(f"out {index}").err(f"err {index}")
        if index % 2 == 0:
            probe.sleep(_step(h) / 2)
    _, chunks = _follow(h, probe, "numbered writes")
    _same(h, _joined(chunks), _expected(probe), "numbered writes")


@check("STREAM-003")
def whole_characters(h: Harness) -> None:
    # Lines under 16 KiB (engines store longer ones in pieces), 36 KiB in all: a reader that decodes
    # fixed-size pieces of bytes cuts characters somewhere.
    probe = Probe().repeat("out", 40, "é€😀" * 100 + "\n").repeat("err", 40, "ü中" * 150 + "\n")
    _, chunks = _follow(h, probe, "multi-byte output")
    broken = [text[:40] for _, text in chunks if "\ufffd" in text]
    assert not broken, f"chunks with U+FFFD (a character split and decoded in parts): {broken[:3]!r}"
    _same(h, _joined(chunks), _expected(probe), "multi-byte output")


@check("STREAM-004")
def slow_consumer(h: Harness) -> None:
    step = _step(h)
    probe = Probe().out("a").sleep(step).out("b").sleep(step).out("c").err("d").sleep(step).out("e")

    def dawdle(chunks: Chunks) -> None:
        if len(chunks) == 1:  # after the first chunk, look away while the rest is written
            h.sleep(step * 2.5)

    _, chunks = _follow(h, probe, "a slow consumer", dawdle)
    _same(h, _joined(chunks), _expected(probe), "a consumer slow after the first chunk")


@check("STREAM-005")
def interleaved(h: Harness) -> None:
    probe = Probe()
    for index in range(1, 9):
        probe.out(f"o{index}").err(f"e{index}")
        if index == 4:
            probe.sleep(_step(h) / 2)
    _, chunks = _follow(h, probe, "interleaved streams")
    _same(h, _joined(chunks), _expected(probe), "interleaved stdout and stderr")


def _unknown(h: Harness, what: str, execution_id: str, follow: bool) -> list[str]:
    try:
        chunks = _drain(h, h.executor.stream_logs(execution_id, follow=follow), f"{what}, follow={follow}")
    except AssertionError as exc:
        return [str(exc)]
    except Exception as exc:  # the clause: raises nothing
        return [f"{what}, follow={follow}: raised {type(exc).__name__}: {exc}"]
    return [f"{what}, follow={follow}: {chunks[:3]!r}"] if chunks else []


@check("STREAM-006")
def unknown_is_empty(h: Harness) -> None:
    run = h.finish(*h.start(Probe().out("cleaned up")))
    assert h.executor.cleanup(run.execution_id) is True, "cleanup returned something else than True"
    ids = {"an empty id": "", "a made-up id": f"no-such-execution-{h.run_id}", "a cleaned-up id": run.execution_id}
    problems = [p for what, eid in ids.items() for follow in (True, False) for p in _unknown(h, what, eid, follow)]
    assert not problems, "stream_logs of unknown ids: " + "; ".join(problems)


def _long(h: Harness) -> float:
    return 1e6 if _virtual(h) else h.profile.long_sleep * 6


@check("STREAM-007")
def closing_early_releases(h: Harness) -> None:
    _, execution_id = h.start(Probe().out("tick").sleep(_long(h)).out("never"))
    for round_ in range(12):  # more than a connection pool holds
        stream = h.executor.stream_logs(execution_id, follow=True)
        first = next(iter(stream))
        assert first == ("stdout", "tick\n"), f"round {round_}: the first chunk was {first!r}"
        close = getattr(stream, "close", None)
        assert callable(close), f"stream_logs returned {type(stream).__name__}, which has no close()"
        close()
        rest = next(iter(stream), None)
        assert rest is None, f"round {round_}: after close() the stream still yielded {rest!r}"
    status = h.status(execution_id)
    assert status == "running", f"after streams closed early the execution read {status!r}"
    again = _drain(h, h.executor.stream_logs(execution_id, follow=False), "follow=False after early closes")
    assert _joined(again)[0] == "tick\n", f"a new stream after early closes gave {again!r}"


@check("STREAM-008")
def without_follow(h: Harness) -> None:
    _, execution_id = h.start(Probe().out("so far").err("so far on stderr").sleep(_long(h)).out("later"))
    h.wait_for(lambda: "so far" in h.executor.get_logs(execution_id)[0], _limit(h), "'so far' on stdout")
    chunks = _drain(h, h.executor.stream_logs(execution_id, follow=False), "follow=False")
    _shape(chunks)
    _same(h, _joined(chunks), ("so far\n", "so far on stderr\n"), "follow=False while running")
    status = h.status(execution_id)
    assert status == "running", f"after stream_logs(follow=False) the execution read {status!r}"
