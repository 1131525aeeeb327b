"""``secret_mode="value-from"``: secrets referenced from Secrets Manager / SSM, fetched by the platform."""

from __future__ import annotations

import uuid
from collections.abc import Callable

import pytest

from executor_kit import ContainerJob
from executor_kit.backends.fargate.emulator import FargateEmulator
from executor_kit.backends.fargate.executor import FargateExecutor
from executor_kit.errors import ExecutorConfigurationError
from executor_kit.probe import Probe
from tests.logcapture import SECRET, debug_records

ROLE = "arn:aws:iam::123456789012:role/ecsTaskExecutionRole"


@pytest.fixture
def references(emulator: FargateEmulator) -> dict[str, str]:
    unique = uuid.uuid4().hex[:8]  # moto's Secrets Manager and SSM outlive one emulation
    secret = emulator.client("secretsmanager").create_secret(Name=f"db-password-{unique}", SecretString=SECRET)
    name = f"/jobs/{unique}/api-token"
    emulator.client("ssm").put_parameter(Name=name, Value=SECRET + "-ssm", Type="SecureString")
    parameter = f"arn:aws:ssm:{emulator.region}:123456789012:parameter{name}"
    return {"DB_PASSWORD": secret["ARN"], "API_TOKEN": parameter}


def test_the_platform_fetches_the_values_and_no_request_carries_them(
    make_executor: Callable[..., FargateExecutor],
    emulator: FargateEmulator,
    probe_job: Callable[..., ContainerJob],
    references: dict[str, str],
) -> None:
    executor = make_executor(secret_mode="value-from", execution_role_arn=ROLE)
    argv = Probe().env("DB_PASSWORD").env("API_TOKEN").env("PLAIN").argv
    with debug_records() as logs:
        job = probe_job(argv, environment={"PLAIN": "visible"}, secret_environment=references)
        ok, arn = executor.launch_job(job)
        again = executor.launch_job(probe_job(argv, secret_environment=references))
        emulator.clock.sleep(1)
        assert ok and again[0], (arn, again)
        assert executor.check_statuses([arn, again[1]]) == {arn: "exited", again[1]: "exited"}
    assert not logs.leaking(SECRET), "the kit or a library saw a value it should never have had"
    assert executor.harvest_job(job)  # the workload prints its secrets: the logs hold them, by its choice
    tasks = executor.ecs.describe_tasks(cluster=emulator.cluster, tasks=[arn, again[1]])["tasks"]
    for task in tasks:
        executor.cleanup(task["taskArn"])
    assert job.stdout == f"{SECRET}\n{SECRET}-ssm\nvisible\n"
    assert len({task["taskDefinitionArn"] for task in tasks}) == 1, "one revision per set of references"
    environment = tasks[0]["overrides"]["containerOverrides"][0]["environment"]
    assert environment == [{"name": "PLAIN", "value": "visible"}]
    definition = executor.ecs.describe_task_definition(taskDefinition=tasks[0]["taskDefinitionArn"])["taskDefinition"]
    secrets = {s["name"]: s["valueFrom"] for s in definition["containerDefinitions"][0]["secrets"]}
    assert (secrets, definition["executionRoleArn"]) == (references, ROLE)


def test_a_value_that_is_no_reference_is_refused_unquoted(
    make_executor: Callable[..., FargateExecutor], probe_job: Callable[..., ContainerJob]
) -> None:
    executor = make_executor(secret_mode="value-from", execution_role_arn=ROLE)
    ok, message = executor.launch_job(probe_job(["probe"], secret_environment={"TOKEN": SECRET}))
    assert ok is False and "TOKEN" in message and SECRET not in message


def test_value_from_needs_an_execution_role(
    make_executor: Callable[..., FargateExecutor],
    probe_job: Callable[..., ContainerJob],
    references: dict[str, str],
) -> None:
    executor = make_executor(secret_mode="value-from")
    with pytest.raises(ExecutorConfigurationError, match="execution_role_arn"):
        executor.launch_job(probe_job(["probe"], secret_environment=references))


def test_secret_mode_is_checked(emulator: FargateEmulator) -> None:
    with pytest.raises(ExecutorConfigurationError, match="secret_mode"):
        FargateExecutor({**emulator.executor_config(), "secret_mode": "vault"})
