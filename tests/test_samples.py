"""The tests that read the external sample corpus find it through MSCWATCH_SAMPLES, are skipped
by name without it, and fail without it under CI: a pytest run in a process of its own."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tests.conftest import ROOT

# Two tests that read recorded answers and one that reads nothing from the corpus.
SELECTED = [
    "tests/sources/test_pubmed_eutils.py::test_phrase_not_found_is_refused_not_read_as_results",
    "tests/works/test_store.py::test_an_older_version_never_replaces_a_newer_one",
]


def pytest_run(tmp_path: Path, **env: str) -> subprocess.CompletedProcess[str]:
    base = {k: v for k, v in os.environ.items() if k not in ("CI", "MSCWATCH_SAMPLES")}
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-q", "-rs", *SELECTED,
         "-k", "not postgresql"],
        cwd=ROOT, env={**base, **env}, capture_output=True, text=True, timeout=300,
    )  # fmt: skip


def test_without_the_corpus_its_tests_are_skipped_naming_the_folder(tmp_path: Path) -> None:
    absent = tmp_path / "no-samples-here"
    result = pytest_run(tmp_path, MSCWATCH_SAMPLES=str(absent))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "1 passed, 2 skipped" in result.stdout, result.stdout
    assert f"the sample corpus is not at {absent}: set MSCWATCH_SAMPLES" in result.stdout


def test_under_ci_an_absent_corpus_fails_its_tests(tmp_path: Path) -> None:
    absent = tmp_path / "no-samples-here"
    result = pytest_run(tmp_path, MSCWATCH_SAMPLES=str(absent), CI="true")
    assert result.returncode == 1, result.stdout + result.stderr
    assert "2 failed, 1 passed" in result.stdout, result.stdout
    assert "CI must run these tests" in result.stdout and str(absent) in result.stdout


def test_the_corpus_is_found_through_the_setting(tmp_path: Path, samples: Path) -> None:
    result = pytest_run(tmp_path, MSCWATCH_SAMPLES=str(samples), CI="true")
    assert result.returncode == 0 and "3 passed" in result.stdout, result.stdout
