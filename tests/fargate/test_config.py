from __future__ import annotations

from typing import Any

import pytest

from executor_kit import ExecutorConfigurationError, get_executor
from executor_kit.backends.fargate.executor import FargateExecutor

GOOD: dict[str, Any] = {
    "region": "eu-west-1",
    "cluster": "jobs",
    "task_definition": "probe:3",
    "subnets": ["subnet-0abc"],
    "log_group": "/ecs/probe",
    "aws_access_key_id": "testing",
    "aws_secret_access_key": "testing",
}


@pytest.mark.parametrize(
    ("change", "key"),
    [
        ({"region": None}, "region"),
        ({"region": "EU_WEST_1"}, "region"),
        ({"region": "eu-west"}, "region"),
        ({"region": "eu-west-1\n"}, "region"),
        ({"cluster": ""}, "cluster"),
        ({"cluster": "   "}, "cluster"),
        ({"cluster": 5}, "cluster"),
        ({"task_definition": ["probe"]}, "task_definition"),
        ({"subnets": "subnet-0abc"}, "subnets"),
        ({"subnets": []}, "subnets"),
        ({"subnets": [""]}, "subnets"),
        ({"security_groups": "sg-1"}, "security_groups"),
        ({"assign_public_ip": "yes"}, "assign_public_ip"),
        ({"labels": {"a": 1}}, "labels"),
        ({"labels": {"": "a"}}, "labels"),
        ({"labels": {"executor-kit-timeout-seconds": "-1"}}, "labels"),
        ({"capabilities": {"supports_secrets": "no"}}, "capabilities"),
        ({"max_attempts": 0}, "max_attempts"),
        ({"max_attempts": True}, "max_attempts"),
        ({"log_page_limit": 20_000}, "log_page_limit"),
        ({"log_format": "json"}, "log_format"),
        ({"log_poll_seconds": 0}, "log_poll_seconds"),
        ({"log_poll_seconds": True}, "log_poll_seconds"),
        ({"log_poll_seconds": "2"}, "log_poll_seconds"),
        ({"log_poll_seconds": float("nan")}, "log_poll_seconds"),
        ({"log_settle_seconds": -1}, "log_settle_seconds"),
        ({"log_settle_seconds": float("inf")}, "log_settle_seconds"),
        ({"log_stream_template": "{prefix}/{container}"}, "log_stream_template"),
        ({"endpoint_url": "127.0.0.1:5000"}, "endpoint_url"),
        ({"aws_secret_access_key": None}, "aws_secret_access_key"),
        ({"clustr": "jobs"}, "clustr"),
    ],
)
def test_bad_settings_name_the_key(change: dict[str, Any], key: str) -> None:
    config = {**GOOD, **change}
    if change == {"region": None}:
        del config["region"]
    with pytest.raises(ExecutorConfigurationError) as caught:
        FargateExecutor(config)
    assert f"'{key}'" in str(caught.value)


def test_unknown_key_suggests_the_right_one() -> None:
    with pytest.raises(ExecutorConfigurationError, match="did you mean 'cluster'"):
        FargateExecutor({**GOOD, "clustr": "jobs"})


def test_config_must_be_a_mapping() -> None:
    with pytest.raises(ExecutorConfigurationError, match="mapping"):
        FargateExecutor(["region"])  # type: ignore[arg-type]


def test_factory_builds_it_and_capabilities_are_stable() -> None:
    executor = get_executor("fargate", {**GOOD, "capabilities": {"supports_persistent_storage": True}})
    assert isinstance(executor, FargateExecutor) and executor.name == "fargate"
    capabilities = executor.get_capabilities()
    assert capabilities == executor.get_capabilities()
    assert capabilities["supports_persistent_storage"] is True
    assert capabilities["separates_output_streams"] is True
    assert all(isinstance(value, bool) for value in capabilities.values())
    executor.close()
