"""Live logs of the Cloud Run executor: Cloud Logging polled on the executor's clock, resumed by timestamp."""

from __future__ import annotations

import pytest
import requests

from executor_kit import ContainerJob
from executor_kit.errors import ExecutorAuthenticationError
from executor_kit.probe import PROBE_IMAGE, Probe

UNKNOWN = "projects/emulated-project/locations/us-central1/jobs/j/executions/j-abcde"


def launch(executor, probe, run_labels):
    return executor.launch_job(ContainerJob(image=PROBE_IMAGE, command=probe.argv, labels=run_labels))[1]


def joined(chunks):
    return tuple("".join(text for name, text in chunks if name == stream) for stream in ("stdout", "stderr"))


def test_declares_log_streaming(executor):
    assert executor.get_capabilities()["supports_log_streaming"] is True


def test_follow_delivers_both_streams_in_order_until_the_end(executor, cloud, run_labels):
    probe = Probe().out("o1").err("e1").sleep(7).out("o2").sleep(7).err("e2").out("o3").exit(3)
    execution_id = launch(executor, probe, run_labels)
    start = executor.clock.monotonic()
    chunks = list(executor.stream_logs(execution_id))
    assert chunks == [
        ("stdout", "o1\n"),
        ("stderr", "e1\n"),
        ("stdout", "o2\n"),
        ("stderr", "e2\n"),
        ("stdout", "o3\n"),
    ]
    assert joined(chunks) == executor.get_logs(execution_id)
    # Read at 0, 5, 10 and 15 s (the default log_poll_seconds); it had ended at 14 s, so 15 was the last read.
    assert executor.clock.monotonic() - start == 15.0
    assert str(executor.check_status(execution_id)) == "exited"
    executor.cleanup(execution_id)


def test_each_read_resumes_after_the_newest_timestamp_delivered(executor, cloud, run_labels):
    execution_id = launch(executor, Probe().out("a").sleep(5).out("b").sleep(5).out("c"), run_labels)
    before = len(cloud.bodies("entries:list"))
    assert list(executor.stream_logs(execution_id)) == [("stdout", "a\n"), ("stdout", "b\n"), ("stdout", "c\n")]
    filters = [body["filter"] for body in cloud.bodies("entries:list")[before:]]
    created = cloud.executions[execution_id].created.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    assert f'timestamp>="{created}"' in filters[0]  # the first read: from the execution's creation
    stamps = [e["timestamp"] for _, e in cloud.executions[execution_id].entries]
    # Read at 0, 5 and 10 s: each later read starts at the timestamp of the newest entry delivered before it.
    assert len(filters) == 3
    assert [f'timestamp>="{stamps[0]}"' in filters[1], f'timestamp>="{stamps[1]}"' in filters[2]] == [True, True]
    executor.cleanup(execution_id)


def test_entries_sharing_a_timestamp_across_pages_and_reads_come_once(executor, cloud, run_labels):
    # Each `lines` step writes its lines at one moment; pages hold 3 entries (the fixture's log_page_size).
    probe = Probe().lines("out", 7, 3).lines("err", 4, 2).sleep(6).lines("out", 5, 2).err("end")
    execution_id = launch(executor, probe, run_labels)
    chunks = list(executor.stream_logs(execution_id))
    assert joined(chunks) == executor.get_logs(execution_id)
    assert [text for name, text in chunks if name == "stdout"][-5:] == ["1.\n", "2.\n", "3.\n", "4.\n", "5.\n"]
    assert len(chunks) == 7 + 4 + 5 + 1
    executor.cleanup(execution_id)


def test_without_follow_what_was_written_so_far_while_running(executor, cloud, run_labels):
    execution_id = launch(executor, Probe().out("so far").err("on stderr").sleep(60).out("later"), run_labels)
    start = executor.clock.monotonic()
    assert list(executor.stream_logs(execution_id, follow=False)) == [("stdout", "so far\n"), ("stderr", "on stderr\n")]
    assert executor.clock.monotonic() == start  # no waiting
    assert str(executor.check_status(execution_id)) == "running"
    executor.cleanup(execution_id)


def test_without_follow_after_the_end_everything(executor, run_labels):
    execution_id = launch(executor, Probe().out("a").sleep(3).err("b"), run_labels)
    executor.clock.sleep(5)
    chunks = list(executor.stream_logs(execution_id, follow=False))
    assert chunks == [("stdout", "a\n"), ("stderr", "b\n")] and joined(chunks) == executor.get_logs(execution_id)
    executor.cleanup(execution_id)


def test_a_slow_consumer_misses_nothing(executor, run_labels):
    execution_id = launch(executor, Probe().out("a").sleep(2).out("b").sleep(2).err("c").sleep(2).out("d"), run_labels)
    stream = executor.stream_logs(execution_id)
    assert next(stream) == ("stdout", "a\n")
    executor.clock.sleep(30)  # everything is written, and the workload ends, while the consumer looks away
    assert list(stream) == [("stdout", "b\n"), ("stderr", "c\n"), ("stdout", "d\n")]
    executor.cleanup(execution_id)


@pytest.mark.parametrize("follow", [True, False])
def test_unknown_empty_and_cleaned_up_ids_give_nothing(executor, cloud, run_labels, follow):
    execution_id = launch(executor, Probe().out("gone"), run_labels)
    executor.cleanup(execution_id)
    for eid in ("", UNKNOWN, "not/an/execution", execution_id, None):
        assert list(executor.stream_logs(eid, follow=follow)) == [], eid
    assert cloud.count("POST", "entries:list") == 0  # Cloud Logging still holds "gone": it is never asked


def test_nothing_is_contacted_until_the_first_next(executor, cloud, run_labels):
    execution_id = launch(executor, Probe().out("x"), run_labels)
    calls = len(cloud.calls)
    stream = executor.stream_logs(execution_id)
    assert len(cloud.calls) == calls
    assert next(stream) == ("stdout", "x\n") and len(cloud.calls) > calls
    stream.close()
    executor.cleanup(execution_id)


def test_closing_early_stops_reading_and_leaves_the_execution_running(executor, cloud, run_labels):
    execution_id = launch(executor, Probe().out("tick").sleep(10_000).out("never"), run_labels)
    for _ in range(12):
        stream = executor.stream_logs(execution_id)
        assert next(stream) == ("stdout", "tick\n")
        stream.close()
        calls = len(cloud.calls)
        assert next(stream, None) is None
        executor.clock.sleep(60)
        assert len(cloud.calls) == calls  # no polling goes on behind a closed stream
    assert str(executor.check_status(execution_id)) == "running"
    assert list(executor.stream_logs(execution_id, follow=False)) == [("stdout", "tick\n")]
    executor.cleanup(execution_id)


def test_a_cleanup_while_following_ends_the_stream(executor, run_labels):
    execution_id = launch(executor, Probe().out("a").sleep(10_000).out("never"), run_labels)
    stream = executor.stream_logs(execution_id)
    assert next(stream) == ("stdout", "a\n")
    executor.cleanup(execution_id)
    assert list(stream) == []


def test_following_past_the_deadline_ends_as_check_status_does(cloud, run_labels):
    cloud.native_timeouts = False  # only the executor's deadline stops it
    executor = cloud.executor()
    job = ContainerJob(
        image=PROBE_IMAGE, command=Probe().out("a").sleep(600).argv, labels=run_labels, timeout_seconds=12
    )
    execution_id = executor.launch_job(job)[1]
    start = executor.clock.monotonic()
    assert list(executor.stream_logs(execution_id)) == [("stdout", "a\n")]
    # Read at 0, 5, 10 and 15 s; at 15 it was past its deadline and cancelled (an operation of 1 s), then read last.
    assert executor.clock.monotonic() - start == 16.0
    assert str(executor.check_status(execution_id)) == "failed"
    assert executor.harvest_job(job) and job.status == "timeout"
    executor.cleanup(execution_id)


def test_log_poll_seconds_sets_the_pace(cloud, run_labels):
    executor = cloud.executor({"log_poll_seconds": 0.5})
    execution_id = launch(executor, Probe().out("a").sleep(2).out("b"), run_labels)
    start, before = executor.clock.monotonic(), cloud.count("POST", "entries:list")
    assert joined(executor.stream_logs(execution_id)) == ("a\nb\n", "")
    assert executor.clock.monotonic() - start == 2.0
    assert cloud.count("POST", "entries:list") - before == 5  # at 0, 0.5, 1, 1.5 and 2 s
    executor.cleanup(execution_id)


def test_transient_errors_are_retried_and_refusals_raise_while_iterating(executor, cloud, run_labels):
    execution_id = launch(executor, Probe().out("a").sleep(6).out("b"), run_labels)
    cloud.inject(503, times=2, path="entries:list")
    assert joined(executor.stream_logs(execution_id)) == ("a\nb\n", "")
    stream = executor.stream_logs(execution_id)
    cloud.inject(403, path="entries:list")
    with pytest.raises(ExecutorAuthenticationError):
        next(stream)
    executor.cleanup(execution_id)


# -- the emulated entries:list: Cloud Logging's timestamp comparisons -------------------------------------


def listing(cloud, filter_text, **body):
    url = f"{cloud.logging_endpoint}/v2/entries:list"
    request = {"resourceNames": [f"projects/{cloud.project}"], "filter": filter_text, **body}
    return requests.post(url, json=request, timeout=5)


def texts(response):
    assert response.status_code == 200, response.text
    return [entry.get("textPayload") for entry in response.json().get("entries", [])]


def test_emulated_timestamps_compare_as_instants(executor, cloud, run_labels):
    execution_id = launch(executor, Probe().out("a").sleep(1.25).out("b").sleep(1).out("c"), run_labels)
    executor.clock.sleep(5)
    name = execution_id.rsplit("/", 1)[1]
    _, middle = cloud.executions[execution_id].entries[1]
    stamp = middle["timestamp"]  # like 2026-…T…:…:….250000Z
    day, rest = stamp.split("T")
    whole, fraction = rest.rstrip("Z").split(".")
    short = f"{day}T{whole}.{fraction.rstrip('0')}Z"  # fewer digits, the same instant
    nanos = f"{day}T{whole}.{fraction}001Z"  # one nanosecond later
    hour = int(whole[:2])
    shifted = f"{day}T{(hour + 1) % 24:02d}{whole[2:]}.{fraction}+01:00" if hour < 23 else stamp
    wanted = f'labels."run.googleapis.com/execution_name"="{name}"'
    assert texts(listing(cloud, f'{wanted} AND timestamp>="{short}"')) == ["b", "c"]
    assert texts(listing(cloud, f'{wanted} AND timestamp > "{short}"')) == ["c"]
    assert texts(listing(cloud, f'{wanted} AND timestamp<"{nanos}"')) == ["a", "b"]
    assert texts(listing(cloud, f'{wanted} AND timestamp="{shifted}"')) == ["b"]
    assert texts(listing(cloud, f'{wanted} AND timestamp!="{stamp}"')) == ["a", "c"]
    assert texts(listing(cloud, f'{wanted} AND timestamp>="{stamp}" AND timestamp<="{stamp}"')) == ["b"]
    assert texts(listing(cloud, f'{wanted} AND timestamp>="{stamp}"', orderBy="timestamp desc")) == ["c", "b"]
    executor.cleanup(execution_id)


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"filter": 'timestamp>="yesterday"'}, "Invalid timestamp"),
        ({"filter": 'timestamp>="2026-13-01T00:00:00Z"'}, "Invalid timestamp"),
        ({"filter": 'timestamp>="2026-12-01 00:00:00Z"'}, "Invalid timestamp"),
        ({"filter": 'textPayload>="a"'}, "compares only timestamp"),
        ({"filter": 'NOT logName="x"'}, "Unsupported filter"),
        ({"filter": "timestamp>=2026-12-01T00:00:00Z"}, "Unsupported filter"),
        ({"filter": 'logName="x" and logName="y"'}, "Unsupported filter"),
        ({"orderBy": "insertId asc"}, "orderBy"),
    ],
)
def test_emulated_listing_refuses_what_it_does_not_understand(cloud, body, message):
    response = listing(cloud, body.pop("filter", ""), **body)
    assert response.status_code == 400
    assert response.json()["error"]["status"] == "INVALID_ARGUMENT" and message in response.json()["error"]["message"]
