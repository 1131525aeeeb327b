"""launch / status / logs / harvest / cleanup through the emulated Cloud Run API."""

from __future__ import annotations

import pytest

from executor_kit import MANAGED_LABEL, ContainerJob
from executor_kit.backends.cloudrun.emulator import CloudRunEmulator
from executor_kit.backends.cloudrun.executor import CloudRunExecutor
from executor_kit.probe import PROBE_IMAGE, Probe

ODD_ARGS = ['it\'s "quoted"', "line1\nline2", "ünïcødé ✓ 日本", "$(rm -rf /); `id` *.py", ""]


def job_of(probe: Probe, run_labels: dict[str, str], **fields: object) -> ContainerJob:
    return ContainerJob(image=PROBE_IMAGE, command=probe.argv, labels=dict(run_labels), **fields)  # type: ignore[arg-type]


def test_full_lifecycle_of_a_non_zero_exit(executor: CloudRunExecutor, cloud: CloudRunEmulator, run_labels):
    job = job_of(Probe().out("hello").sleep(5).err("oops").exit(3), run_labels)
    ok, execution_id = executor.launch_job(job)
    assert ok and execution_id.startswith("projects/emulated-project/locations/us-central1/jobs/executor-kit-")
    assert (job.status, job.external_execution_id, job.started_at) == ("running", execution_id, cloud.clock.now())
    assert executor.check_status(execution_id) == "running"
    assert executor.get_logs(execution_id) == ("hello\n", "")
    assert executor.harvest_job(job) is False and job.status == "running" and job.exit_code is None
    executor.clock.sleep(5)
    assert executor.check_status(execution_id) == "exited"
    assert executor.harvest_job(job) is True
    assert (job.exit_code, job.status, job.stdout, job.stderr) == (3, "failed", "hello\n", "oops\n")
    assert (job.completed_at - job.started_at).total_seconds() == 5
    assert executor.cleanup(execution_id) is True
    assert executor.check_status(execution_id) == "not-found"
    assert executor.get_logs(execution_id) == ("", "")
    assert executor.cleanup(execution_id) is True
    assert cloud.jobs == {} and all(e.deleted for e in cloud.executions.values())


def test_zero_exit_is_completed_and_second_harvest_changes_nothing(executor, run_labels):
    job = job_of(Probe().out("done"), run_labels)
    _, execution_id = executor.launch_job(job)
    assert executor.check_status(execution_id) == "exited"
    assert executor.harvest_job(job) is True
    snapshot = dict(vars(job))
    assert executor.harvest_job(job) is True and vars(job) == snapshot
    assert (job.status, job.exit_code) == ("completed", 0)
    executor.cleanup(execution_id)


def test_argv_and_environment_arrive_intact_in_the_request_body(executor, cloud, run_labels):
    probe = Probe()
    for arg in ODD_ARGS:
        probe.out(arg)
    env = {"PLAIN": "a b=c", "QUOTES": "'\"", "NL": "x\ny", "DOLLAR": "$(id) ${HOME}", "UNI": "ü✓", "EMPTY": ""}
    job = job_of(
        probe.env("DOLLAR").env("EMPTY").env("SECRET"),
        run_labels,
        environment=env,
        secret_environment={"SECRET": "s3cr3t-value"},
    )
    _, execution_id = executor.launch_job(job)
    [body] = cloud.bodies(":run")
    [override] = body["overrides"]["containerOverrides"]
    assert override["args"] == job.command[1:]
    assert override["env"] == [{"name": k, "value": v} for k, v in {**env, "SECRET": "s3cr3t-value"}.items()]
    assert body["overrides"]["taskCount"] == 1 and body["overrides"]["timeout"] == "604800s"  # none: the longest
    stdout, _ = executor.get_logs(execution_id)
    assert stdout == "".join(f"{arg}\n" for arg in ODD_ARGS) + "$(id) ${HOME}\n\ns3cr3t-value\n"
    assert "s3cr3t-value" not in repr(executor)
    executor.cleanup(execution_id)


def test_every_launch_is_a_new_execution_of_its_own_job(executor, cloud, run_labels):
    job = job_of(Probe().sleep(30), run_labels)
    ids = {executor.launch_job(job)[1] for _ in range(3)}
    assert len(ids) == 3 and len(cloud.jobs) == 3
    for job_resource in cloud.jobs.values():
        assert job_resource["labels"] == {**run_labels, MANAGED_LABEL: "true"}
        assert job_resource["template"]["template"]["containers"][0]["command"] == ["probe"]
    for execution_id in ids:
        assert executor.cleanup(execution_id) is True
    assert cloud.jobs == {}


def test_cleanup_of_a_running_execution_cancels_then_deletes(executor, cloud, run_labels):
    job = job_of(Probe().ignore_term().sleep(600), run_labels)
    _, execution_id = executor.launch_job(job)
    assert executor.cleanup(execution_id) is True
    assert cloud.count("POST", ":cancel") == 1 and cloud.count("DELETE", "/executions/") == 1
    assert executor.check_status(execution_id) == "not-found"
    assert executor.harvest_job(job) is False and job.exit_code is None


@pytest.mark.parametrize("odd", ["", "../x", "a\nb", "x" * 10_000, "projects/p/locations/r/jobs/J/executions/e"])
def test_odd_ids_are_unknown_without_asking_the_api(executor, cloud, odd):
    assert executor.check_status(odd) == "not-found"
    assert executor.get_logs(odd) == ("", "")
    assert executor.cleanup(odd) is True
    assert cloud.calls == []


def test_well_formed_unknown_id_is_not_found(executor):
    unknown = "projects/emulated-project/locations/us-central1/jobs/nojob/executions/nojob-abcde"
    assert executor.check_status(unknown) == "not-found"
    assert executor.get_logs(unknown) == ("", "")
    assert executor.cleanup(unknown) is True
    job = ContainerJob(image=PROBE_IMAGE, external_execution_id=unknown)
    assert executor.harvest_job(job) is False and job.exit_code is None and job.status == "pending"


def test_native_timeout_reads_failed_and_harvests_as_timeout(executor, cloud, run_labels):
    job = job_of(Probe().out("start").sleep(60), run_labels, timeout_seconds=2.5)
    _, execution_id = executor.launch_job(job)
    assert cloud.bodies(":run")[0]["overrides"]["timeout"] == "2.500s"
    executor.clock.sleep(3)
    assert executor.check_status(execution_id) == "failed"
    assert cloud.count("POST", ":cancel") == 0  # the platform ended it
    assert executor.harvest_job(job) is True
    assert (job.status, job.exit_code, job.stdout) == ("timeout", -1, "start\n")
    executor.cleanup(execution_id)


def test_kit_enforces_the_timeout_when_the_platform_is_late(cloud, run_labels):
    cloud.native_timeouts = False
    executor = cloud.executor()
    job = job_of(Probe().sleep(60), run_labels, timeout_seconds=2)
    _, execution_id = executor.launch_job(job)
    executor.clock.sleep(1)
    assert executor.check_status(execution_id) == "running"
    executor.clock.sleep(1)
    assert executor.check_status(execution_id) == "failed"
    assert cloud.count("POST", ":cancel") == 1
    assert executor.check_status(execution_id) == "failed"  # absorbing, no second cancel needed
    assert executor.harvest_job(job) is True and job.status == "timeout"
    executor.cleanup(execution_id)


def test_batch_status_and_find_executions_use_one_listing(executor, cloud, run_labels):
    running = executor.launch_job(job_of(Probe().sleep(100), run_labels))[1]
    done = executor.launch_job(job_of(Probe().exit(1), run_labels))[1]
    other = executor.launch_job(job_of(Probe().sleep(100), {"team": "b"}))[1]
    unknown = "projects/emulated-project/locations/us-central1/jobs/x/executions/x-1"
    before = cloud.count("GET", "/jobs/-/executions")
    statuses = executor.check_statuses([running, done, unknown, "../x"])
    assert statuses == {running: "running", done: "exited", unknown: "not-found", "../x": "not-found"}
    assert cloud.count("GET", "/jobs/-/executions") - before >= 1
    assert sorted(executor.find_executions(run_labels)) == sorted([running, done])
    for execution_id in (running, done, other):
        executor.cleanup(execution_id)
    assert executor.find_executions(run_labels) == []


def test_bad_image_is_refused_and_leaves_nothing(executor, cloud, run_labels):
    ok, message = executor.launch_job(ContainerJob(image="no/such:image", command=["probe"], labels=run_labels))
    assert ok is False and "no/such:image" in message
    assert cloud.jobs == {} and cloud.executions == {}


@pytest.mark.parametrize("labels", [{"Team": "x"}, {"team": "Upper"}, {"team": "v" * 64}, {"k" * 64: "v"}])
def test_labels_cloud_run_rejects_give_false_and_no_half_created_job(executor, cloud, labels):
    ok, message = executor.launch_job(ContainerJob(image=PROBE_IMAGE, command=["probe"], labels=labels))
    assert ok is False and "INVALID_ARGUMENT" in message
    assert cloud.jobs == {}


def test_a_failed_run_deletes_the_job_it_created(executor, cloud, run_labels):
    cloud.inject(400, path=":run", message="Invalid env value s3cr3t-xyz")
    job = job_of(Probe(), run_labels, secret_environment={"TOKEN": "s3cr3t-xyz"})
    ok, message = executor.launch_job(job)
    assert ok is False and "INVALID_ARGUMENT" in message
    assert "s3cr3t-xyz" not in message and "***" in message
    assert cloud.jobs == {} and cloud.count("DELETE", "/jobs/") == 1


def test_invalid_job_is_refused_before_any_request(executor, cloud):
    class Bad:
        image, command, environment, labels = "busybox", "echo hi", {}, {}

    ok, message = executor.launch_job(Bad())  # type: ignore[arg-type]
    assert ok is False and "command" in message
    assert cloud.calls == []


def test_harvest_cleans_up_option(cloud, run_labels):
    executor = cloud.executor({"harvest_cleans_up": True})
    job = job_of(Probe().out("x"), run_labels)
    _, execution_id = executor.launch_job(job)
    assert executor.harvest_job(job) is True and job.stdout == "x\n"
    assert executor.check_status(execution_id) == "not-found" and cloud.jobs == {}


def test_existing_job_mode(cloud, run_labels):
    name = "projects/emulated-project/locations/us-central1/jobs/nightly"
    executor = cloud.executor({"create_job": False, "job": "nightly"})
    ok, message = executor.launch_job(job_of(Probe(), run_labels))
    assert ok is False and "does not exist" in message
    container = {"image": PROBE_IMAGE, "command": ["probe"], "args": ["out", "default"]}
    cloud.jobs[name] = {
        "name": name,
        "labels": {"owner": "ops"},
        "template": {"labels": {"owner": "ops"}, "template": {"containers": [container]}},
    }
    ok, message = executor.launch_job(ContainerJob(image="busybox:latest", command=["probe"]))
    assert ok is False and "overrides cannot change" in message
    job = job_of(Probe().out("override"), run_labels)
    ok, execution_id = executor.launch_job(job)
    assert ok and executor.harvest_job(job) and job.stdout == "override\n"
    bare = ContainerJob(image=PROBE_IMAGE, command=[])
    ok, bare_id = executor.launch_job(bare)
    assert cloud.bodies(":run")[-1]["overrides"]["containerOverrides"][0]["clearArgs"] is True
    assert executor.harvest_job(bare) and bare.stdout == ""
    assert executor.cleanup(execution_id) and executor.cleanup(bare_id)
    assert name in cloud.jobs  # never deletes a job it did not create
