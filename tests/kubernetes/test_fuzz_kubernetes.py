"""Any argv and environment travel intact, through the Job the API stores, to the workload."""

from __future__ import annotations

import string
from collections.abc import Iterator

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from executor_kit import ContainerJob, VirtualClock
from executor_kit.backends.kubernetes.emulator import KubernetesEmulator
from executor_kit.backends.kubernetes.executor import KubernetesExecutor
from executor_kit.probe import PROBE_IMAGE

TEXT = st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\0"), max_size=40)
NAMES = st.text(string.ascii_letters + string.digits + "_.-", min_size=1, max_size=20)


@pytest.fixture(scope="module")
def executor() -> Iterator[KubernetesExecutor]:
    with (
        KubernetesEmulator(VirtualClock()) as emulator,
        KubernetesExecutor(emulator.executor_config(), clock=emulator.clock) as executor,
    ):
        executor.emulator = emulator  # type: ignore[attr-defined]
        yield executor


@settings(max_examples=25, deadline=None)
@given(argv=st.lists(TEXT, max_size=4), environment=st.dictionaries(NAMES, TEXT, max_size=4), secret=TEXT)
def test_argv_and_environment_travel_intact(
    executor: KubernetesExecutor, argv: list[str], environment: dict[str, str], secret: str
) -> None:
    steps = [part for name in environment for part in ("env", name)] + [p for a in argv for p in ("out", a)]
    command = ["probe", *steps, "env", "S"]
    job = ContainerJob(image=PROBE_IMAGE, command=command, environment=environment, secret_environment={"S": secret})
    ok, name = executor.launch_job(job)
    assert ok, name
    sent = executor.emulator.cluster.get("jobs", "default", name)  # type: ignore[attr-defined]
    assert sent["spec"]["template"]["spec"]["containers"][0]["command"] == command
    lines = [environment[n] for n in environment] + argv + [secret]
    assert executor.get_logs(name) == ("".join(f"{line}\n" for line in lines), "")
    executor.cleanup(name)
