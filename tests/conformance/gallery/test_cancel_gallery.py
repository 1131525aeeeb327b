"""The cancel and live-log gallery: each broken executor fails its clause, for the reason it was built."""

from __future__ import annotations

import pytest

from contract_tests import CLAUSES

from .broken import Wrapper
from .broken_cancel import CANCEL_GALLERY
from .test_gallery import judge, show

NEW_CLAUSES = [clause.id for clause in CLAUSES if clause.family in ("CANCEL", "STREAM")]


def test_every_new_clause_has_a_broken_executor() -> None:
    assert sorted(broken.clause for broken in CANCEL_GALLERY) == sorted(NEW_CLAUSES)


@pytest.mark.parametrize("broken", CANCEL_GALLERY, ids=lambda cls: cls.__name__)
def test_broken_executor_fails_its_clause(broken: type[Wrapper]) -> None:
    result = judge(broken)
    assert result.verdict == "fail", f"{broken.__name__} ({broken.__doc__}) was not caught: {show(result)}"
    assert result.message.startswith(f"[{broken.clause}]"), show(result)
    assert broken.observed in result.message, f"expected {broken.observed!r} in: {result.message}"
