"""ENV, ARGV and SECRETS-001 clauses: what the job says reaches the workload intact."""

from __future__ import annotations

from contract_tests.checks import check, finished, scenario
from contract_tests.harness import Harness, Spec
from executor_kit.probe import Probe

__all__ = ["ARGV_VALUES", "ENV_VALUES", "SECRET_VALUE"]

#: Values that break naive quoting, env-file formats and shells.
ENV_VALUES = {
    "KIT_CR": "carriage\rreturn\r\n",
    "KIT_TRAILING": "trailing  \t",
    "KIT_ASTRAL": "outside the BMP 𝄞🚀",
    "KIT_EMPTY_LINES": "\n\nbetween\n\n",
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
    "carriage\rreturn",
    "trailing  ",
    "𝄞🚀",
    "\n\n",
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
    # a secret and a plain variable of the same name: the secret wins (as job_environment merges them)
    "secret over plain": (
        Probe().env("KIT_SHADOWED"),
        {"environment": {"KIT_SHADOWED": "the plain value"}, "secret_environment": {"KIT_SHADOWED": SECRET_VALUE}},
    ),
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


def generated_values(h: Harness, count: int) -> list[str]:
    """``count`` strings Hypothesis generates (any characters but NUL and lone surrogates), the same each run.

    Example:
        >>> values = generated_values(Harness(__import__("executor_kit").get_executor("mock")), 12)
        >>> len(values), values == generated_values(Harness(__import__("executor_kit").get_executor("mock")), 12)
        (12, True)
    """
    from hypothesis import HealthCheck, Phase, given, settings
    from hypothesis import strategies as st

    drawn: list[str] = []
    characters = st.characters(exclude_categories=["Cs"], exclude_characters="\x00")

    options = {"derandomize": True, "database": None, "deadline": None, "phases": [Phase.generate]}

    @settings(max_examples=count, suppress_health_check=list(HealthCheck), **options)  # type: ignore[arg-type]
    @given(st.text(characters, max_size=24))
    def draw(value: str) -> None:
        drawn.append(value)

    draw()
    return (drawn * count)[:count]  # Hypothesis may stop early once it has seen every small example


def _values(h: Harness) -> list[str]:
    count = h.examples(16)
    values: list[str] = h.shared(f"generated values {count}", lambda: generated_values(h, count))
    return values


def _generated_env(h: Harness) -> Spec:
    values = _values(h)
    names = [f"KIT_GEN_{index}" for index in range(len(values))]
    return _printing(tuple(names), "env"), {"environment": dict(zip(names, values, strict=True))}


def _generated_argv(h: Harness) -> Spec:
    return _printing(tuple(_values(h)), "out"), {}


@scenario
def _generated(h: Harness) -> list[Spec]:
    return [_generated_env(h), _generated_argv(h)]


@check("ENV-004")
def generated_environment(h: Harness) -> None:
    spec = _generated_env(h)
    run = finished(h, spec)
    want = "".join(value + "\n" for value in spec[1]["environment"].values())
    assert run.stdout == want, f"generated values arrived as {run.stdout!r}, want {want!r}"


@check("ARGV-002")
def generated_argv(h: Harness) -> None:
    values = _values(h)
    run = finished(h, _generated_argv(h))
    want = "".join(value + "\n" for value in values)
    assert run.stdout == want, f"generated argv arrived as {run.stdout!r}, want {want!r}"


@check("SECRETS-001")
def secrets_reach_workload(h: Harness) -> None:
    run = finished(h, RUNS["secret"])
    assert run.stdout == SECRET_VALUE + "\n", "the secret did not reach the workload intact"
    shadowed = finished(h, RUNS["secret over plain"])
    shown = "the plain value" if "plain value" in shadowed.stdout else "something else than the secret"
    assert shadowed.stdout == SECRET_VALUE + "\n", (
        f"with a plain variable of the same name, the workload saw {shown} (the secret wins)"
    )
