"""The scrubber as a whole: a clean claim passes every edit; findings are ordered and never name
the patient."""

from dataclasses import replace
from datetime import date
from decimal import Decimal

from billing.scrubber import EDITS, Severity, blocks_sending, edit, scrub, sent_line_key
from tests.factories import ProfessionalClaimFactory, ScrubContextFactory, ServiceLineFactory
from tests.billing.scrubber.helpers import with_lines


def test_a_clean_realistic_claim_passes_every_edit():
    claim = ProfessionalClaimFactory()
    context = ScrubContextFactory()

    assert scrub(claim, context) == []
    assert not blocks_sending(scrub(claim, context))


def test_a_clean_bilateral_facet_claim_passes_every_edit():
    claim = with_lines(ProfessionalClaimFactory(diagnoses=("M47816",)),
                       ServiceLineFactory(procedure_code="64493", modifiers=("50",), diagnosis_pointers=(1,)),
                       ServiceLineFactory(procedure_code="64494", modifiers=("50",), diagnosis_pointers=(1,)))
    context = ScrubContextFactory(authorizations=(
        replace(ScrubContextFactory().authorizations[0], codes=frozenset({"64493", "64494"})),))

    assert scrub(claim, context) == []


def test_every_edit_has_a_unique_code_a_title_and_a_severity():
    codes = [each.code for each in EDITS]

    assert len(codes) == len(set(codes)) >= 14
    assert all(each.title and each.severity in (Severity.ERROR, Severity.WARNING) for each in EDITS)
    assert edit("npi-check-digit").title == "NPI check digit"


def test_errors_come_before_warnings_and_only_errors_block_sending():
    claim = with_lines(ProfessionalClaimFactory(),
                       ServiceLineFactory(procedure_code="64493", modifiers=()),
                       ServiceLineFactory(procedure_code="64495", modifiers=()),
                       ServiceLineFactory(procedure_code="77003", modifiers=()))
    context = ScrubContextFactory(codes_requiring_authorization=frozenset())

    findings = scrub(claim, context)

    assert [(f.edit, f.severity, f.line) for f in findings] == [
        ("imaging-guidance-included", "error", 3), ("facet-third-level", "warning", 2)]
    assert blocks_sending(findings)
    assert not blocks_sending([f for f in findings if f.severity == Severity.WARNING])


def test_no_message_names_the_patient():
    claim = ProfessionalClaimFactory()
    bad = with_lines(claim, replace(claim.lines[0], units=Decimal("3"), diagnosis_pointers=(5,)),
                     replace(claim.lines[1], modifiers=("50", "RT")))
    context = ScrubContextFactory(
        today=date(2027, 12, 1), authorizations=(),
        claims_sent={sent_line_key(member_id=claim.subscriber.member_id, service_date=claim.lines[0].service_date,
                                   procedure_code="64483", modifiers=("RT",)): "PO-OTHER"})

    findings = scrub(bad, context)

    assert len({f.edit for f in findings}) >= 5
    patient = claim.subscriber
    for finding in findings:
        for identifier in (patient.member_id, patient.last_name, patient.first_name, claim.prior_authorization,
                           "PO-OTHER", *claim.diagnoses):
            assert identifier not in finding.message
