from __future__ import annotations

import json
from collections.abc import Callable, Iterator

import pytest

from executor_kit import ContainerJob, VirtualClock
from executor_kit.backends.fargate.emulator import FargateEmulator
from executor_kit.backends.fargate.executor import FargateExecutor
from executor_kit.probe import Probe


def test_logs_are_read_across_pages_complete_and_in_order(
    make_executor: Callable[..., FargateExecutor], probe_job: Callable[..., ContainerJob]
) -> None:
    executor = make_executor(log_page_limit=100)
    _, arn = executor.launch_job(probe_job(Probe().lines("out", 1050, 12).lines("err", 250, 3).argv))
    calls: list[str] = []
    executor.logs.meta.events.register("before-call.logs.GetLogEvents", lambda **kw: calls.append("x"))
    stdout, stderr = executor.get_logs(arn)
    assert stdout == "".join(str(i).ljust(12, ".") + "\n" for i in range(1, 1051))
    assert stderr == "".join(str(i).ljust(3, ".") + "\n" for i in range(1, 251))
    assert len(calls) == 14  # 1,300 events in pages of 100, then the repeated token
    executor.cleanup(arn)


def test_firelens_records_are_split_by_their_source(
    executor: FargateExecutor, emulator: FargateEmulator, probe_job: Callable[..., ContainerJob]
) -> None:
    _, arn = executor.launch_job(probe_job(Probe().out("o1").err("e1").out("").out("o2").argv))
    stream = emulator._logs().groups[emulator.log_group].streams
    [events] = [s.events for s in stream.values()]
    records = [json.loads(event.message) for event in events]
    assert [(r["source"], r["log"]) for r in records] == [
        ("stdout", "o1"),
        ("stderr", "e1"),
        ("stdout", ""),
        ("stdout", "o2"),
    ]
    assert executor.get_logs(arn) == ("o1\n\no2\n", "e1\n")
    executor.cleanup(arn)


@pytest.fixture
def awslogs_emulator(clock: VirtualClock) -> Iterator[FargateEmulator]:
    with FargateEmulator(clock, log_format="awslogs") as emulation:
        yield emulation


def test_awslogs_mode_mixes_streams_and_says_so(
    awslogs_emulator: FargateEmulator, clock: VirtualClock, probe_job: Callable[..., ContainerJob]
) -> None:
    executor = FargateExecutor(awslogs_emulator.executor_config(), clock=clock)
    assert executor.get_capabilities()["separates_output_streams"] is False
    _, arn = executor.launch_job(probe_job(Probe().out("o1").err("e1").out("").out("o2").argv))
    assert executor.get_logs(arn) == ("o1\ne1\no2\n", "")
    executor.cleanup(arn)
    executor.close()


def test_logs_stay_readable_after_exit_until_cleanup(
    executor: FargateExecutor, clock: VirtualClock, probe_job: Callable[..., ContainerJob]
) -> None:
    _, arn = executor.launch_job(probe_job(Probe().out("ünï 🚀").sleep(1).err("last words").exit(1).argv))
    clock.advance(3600)
    assert executor.check_status(arn) == "exited"
    assert executor.get_logs(arn) == ("ünï 🚀\n", "last words\n")
    executor.cleanup(arn)
    assert executor.get_logs(arn) == ("", "")


def test_logs_can_be_kept_after_cleanup(
    make_executor: Callable[..., FargateExecutor], emulator: FargateEmulator, probe_job: Callable[..., ContainerJob]
) -> None:
    executor = make_executor(delete_logs_on_cleanup=False)
    _, arn = executor.launch_job(probe_job(Probe().out("kept").argv))
    executor.cleanup(arn)
    assert len(emulator._logs().groups[emulator.log_group].streams) == 1
    assert executor.get_logs(arn) == ("", "")
