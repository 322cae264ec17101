"""EXTRACTOR_VERSION changes whenever the rules or the code that decide the extracted facts change,
so that stored facts of an older version are read again (read_notes)."""

import shutil
from pathlib import Path

import pytest

from documentation.nlp import fingerprint
from documentation.nlp.extract import EXTRACTOR_VERSION


def test_the_recorded_fingerprint_vouches_for_the_current_extractor_version():
    problem = fingerprint.stale_version()
    assert problem is None, problem


@pytest.fixture
def checkout(tmp_path) -> Path:
    """A copy of the documentation app's extractor inputs and record, to change."""
    root = tmp_path / "documentation"
    shutil.copytree(fingerprint.DOCUMENTATION / "nlp", root / "nlp", ignore=shutil.ignore_patterns("__pycache__"))
    (root / "facts").mkdir()
    shutil.copy(fingerprint.DOCUMENTATION / "facts" / "schema.py", root / "facts")
    assert fingerprint.extractor_fingerprint(root) == fingerprint.extractor_fingerprint()
    return root


def test_a_changed_rule_without_a_new_version_is_caught_and_says_what_to_do(checkout):
    targets = checkout / "nlp" / "rules" / "targets.json"
    targets.write_text(targets.read_text().replace('"literal": "physiotherapy"', '"literal": "physio therapy"'))

    problem = fingerprint.stale_version(checkout)

    assert problem is not None and "Bump EXTRACTOR_VERSION" in problem and "--record" in problem


@pytest.mark.parametrize("path", ["nlp/facts/pain.py", "nlp/pipeline.py", "facts/schema.py"])
def test_a_changed_source_without_a_new_version_is_caught(checkout, path):
    with open(checkout / path, "a") as source:
        source.write("\nREGION_ORDER = []\n")
    assert fingerprint.stale_version(checkout) is not None


def test_a_bumped_version_passes_once_its_fingerprint_is_recorded(checkout):
    extract = checkout / "nlp" / "extract.py"
    extract.write_text(extract.read_text().replace(f'EXTRACTOR_VERSION = "{EXTRACTOR_VERSION}"',
                                                   'EXTRACTOR_VERSION = "99.0.0"'))
    assert "record it" in fingerprint.stale_version(checkout)

    assert fingerprint.record(checkout)["version"] == "99.0.0"
    assert fingerprint.stale_version(checkout) is None


def test_line_endings_and_what_only_scores_the_extractor_do_not_count(checkout):
    numbers = checkout / "nlp" / "rules" / "numbers.tsv"
    numbers.write_bytes(numbers.read_bytes().replace(b"\n", b"\r\n"))
    with open(checkout / "nlp" / "evaluation.py", "a") as evaluation:
        evaluation.write("\n# scoring only\n")
    with open(checkout / "nlp" / "rules" / "README.md", "a") as readme:
        readme.write("\nMore words.\n")

    assert fingerprint.stale_version(checkout) is None
