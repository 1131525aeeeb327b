"""What a clause is (one verifiable promise) and which suite profile judges it.

The registry of every clause is ``contract_tests.clauses``.
"""

from __future__ import annotations

import dataclasses
import enum

__all__ = ["QUICK", "SUITE_PROFILES", "Clause", "Level", "in_profile", "make_clause"]


class Level(str, enum.Enum):
    """How binding a clause is: a failed MUST fails ``executor-kit verify``.

    Example:
        >>> Level.MUST == "MUST"
        True
    """

    MUST = "MUST"
    SHOULD = "SHOULD"


@dataclasses.dataclass(frozen=True)
class Clause:
    """One verifiable promise of the contract.

    Example:
        >>> c = make_clause("STATUS-002", "MUST", "A running workload reads running.", "Map the state.")
        >>> c.family, c.level.value
        ('STATUS', 'MUST')
    """

    id: str
    level: Level
    statement: str
    hint: str
    capability: str | None = None
    #: Whether passing the check demonstrates the capability (for "works anyway").
    shows_capability: bool = True
    #: Whether the check needs the backend to itself (load, leaks): judged after the others, one at a time.
    alone: bool = False
    #: The conformance hook the check needs (``contract_tests.hooks``); without it the clause is n/a.
    hook: str | None = None

    @property
    def family(self) -> str:
        """The prefix of the id (``LOGS`` for ``LOGS-003``).

        Example:
            >>> make_clause("LOGS-003", "SHOULD", "statement", "hint").family
            'LOGS'
        """
        return self.id.rsplit("-", 1)[0]


def make_clause(
    id_: str,
    level: str,
    statement: str,
    hint: str,
    capability: str | None = None,
    *,
    shows: bool = True,
    alone: bool = False,
    hook: str | None = None,
) -> Clause:
    """A clause from the registry's short form (``level`` as a string, keyword-only flags).

    Example:
        >>> make_clause("CANCEL-001", "MUST", "s", "h", "supports_cancel", alone=True).alone
        True
    """
    return Clause(id_, Level(level), statement, hint, capability, shows, alone, hook)


#: The suite's named profiles. ``quick``: the clauses of ``QUICK``, generated inputs at a fifth of
#: their counts; ``standard``: every clause; ``full``: every clause, generated inputs at four times.
SUITE_PROFILES = ("quick", "standard", "full")

#: One clause of every family, each one launch round trip deep: a downstream project's CI smoke test.
QUICK = frozenset(
    {
        "LAUNCH-001",
        "STATUS-001",
        "LOGS-001",
        "HARVEST-001",
        "CLEANUP-001",
        "ENV-001",
        "ARGV-001",
        "TIMEOUT-001",
        "LIMITS-002",
        "CAPS-001",
        "ERRORS-002",
        "SECRETS-001",
        "MODEL-001",
        "LEAKS-001",
    }
)


def in_profile(clause: Clause, profile: str) -> bool:
    """Whether the named suite profile judges ``clause``.

    Example:
        >>> logs = make_clause("LOGS-002", "MUST", "statement", "hint")
        >>> in_profile(logs, "quick"), in_profile(logs, "full")
        (False, True)
    """
    return profile != "quick" or clause.id in QUICK
