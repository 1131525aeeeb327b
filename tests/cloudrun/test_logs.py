"""Logs from the emulated Cloud Logging: split by stream, complete across pages."""

from __future__ import annotations

from executor_kit import ContainerJob
from executor_kit.probe import PROBE_IMAGE, Probe


def launch(executor, probe, run_labels):
    job = ContainerJob(image=PROBE_IMAGE, command=probe.argv, labels=run_labels)
    return job, executor.launch_job(job)[1]


def test_every_page_is_read_and_streams_stay_apart(executor, cloud, run_labels):
    _, execution_id = launch(executor, Probe().lines("out", 10, 4).lines("err", 4, 2), run_labels)
    stdout, stderr = executor.get_logs(execution_id)
    assert stdout == "".join(f"{str(i).ljust(4, '.')}\n" for i in range(1, 11))
    assert stderr == "1.\n2.\n3.\n4.\n"
    assert cloud.count("POST", "entries:list") == 5  # 14 entries, pages of 3
    [first, *rest] = cloud.bodies("entries:list")
    assert first["resourceNames"] == ["projects/emulated-project"] and first["orderBy"] == "timestamp asc"
    assert 'labels."run.googleapis.com/execution_name"' in first["filter"] and "pageToken" not in first
    assert [body["pageToken"] for body in rest] == [f"offset-{n}" for n in (3, 6, 9, 12)]
    executor.cleanup(execution_id)


def test_twenty_thousand_lines_long_lines_and_unicode(cloud, run_labels):
    cloud.log_page_size = 1000
    executor = cloud.executor()
    _, big = launch(executor, Probe().lines("out", 20_000, 8), run_labels)
    stdout, _ = executor.get_logs(big)
    assert stdout.count("\n") == 20_000 and stdout.splitlines()[-1] == "20000..."
    _, wide = launch(executor, Probe().lines("err", 1, 100_000).out("ünï ✓ 日本 🚀"), run_labels)
    stdout, stderr = executor.get_logs(wide)
    assert len(stderr) == 100_001 and stdout == "ünï ✓ 日本 🚀\n"
    for execution_id in (big, wide):
        executor.cleanup(execution_id)


def test_logs_only_of_this_execution_while_running_and_after_exit(executor, run_labels):
    _, first = launch(executor, Probe().out("a").sleep(10).out("b").exit(2), run_labels)
    _, second = launch(executor, Probe().out("other"), run_labels)
    assert executor.get_logs(first) == ("a\n", "")
    executor.clock.sleep(10)
    assert executor.get_logs(first) == ("a\nb\n", "")
    assert executor.get_logs(second) == ("other\n", "")
    executor.cleanup(first)
    assert executor.get_logs(first) == ("", "")  # Cloud Logging keeps them; the executor does not show them
    executor.cleanup(second)
