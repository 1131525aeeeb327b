"""What the executor sends (names, labels, secrets, limits) and how it reads what comes back."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from typing import Any

import pytest

from executor_kit import ContainerJob
from executor_kit.backends.kubernetes.cluster import ApiError, through_model
from executor_kit.backends.kubernetes.emulator import KubernetesEmulator
from executor_kit.backends.kubernetes.executor import KubernetesExecutor
from executor_kit.probe import MISSING_IMAGE, Probe
from executor_kit.reap import reap
from tests.conftest import RUN_ID

Make = Callable[..., KubernetesExecutor]
Job = Callable[..., ContainerJob]


def _job(emulator: KubernetesEmulator, name: str) -> dict[str, Any]:
    return emulator.cluster.get("jobs", "default", name)


@pytest.mark.parametrize(
    ("name", "prefix"),
    [("My Job_ÄÖ!!", "my-job-"), (None, "executor-kit-"), ("---", "executor-kit-"), ("x" * 300, "x" * 54 + "-")],
)
def test_names_become_valid_and_unique(
    executor: KubernetesExecutor, probe_job: Job, name: str | None, prefix: str
) -> None:
    first = executor.launch_job(probe_job(Probe().argv, name=name))[1]
    second = executor.launch_job(probe_job(Probe().argv, name=name))[1]
    assert first != second
    for execution_id in (first, second):
        assert execution_id.startswith(prefix) and len(execution_id) <= 63
        executor.cleanup(execution_id)


def test_the_job_spec_as_documented(make_executor: Make, emulator: KubernetesEmulator, probe_job: Job) -> None:
    executor = make_executor(ttl_seconds_after_finished=600, grace_period_seconds=3)
    argv = ["probe", "out", "a b; $(rm -rf /) *"]
    job = probe_job(argv, cpu_limit=0.5, memory_limit=64, timeout_seconds=2.5, environment={"A": "1", "E": ""})
    name = executor.launch_job(job)[1]
    sent = _job(emulator, name)
    spec, pod = sent["spec"], sent["spec"]["template"]["spec"]
    container = pod["containers"][0]
    assert (spec["backoffLimit"], spec["activeDeadlineSeconds"], spec["ttlSecondsAfterFinished"]) == (
        0,
        3 + 30,
        600,
    )  # the timeout, rounded up, plus the backstop
    assert (pod["restartPolicy"], pod["terminationGracePeriodSeconds"]) == ("Never", 3)
    assert container["command"] == argv and "args" not in container
    assert container["resources"] == {"limits": {"cpu": "500m", "memory": "64Mi"}}
    assert container["env"] == [{"name": "A", "value": "1"}, {"name": "E", "value": ""}]
    executor.cleanup(name)


def test_secrets_travel_in_a_secret_never_as_values(
    executor: KubernetesExecutor, emulator: KubernetesEmulator, probe_job: Job
) -> None:
    job = probe_job(Probe().env("TOKEN").argv, environment={"TOKEN": "plain"}, secret_environment={"TOKEN": "s3cr3t"})
    name = executor.launch_job(job)[1]
    sent = _job(emulator, name)
    assert "s3cr3t" not in str(sent)
    (variable,) = sent["spec"]["template"]["spec"]["containers"][0]["env"]
    assert variable == {"name": "TOKEN", "valueFrom": {"secretKeyRef": {"name": name, "key": "v0"}}}
    secret = emulator.cluster.get("secrets", "default", name)
    assert base64.b64decode(secret["data"]["v0"]) == b"s3cr3t"
    assert secret["metadata"]["ownerReferences"][0]["uid"] == sent["metadata"]["uid"]
    assert executor.get_logs(name) == ("s3cr3t\n", "")
    executor.cleanup(name)
    assert emulator.names("secrets") == []


def test_a_failed_pull_removes_the_job_and_its_secret(
    executor: KubernetesExecutor, emulator: KubernetesEmulator, probe_job: Job
) -> None:
    ok, message = executor.launch_job(probe_job(Probe().argv, image=MISSING_IMAGE, secret_environment={"T": "x"}))
    assert (ok, message.startswith("ErrImagePull")) == (False, True)
    assert emulator.names("jobs") == emulator.names("secrets") == emulator.names("pods") == []


def test_a_pull_failure_after_launch_reads_failed(make_executor: Make, probe_job: Job) -> None:
    executor = make_executor(launch_wait_seconds=0)
    job = probe_job(Probe().argv, image=MISSING_IMAGE)
    ok, name = executor.launch_job(job)
    assert ok and executor.check_status(name) == "failed"
    executor.clock.sleep(30)
    assert executor.harvest_job(job) and job.exit_code == -1
    assert job.failure_reason is not None and job.failure_reason.startswith("ImagePullBackOff")  # type: ignore[attr-defined]
    executor.cleanup(name)


def test_long_and_odd_label_values_are_encoded_and_still_found(
    executor: KubernetesExecutor, emulator: KubernetesEmulator, probe_job: Job
) -> None:
    labels = {"long": "v" * 100, "odd": "a value/with spaces", "plain": "ok"}
    name = executor.launch_job(probe_job(Probe().argv, labels=labels))[1]
    sent = _job(emulator, name)["metadata"]["labels"]
    assert sent["plain"] == "ok" and all(len(sent[k]) <= 63 and sent[k].startswith("sha256-") for k in ("long", "odd"))
    originals = json.loads(_job(emulator, name)["metadata"]["annotations"]["executor-kit/labels"])
    assert originals == {"long": "v" * 100, "odd": "a value/with spaces"}
    assert executor.find_executions({"long": "v" * 100}) == [name]
    assert executor.find_executions({"odd": "a value/with spaces"}) == [name]
    assert executor.find_executions({"odd": "another value"}) == []
    executor.cleanup(name)


@pytest.mark.parametrize("key", ["bad key", "x" * 64, "UPPER.example.com/x", "a/b/c"])
def test_invalid_label_keys_are_refused_before_anything_is_created(
    executor: KubernetesExecutor, emulator: KubernetesEmulator, probe_job: Job, key: str
) -> None:
    ok, message = executor.launch_job(probe_job(Probe().argv, labels={key: "v"}))
    assert (ok, "label key" in message) == (False, True)
    assert emulator.count("POST", "/jobs") == 0


def test_unprintable_variable_names_are_refused(executor: KubernetesExecutor, probe_job: Job) -> None:
    ok, message = executor.launch_job(probe_job(Probe().argv, environment={"tab\there": "x"}))
    assert (ok, "printable ASCII" in message) == (False, True)


def test_oom_kill_is_failed_with_its_reason(executor: KubernetesExecutor, probe_job: Job) -> None:
    job = probe_job(Probe().out("before").alloc(128).argv, memory_limit=64)
    name = executor.launch_job(job)[1]
    assert executor.check_status(name) == "failed"
    assert executor.harvest_job(job) and (job.exit_code, job.status) == (137, "failed")
    assert job.failure_reason.startswith("OOMKilled")  # type: ignore[attr-defined]
    executor.cleanup(name)


def test_a_fractional_timeout_is_enforced_by_check_status(
    executor: KubernetesExecutor, emulator: KubernetesEmulator, probe_job: Job
) -> None:
    job = probe_job(Probe().sleep(60).argv, timeout_seconds=2.5)
    name = executor.launch_job(job)[1]
    executor.clock.sleep(2.6)  # the Job's own deadline (3 s) has not come yet
    assert executor.check_status(name) == "failed"
    assert _job(emulator, name)["spec"]["activeDeadlineSeconds"] == 1
    assert executor.harvest_job(job) and job.status == "timeout"
    executor.clock.sleep(1)
    assert executor.check_status(name) == "failed"
    executor.cleanup(name)


def test_ttl_after_finished_removes_the_job(make_executor: Make, emulator: KubernetesEmulator, probe_job: Job) -> None:
    executor = make_executor(ttl_seconds_after_finished=60)
    name = executor.launch_job(probe_job(Probe().out("x").argv))[1]
    assert executor.check_status(name) == "exited"
    executor.clock.sleep(61)
    assert executor.check_status(name) == "not-found" and emulator.names("pods") == []


def test_cleanup_of_a_workload_ignoring_sigterm(
    make_executor: Make, emulator: KubernetesEmulator, probe_job: Job
) -> None:
    executor = make_executor(grace_period_seconds=5)
    name = executor.launch_job(probe_job(Probe().ignore_term().sleep(60).argv))[1]
    assert executor.cleanup(name) and executor.check_status(name) == "not-found"
    assert len(emulator.names("pods")) == 1 and executor.find_executions({}) == []  # terminating for 5 s
    executor.clock.sleep(5)
    assert emulator.names("pods") == [] and emulator.names("jobs") == []


def test_logs_while_running_and_merged_without_split_streams(
    make_executor: Make, emulator: KubernetesEmulator, probe_job: Job
) -> None:
    emulator.split_streams = False
    executor = make_executor(split_log_streams=False)
    name = executor.launch_job(probe_job(Probe().out("a").err("b").sleep(10).out("c").argv))[1]
    assert executor.get_logs(name) == ("a\nb\n", "")
    executor.clock.sleep(10)
    assert executor.get_logs(name) == ("a\nb\nc\n", "")
    executor.cleanup(name)


def test_the_emulator_refuses_fields_the_api_does_not_know() -> None:
    template = {"spec": {"restartPolicy": "Never", "containers": [{"name": "job", "image": "x"}]}}
    body = {
        "apiVersion": "batch/v1",
        "kind": "Job",
        "metadata": {"name": "x"},
        "spec": {"backofLimit": 0, "template": template},
    }
    with pytest.raises(ApiError, match=r'unknown field "spec\.backofLimit"'):
        through_model("jobs", body)
    with pytest.raises(ApiError, match="does not decode"):
        through_model("jobs", {"metadata": {"name": 3}})


def test_a_container_that_cannot_be_configured_reads_failed(
    executor: KubernetesExecutor, emulator: KubernetesEmulator, run_labels: dict[str, str]
) -> None:
    env = [{"name": "T", "valueFrom": {"secretKeyRef": {"name": "absent", "key": "k"}}}]
    container = {"name": "job", "image": "executor-kit-probe:latest", "command": ["probe"], "env": env}
    template = {"metadata": {"labels": run_labels}, "spec": {"restartPolicy": "Never", "containers": [container]}}
    body = {"metadata": {"name": "by-hand", "labels": run_labels}, "spec": {"backoffLimit": 0, "template": template}}
    executor.batch.create_namespaced_job("default", body)
    assert executor.check_status("by-hand") == "failed"
    job = ContainerJob(image="x", external_execution_id="by-hand")
    assert executor.harvest_job(job) and job.exit_code == -1
    assert job.failure_reason == 'CreateContainerConfigError: secret "absent" not found'  # type: ignore[attr-defined]
    executor.cleanup("by-hand")


def test_harvest_can_clean_up(make_executor: Make, emulator: KubernetesEmulator, probe_job: Job) -> None:
    executor = make_executor(harvest_cleans_up=True)
    job = probe_job(Probe().out("x").exit(3).argv)
    name = executor.launch_job(job)[1]
    assert executor.harvest_job(job) and (job.exit_code, job.stdout) == (3, "x\n")
    assert executor.check_status(name) == "not-found" and emulator.names("jobs") == []
    assert executor.harvest_job(job) and job.exit_code == 3  # a second harvest changes nothing


def test_batch_status_enforces_timeouts_too(executor: KubernetesExecutor, probe_job: Job) -> None:
    slow = executor.launch_job(probe_job(Probe().sleep(60).argv, timeout_seconds=1.5))[1]
    other = executor.launch_job(probe_job(Probe().sleep(60).argv))[1]
    executor.clock.sleep(1.6)
    assert executor.check_statuses([slow, other, "Bad Id"]) == {slow: "failed", other: "running", "Bad Id": "not-found"}
    assert executor.check_status(slow) == "failed"
    executor.cleanup(slow), executor.cleanup(other)


def test_reap_removes_what_a_run_left(
    executor: KubernetesExecutor, emulator: KubernetesEmulator, probe_job: Job
) -> None:
    names = sorted(executor.launch_job(probe_job(Probe().sleep(60).argv))[1] for _ in range(2))
    other = executor.launch_job(ContainerJob(image="executor-kit-probe:latest", command=["probe"]))[1]
    assert sorted(reap(executor, run_ids=[RUN_ID])) == names
    assert emulator.names("jobs") == [other] and executor.find_executions({}) == [other]
    executor.cleanup(other)
