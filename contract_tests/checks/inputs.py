"""ENV, ARGV and SECRETS-001 clauses: what the job says reaches the workload intact."""

from __future__ import annotations

from contract_tests.checks import check, finished, scenario
from contract_tests.harness import Harness, Spec
from executor_kit.probe import Probe

__all__ = ["ARGV_VALUES", "ENV_VALUES", "SECRET_VALUE"]

#: Values that break naive quoting, env-file formats and shells.
ENV_VALUES = {
    "KIT_SPACES": "a b  c ",
    "KIT_EQUALS": "a=b==c",
    "KIT_QUOTES": "'single' \"double\"",
    "KIT_NEWLINE": "line one\nline two",
    "KIT_DOLLAR": "$HOME $(echo pwned) `id` ${PATH}",
    "KIT_UNICODE": "ünïcødé ✓ 日本語",
    "KIT_BACKSLASH": "back\\slash \\n",
}

#: argv elements a shell would change.
ARGV_VALUES = (
    "two  spaces",
    "'single'",
    '"double"',
    "$(echo pwned)",
    "`id`",
    "a; echo injected",
    "*",
    "?[ab]",
    "line one\nline two",
    "back\\slash",
    "",
    "--flag=value",
    "ünï ✓",
    "&& exit 7 ||",
)

SECRET_VALUE = "s3cr3t-Value-4f7a ✓"


def _printing(values: tuple[str, ...] | dict[str, str], step: str) -> Probe:
    probe = Probe()
    for value in values:
        getattr(probe, step)(value)
    return probe


RUNS: dict[str, Spec] = {
    "env": (_printing(ENV_VALUES, "env"), {"environment": dict(ENV_VALUES)}),
    "empty": (Probe().has("KIT_EMPTY").env("KIT_EMPTY").out("|"), {"environment": {"KIT_EMPTY": ""}}),
    "argv": (_printing(ARGV_VALUES, "out"), {}),
    "secret": (Probe().env("KIT_SECRET"), {"secret_environment": {"KIT_SECRET": SECRET_VALUE}}),
}


@scenario
def _runs(h: Harness) -> list[Spec]:
    return list(RUNS.values())


@check("ENV-001")
def environment_exact(h: Harness) -> None:
    run = finished(h, RUNS["env"])
    want = "".join(value + "\n" for value in ENV_VALUES.values())
    assert run.stdout == want, f"the workload saw {run.stdout!r}, want {want!r}"


@check("ENV-002")
def environment_empty_value(h: Harness) -> None:
    run = finished(h, RUNS["empty"])
    assert run.stdout == "set\n\n|\n", f"an empty variable arrived as {run.stdout!r} (want it set and empty)"


@check("ARGV-001")
def argv_exact(h: Harness) -> None:
    run = finished(h, RUNS["argv"])
    want = "".join(value + "\n" for value in ARGV_VALUES)
    assert run.stdout == want and run.job.exit_code == 0, f"argv arrived as {run.stdout!r}, want {want!r}"


@check("SECRETS-001")
def secrets_reach_workload(h: Harness) -> None:
    run = finished(h, RUNS["secret"])
    assert run.stdout == SECRET_VALUE + "\n", "the secret did not reach the workload intact"
