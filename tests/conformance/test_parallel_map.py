"""The harness's worker pool: every item once, results in order, any error (an IndexError too) raised."""

from __future__ import annotations

import threading

import pytest

from contract_tests.parallel import parallel_map


def test_each_item_is_mapped_once_in_order() -> None:
    seen: list[int] = []
    lock = threading.Lock()

    def square(n: int) -> int:
        with lock:
            seen.append(n)
        return n * n

    assert parallel_map(square, range(200), workers=16) == [n * n for n in range(200)]
    assert sorted(seen) == list(range(200))


def test_an_index_error_from_the_function_is_raised_not_dropped() -> None:
    def picky(n: int) -> int:
        return [n][n]  # IndexError for every n but 0

    with pytest.raises(IndexError):
        parallel_map(picky, range(5), workers=3)
