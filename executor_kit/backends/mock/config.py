"""The ``MockExecutor``'s plain config dict: parsed and validated in one go.

``parse_config`` builds a complete ``MockSettings`` or raises
``ExecutorConfigurationError`` naming the offending key (``rules[1].outcome.duration``),
so nothing is ever half-applied. The keys::

    default               outcome mapping for jobs no rule matches (non-probe jobs)
    rules                 list of {image, name, command, labels, times, outcome}
    faults                list of {method, error, times, probability, message}
    strict                bool: a job that matches no rule raises UnexpectedJobError
    seed                  int: seeds probabilistic faults
    capabilities          {supports_resource_limits: bool, ...} (standard and optional keys)
    harvest_cleans_up     bool: harvest_job also cleans up (off by default)
    startup               seconds every launched job spends starting (reads running, no output) before
                          its own outcome plays; a rule's outcome.startup adds to it
    cancel_grace          seconds cancel waits after SIGTERM before it kills (a workload ignoring
                          SIGTERM then ends with 137); 10 by default
    assert_all_rules_used bool: the pytest fixture checks at teardown that every rule was used
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping
from typing import Any

from executor_kit.backends.mock.faults import ERRORS, Fault
from executor_kit.backends.mock.outcomes import OUTCOME_FIELDS, Outcome, Rule
from executor_kit.base import OPTIONAL_CAPABILITIES, STANDARD_CAPABILITIES
from executor_kit.errors import ExecutorConfigurationError

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


@dataclasses.dataclass(frozen=True)
class MockSettings:
    """Everything a ``MockExecutor`` is configured with (immutable).

    Example:
        >>> MockSettings().strict, MockSettings().capabilities["supports_secrets"]
        (False, True)
    """

    default: Outcome = dataclasses.field(default_factory=Outcome)
    rules: tuple[Rule, ...] = ()
    faults: tuple[Fault, ...] = ()
    strict: bool = False
    seed: int = 0
    capabilities: Mapping[str, bool] = dataclasses.field(default_factory=lambda: dict(DEFAULT_CAPABILITIES))
    harvest_cleans_up: bool = False
    assert_all_rules_used: bool = False
    startup: float = 0.0
    cancel_grace: float = 10.0


def _error(path: str, problem: str) -> ExecutorConfigurationError:
    return ExecutorConfigurationError(f"MockExecutor config key {path!r} {problem}", backend="mock")


def _mapping(path: str, value: object) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise _error(path, f"must be a mapping, got {type(value).__name__}")
    return value


def _list(path: str, value: object) -> list[Any]:
    if not isinstance(value, list | tuple):
        raise _error(path, f"must be a list, got {type(value).__name__}")
    return list(value)


def _known_keys(path: str, value: Mapping[str, Any], known: Mapping[str, Any]) -> None:
    unknown = sorted(str(key) for key in value if key not in known)
    if unknown:
        where = f"{path}.{unknown[0]}" if path else unknown[0]
        raise _error(where, f"is unknown; known keys: {', '.join(sorted(known))}")


def _build(path: str, factory: Callable[..., Any], fields: Mapping[str, Any]) -> Any:
    try:
        return factory(**fields)
    except ExecutorConfigurationError as exc:
        # The field checks name the field first: "duration must not be negative".
        field, _, problem = exc.message.partition(" ")
        raise _error(f"{path}.{field}", problem) from None


def _outcome(path: str, value: object) -> Outcome:
    fields = _mapping(path, value)
    _known_keys(path, fields, OUTCOME_FIELDS)
    outcome: Outcome = _build(path, Outcome, fields)
    return outcome


_RULE_KEYS = {"image": None, "name": None, "command": None, "labels": None, "times": None, "outcome": None}


def _rule(path: str, value: object) -> Rule:
    fields = dict(_mapping(path, value))
    _known_keys(path, fields, _RULE_KEYS)
    fields["outcome"] = _outcome(f"{path}.outcome", fields.get("outcome", {}))
    rule: Rule = _build(path, Rule, fields)
    return rule


_FAULT_KEYS = {"method": None, "error": None, "times": None, "probability": None, "message": None}


def _error_class(path: str, name: object) -> type[Any]:
    if not isinstance(name, str) or name not in ERRORS:
        raise _error(path, f"must name an ExecutorError ({', '.join(ERRORS)}), got {name!r}")
    return ERRORS[name]


def _fault(path: str, value: object) -> Fault:
    fields = dict(_mapping(path, value))
    _known_keys(path, fields, _FAULT_KEYS)
    if "method" not in fields:
        raise _error(f"{path}.method", "is required")
    fields["error"] = _error_class(f"{path}.error", fields.get("error", "connection"))
    fault: Fault = _build(path, Fault, fields)
    return fault


def _rules(path: str, value: object) -> tuple[Rule, ...]:
    return tuple(_rule(f"{path}[{i}]", item) for i, item in enumerate(_list(path, value)))


def _faults(path: str, value: object) -> tuple[Fault, ...]:
    return tuple(_fault(f"{path}[{i}]", item) for i, item in enumerate(_list(path, value)))


def _bool(path: str, value: object) -> bool:
    if not isinstance(value, bool):
        raise _error(path, f"must be a bool, got {value!r}")
    return value


def _int(path: str, value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise _error(path, f"must be an int, got {value!r}")
    return value


def _seconds(path: str, value: object) -> float:
    try:
        OUTCOME_FIELDS["duration"](path, value)
    except ExecutorConfigurationError as exc:
        raise _error(path, exc.message.partition(" ")[2]) from None
    return float(value)  # type: ignore[arg-type]  # a number, checked above


def _capabilities(path: str, value: object) -> dict[str, bool]:
    given = _mapping(path, value)
    _known_keys(path, given, {**STANDARD_CAPABILITIES, **OPTIONAL_CAPABILITIES})
    return {**DEFAULT_CAPABILITIES, **{key: _bool(f"{path}.{key}", flag) for key, flag in given.items()}}


_KEYS: Mapping[str, Callable[[str, object], Any]] = {
    "default": _outcome,
    "rules": _rules,
    "faults": _faults,
    "strict": _bool,
    "seed": _int,
    "capabilities": _capabilities,
    "harvest_cleans_up": _bool,
    "assert_all_rules_used": _bool,
    "startup": _seconds,
    "cancel_grace": _seconds,
}


def parse_config(config: Mapping[str, Any] | None, base: MockSettings | None = None) -> MockSettings:
    """Validate ``config`` and return ``base`` updated with it (a new object).

    Raises:
        ExecutorConfigurationError: naming the first offending key.

    Example:
        >>> rules = [{"image": "py*", "outcome": {"exit_code": 2}}]
        >>> settings = parse_config({"strict": True, "rules": rules})
        >>> settings.strict, settings.rules[0].outcome.exit_code
        (True, 2)
        >>> parse_config({"rules": [{"outcome": {"duration": -1}}]})
        Traceback (most recent call last):
        ...
        executor_kit.errors.ExecutorConfigurationError: MockExecutor config key 'rules[0].outcome.duration' \
must not be negative, got -1
    """
    settings = _mapping("", config or {})
    _known_keys("", settings, _KEYS)
    parsed = {key: _KEYS[key](key, value) for key, value in settings.items()}
    return dataclasses.replace(base or MockSettings(), **parsed)
