"""Hostile and arbitrary input, fuzzed with Hypothesis: no engine needed.

Every input is either accepted and transmitted faithfully, or refused with a
typed ``ExecutorError`` before anything is created; never another exception,
never a shell. Covered here: ``ContainerJob`` fields, ``get_executor`` names and
configs, each built-in backend's config dict (MockExecutor, DockerExecutor whose
construction is lazy, CloudRunExecutor and FargateExecutor on their emulators),
and byte-for-byte transmission of argv and environment to the probe on the
MockExecutor and in the request bodies of the emulated clouds.

Bounded: every test sets ``max_examples``, no deadline and ``database=None``
(no ``.hypothesis`` example database is written). The defects the fuzzing found
(fixed since) keep a regression test each at the end.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from typing import Any, ClassVar, TypeVar

import pytest
import requests
from google.auth.credentials import AnonymousCredentials
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from executor_kit import ContainerJob, MockExecutor, VirtualClock
from executor_kit.backends.cloudrun.emulator import CloudRunEmulator
from executor_kit.backends.cloudrun.executor import CloudRunExecutor
from executor_kit.backends.docker.executor import DockerExecutor
from executor_kit.backends.fargate.emulator import FargateEmulator
from executor_kit.backends.fargate.executor import FargateExecutor
from executor_kit.base import ContainerExecutor
from executor_kit.errors import ExecutorConfigurationError, ExecutorError
from executor_kit.job import job_environment
from executor_kit.probe import PROBE_IMAGE
from executor_kit.registry import available_executors, get_executor

T = TypeVar("T")

# -- strategies --------------------------------------------------------------------------------

#: Text a process can receive: anything but NUL (C strings) and lone surrogates (not UTF-8).
SAFE_TEXT = st.characters(codec="utf-8", exclude_characters="\x00")
#: What a shell would act on; none of it may be acted on.
HOSTILE = [
    "$(touch /tmp/executor-kit-pwned)",
    "`id`",
    "a; rm -rf /",
    "true && echo owned",
    "x || y | z",
    "*",
    "/*/../*",
    "?[a-z]",
    "~root",
    "${HOME}",
    "$HOME",
    "'single' \"double\"",
    "\\",
    "\\n literally",
    "line one\nline two",
    "\r\n",
    "\t tab",
    "",
    " ",
    "-n",
    "--",
    "out",
    "exit 3",
    "üñíçødé ✓ 🚀",
    "\u202e\u200b",
    "> /dev/null",
    "< /etc/passwd",
    "#comment",
    "%s %d %n",
]
#: Portable environment variable names (the probe's ``env`` step reads them through awk ``-v``).
ENV_NAMES = st.from_regex(r"[A-Za-z_][A-Za-z0-9_]{0,15}", fullmatch=True)
ARG_TEXT = st.one_of(st.sampled_from(HOSTILE), st.text(SAFE_TEXT, max_size=24))

JSON_SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=12),
)
JSON_LIKE = st.recursive(
    JSON_SCALARS,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3),
    max_leaves=8,
)
NUMBERS = st.one_of(
    st.none(),
    st.integers(min_value=-5, max_value=2**40),
    st.floats(allow_nan=True, allow_infinity=True),
    st.booleans(),
)
STR_MAPS = st.dictionaries(st.text(max_size=8), st.text(max_size=8), max_size=3)


def _or_junk(strategy: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    """A well-formed value most of the time, anything JSON-like otherwise."""
    return st.one_of(strategy, JSON_LIKE)


JOB_FIELDS: dict[str, st.SearchStrategy[Any]] = {
    "image": _or_junk(st.text(max_size=20)),
    "command": _or_junk(st.lists(ARG_TEXT, max_size=4) | st.tuples(ARG_TEXT)),
    "environment": _or_junk(STR_MAPS),
    "secret_environment": _or_junk(STR_MAPS),
    "labels": _or_junk(STR_MAPS),
    "name": _or_junk(st.one_of(st.none(), st.text(max_size=12))),
    "cpu_limit": _or_junk(NUMBERS),
    "memory_limit": _or_junk(NUMBERS),
    "timeout_seconds": _or_junk(NUMBERS),
}


def _typed(build: Callable[[], T]) -> T | ExecutorError:
    """The result of ``build()``, or the ``ExecutorError`` it raised; anything else propagates."""
    try:
        return build()
    except ExecutorError as exc:
        return exc


def _construct(backend: str, factory: Callable[[], Any], config: Mapping[str, Any]) -> Any:
    """Build; return the executor or the typed error; anything untyped propagates and fails the test."""
    try:
        return factory()
    except ExecutorError as exc:
        return exc


# -- fixtures ----------------------------------------------------------------------------------

_OFFLINE_ENVIRONMENT = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_CONFIG_FILE": "/dev/null",
    "AWS_SHARED_CREDENTIALS_FILE": "/dev/null",
    "AWS_EC2_METADATA_DISABLED": "true",
    "NO_GCE_CHECK": "true",  # google.auth.default never probes a metadata server
}


@pytest.fixture(scope="module", autouse=True)
def _offline() -> Iterator[None]:
    with pytest.MonkeyPatch.context() as patch:
        for name, value in _OFFLINE_ENVIRONMENT.items():
            patch.setenv(name, value)
        patch.delenv("AWS_PROFILE", raising=False)
        patch.delenv("GOOGLE_APPLICATION_CREDENTIALS", raising=False)
        yield


@pytest.fixture(scope="module")
def cloud() -> Iterator[CloudRunEmulator]:
    with CloudRunEmulator(clock=VirtualClock()) as emulator:
        yield emulator
    assert emulator.unmatched == []


@pytest.fixture(scope="module")
def fargate(_offline: None) -> Iterator[FargateEmulator]:
    with FargateEmulator(VirtualClock()) as emulator:
        yield emulator


# -- ContainerJob ------------------------------------------------------------------------------


def _assert_well_formed(job: ContainerJob) -> None:
    assert isinstance(job.image, str) and job.image.strip()
    assert isinstance(job.command, list) and all(isinstance(arg, str) for arg in job.command)
    for mapping in (job.environment, job.secret_environment, job.labels):
        assert all(isinstance(k, str) and isinstance(v, str) for k, v in mapping.items())
    assert all(key and "=" not in key for key in job_environment(job))
    for limit in (job.cpu_limit, job.memory_limit, job.timeout_seconds):
        assert limit is None or (not isinstance(limit, bool) and 0 < limit < float("inf"))


@settings(max_examples=300, deadline=None, database=None)
@given(st.fixed_dictionaries({}, optional=JOB_FIELDS))
@example({"image": "busybox", "command": "echo $(id)"})
@example({"image": "busybox", "environment": {"A=B": "x"}})
@example({"image": "busybox", "cpu_limit": float("nan")})
@example({"image": "busybox", "memory_limit": True})
def test_container_job_is_valid_or_refused_with_a_typed_error(fields: dict[str, Any]) -> None:
    fields.setdefault("image", "busybox")
    job = _typed(lambda: ContainerJob(**fields))
    if isinstance(job, ExecutorError):
        assert isinstance(job, ExecutorConfigurationError) and str(job).startswith("ContainerJob.")
        return
    _assert_well_formed(job)
    mock = MockExecutor()
    ok, value = mock.launch_job(job)
    assert isinstance(ok, bool) and isinstance(value, str) and value
    mock.cleanup(value)
    assert mock.live_executions() == []


# -- the factory -------------------------------------------------------------------------------

NAMES = st.one_of(st.sampled_from(["mock", "docker", "cloudrun", "fargate", "", " mock", "MOCK", "dokcer"]), JSON_LIKE)


@settings(max_examples=250, deadline=None, database=None)
@given(NAMES, JSON_LIKE)
@example("mock", {"strict": "yes"})
@example("docker", {"pull_policy": "sometimes"})
@example("fargate", {"region": "eu-west-1"})
@example("cloudrun", {})
@example(None, None)
@example(["mock"], {})
def test_get_executor_returns_an_executor_or_a_configuration_error(name: Any, config: Any) -> None:
    backend = name if isinstance(name, str) else ""
    result = _construct(backend, lambda: get_executor(name, config), config if isinstance(config, dict) else {})
    if isinstance(result, ContainerExecutor):
        assert name in available_executors()
        result.close()
        return
    if not (isinstance(name, str) and name in available_executors()):
        assert isinstance(result, ExecutorConfigurationError), result
        assert "known executors" in str(result) or "must be a mapping" in str(result)


# -- each backend's config dict ----------------------------------------------------------------

OUTCOMES = st.fixed_dictionaries(
    {},
    optional={
        "exit_code": _or_junk(st.integers(-300, 300)),
        "stdout": _or_junk(st.text(max_size=8)),
        "duration": _or_junk(st.floats(min_value=-1, max_value=100)),
        "launch_error": _or_junk(st.text(max_size=8)),
        "oom_killed": _or_junk(st.booleans()),
        "bogus": JSON_LIKE,
    },
)
MOCK_CONFIG: dict[str, st.SearchStrategy[Any]] = {
    "default": _or_junk(OUTCOMES),
    "rules": _or_junk(
        st.lists(
            st.fixed_dictionaries(
                {},
                optional={
                    "image": _or_junk(st.text(max_size=6)),
                    "command": _or_junk(st.lists(st.text(max_size=4), max_size=2)),
                    "labels": _or_junk(STR_MAPS),
                    "times": _or_junk(st.integers(-1, 3)),
                    "outcome": _or_junk(OUTCOMES),
                },
            ),
            max_size=2,
        )
    ),
    "faults": _or_junk(
        st.lists(
            st.fixed_dictionaries(
                {},
                optional={
                    "method": _or_junk(st.sampled_from(["launch_job", "check_status", "nope"])),
                    "error": _or_junk(st.sampled_from(["connection", "resource", "boom"])),
                    "times": _or_junk(st.integers(-1, 3)),
                    "probability": _or_junk(st.floats(-1, 2)),
                },
            ),
            max_size=2,
        )
    ),
    "strict": _or_junk(st.booleans()),
    "seed": _or_junk(st.integers()),
    "capabilities": _or_junk(st.dictionaries(st.sampled_from(["supports_secrets", "x"]), JSON_LIKE, max_size=2)),
    "harvest_cleans_up": _or_junk(st.booleans()),
    "unknown_key": JSON_LIKE,
}


@settings(max_examples=300, deadline=None, database=None)
@given(st.fixed_dictionaries({}, optional=MOCK_CONFIG))
def test_mock_config_is_accepted_or_refused_and_creates_nothing(config: dict[str, Any]) -> None:
    result = _construct("mock", lambda: MockExecutor(config), config)
    if isinstance(result, ExecutorError):
        assert isinstance(result, ExecutorConfigurationError) and "mock config" in str(result)
        return
    assert result.live_executions() == [] and len(result.journal) == 0


DOCKER_CONFIG: dict[str, st.SearchStrategy[Any]] = {
    "base_url": _or_junk(st.sampled_from(["unix:///nowhere.sock", "tcp://127.0.0.1:1", "", "ssh://x"])),
    "tls": _or_junk(
        st.booleans()
        | st.fixed_dictionaries(
            {},
            optional={"verify": JSON_LIKE, "ca_cert": st.text(max_size=8), "client_cert": st.text(max_size=8)},
        )
    ),
    "labels": _or_junk(STR_MAPS),
    "network": _or_junk(st.text(max_size=8)),
    "auto_remove": _or_junk(st.booleans()),
    "pull_policy": _or_junk(st.sampled_from(["never", "if-missing", "always", "sometimes"])),
    "harvest_cleans_up": _or_junk(st.booleans()),
    "stop_timeout": _or_junk(st.integers(-2, 100)),
    "request_timeout": _or_junk(st.floats(-1, 100)),
    "unknown_key": JSON_LIKE,
}


@settings(max_examples=300, deadline=None, database=None)
@given(st.fixed_dictionaries({}, optional=DOCKER_CONFIG))
@example({"tls": {"ca_cert": "/nonexistent.pem"}})
def test_docker_config_is_accepted_or_refused_without_contacting_the_engine(config: dict[str, Any]) -> None:
    result = _construct("docker", lambda: DockerExecutor(config), config)
    if isinstance(result, DockerExecutor):
        assert result._client is None  # construction is lazy: nothing was sent to any engine
        result.close()
    elif isinstance(result, ExecutorError):
        assert isinstance(result, ExecutorConfigurationError)


ANONYMOUS = AnonymousCredentials()  # type: ignore[no-untyped-call]
CLOUDRUN_CONFIG: dict[str, st.SearchStrategy[Any]] = {
    "project": _or_junk(st.sampled_from(["my-project-1", "123", "Bad_Project", ""])),
    "region": _or_junk(st.sampled_from(["us-central1", "europe-west1", "Europe", "us"])),
    "job": _or_junk(st.text(max_size=70)),
    "create_job": _or_junk(st.booleans()),
    "credentials": st.one_of(st.text(max_size=8), st.integers(), st.just(ANONYMOUS)),
    "max_attempts": _or_junk(st.integers(-1, 200)),
    "initial_backoff": _or_junk(st.floats(-1, 5000)),
    "poll_interval": _or_junk(st.floats(-1, 5000)),
    "log_page_size": _or_junk(st.integers(-1, 2000)),
    "harvest_cleans_up": _or_junk(st.booleans()),
    "unknown_key": JSON_LIKE,
}


@settings(max_examples=200, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.fixed_dictionaries({}, optional=CLOUDRUN_CONFIG))
def test_cloudrun_config_is_accepted_or_refused_and_sends_nothing(
    cloud: CloudRunEmulator, config: dict[str, Any]
) -> None:
    calls = len(cloud.calls)
    merged = {**cloud.config(), **config}
    result = _construct("cloudrun", lambda: CloudRunExecutor(merged, clock=cloud.clock), merged)
    if isinstance(result, CloudRunExecutor):
        result.close()
    assert len(cloud.calls) == calls and cloud.jobs == {} and cloud.executions == {}


def _fargate_config() -> dict[str, st.SearchStrategy[Any]]:
    text = st.text(max_size=10)
    return {
        "region": _or_junk(st.sampled_from(["eu-west-1", "us-east-1", "mars-1", "EU"])),
        "cluster": _or_junk(text),
        "task_definition": _or_junk(text),
        "subnets": _or_junk(st.lists(text, max_size=2)),
        "log_group": _or_junk(text),
        "log_format": _or_junk(st.sampled_from(["firelens-json", "awslogs", "syslog"])),
        "log_stream_template": _or_junk(st.sampled_from(["{task_id}", "x/{task_id}", "none"])),
        "labels": _or_junk(STR_MAPS),
        "endpoint_url": _or_junk(st.sampled_from(["http://127.0.0.1:1", "ftp://x", "http://a b"])),
        "profile": _or_junk(text),
        "aws_access_key_id": _or_junk(text),
        "max_attempts": _or_junk(st.integers(-1, 30)),
        "log_page_limit": _or_junk(st.integers(-1, 20000)),
        "unknown_key": JSON_LIKE,
    }


@settings(max_examples=150, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.fixed_dictionaries({}, optional=_fargate_config()))
@example({"endpoint_url": "http://"})
@example({"profile": "no-such-profile"})
def test_fargate_config_is_accepted_or_refused_and_starts_nothing(
    fargate: FargateEmulator, config: dict[str, Any]
) -> None:
    merged = {**fargate.executor_config(), **config}
    result = _construct("fargate", lambda: FargateExecutor(merged, clock=fargate.clock), merged)
    if isinstance(result, FargateExecutor):
        result.close()
    assert fargate._ecs().tasks.get(fargate.cluster, {}) == {}


# -- faithful transmission ---------------------------------------------------------------------

PAYLOADS = st.tuples(
    st.lists(ARG_TEXT, min_size=1, max_size=6),
    st.dictionaries(ENV_NAMES, ARG_TEXT, max_size=4),
    st.dictionaries(ENV_NAMES.map(lambda name: f"S_{name}"), ARG_TEXT, max_size=2),
)
HOSTILE_PAYLOAD = (HOSTILE, {"H": "$(id) `id`; *", "NL": "a\nb"}, {"S_TOKEN": "s3cr3t 'x'"})


def probe_argv(texts: list[str], names: list[str]) -> list[str]:
    """``probe out T... err T... env N...``: every text twice, every variable once."""
    argv = ["probe"]
    for text in texts:
        argv += ["out", text, "err", text]
    for name in names:
        argv += ["env", name]
    return argv


def expected_output(texts: list[str], environment: Mapping[str, str]) -> tuple[str, str]:
    """What ``probe_argv`` must print, byte for byte."""
    lines = "".join(f"{text}\n" for text in texts)
    return lines + "".join(f"{value}\n" for value in environment.values()), lines


@settings(max_examples=200, deadline=None, database=None)
@given(PAYLOADS)
@example(HOSTILE_PAYLOAD)
def test_argv_and_environment_reach_the_probe_intact_on_the_mock(
    payload: tuple[list[str], dict[str, str], dict[str, str]],
) -> None:
    texts, environment, secrets = payload
    everything = {**environment, **secrets}
    job = ContainerJob(
        image=PROBE_IMAGE,
        command=probe_argv(texts, list(everything)),
        environment=environment,
        secret_environment=secrets,
    )
    mock = MockExecutor()
    ok, execution_id = mock.launch_job(job)
    assert ok and mock.check_status(execution_id) == "exited"
    assert mock.harvest_job(job) is True
    assert (job.stdout, job.stderr, job.exit_code) == (*expected_output(texts, everything), 0)
    assert mock.journal.launched()[0].command == tuple(job.command)
    mock.cleanup(execution_id)


@settings(max_examples=40, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])
@given(PAYLOADS)
@example(HOSTILE_PAYLOAD)
def test_argv_and_environment_travel_intact_in_the_cloud_run_request(
    cloud: CloudRunEmulator, payload: tuple[list[str], dict[str, str], dict[str, str]]
) -> None:
    texts, environment, secrets = payload
    everything = {**environment, **secrets}
    argv = probe_argv(texts, list(everything))
    job = ContainerJob(image=PROBE_IMAGE, command=argv, environment=environment, secret_environment=secrets)
    executor = CloudRunExecutor(cloud.config(), clock=cloud.clock)
    before = len(cloud.bodies(":run"))
    ok, execution_id = executor.launch_job(job)
    try:
        assert ok, execution_id
        body = cloud.bodies(":run")[before]
        [override] = body["overrides"]["containerOverrides"]
        assert override["args"] == argv[1:]
        assert override["env"] == [{"name": key, "value": value} for key, value in everything.items()]
        assert executor.check_status(execution_id) == "exited"
        assert executor.get_logs(execution_id) == expected_output(texts, everything)
    finally:
        executor.cleanup(execution_id)
        executor.close()
    assert cloud.jobs == {}


@settings(max_examples=25, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])
@given(PAYLOADS)
@example(HOSTILE_PAYLOAD)
def test_argv_and_environment_travel_intact_in_the_fargate_request(
    fargate: FargateEmulator, payload: tuple[list[str], dict[str, str], dict[str, str]]
) -> None:
    texts, environment, secrets = payload
    everything = {**environment, **secrets}
    argv = probe_argv(texts, list(everything))
    job = ContainerJob(image=PROBE_IMAGE, command=argv, environment=environment, secret_environment=secrets)
    with FargateExecutor(fargate.executor_config(), clock=fargate.clock) as executor:
        ok, arn = executor.launch_job(job)
        assert ok, arn
        try:
            override = fargate._ecs().tasks[fargate.cluster][arn].overrides["containerOverrides"][0]
            assert override["command"] == argv
            assert override["environment"] == [{"name": k, "value": v} for k, v in everything.items()]
            assert executor.check_status(arn) == "exited"
            assert executor.get_logs(arn) == expected_output(texts, everything)
        finally:
            executor.cleanup(arn)


# -- defects the fuzzing found, fixed: each stays as a regression test ---------------------------


def test_job_name_must_be_text() -> None:
    refused = _typed(lambda: ContainerJob(image="busybox", name=5))  # type: ignore[arg-type]
    assert isinstance(refused, ExecutorConfigurationError), "ContainerJob(name=5) was accepted"


def test_mock_name_rule_with_a_non_text_name_is_typed() -> None:
    job = ContainerJob(image="busybox")
    job.name = 5  # type: ignore[assignment]  # set after construction, as an ORM row might
    result = _typed(lambda: MockExecutor({"rules": [{"name": "etl-*"}]}).launch_job(job))
    assert isinstance(result, ExecutorError) or result[0] is False


@pytest.mark.parametrize(
    "fields",
    [{"command": ["probe", "out", "a\x00b"]}, {"environment": {"A": "x\x00y"}}],
    ids=["argv", "env-value"],
)
def test_nul_bytes_cannot_be_transmitted_so_they_are_refused(fields: dict[str, Any]) -> None:
    try:
        ContainerJob(image="busybox", **fields)
    except ExecutorConfigurationError:
        return
    raise AssertionError(f"ContainerJob accepted {fields!r}, which no process can receive")


@pytest.mark.parametrize("method", [[], {}, ["launch_job"]])
def test_mock_fault_method_of_the_wrong_type_is_a_configuration_error(method: Any) -> None:
    with pytest.raises(ExecutorConfigurationError, match=r"faults\[0\]\.method"):
        MockExecutor({"faults": [{"method": method}]})


@pytest.mark.parametrize(
    "tls",
    [{"ca_cert": ["/etc/ssl/cert.pem"]}, {"client_cert": ["/etc/ssl/cert.pem"], "client_key": "/nonexistent"}],
    ids=["ca_cert", "client_cert"],
)
def test_docker_tls_paths_of_the_wrong_type_are_a_configuration_error(tls: dict[str, Any]) -> None:
    with pytest.raises(ExecutorConfigurationError):
        DockerExecutor({"tls": tls})


@pytest.mark.parametrize("url", ["http://", "http://a b", "https://\x00"])
def test_fargate_malformed_endpoint_is_a_configuration_error(fargate: FargateEmulator, url: str) -> None:
    try:
        FargateExecutor({**fargate.executor_config(), "endpoint_url": url})
    except ExecutorConfigurationError:
        return
    except ExecutorError as exc:  # typed, but the wrong kind for a bad setting
        raise AssertionError(exc) from exc
    raise AssertionError(f"endpoint_url {url!r} was accepted")


def test_cloudrun_launch_refuses_an_invalid_job_with_a_typed_error(cloud: CloudRunEmulator) -> None:
    class Bad:
        image, command = "x", "echo $(id)"
        environment: ClassVar[dict[str, str]] = {}
        labels: ClassVar[dict[str, str]] = {}

    executor = CloudRunExecutor(cloud.config(), clock=cloud.clock, session=requests.Session())
    calls = len(cloud.calls)
    try:
        result = executor.launch_job(Bad())  # type: ignore[arg-type]
    except ExecutorConfigurationError:
        result = (False, "raised")
    finally:
        executor.close()
    assert result[0] is False and len(cloud.calls) == calls
