"""Connection settings: kubeconfig, contexts, in-cluster, host and token; the registry name."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from executor_kit import ContainerJob, VirtualClock, get_executor
from executor_kit.backends.kubernetes.emulator import KubernetesEmulator
from executor_kit.backends.kubernetes.executor import KubernetesExecutor
from executor_kit.backends.kubernetes.settings import KubernetesSettings
from executor_kit.errors import ExecutorConfigurationError
from executor_kit.probe import PROBE_IMAGE, Probe


def _one_line_error(config: dict[str, object]) -> str:
    with pytest.raises(ExecutorConfigurationError) as caught:
        KubernetesExecutor(config)
    message = str(caught.value)
    assert "\n" not in message, message
    return message


def test_missing_kubeconfig_is_one_line(tmp_path: Path) -> None:
    message = _one_line_error({"kubeconfig": str(tmp_path / "absent")})
    assert "names no readable file" in message and "absent" in message


def test_default_kubeconfig_comes_from_the_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KUBECONFIG", str(tmp_path / "from-env"))
    assert "from-env" in _one_line_error({})


@pytest.mark.parametrize(
    "text",
    ["::: not yaml [", "apiVersion: v1\nkind: Config\n", "[1, 2]", '{"current-context": "x", "contexts": []}'],
)
def test_malformed_kubeconfig_is_one_line(tmp_path: Path, text: str) -> None:
    path = tmp_path / "config"
    path.write_text(text)
    assert "cannot be used" in _one_line_error({"kubeconfig": str(path)})


def test_kubeconfig_and_context_reach_the_cluster(tmp_path: Path, emulator: KubernetesEmulator) -> None:
    path = tmp_path / "config"
    path.write_text(emulator.kubeconfig())
    with KubernetesExecutor({"kubeconfig": str(path), "context": "emulated"}, clock=emulator.clock) as executor:
        ok, name = executor.launch_job(ContainerJob(image=PROBE_IMAGE, command=Probe().out("hi").argv))
        assert ok and executor.check_status(name) == "exited"
        executor.cleanup(name)
    assert "cannot be used" in _one_line_error({"kubeconfig": str(path), "context": "absent"})


def test_in_cluster_outside_a_pod_is_one_line(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("KUBERNETES_SERVICE_HOST", raising=False)
    assert "not a pod" in _one_line_error({"in_cluster": True})


@pytest.mark.parametrize(
    ("config", "words"),
    [
        ({"namespce": "x"}, "did you mean 'namespace'"),
        ({"namespace": "Not_Valid"}, "DNS-1123"),
        ({"token": "t"}, "needs 'host'"),
        ({"max_attempts": 0}, "from 1 to 20"),
        ({"image_pull_policy": "Sometimes"}, "Always, IfNotPresent or Never"),
        ({"ttl_seconds_after_finished": -1}, "int >= 0"),
    ],
)
def test_bad_settings_are_named(config: dict[str, object], words: str) -> None:
    assert words in _one_line_error(config)


def test_a_bad_token_is_not_shown() -> None:
    message = _one_line_error({"host": "http://127.0.0.1:1", "token": 12345})
    assert "'token'" in message and "value hidden" in message and "12345" not in message


def test_none_means_the_default() -> None:
    settings = KubernetesSettings.from_mapping({"grace_period_seconds": None, "launch_wait_seconds": None})
    assert (settings.grace_period_seconds, settings.launch_wait_seconds) == (10, 30)


def test_registered_as_kubernetes(emulator: KubernetesEmulator) -> None:
    executor = get_executor("kubernetes", emulator.executor_config())
    assert isinstance(executor, KubernetesExecutor) and executor.name == "kubernetes"
    executor.close()


def test_capabilities_follow_the_log_stream_setting() -> None:
    with KubernetesEmulator(VirtualClock()) as emulator:
        merged = KubernetesExecutor({**emulator.executor_config(), "split_log_streams": False, "capabilities": {}})
        split = KubernetesExecutor({**emulator.executor_config(), "capabilities": {}})
        assert merged.get_capabilities()["separates_output_streams"] is False
        assert split.get_capabilities() == {
            "supports_resource_limits": True,
            "supports_networking": True,
            "supports_persistent_storage": False,
            "supports_secrets": True,
            "separates_output_streams": True,
        }
        merged.close(), split.close()
    assert json.loads(emulator.kubeconfig() if emulator.host else "{}") == {}
