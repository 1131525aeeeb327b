"""The plain config dict: every key, and bad input named precisely, nothing half-applied."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest

from executor_kit import ContainerJob, ExecutorConfigurationError, ExecutorResourceError, get_executor
from executor_kit.backends.mock import MockExecutor, MockSettings, Outcome, Rule, parse_config
from executor_kit.settings import Settings

FULL: dict[str, Any] = {
    "default": {"exit_code": 0, "stdout": "default out\n", "duration": 1},
    "rules": [
        {
            "image": "etl:*",
            "name": "nightly-*",
            "command": ["run"],
            "labels": {"team": "data"},
            "times": 2,
            "outcome": {"exit_code": 3, "stderr": "bad row\n", "duration": 5.5},
        },
        {"image": "gone", "outcome": {"lost": True, "duration": 2}},
        {"image": "big", "outcome": {"oom_killed": True}},
        {"image": "nope", "outcome": {"launch_error": "quota exceeded"}},
    ],
    "faults": [{"method": "get_logs", "error": "resource", "times": 1, "probability": 1.0, "message": "slow down"}],
    "strict": False,
    "seed": 7,
    "capabilities": {"supports_networking": True},
    "harvest_cleans_up": False,
    "assert_all_rules_used": False,
}


def test_every_key_applies_through_the_factory() -> None:
    mock = get_executor("mock", FULL)
    assert isinstance(mock, MockExecutor)
    assert mock.get_capabilities()["supports_networking"] is True
    assert mock.get_capabilities()["supports_resource_limits"] is True
    job = ContainerJob(image="etl:2", name="nightly-1", command=["run", "--all"], labels={"team": "data"})
    _, eid = mock.launch_job(job)
    with pytest.raises(ExecutorResourceError, match="slow down"):
        mock.get_logs(eid)
    assert mock.get_logs(eid) == ("", "bad row\n")
    mock.advance(5.5)
    assert mock.harvest_job(job) and job.exit_code == 3
    assert mock.launch_job(ContainerJob(image="nope")) == (False, "quota exceeded")
    _, other = mock.launch_job(ContainerJob(image="busybox"))
    assert mock.get_logs(other) == ("default out\n", "")
    assert mock.settings.seed == 7


def test_config_overrides_keywords() -> None:
    mock = MockExecutor({"strict": False, "seed": 3}, strict=True, seed=1)
    assert (mock.strict, mock.settings.seed) == (False, 3)


def test_keyword_configuration() -> None:
    mock = MockExecutor(
        strict=True,
        default=Outcome(exit_code=9),
        rules=[Rule(Outcome(exit_code=1), image="a")],
        capabilities={"supports_secrets": False},
        harvest_cleans_up=True,
    )
    assert mock.strict and mock.settings.harvest_cleans_up
    assert mock.get_capabilities()["supports_secrets"] is False
    assert mock.settings.default.exit_code == 9


@pytest.mark.parametrize(
    ("config", "key"),
    [
        ({"stict": True}, "'stict'"),
        ({"strict": "yes"}, "'strict'"),
        ({"seed": 1.5}, "'seed'"),
        ({"seed": True}, "'seed'"),
        ({"harvest_cleans_up": 1}, "'harvest_cleans_up'"),
        ({"rules": {"image": "x"}}, "'rules'"),
        ({"rules": [{"image": "x", "outcome": {"exit_cod": 1}}]}, "'rules[0].outcome.exit_cod'"),
        ({"rules": [{"image": "x", "outcom": {}}]}, "'rules[0].outcom'"),
        ({"rules": [{}, {"outcome": {"duration": -1}}]}, "'rules[1].outcome.duration'"),
        ({"rules": [{"outcome": {"duration": float("nan")}}]}, "'rules[0].outcome.duration'"),
        ({"rules": [{"outcome": {"exit_code": "1"}}]}, "'rules[0].outcome.exit_code'"),
        ({"rules": [{"outcome": {"launch_error": ""}}]}, "'rules[0].outcome.launch_error'"),
        ({"rules": [{"image": 3}]}, "'rules[0].image'"),
        ({"rules": [{"command": "echo hi"}]}, "'rules[0].command'"),
        ({"rules": [{"labels": {"a": 1}}]}, "'rules[0].labels'"),
        ({"rules": [{"times": 0}]}, "'rules[0].times'"),
        ({"rules": ["x"]}, "'rules[0]'"),
        ({"default": {"duration": -0.5}}, "'default.duration'"),
        ({"default": {"colour": "red"}}, "'default.colour'"),
        ({"faults": [{"method": "cleanup", "probability": 1.5}]}, "'faults[0].probability'"),
        ({"faults": [{"method": "cleanup", "probability": -0.1}]}, "'faults[0].probability'"),
        ({"faults": [{"method": "cleanup", "error": "KeyError"}]}, "'faults[0].error'"),
        ({"faults": [{"method": "launch"}]}, "'faults[0].method'"),
        ({"faults": [{"error": "connection"}]}, "'faults[0].method'"),
        ({"faults": [{"method": "cleanup", "times": -2}]}, "'faults[0].times'"),
        ({"faults": [{"method": "cleanup", "when": "always"}]}, "'faults[0].when'"),
        ({"capabilities": {"supports_gpus": True}}, "'capabilities.supports_gpus'"),
        ({"capabilities": {"supports_secrets": "no"}}, "'capabilities.supports_secrets'"),
        ({"capabilities": []}, "'capabilities'"),
    ],
)
def test_bad_config_names_the_key(config: dict[str, Any], key: str) -> None:
    with pytest.raises(ExecutorConfigurationError) as info:
        MockExecutor(config)
    assert key in str(info.value)
    assert isinstance(info.value, ValueError)


def test_config_must_be_a_mapping() -> None:
    with pytest.raises(ExecutorConfigurationError, match="mapping"):
        MockExecutor(["strict"])  # type: ignore[arg-type]


def test_configure_is_all_or_nothing() -> None:
    mock = MockExecutor({"rules": [{"image": "a", "outcome": {"exit_code": 1}}]})
    before = mock.settings
    with pytest.raises(ExecutorConfigurationError, match=r"rules\[1\]\.outcome\.duration"):
        mock.configure({"strict": True, "rules": [{"image": "b"}, {"outcome": {"duration": -1}}]})
    assert mock.settings is before
    assert not mock.strict
    assert [rule.image for rule, _ in mock.rules] == ["a"]


def test_configure_applies_over_current_settings() -> None:
    mock = MockExecutor({"seed": 5})
    mock.configure({"strict": True})
    assert mock.strict and mock.settings.seed == 5


def test_parse_config_is_pure() -> None:
    config = {"rules": [{"image": "x", "outcome": {"exit_code": 1}}]}
    copy = {"rules": [{"image": "x", "outcome": {"exit_code": 1}}]}
    parse_config(config)
    assert config == copy


@pytest.mark.parametrize(
    "kwargs",
    [{"exit_code": True}, {"stdout": None}, {"duration": "1"}, {"oom_killed": 1}, {"lost": "yes"}],
)
def test_outcome_validates_its_fields(kwargs: dict[str, Any]) -> None:
    with pytest.raises(ExecutorConfigurationError, match=next(iter(kwargs))):
        Outcome(**kwargs)


def test_on_rejects_unknown_fields() -> None:
    with pytest.raises(ExecutorConfigurationError, match="exitcode"):
        MockExecutor().on(image="x", exitcode=1)


@pytest.mark.parametrize(
    ("config", "hint"),
    [
        ({"stict": True}, "'stict' is not a known setting (did you mean 'strict'?)"),
        (
            {"rules": [{"image": "x", "outcom": {}}]},
            "'rules[0].outcom' is not a known setting (did you mean 'outcome'?)",
        ),
        ({"default": {"exit_cod": 1}}, "'default.exit_cod' is not a known setting (did you mean 'exit_code'?)"),
        (
            {"faults": [{"method": "cleanup", "tims": 2}]},
            "'faults[0].tims' is not a known setting (did you mean 'times'?)",
        ),
    ],
)
def test_unknown_keys_get_a_did_you_mean_at_every_level(config: dict[str, Any], hint: str) -> None:
    with pytest.raises(ExecutorConfigurationError) as info:
        MockExecutor(config)
    assert str(info.value).startswith(f"mock config {hint}; known: ")
    assert info.value.backend == "mock"


def test_settings_are_the_shared_mechanism() -> None:
    config = {"strict": True, "rules": [{"image": "x", "outcome": {"exit_code": 1}}], "startup": 2}
    settings = MockSettings.from_mapping(config)
    assert isinstance(settings, Settings) and MockSettings.backend == "mock"
    assert dataclasses.replace(settings, rules=()) == dataclasses.replace(parse_config(config), rules=())
    assert (settings.strict, settings.rules[0].outcome.exit_code, settings.startup) == (True, 1, 2.0)


def test_a_key_given_as_none_keeps_the_value_already_set() -> None:
    assert MockExecutor({"seed": None, "strict": None}, seed=3, strict=True).settings.seed == 3
    assert MockExecutor({"strict": None}, strict=True).strict
    mock = MockExecutor({"cancel_grace": 4})
    mock.configure({"cancel_grace": None, "strict": True})
    assert mock.settings.cancel_grace == 4.0 and mock.strict
    assert MockSettings.from_mapping({"cancel_grace": None}).cancel_grace == 10.0
