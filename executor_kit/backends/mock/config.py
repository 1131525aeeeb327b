"""The ``MockExecutor``'s settings: one ``Settings`` dataclass, built from a plain config dict.

``MockSettings.from_mapping`` (and ``parse_config``, which can also update a
base) builds a complete ``MockSettings`` or raises ``ExecutorConfigurationError``
naming the offending key (``mock config 'rules[1].outcome.duration' ...``), so
nothing is ever half-applied. The keys::

    default               outcome mapping for jobs no rule matches (non-probe jobs)
    rules                 list of {image, name, command, labels, times, outcome}
    faults                list of {method, error, times, probability, message}
    strict                bool: a job that matches no rule raises UnexpectedJobError
    seed                  int: seeds probabilistic faults
    capabilities          {supports_resource_limits: bool, ...} (standard and optional keys)
    harvest_cleans_up     bool: harvest_job also cleans up (off by default)
    assert_all_rules_used bool: the pytest fixture checks at teardown that every rule was used
    startup               seconds every launched job spends starting (reads running, no output) before
                          its own outcome plays; a rule's outcome.startup adds to it
    cancel_grace          seconds cancel waits after SIGTERM before it kills (a workload ignoring
                          SIGTERM then ends with 137); 10 by default

The nested mappings (outcomes, rules, faults, capabilities) are parsed by the
``convert`` of their option, with the same wording for an unknown key.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Collection, Mapping
from typing import Any

from executor_kit.backends.mock.faults import ERRORS, Fault
from executor_kit.backends.mock.outcomes import OUTCOME_FIELDS, Outcome, Rule
from executor_kit.base import OPTIONAL_CAPABILITIES, STANDARD_CAPABILITIES
from executor_kit.clock import MAX_SPAN
from executor_kit.errors import ExecutorConfigurationError
from executor_kit.settings import Settings, setting, unknown_key_problem

__all__ = ["DEFAULT_CAPABILITIES", "MockSettings", "parse_config"]

#: What the mock declares unless configured otherwise.
DEFAULT_CAPABILITIES: Mapping[str, bool] = {
    **STANDARD_CAPABILITIES,
    "supports_resource_limits": True,
    "supports_secrets": True,
    "separates_output_streams": True,
    "supports_cancel": True,
    "supports_log_streaming": True,
}

_RULE_KEYS = ("image", "name", "command", "labels", "times", "outcome")
_FAULT_KEYS = ("method", "error", "times", "probability", "message")


def _error(path: str, problem: str) -> ExecutorConfigurationError:
    return MockSettings.error(path, problem)


def _mapping(path: str, value: object) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise _error(path, f"must be a mapping, got {type(value).__name__}")
    return value


def _refuse_unknown(path: str, given: Mapping[str, Any], known: Collection[str]) -> None:
    for key in given:
        if key in known:
            continue
        raise _error(f"{path}.{key}", unknown_key_problem(key, known))


def _build(path: str, factory: Callable[..., Any], fields: Mapping[str, Any]) -> Any:
    try:
        return factory(**fields)
    except ExecutorConfigurationError as exc:
        # The field checks name the field first: "duration must not be negative".
        field, _, problem = exc.message.partition(" ")
        raise _error(f"{path}.{field}", problem) from None


def _outcome(path: str, value: object) -> Outcome:
    fields = _mapping(path, value)
    _refuse_unknown(path, fields, OUTCOME_FIELDS)
    outcome: Outcome = _build(path, Outcome, fields)
    return outcome


def _rule(path: str, value: object) -> Rule:
    fields = dict(_mapping(path, value))
    _refuse_unknown(path, fields, _RULE_KEYS)
    fields["outcome"] = _outcome(f"{path}.outcome", fields.get("outcome", {}))
    rule: Rule = _build(path, Rule, fields)
    return rule


def _error_class(path: str, name: object) -> type[Any]:
    if not isinstance(name, str) or name not in ERRORS:
        raise _error(path, f"must name an ExecutorError ({', '.join(ERRORS)}), got {name!r}")
    return ERRORS[name]


def _fault(path: str, value: object) -> Fault:
    fields = dict(_mapping(path, value))
    _refuse_unknown(path, fields, _FAULT_KEYS)
    if "method" not in fields:
        raise _error(f"{path}.method", "is required")
    fields["error"] = _error_class(f"{path}.error", fields.get("error", "connection"))
    fault: Fault = _build(path, Fault, fields)
    return fault


def _default(value: Mapping[str, Any]) -> Outcome:
    return _outcome("default", value)


def _rules(value: list[Any] | tuple[Any, ...]) -> tuple[Rule, ...]:
    return tuple(_rule(f"rules[{i}]", item) for i, item in enumerate(value))


def _faults(value: list[Any] | tuple[Any, ...]) -> tuple[Fault, ...]:
    return tuple(_fault(f"faults[{i}]", item) for i, item in enumerate(value))


def _capability(key: str, flag: object) -> bool:
    if not isinstance(flag, bool):
        raise _error(f"capabilities.{key}", f"must be a bool, got {flag!r}")
    return flag


def _capabilities(value: Mapping[str, Any]) -> dict[str, bool]:
    _refuse_unknown("capabilities", value, {**STANDARD_CAPABILITIES, **OPTIONAL_CAPABILITIES})
    return {**DEFAULT_CAPABILITIES, **{key: _capability(key, flag) for key, flag in value.items()}}


def _is_mapping(value: object) -> bool:
    return isinstance(value, Mapping)


def _is_list(value: object) -> bool:
    return isinstance(value, list | tuple)


def _is_bool(value: object) -> bool:
    return isinstance(value, bool)


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_seconds(value: object) -> bool:
    try:
        OUTCOME_FIELDS["duration"]("seconds", value)  # what an outcome's duration may be
    except ExecutorConfigurationError:
        return False
    return True


_SECONDS = f"a finite number of seconds from 0 to {MAX_SPAN:g} (the virtual clock's span)"


@dataclasses.dataclass(frozen=True, kw_only=True)
class MockSettings(Settings):
    """Everything a ``MockExecutor`` is configured with (immutable); the keys are this module's.

    Example:
        >>> MockSettings().strict, MockSettings().capabilities["supports_secrets"]
        (False, True)
        >>> MockSettings.from_mapping({"seed": 7, "default": {"exit_code": 3}}).default.exit_code
        3
        >>> MockSettings.from_mapping({"stict": True})  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ...
        executor_kit.errors.ExecutorConfigurationError: mock config 'stict' is not a known setting \
(did you mean 'strict'?); known: ...
    """

    backend = "mock"

    # setting() makes a dataclasses.field; an Outcome is frozen, so one default is shared safely.
    default: Outcome = setting(_is_mapping, "a mapping of outcome fields", Outcome(), convert=_default)
    rules: tuple[Rule, ...] = setting(_is_list, "a list of rule mappings", (), convert=_rules)
    faults: tuple[Fault, ...] = setting(_is_list, "a list of fault mappings", (), convert=_faults)
    strict: bool = setting(_is_bool, "a bool", False)
    seed: int = setting(_is_int, "an int", 0)
    capabilities: Mapping[str, bool] = setting(
        _is_mapping, "a mapping of capability names to bools", dict(DEFAULT_CAPABILITIES), convert=_capabilities
    )
    harvest_cleans_up: bool = setting(_is_bool, "a bool", False)
    assert_all_rules_used: bool = setting(_is_bool, "a bool", False)
    startup: float = setting(_is_seconds, _SECONDS, 0.0, convert=float)
    cancel_grace: float = setting(_is_seconds, _SECONDS, 10.0, convert=float)


def parse_config(config: Mapping[str, Any] | None, base: MockSettings | None = None) -> MockSettings:
    """Validate ``config`` (``MockSettings.from_mapping``) and return ``base`` updated with it (a new object).

    Only the keys ``config`` gives change; a key given as ``None`` keeps the
    base's value (for ``from_mapping``, ``None`` means the default).

    Raises:
        ExecutorConfigurationError: naming the first offending key.

    Example:
        >>> rules = [{"image": "py*", "outcome": {"exit_code": 2}}]
        >>> settings = parse_config({"strict": True, "rules": rules})
        >>> settings.strict, settings.rules[0].outcome.exit_code
        (True, 2)
        >>> parse_config({"seed": 3}, settings).strict
        True
        >>> parse_config({"rules": [{"outcome": {"duration": -1}}]})
        Traceback (most recent call last):
        ...
        executor_kit.errors.ExecutorConfigurationError: mock config 'rules[0].outcome.duration' \
must not be negative, got -1
    """
    parsed = MockSettings.from_mapping(config)
    if base is None:
        return parsed
    given = {key: getattr(parsed, key) for key, value in (config or {}).items() if value is not None}
    updated = dataclasses.replace(base, **given)
    updated.validate()
    return updated
