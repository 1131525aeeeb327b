"""One settings mechanism for every backend: a frozen dataclass built from a plain mapping.

A backend declares its options as fields made by :func:`setting` (what a value
must satisfy, how to say so, the default) on a :class:`Settings` subclass, and
builds them with :meth:`Settings.from_mapping`. Every refusal is an
``ExecutorConfigurationError`` naming the backend and the key; an unknown key
gets a did-you-mean, a renamed one its new name, and a value whose key looks
secret (keys, tokens, passwords) is shown by its type only.

Example:
    >>> import dataclasses
    >>> @dataclasses.dataclass(frozen=True, kw_only=True)
    ... class DemoSettings(Settings):
    ...     backend = "demo"
    ...     region: str = setting(lambda v: isinstance(v, str), "a region name")
    ...     retries: int = setting(lambda v: isinstance(v, int) and v >= 0, "an int >= 0", 3)
    >>> DemoSettings.from_mapping({"region": "eu"})
    DemoSettings(region='eu', retries=3)
    >>> from executor_kit.errors import ExecutorConfigurationError
    >>> try:
    ...     DemoSettings.from_mapping({"region": "eu", "retry": 1})
    ... except ExecutorConfigurationError as exc:
    ...     print(exc)
    demo config 'retry' is not a known setting (did you mean 'retries'?); known: region, retries
"""

from __future__ import annotations

import copy
import dataclasses
import difflib
from collections.abc import Callable, Collection, Mapping
from typing import Any, ClassVar, TypeVar

from executor_kit.errors import ExecutorConfigurationError
from executor_kit.redaction import shown_config_value

__all__ = ["REQUIRED", "Settings", "setting", "unknown_key_problem"]

S = TypeVar("S", bound="Settings")


class _Required:
    def __repr__(self) -> str:
        return "REQUIRED"


REQUIRED: Any = _Required()
"""The default of an option that has none: leaving it out is refused."""


def setting(
    check: Callable[[Any], bool],
    expected: str,
    default: Any = REQUIRED,
    *,
    convert: Callable[[Any], Any] | None = None,
    secret: bool = False,
) -> Any:
    """One option of a :class:`Settings` dataclass.

    Args:
        check: Whether a given value is acceptable.
        expected: What an acceptable value is, for the error message.
        default: The value when the key is absent (or ``None`` and ``check``
            refuses ``None``); ``REQUIRED`` when there is none. Mutable
            defaults are copied per instance.
        convert: Applied to an accepted value (``float`` turns ``1`` into ``1.0``).
        secret: Keep the value out of the settings' ``repr`` (keys, tokens, passwords).

    Example:
        >>> field = setting(lambda v: v in (1, 2), "1 or 2", 1)
        >>> field.default, field.metadata["expected"], field.repr
        (1, '1 or 2', True)
    """
    metadata = {"check": check, "expected": expected, "convert": convert}
    if default is REQUIRED:
        return dataclasses.field(metadata=metadata, repr=not secret)
    if isinstance(default, dict | list | set):
        return dataclasses.field(default_factory=lambda: copy.copy(default), metadata=metadata, repr=not secret)
    return dataclasses.field(default=default, metadata=metadata, repr=not secret)


def unknown_key_problem(key: object, known: Collection[str]) -> str:
    """How a refusal of an unknown option reads: a did-you-mean when one is close, and the known ones.

    Example:
        >>> unknown_key_problem("regoin", ["region", "zone"])
        "is not a known setting (did you mean 'region'?); known: region, zone"
    """
    close = difflib.get_close_matches(str(key), list(known), n=1)
    hint = f" (did you mean {close[0]!r}?)" if close else ""
    return f"is not a known setting{hint}; known: {', '.join(sorted(known))}"


@dataclasses.dataclass(frozen=True, kw_only=True)
class Settings:
    """Base of every backend's settings; subclasses are ``frozen, kw_only`` dataclasses.

    Class attributes:
        backend: The backend's name, in every message.
        renamed: Old key → new key, refused with the new name.

    Example:
        >>> @dataclasses.dataclass(frozen=True, kw_only=True)
        ... class TokenSettings(Settings):
        ...     backend = "demo"
        ...     renamed = {"cleanup_on_harvest": "harvest_cleans_up"}
        ...     api_token: str = setting(lambda v: isinstance(v, str), "a str")
        ...     harvest_cleans_up: bool = setting(lambda v: isinstance(v, bool), "a bool", False)
        >>> TokenSettings.from_mapping({"api_token": 12345})
        Traceback (most recent call last):
        ...
        executor_kit.errors.ExecutorConfigurationError: demo config 'api_token' must be a str, got an int (value hidden)
        >>> TokenSettings.from_mapping({"api_token": "t", "cleanup_on_harvest": True})
        Traceback (most recent call last):
        ...
        executor_kit.errors.ExecutorConfigurationError: demo config 'cleanup_on_harvest' was renamed to ...
        >>> TokenSettings.from_mapping({}).harvest_cleans_up
        Traceback (most recent call last):
        ...
        executor_kit.errors.ExecutorConfigurationError: demo config 'api_token' is required: a str
    """

    backend: ClassVar[str] = "executor"
    renamed: ClassVar[Mapping[str, str]] = {}

    @classmethod
    def from_mapping(cls: type[S], config: Mapping[str, Any] | None = None) -> S:
        """Validated settings, defaults filled in; :meth:`validate` checks across options.

        Raises:
            ExecutorConfigurationError: for a config that is not a mapping, an
                unknown or renamed key, a missing required option, a value
                that fails its check, or a failed :meth:`validate`.

        Example:
            >>> Settings.from_mapping(["not", "a", "mapping"])
            Traceback (most recent call last):
            ...
            executor_kit.errors.ExecutorConfigurationError: executor config must be a mapping ... got a list
        """
        if not isinstance(config, Mapping | None):
            kind = type(config).__name__
            raise ExecutorConfigurationError(
                f"{cls.backend} config must be a mapping of option names to values, got a {kind}",
                backend=cls.backend,
            )
        given = dict(config or {})
        cls._refuse_unknown(given)
        settings = cls(**{field.name: cls._value(field, given) for field in cls.options()})
        settings.validate()
        return settings

    @classmethod
    def options(cls) -> tuple[dataclasses.Field[Any], ...]:
        """The option fields, in declaration order.

        Example:
            >>> Settings.options()
            ()
        """
        return dataclasses.fields(cls)

    @classmethod
    def error(cls, key: str, message: str) -> ExecutorConfigurationError:
        """The error for option ``key``, naming the backend.

        Example:
            >>> str(Settings.error("region", "is wrong"))
            "executor config 'region' is wrong"
        """
        return ExecutorConfigurationError(f"{cls.backend} config {key!r} {message}", backend=cls.backend)

    def validate(self) -> None:
        """Checks across options; subclasses raise ``self.error(key, message)``.

        Example:
            >>> Settings().validate() is None
            True
        """

    def as_dict(self) -> dict[str, Any]:
        """The options as a plain ``dict`` (values are not copied).

        Example:
            >>> Settings().as_dict()
            {}
        """
        return {field.name: getattr(self, field.name) for field in self.options()}

    @classmethod
    def _refuse_unknown(cls, given: Mapping[Any, Any]) -> None:
        names = [field.name for field in cls.options()]
        for key in given:
            if key in names:
                continue
            if key in cls.renamed:
                raise cls.error(str(key), f"was renamed to {cls.renamed[key]!r}")
            raise cls.error(str(key), unknown_key_problem(key, names))

    @classmethod
    def _value(cls, field: dataclasses.Field[Any], given: Mapping[str, Any]) -> Any:
        check, expected, convert = (field.metadata[name] for name in ("check", "expected", "convert"))
        has_default = field.default is not dataclasses.MISSING or field.default_factory is not dataclasses.MISSING
        value = given.get(field.name)
        if value is None and not (field.name in given and check(None)):
            if not has_default:
                raise cls.error(field.name, f"is required: {expected}")
            return field.default if field.default is not dataclasses.MISSING else field.default_factory()  # type: ignore[operator]
        if not check(value):
            raise cls.error(field.name, f"must be {expected}, got {shown_config_value(field.name, value)}")
        return convert(value) if convert else value
