"""The emulated API itself: shapes the official client decodes, deletion semantics, selectors, log errors."""

from __future__ import annotations

import json
from typing import Any

import pytest
from kubernetes import client as k8s_client
from kubernetes.client.exceptions import ApiException

from executor_kit.backends.kubernetes.cluster import match
from executor_kit.backends.kubernetes.emulator import KubernetesEmulator
from executor_kit.backends.kubernetes.executor import KubernetesExecutor
from executor_kit.probe import MISSING_IMAGE, PROBE_IMAGE, Probe


def _body(name: str, argv: list[str], image: str = PROBE_IMAGE, grace: int = 30) -> dict[str, Any]:
    container = {"name": "job", "image": image, "command": argv}
    spec = {"restartPolicy": "Never", "terminationGracePeriodSeconds": grace, "containers": [container]}
    return {"metadata": {"name": name, "labels": {"app": "x"}}, "spec": {"backoffLimit": 0, "template": {"spec": spec}}}


def test_answers_decode_as_the_clients_models(executor: KubernetesExecutor, emulator: KubernetesEmulator) -> None:
    created = executor.batch.create_namespaced_job("default", _body("typed", Probe().out("hi").exit(2).argv))
    assert isinstance(created, k8s_client.V1Job) and created.metadata.uid
    job = executor.batch.read_namespaced_job("typed", "default")
    assert [c.type for c in job.status.conditions] == ["FailureTarget", "Failed"]
    assert job.status.conditions[1].reason == "BackoffLimitExceeded" and job.status.failed == 1
    (pod,) = executor.core.list_namespaced_pod("default", label_selector="job-name=typed").items
    assert pod.status.phase == "Failed" and pod.status.container_statuses[0].state.terminated.exit_code == 2
    assert executor.core.read_namespaced_pod_log(pod.metadata.name, "default") == "hi\n"
    executor.batch.delete_namespaced_job("typed", "default", propagation_policy="Background")


def test_foreground_deletion_waits_for_the_pod_and_collects_owned_secrets(
    executor: KubernetesExecutor, emulator: KubernetesEmulator
) -> None:
    job = executor.batch.create_namespaced_job("default", _body("fg", Probe().ignore_term().sleep(60).argv, grace=5))
    owner = {"apiVersion": "batch/v1", "kind": "Job", "name": "fg", "uid": job.metadata.uid}
    secret = {"metadata": {"name": "fg", "ownerReferences": [owner]}, "stringData": {"k": "v"}}
    executor.core.create_namespaced_secret("default", secret)
    executor.batch.delete_namespaced_job("fg", "default", propagation_policy="Foreground")
    deleting = executor.batch.read_namespaced_job("fg", "default")
    assert deleting.metadata.deletion_timestamp is not None and deleting.metadata.finalizers == ["foregroundDeletion"]
    executor.clock.sleep(5)  # SIGTERM ignored: SIGKILL after the grace period
    assert emulator.names("jobs") == emulator.names("pods") == emulator.names("secrets") == []


@pytest.mark.parametrize(("policy", "pods_left"), [("Background", 0), ("Orphan", 1)])
def test_background_and_orphan_deletion(
    executor: KubernetesExecutor, emulator: KubernetesEmulator, policy: str, pods_left: int
) -> None:
    executor.batch.create_namespaced_job("default", _body("bg", Probe().sleep(60).argv))
    executor.batch.delete_namespaced_job("bg", "default", propagation_policy=policy)
    assert emulator.names("jobs") == [] and len(emulator.names("pods")) == pods_left


def test_label_selectors() -> None:
    labels = {"a": "1", "b": "2"}
    assert match(labels, "a=1,b==2") and match(labels, "a") and match(labels, "c!=3") and match(labels, "")
    assert not match(labels, "a=2") and not match(labels, "c") and not match(labels, "a!=1")


def test_log_errors(executor: KubernetesExecutor, emulator: KubernetesEmulator) -> None:
    executor.batch.create_namespaced_job("default", _body("pull", ["probe"], image=MISSING_IMAGE))
    (pod,) = emulator.names("pods")
    for options, status, words in [
        ({}, 400, "is waiting to start: ErrImagePull"),
        ({"container": "other"}, 400, "container other is not valid"),
        ({"stream": "Both"}, 422, 'Unsupported value: "Both"'),
    ]:
        with pytest.raises(ApiException) as caught:
            executor.core.read_namespaced_pod_log(pod, "default", **options)
        assert caught.value.status == status and words in json.loads(caught.value.body)["message"]
    executor.batch.delete_namespaced_job("pull", "default", propagation_policy="Background")


def test_unknown_paths_and_missing_credentials(executor: KubernetesExecutor, emulator: KubernetesEmulator) -> None:
    with pytest.raises(ApiException) as caught:
        executor.core.list_namespaced_config_map("default")
    assert caught.value.status == 404
    emulator.token = "rotated"
    with pytest.raises(ApiException) as caught:
        executor.batch.list_namespaced_job("default")
    assert caught.value.status == 401
