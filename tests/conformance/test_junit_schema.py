"""JUnit XML from ``executor-kit verify`` validates against the schema pytest's own sources ship.

The schema is ``testing/example_scripts/junit-10.xsd`` (MIT, Gregory Boissinot)
from the source distribution of the pytest version installed here, taken from
PyPI with pip once and cached; it is not copied into this repository. Without a
package index the tests skip, except under ``CI``, where they fail.
"""

from __future__ import annotations

import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path
from xml.etree import ElementTree as ET

import pytest
import xmlschema

from contract_tests.clauses import clause_by_id
from contract_tests.report import Report
from contract_tests.runner import VERDICTS, ClauseResult
from tests.conftest import in_ci

ROOT = Path(__file__).resolve().parents[2]
CACHE = Path.home() / ".cache" / "executor-kit-tests"
MEMBER = "testing/example_scripts/junit-10.xsd"


def _download_schema(target: Path) -> None:
    with tempfile.TemporaryDirectory() as folder:
        command = [sys.executable, "-m", "pip", "download", "-q", "--no-deps", "--no-binary", ":all:"]
        subprocess.run([*command, "-d", folder, f"pytest=={pytest.__version__}"], check=True, capture_output=True)
        sdist = next(Path(folder).glob("pytest-*.tar.gz"))
        with tarfile.open(sdist) as archive:
            source = archive.extractfile(f"{sdist.name.removesuffix('.tar.gz')}/{MEMBER}")
            assert source is not None
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(source.read())


@pytest.fixture(scope="module")
def junit_schema() -> xmlschema.XMLSchema:
    path = CACHE / f"pytest-{pytest.__version__}-junit-10.xsd"
    if not path.exists():
        try:
            _download_schema(path)
        except (subprocess.CalledProcessError, StopIteration, KeyError) as exc:
            message = f"pytest's sdist (for junit-10.xsd) could not be fetched: {exc}"
            if in_ci():
                pytest.fail(message)
            pytest.skip(message)
    return xmlschema.XMLSchema(str(path))


def assert_valid(schema: xmlschema.XMLSchema, xml: str) -> ET.Element:
    errors = [str(error.reason) for error in schema.iter_errors(xml)]
    assert errors == [], errors
    return ET.fromstring(xml)


def test_every_verdict_validates_and_maps_to_its_junit_element(junit_schema: xmlschema.XMLSchema) -> None:
    clauses = ["CAPS-001", "CAPS-002", "LAUNCH-001", "LAUNCH-002", "STATUS-001"]
    results = [
        ClauseResult(clause_by_id(c), verdict, f"why {verdict}") for c, verdict in zip(clauses, VERDICTS, strict=True)
    ]
    root = assert_valid(junit_schema, Report("mock", results, started="2026-12-06T10:00:00").to_junit())
    suite = root.find("testsuite")
    assert suite is not None
    assert {key: suite.get(key) for key in ("tests", "failures", "errors", "skipped")} == {
        "tests": "5",
        "failures": "1",
        "errors": "1",
        "skipped": "2",
    }
    children = {case.get("name"): [child.tag for child in case] for case in suite.iter("testcase")}
    expected = {"pass": [], "fail": ["failure"], "n/a": ["skipped"], "inconclusive": ["error"], "not-run": ["skipped"]}
    assert children == {c: expected[v] for c, v in zip(clauses, VERDICTS, strict=True)}


@pytest.mark.parametrize(
    ("target", "select", "code"),
    [
        ("mock", "CAPS or LAUNCH", 2),  # partial: not-run clauses are skipped cases
        ("tests.conformance.gallery.hostile:CancelsLaunch", "LAUNCH or CAPS", 2),  # inconclusive clauses are errors
        ("tests.conformance.gallery.broken:NoStartedAt", "LAUNCH", 1),  # failures
    ],
)
def test_verify_writes_junit_that_validates(
    junit_schema: xmlschema.XMLSchema, tmp_path: Path, target: str, select: str, code: int
) -> None:
    path = tmp_path / "junit.xml"
    command = [sys.executable, "-m", "executor_kit.cli", "verify", target, "--junit", str(path), "-k", select]
    result = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=300, check=False)
    assert result.returncode == code, result.stdout + result.stderr
    suite = assert_valid(junit_schema, path.read_text(encoding="utf-8")).find("testsuite")
    assert suite is not None and suite.get("timestamp") and suite.get("time")
    assert int(suite.get("tests", "0")) == len(list(suite.iter("testcase"))) > 40
