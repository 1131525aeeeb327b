"""One settings mechanism and one error translation, used the same way by every backend."""

from __future__ import annotations

import dataclasses
from typing import Any, ClassVar

import pytest

from executor_kit.backends.cloudrun.emulator import emulated_executor as cloudrun_executor
from executor_kit.backends.fargate.emulator import emulated_executor as fargate_executor
from executor_kit.backends.kubernetes.emulator import emulated_executor as kubernetes_executor
from executor_kit.backends.mock import MockExecutor
from executor_kit.errors import (
    ExecutorAuthenticationError,
    ExecutorConfigurationError,
    ExecutorConnectionError,
    ExecutorError,
    ExecutorResourceError,
    error_for_status,
    translated,
)
from executor_kit.settings import REQUIRED, Settings, setting


def _is_text(value: object) -> bool:
    return isinstance(value, str) and bool(value)


@dataclasses.dataclass(frozen=True, kw_only=True)
class DemoSettings(Settings):
    backend = "demo"
    renamed: ClassVar[dict[str, str]] = {"cleanup_on_harvest": "harvest_cleans_up"}
    region: str = setting(_is_text, "a region name")
    api_token: str | None = setting(lambda v: v is None or _is_text(v), "None or a token", None, secret=True)
    retries: int = setting(lambda v: isinstance(v, int) and not isinstance(v, bool) and v >= 0, "an int >= 0", 3)
    wait: float = setting(lambda v: isinstance(v, int | float) and not isinstance(v, bool), "seconds", 1, convert=float)
    labels: dict[str, str] = setting(lambda v: isinstance(v, dict), "a dict", {})
    harvest_cleans_up: bool = setting(lambda v: isinstance(v, bool), "a bool", False)

    def validate(self) -> None:
        if self.retries > 10 and self.wait < 1:
            raise self.error("wait", "must be at least 1 s when retries exceed 10")


def _refusal(config: Any) -> str:
    with pytest.raises(ExecutorConfigurationError) as caught:
        DemoSettings.from_mapping(config)
    assert caught.value.backend == "demo"
    return str(caught.value)


def test_defaults_conversions_and_fresh_mutable_defaults() -> None:
    first, second = DemoSettings.from_mapping({"region": "eu", "wait": 2}), DemoSettings.from_mapping({"region": "eu"})
    assert (first.retries, first.wait, type(first.wait), first.labels) == (3, 2.0, float, {})
    assert first.labels is not second.labels
    assert DemoSettings.from_mapping({"region": "eu", "retries": None}).retries == 3  # None means the default
    with pytest.raises(dataclasses.FrozenInstanceError):
        first.retries = 5  # type: ignore[misc]


@pytest.mark.parametrize(
    ("config", "message"),
    [
        ({}, "demo config 'region' is required: a region name"),
        ({"region": "eu", "retrys": 1}, "demo config 'retrys' is not a known setting (did you mean 'retries'?)"),
        ({"region": "eu", "zzz": 1}, "known: api_token, harvest_cleans_up, labels, region, retries, wait"),
        (
            {"region": "eu", "cleanup_on_harvest": True},
            "demo config 'cleanup_on_harvest' was renamed to 'harvest_cleans_up'",
        ),
        ({"region": "eu", "retries": -1}, "demo config 'retries' must be an int >= 0, got -1"),
        ({"region": "eu", "retries": True}, "got True"),
        (
            {"region": "eu", "retries": 11, "wait": 0.5},
            "demo config 'wait' must be at least 1 s when retries exceed 10",
        ),
        (["region"], "demo config must be a mapping of option names to values, got a list"),
    ],
)
def test_every_refusal_names_the_backend_and_the_key(config: Any, message: str) -> None:
    assert message in _refusal(config)


def test_secret_values_are_masked_in_messages_and_kept_out_of_the_repr() -> None:
    assert "s3cr3t" not in _refusal({"region": "eu", "api_token": ["s3cr3t"]})
    assert "a list (value hidden)" in _refusal({"region": "eu", "api_token": ["s3cr3t"]})
    settings = DemoSettings.from_mapping({"region": "eu", "api_token": "s3cr3t"})
    assert settings.api_token == "s3cr3t" and "s3cr3t" not in repr(settings)
    assert settings.as_dict()["api_token"] == "s3cr3t"


def test_a_required_option_has_no_default() -> None:
    region = next(field for field in DemoSettings.options() if field.name == "region")
    assert region.default is dataclasses.MISSING and repr(REQUIRED) == "REQUIRED"


@pytest.mark.parametrize(
    ("status", "vendor", "server", "expected"),
    [
        (401, None, ExecutorConnectionError, ExecutorAuthenticationError),
        (403, None, ExecutorConnectionError, ExecutorAuthenticationError),
        (429, None, ExecutorConnectionError, ExecutorResourceError),
        (400, None, ExecutorConnectionError, ExecutorConfigurationError),
        (0, None, ExecutorConnectionError, ExecutorConnectionError),
        (503, None, ExecutorConnectionError, ExecutorConnectionError),
        (503, None, ExecutorResourceError, ExecutorResourceError),
        (403, {403: ExecutorResourceError}, ExecutorConnectionError, ExecutorResourceError),
    ],
)
def test_one_status_table_with_vendor_overrides(
    status: int,
    vendor: dict[int, type[ExecutorError]] | None,
    server: type[ExecutorError],
    expected: type[ExecutorError],
) -> None:
    assert error_for_status(status, vendor, server_error=server) is expected


def test_translated_chains_passes_through_and_lets_unclassified_errors_go() -> None:
    def classify(exc: Exception) -> type[ExecutorError] | None:
        return error_for_status(int(exc.args[0])) if isinstance(exc, LookupError) else None

    with pytest.raises(ExecutorAuthenticationError) as caught, translated("demo", classify, str, execution_id="e-1"):
        raise LookupError(401)
    assert (caught.value.backend, caught.value.execution_id, type(caught.value.__cause__)) == (
        "demo",
        "e-1",
        LookupError,
    )
    with pytest.raises(KeyboardInterrupt), translated("demo", classify, str):
        raise KeyboardInterrupt
    with pytest.raises(TypeError), translated("demo", classify, str):
        raise TypeError("not the backend's")
    original = ExecutorResourceError("as it was", backend="other")
    with pytest.raises(ExecutorResourceError) as kept, translated("demo", classify, str):
        raise original
    assert kept.value is original


BUILT = {
    "mock": lambda config: MockExecutor(config),
    "cloudrun": cloudrun_executor,
    "fargate": fargate_executor,
    "kubernetes": kubernetes_executor,
}


@pytest.mark.parametrize("backend", sorted(BUILT))
def test_every_backend_refuses_a_misspelt_option_the_same_way(backend: str) -> None:
    with pytest.raises(ExecutorConfigurationError) as caught:
        BUILT[backend]({"harvest_clean_up": True})
    assert str(caught.value).startswith(f"{backend} config 'harvest_clean_up' is not a known setting")
    assert "(did you mean 'harvest_cleans_up'?)" in str(caught.value) and caught.value.backend == backend


@pytest.mark.parametrize("backend", sorted(BUILT))
def test_every_backend_keeps_its_settings_as_a_settings_object(backend: str) -> None:
    executor = BUILT[backend]({"harvest_cleans_up": True})
    try:
        assert isinstance(executor.settings, Settings) and executor.settings.harvest_cleans_up is True
    finally:
        getattr(executor, "shutdown", executor.close)()
