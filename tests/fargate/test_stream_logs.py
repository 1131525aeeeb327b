"""``FargateExecutor.stream_logs``: CloudWatch read from the last token on, polling on the executor's clock."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from executor_kit import ContainerJob, VirtualClock
from executor_kit.backends.fargate.emulator import FargateEmulator
from executor_kit.backends.fargate.executor import FargateExecutor
from executor_kit.base import LogChunk
from executor_kit.probe import Probe


def _joined(chunks: list[LogChunk]) -> tuple[str, str]:
    return "".join(t for s, t in chunks if s == "stdout"), "".join(t for s, t in chunks if s == "stderr")


def _calls(executor: FargateExecutor, clock: VirtualClock) -> list[tuple[str, float]]:
    """Every AWS call the executor makes from now on, with the virtual time it was made at."""
    seen: list[tuple[str, float]] = []
    for client in (executor.ecs, executor.logs):
        client.meta.events.register(
            "before-call", lambda model, **kw: seen.append((model.name, clock.monotonic())), unique_id=str(id(seen))
        )
    return seen


def test_it_declares_log_streaming(executor: FargateExecutor) -> None:
    assert executor.get_capabilities()["supports_log_streaming"] is True


def test_follow_delivers_both_streams_in_order_until_the_task_has_ended(
    executor: FargateExecutor, clock: VirtualClock, probe_job: Callable[..., ContainerJob]
) -> None:
    probe = Probe().out("o1").err("e1").sleep(5).out("o2").err("é 🚀").sleep(5).out("o3").exit(2)
    _, arn = executor.launch_job(probe_job(probe.argv))
    chunks = list(executor.stream_logs(arn))
    assert chunks == [
        ("stdout", "o1\n"),
        ("stderr", "e1\n"),
        ("stdout", "o2\n"),
        ("stderr", "é 🚀\n"),
        ("stdout", "o3\n"),
    ]
    assert executor.check_status(arn) == "exited"
    assert _joined(chunks) == executor.get_logs(arn) == ("o1\no2\no3\n", "e1\né 🚀\n")
    assert 10 <= clock.monotonic() <= 10 + 2 + 2 + 2  # the run, the settle time, at most one poll more
    executor.cleanup(arn)


def test_without_follow_it_reads_once_what_was_written_so_far(
    executor: FargateExecutor, clock: VirtualClock, probe_job: Callable[..., ContainerJob]
) -> None:
    _, arn = executor.launch_job(probe_job(Probe().out("so far").err("also").sleep(60).out("later").argv))
    calls = _calls(executor, clock)
    assert list(executor.stream_logs(arn, follow=False)) == [("stdout", "so far\n"), ("stderr", "also\n")]
    assert clock.monotonic() == 0
    assert {name for name, _ in calls} == {"GetLogEvents"}  # no status asked, no waiting
    assert executor.check_status(arn) == "running"
    executor.cleanup(arn)


def test_a_slow_consumer_misses_nothing_and_nothing_comes_twice(
    executor: FargateExecutor, clock: VirtualClock, probe_job: Callable[..., ContainerJob]
) -> None:
    probe = Probe().out("a").sleep(3).out("b").sleep(3).err("c").sleep(3).out("d")
    _, arn = executor.launch_job(probe_job(probe.argv))
    chunks: list[LogChunk] = []
    for chunk in executor.stream_logs(arn):
        chunks.append(chunk)
        clock.advance(7)  # look away while more is written
    assert _joined(chunks) == ("a\nb\nd\n", "c\n")
    executor.cleanup(arn)


def test_the_poll_interval_is_the_setting_and_runs_on_the_executor_clock(
    make_executor: Callable[..., FargateExecutor], clock: VirtualClock, probe_job: Callable[..., ContainerJob]
) -> None:
    executor = make_executor(log_poll_seconds=0.5, log_settle_seconds=0)
    _, arn = executor.launch_job(probe_job(Probe().out("x").sleep(3).argv))
    calls = _calls(executor, clock)
    assert list(executor.stream_logs(arn)) == [("stdout", "x\n")]
    status_times = [at for name, at in calls if name == "DescribeTasks"]
    assert status_times == [0.5 * step for step in range(7)]  # every half second, the last at the stop
    assert calls[-1] == ("GetLogEvents", 3.0)  # the last read comes after the stop was seen
    executor.cleanup(arn)


class _LateDelivery:
    """A clock (the emulator's) that, at the first sleep after the task stopped, delivers one more line.

    As CloudWatch can: FireLens or the awslogs driver may put the last lines
    after ECS already reports the task ``STOPPED``.
    """

    def __init__(self, clock: VirtualClock, emulator: FargateEmulator) -> None:
        self.clock, self.emulator = clock, emulator
        self.arn = ""
        self.delivered_at: float | None = None

    def monotonic(self) -> float:
        return self.clock.monotonic()

    def now(self) -> dt.datetime:
        return self.clock.now()

    def sleep(self, seconds: float) -> None:
        self.clock.sleep(seconds)
        played = self.emulator._played.get(self.arn)
        if self.delivered_at is None and played is not None and played.stopped:
            group = self.emulator._logs().groups[self.emulator.log_group]
            [stream] = group.streams.values()
            record = {"source": "stderr", "log": "late last words"}
            stamp = int(self.clock.now().timestamp() * 1000)
            stream.put_log_events([{"timestamp": stamp, "message": json.dumps(record)}])
            self.delivered_at = self.clock.monotonic()


def test_after_the_stop_it_waits_the_settle_time_and_reads_once_more(
    emulator: FargateEmulator, clock: VirtualClock, probe_job: Callable[..., ContainerJob]
) -> None:
    late = _LateDelivery(clock, emulator)
    with FargateExecutor(emulator.executor_config(), clock=late) as executor:
        _, late.arn = executor.launch_job(probe_job(Probe().out("a").sleep(3).err("b").argv))
        chunks = list(executor.stream_logs(late.arn))
        assert late.delivered_at is not None
        assert chunks == [("stdout", "a\n"), ("stderr", "b\n"), ("stderr", "late last words\n")]
        assert _joined(chunks) == executor.get_logs(late.arn)
        executor.cleanup(late.arn)


def test_a_task_that_stopped_long_ago_is_read_once_without_waiting(
    executor: FargateExecutor, clock: VirtualClock, probe_job: Callable[..., ContainerJob]
) -> None:
    _, arn = executor.launch_job(probe_job(Probe().out("done").err("too").argv))
    clock.advance(60)
    assert executor.check_status(arn) == "exited"
    assert list(executor.stream_logs(arn)) == [("stdout", "done\n"), ("stderr", "too\n")]
    assert clock.monotonic() == 60
    executor.cleanup(arn)


def test_following_a_task_past_its_timeout_stops_it_and_ends(
    executor: FargateExecutor, clock: VirtualClock, probe_job: Callable[..., ContainerJob]
) -> None:
    job = probe_job(Probe().out("working").sleep(600).out("never").argv, timeout_seconds=5)
    _, arn = executor.launch_job(job)
    assert list(executor.stream_logs(arn)) == [("stdout", "working\n")]
    assert clock.monotonic() < 15
    assert executor.harvest_job(job) and job.status == "timeout"
    executor.cleanup(arn)


def test_pages_are_followed_from_the_last_token(
    make_executor: Callable[..., FargateExecutor], clock: VirtualClock, probe_job: Callable[..., ContainerJob]
) -> None:
    executor = make_executor(log_page_limit=100)
    probe = Probe().lines("out", 350, 8).sleep(4).lines("err", 250, 3).sleep(4).lines("out", 120, 5)
    _, arn = executor.launch_job(probe_job(probe.argv))
    calls = _calls(executor, clock)
    chunks = list(executor.stream_logs(arn))
    reads = len([name for name, _ in calls if name == "GetLogEvents"])
    assert _joined(chunks) == executor.get_logs(arn)
    assert len(chunks[0][1].splitlines()) == 350  # one chunk per run of a stream's lines in a read
    assert reads < 720 / 100 + 16  # each line read once: pages of 100, plus one short read per poll
    executor.cleanup(arn)


@pytest.mark.parametrize("follow", [True, False])
def test_unknown_empty_and_cleaned_up_ids_give_empty_iterators(
    executor: FargateExecutor, probe_job: Callable[..., ContainerJob], follow: bool
) -> None:
    _, arn = executor.launch_job(probe_job(Probe().out("gone soon").argv))
    executor.cleanup(arn)
    ids: list[Any] = ["", "not-a-task-arn", arn[:-12] + "0" * 12, arn, None, 42]
    assert [list(executor.stream_logs(eid, follow=follow)) for eid in ids] == [[]] * len(ids)


def test_a_task_cleaned_up_by_another_process_while_followed_ends_the_stream(
    make_executor: Callable[..., FargateExecutor], clock: VirtualClock, probe_job: Callable[..., ContainerJob]
) -> None:
    executor, other = make_executor(), make_executor()
    _, arn = executor.launch_job(probe_job(Probe().out("tick").sleep(600).argv))
    stream = executor.stream_logs(arn)
    assert next(stream) == ("stdout", "tick\n")
    other.cleanup(arn)
    assert list(stream) == []
    assert clock.monotonic() < 10


def test_nothing_is_contacted_before_the_first_next_and_nothing_after_close(
    executor: FargateExecutor, clock: VirtualClock, probe_job: Callable[..., ContainerJob]
) -> None:
    _, arn = executor.launch_job(probe_job(Probe().out("tick").sleep(600).out("never").argv))
    calls = _calls(executor, clock)
    streams = [executor.stream_logs(arn) for _ in range(20)]  # more than a connection pool holds
    assert calls == []
    for stream in streams:
        assert next(stream) == ("stdout", "tick\n")
        stream.close()  # type: ignore[attr-defined]
        assert next(stream, None) is None
    made = len(calls)
    clock.advance(30)
    assert len(calls) == made
    assert executor.check_status(arn) == "running"
    assert list(executor.stream_logs(arn, follow=False)) == [("stdout", "tick\n")]
    executor.cleanup(arn)


@pytest.fixture
def awslogs_emulator(clock: VirtualClock) -> Iterator[FargateEmulator]:
    with FargateEmulator(clock, log_format="awslogs") as emulation:
        yield emulation


def test_awslogs_mode_streams_everything_as_stdout_as_get_logs_does(
    awslogs_emulator: FargateEmulator, clock: VirtualClock, probe_job: Callable[..., ContainerJob]
) -> None:
    with FargateExecutor(awslogs_emulator.executor_config(), clock=clock) as executor:
        _, arn = executor.launch_job(probe_job(Probe().out("o1").err("e1").sleep(3).out("o2").argv))
        chunks = list(executor.stream_logs(arn))
        assert chunks == [("stdout", "o1\ne1\n"), ("stdout", "o2\n")]
        assert _joined(chunks) == executor.get_logs(arn)
        executor.cleanup(arn)
