"""validate_x12: pyx12 (and the guide rules its maps leave out) reports what is wrong with a
file, says nothing about a clean one, and never lets the file's values reach a log or a message."""

import logging
import re
from pathlib import Path

import pytest

from billing.x12.claims837 import write_837p
from billing.x12.validation import ERROR, FATAL, GUIDE_RULES, PYX12, X12Issue, validate_x12
from tests.billing.x12.x12text import RECEIVER, SUBMITTER, envelope
from tests.billing.x12.claim_factories import ProfessionalClaimFactory, SubscriberFactory

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "x12" / "837p"


def as_x222a1(text: str) -> str:
    # The samples name the 005010X222A2 errata in GS08/ST03; pyx12 4.0 maps 005010X222A1 only
    # (the errata does not change the segments these samples use).
    return text.replace("005010X222A2", "005010X222A1")


@pytest.fixture
def clean_file() -> str:
    claims = [ProfessionalClaimFactory.build(claim_id="PC7001", line_count=2,
                                             subscriber=SubscriberFactory.build(last_name="Quixwhistle"))]
    text = write_837p(claims, submitter=SUBMITTER, receiver=RECEIVER, envelope=envelope())
    assert validate_x12(text) == []
    return text


def test_a_real_837p_sample_is_clean():
    assert validate_x12(as_x222a1((FIXTURES / "demo.example1.837").read_text())) == []


def test_a_real_837p_sample_with_a_defect_is_reported():
    # demo.example9 writes CLM05 with ">" although its ISA16 makes ":" the component separator.
    issues = validate_x12(as_x222a1((FIXTURES / "demo.example9.837").read_text()))

    clm05 = [issue for issue in issues if issue.segment_id == "CLM" and issue.element.startswith("CLM05")]
    assert {issue.element for issue in clm05} >= {"CLM05-1", "CLM05-2"}
    assert all(issue.severity == ERROR and issue.source == PYX12 and issue.line == 20 for issue in clm05)


def test_a_guide_pyx12_has_no_map_for_is_fatal_not_clean():
    issues = validate_x12((FIXTURES / "demo.example1.837").read_text())

    assert [(issue.severity, issue.code) for issue in issues] == [(FATAL, "map")]


def test_a_wrong_se_count_is_reported_on_the_se(clean_file):
    se = next(line for line in clean_file.splitlines() if line.startswith("SE*"))
    _, count, control = se.rstrip("~").split("*")

    issues = validate_x12(clean_file.replace(se, f"SE*{int(count) + 1}*{control}~"))

    assert [(issue.segment_id, issue.code) for issue in issues] == [("SE", "4")]
    assert "SE count" in issues[0].message


def test_a_missing_required_segment_is_reported(clean_file):
    without_tax_id = "\n".join(line for line in clean_file.splitlines() if not line.startswith("REF*EI*")) + "\n"

    issues = validate_x12(without_tax_id)

    missing = [issue for issue in issues if issue.segment_id == "REF" and issue.code == "3"]
    assert missing and missing[0].name == "Billing Provider Tax Identification"
    assert any(issue.segment_id == "SE" for issue in issues)  # and the count no longer adds up


def test_a_bad_npi_length_is_reported_on_nm109(clean_file):
    npi = next(line for line in clean_file.splitlines() if line.startswith("NM1*85*")).split("*")[-1].rstrip("~")

    issues = validate_x12(clean_file.replace(f"XX*{npi}~", f"XX*{npi[:8]}~"))

    assert [(issue.segment_id, issue.element, issue.code, issue.source) for issue in issues] == \
        [("NM1", "NM109", "I12", GUIDE_RULES)]
    assert issues[0].line == 10 and issues[0].name == "Billing Provider Name"


@pytest.mark.parametrize("edit, element", [
    (lambda text: text.replace("*TX*787011234~", "*TX*78701~", 1), "N403"),
    (lambda text: re.sub(r"N3\*\d+ Spine Center Dr", "N3*PO BOX 100", text, count=1), "N301"),
])
def test_the_billing_providers_nine_digit_zip_and_street_address_are_checked(clean_file, edit, element):
    edited = edit(clean_file)
    assert edited != clean_file

    issues = validate_x12(edited)

    assert [(issue.element, issue.source) for issue in issues] == [(element, GUIDE_RULES)]


def test_a_text_that_is_not_x12_is_fatal():
    assert [issue.severity for issue in validate_x12("")] == [FATAL]
    assert [issue.severity for issue in validate_x12("ISA*00*short~")] == [FATAL]
    assert [issue.severity for issue in validate_x12("Dear payer, please pay.")] == [FATAL]


class Collecting(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


def test_the_files_values_reach_neither_the_messages_nor_the_logs(clean_file):
    # The project's handlers hang on the root logger (LOGGING); pyx12 logs each finding with its value.
    root, collecting = logging.getLogger(), Collecting()
    level = root.level
    root.addHandler(collecting)
    root.setLevel(logging.DEBUG)
    try:
        issues = validate_x12(clean_file.replace("Quixwhistle", "Quixwhistle" * 6).replace("NM1*PR*2*", "NM1*PR*X*"))
    finally:
        root.removeHandler(collecting)
        root.setLevel(level)

    assert {issue.element for issue in issues} == {"NM103", "NM102"}
    assert not any("Quixwhistle" in str(issue) or "Quixwhistle" in repr(issue) for issue in issues)
    assert [record.name for record in collecting.records if record.name.startswith("pyx12")] == []


def test_an_unexpected_segment_is_named_without_its_content(clean_file):
    street = next(line for line in clean_file.splitlines() if line.startswith("N3*12 Oak"))
    moved = clean_file.replace(street + "\n", "").replace("HI*", street + "\nHI*")

    issues = validate_x12(moved)

    assert any(issue.segment_id == "N3" and issue.code == "1" for issue in issues)
    assert not any("Oak Hollow" in issue.message for issue in issues)


def test_an_issue_reads_as_a_line_of_a_report():
    issue = X12Issue(ERROR, "NM1", 10, "I12", "the NPI is not ten digits", position=8, element="NM109")

    assert str(issue) == "error I12 at line 10 NM1 NM109: the NPI is not ten digits"


def test_validations_share_no_state():
    text = write_837p([ProfessionalClaimFactory.build()], submitter=SUBMITTER, receiver=RECEIVER,
                      envelope=envelope())
    broken = text.replace("DMG*D8*", "DMG*XX*")

    assert validate_x12(text) == []
    assert validate_x12(broken) != []
    assert validate_x12(text) == []
