"""Configuration of the Cloud Run executor: validated at construction, never half-used."""

from __future__ import annotations

import google.auth
import google.auth.exceptions
import pytest
import requests

from executor_kit import get_executor
from executor_kit.backends.cloudrun.executor import CloudRunExecutor, CloudRunSettings
from executor_kit.errors import ExecutorAuthenticationError, ExecutorConfigurationError

BASE = {"project": "my-project", "region": "us-central1"}


def build(**config: object) -> CloudRunExecutor:
    return CloudRunExecutor(config, session=requests.Session())


@pytest.mark.parametrize("missing", ["project", "region"])
def test_project_and_region_are_required(missing):
    config = {k: v for k, v in BASE.items() if k != missing}
    with pytest.raises(ExecutorConfigurationError, match=f"cloudrun config '{missing}' is required"):
        build(**config)


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("project", ""),
        ("project", "  "),
        ("project", 123),
        ("project", "My_Project"),
        ("region", ""),
        ("region", "us_central1"),
        ("region", "US-CENTRAL1"),
        ("region", "uscentral1"),
        ("region", "us-central"),
        ("region", ["us-central1"]),
        ("job", "Bad_Name"),
        ("job", "-x"),
        ("job", "x" * 64),
        ("create_job", "yes"),
        ("create_job", 1),
        ("max_attempts", 0),
        ("max_attempts", 2.5),
        ("max_attempts", True),
        ("log_poll_seconds", 0),
        ("initial_backoff", -1),
        ("log_page_size", 5000),
        ("run_endpoint", "run.googleapis.com"),
        ("logging_endpoint", "https://logging.googleapis.com/v2"),
        ("request_timeout", float("nan")),
    ],
)
def test_malformed_values_are_refused_naming_the_key(key, value):
    with pytest.raises(ExecutorConfigurationError, match=repr(key)):
        build(**{**BASE, key: value})


def test_unknown_keys_are_refused():
    with pytest.raises(ExecutorConfigurationError, match="cloudrun config 'regoin' is not a known setting"):
        build(**BASE, regoin="us-east1")


def test_renamed_option_is_refused_with_its_new_name():
    with pytest.raises(ExecutorConfigurationError, match="'cleanup_on_harvest' was renamed to 'harvest_cleans_up'"):
        build(**BASE, cleanup_on_harvest=True)


def test_config_must_be_a_mapping():
    with pytest.raises(ExecutorConfigurationError):
        CloudRunExecutor(["project"], session=requests.Session())  # type: ignore[arg-type]


def test_job_name_too_long_for_per_launch_suffix():
    build(**BASE, job="j" * 63)
    with pytest.raises(ExecutorConfigurationError, match="too long"):
        build(**BASE, job="j" * 55, create_job=True)
    assert build(**BASE, job="j" * 54, create_job=True).settings.job == "j" * 54


def test_project_numbers_and_regions_accepted():
    settings = CloudRunSettings.from_mapping({"project": "123456789012", "region": "northamerica-northeast1"})
    assert settings.parent == "projects/123456789012/locations/northamerica-northeast1"


def test_credentials_of_a_wrong_type_or_missing_file(tmp_path):
    with pytest.raises(ExecutorConfigurationError, match="credentials"):
        CloudRunExecutor({**BASE, "credentials": 42})
    with pytest.raises(ExecutorConfigurationError, match="key file"):
        CloudRunExecutor({**BASE, "credentials": str(tmp_path / "missing.json")})
    bad = tmp_path / "bad.json"
    bad.write_text('{"type": "service_account", "private_key": "SECRET-MATERIAL"}')
    with pytest.raises(ExecutorConfigurationError) as info:
        CloudRunExecutor({**BASE, "credentials": bad})
    assert "SECRET-MATERIAL" not in str(info.value)


def test_no_application_default_credentials_is_an_authentication_error(monkeypatch):
    def no_adc(**kwargs):
        raise google.auth.exceptions.DefaultCredentialsError("none found")

    monkeypatch.setattr(google.auth, "default", no_adc)
    with pytest.raises(ExecutorAuthenticationError, match="Application Default Credentials"):
        CloudRunExecutor(BASE)


def test_factory_builds_it_and_repr_shows_no_credentials():
    from google.auth.credentials import AnonymousCredentials

    executor = get_executor("cloudrun", {**BASE, "credentials": AnonymousCredentials()})
    assert isinstance(executor, CloudRunExecutor) and executor.name == "cloudrun"
    assert repr(executor) == "CloudRunExecutor(project='my-project', region='us-central1', job='executor-kit')"
    assert executor.get_capabilities() == executor.get_capabilities()
    assert all(isinstance(v, bool) for v in executor.get_capabilities().values())
    executor.close()
