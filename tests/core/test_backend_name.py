"""``name`` is a class attribute each backend declares, so a subclass keeps its backend's name and time profile."""

from __future__ import annotations

import importlib

import pytest

from contract_tests.timing import TimeProfile
from executor_kit import ContainerExecutor, MockExecutor

BACKENDS = {
    "docker": "executor_kit.backends.docker.executor:DockerExecutor",
    "cloudrun": "executor_kit.backends.cloudrun.executor:CloudRunExecutor",
    "fargate": "executor_kit.backends.fargate.executor:FargateExecutor",
    "kubernetes": "executor_kit.backends.kubernetes.executor:KubernetesExecutor",
    "mock": "executor_kit.backends.mock:MockExecutor",
}


def _class(target: str) -> type[ContainerExecutor]:
    module, _, attribute = target.partition(":")
    cls: type[ContainerExecutor] = getattr(importlib.import_module(module), attribute)
    return cls


@pytest.mark.parametrize("name", sorted(BACKENDS))
def test_every_backend_declares_its_name_on_the_class(name: str) -> None:
    cls = _class(BACKENDS[name])
    assert cls.__dict__["name"] == name


@pytest.mark.parametrize("name", sorted(BACKENDS))
def test_a_subclass_keeps_its_backends_name(name: str) -> None:
    subclass = type(f"My{name.title()}Executor", (_class(BACKENDS[name]),), {})
    assert subclass.name == name


def test_a_docker_subclass_keeps_the_docker_time_profile() -> None:
    from executor_kit.backends.docker.executor import DockerExecutor

    class MyDockerExecutor(DockerExecutor):
        pass

    executor = MyDockerExecutor({"pull_policy": "never"})  # no engine is contacted before the first call
    try:
        assert executor.name == "docker"
        assert TimeProfile.for_executor(executor) == TimeProfile.for_executor(DockerExecutor({"pull_policy": "never"}))
        assert TimeProfile.for_executor(executor) != TimeProfile()
    finally:
        executor.close()


def test_an_emulated_backend_is_named_after_what_it_emulates() -> None:
    from executor_kit.backends.fargate.emulator import EmulatedFargateExecutor

    assert EmulatedFargateExecutor.name == "fargate"


class PlainExecutor(ContainerExecutor):
    """A third-party executor that declares no ``name``."""

    def launch_job(self, job: object) -> tuple[bool, str]:
        return False, "nothing"

    def check_status(self, execution_id: str) -> str:
        return "not-found"

    def get_logs(self, execution_id: str) -> tuple[str, str]:
        return "", ""

    def harvest_job(self, job: object) -> bool:
        return False

    def cleanup(self, execution_id: str) -> bool:
        return True


def test_a_class_without_a_name_is_named_after_itself_and_so_are_its_subclasses() -> None:
    class SpecialPlainExecutor(PlainExecutor):
        pass

    class NamedExecutor(PlainExecutor):
        name = "named"

    class MyNamedExecutor(NamedExecutor):
        pass

    assert (PlainExecutor.name, SpecialPlainExecutor.name) == ("plain", "specialplain")
    assert (NamedExecutor.name, MyNamedExecutor.name, MyNamedExecutor().name) == ("named", "named", "named")


def test_the_mock_name_is_mock() -> None:
    assert MockExecutor().name == MockExecutor.name == "mock"
