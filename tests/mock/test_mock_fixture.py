"""The mock_executor pytest fixture, exercised through pytester."""

from __future__ import annotations

import pytest

CONFTEST = "from executor_kit.backends.mock.fixture import mock_executor  # noqa: F401\n"


def run(pytester: pytest.Pytester, source: str) -> pytest.RunResult:
    pytester.makeconftest(CONFTEST)
    pytester.makepyfile(source)
    return pytester.runpytest("-p", "no:executor_kit", "-p", "no:cacheprovider")


def test_fresh_executor_per_test(pytester: pytest.Pytester) -> None:
    result = run(
        pytester,
        """
        from executor_kit import ContainerJob
        from executor_kit.backends.mock import MockExecutor

        def test_one(mock_executor):
            assert isinstance(mock_executor, MockExecutor)
            mock_executor.on(image="a", exit_code=3)
            mock_executor.advance(10)
            assert mock_executor.launch_job(ContainerJob(image="a")) == (True, "mock-1")

        def test_two(mock_executor):
            assert mock_executor.rules == [] and len(mock_executor.journal) == 0
            assert mock_executor.clock.monotonic() == 0.0
            assert mock_executor.launch_job(ContainerJob(image="a")) == (True, "mock-1")
        """,
    )
    result.assert_outcomes(passed=2)


def test_config_by_indirect_parametrization(pytester: pytest.Pytester) -> None:
    result = run(
        pytester,
        """
        import pytest
        from executor_kit import ContainerJob
        from executor_kit.backends.mock import UnexpectedJobError

        @pytest.mark.parametrize("mock_executor", [{"strict": True}], indirect=True)
        def test_strict(mock_executor):
            with pytest.raises(UnexpectedJobError):
                mock_executor.launch_job(ContainerJob(image="a"))
        """,
    )
    result.assert_outcomes(passed=1)


def test_unused_rules_fail_at_teardown_only_when_asked(pytester: pytest.Pytester) -> None:
    result = run(
        pytester,
        """
        import pytest

        CHECKED = {"assert_all_rules_used": True, "rules": [{"image": "never"}]}

        @pytest.mark.parametrize("mock_executor", [CHECKED], indirect=True)
        def test_checked(mock_executor):
            pass

        @pytest.mark.parametrize("mock_executor", [CHECKED], indirect=True)
        def test_checked_and_failing(mock_executor):
            assert False, "the test itself fails"

        def test_not_asked(mock_executor):
            mock_executor.on(image="never")
        """,
    )
    result.assert_outcomes(passed=2, failed=1, errors=2)
    result.stdout.fnmatch_lines(["*scripted rule(s) not used up: rule 0: Rule(image='never')*"])
    result.stdout.fnmatch_lines(["*the test itself fails*"])


def test_used_rules_pass_the_teardown_check(pytester: pytest.Pytester) -> None:
    result = run(
        pytester,
        """
        import pytest
        from executor_kit import ContainerJob

        @pytest.mark.parametrize(
            "mock_executor", [{"assert_all_rules_used": True, "rules": [{"image": "a"}]}], indirect=True
        )
        def test_used(mock_executor):
            mock_executor.launch_job(ContainerJob(image="a"))
        """,
    )
    result.assert_outcomes(passed=1)
