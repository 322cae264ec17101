"""The 277CA and 277: claim statuses read from the samples agree with pyx12's walk, and what
write_277ca writes validates with pyx12 and reads back the same."""

from dataclasses import replace
from datetime import date
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from billing.x12.messages import ClaimStatus, ClaimStatusReport, LineStatus, StatusCode
from billing.x12.reader import X12SyntaxError
from billing.x12.status277 import AcknowledgmentParties, read_277, write_277ca
from tests.billing.x12 import pyx12_check
from tests.billing.x12.conftest import envelope, fixture_text
from tests.factories import InterchangeFactory

SAMPLES = ["claim-level-status.277", "claim-level-status-ncpdp.277", "information-receiver-level-status.277",
           "provider-level-status.277"]
PARTIES = AcknowledgmentParties(
    source_name="SANDBOX CLEARINGHOUSE", source_id="CH001", receiver_name="PRACOPS", receiver_id="PRACOPS01",
    provider_name="PAIN CLINIC", provider_npi="1234567893", received=date(2026, 12, 4), processed=date(2026, 12, 5))


def test_a_claim_status_response_reads_claim_by_claim():
    (report,) = read_277(fixture_text("277/claim-level-status.277"))

    assert report.guide == "005010X212"
    pending, finalized, denied = report.claims
    assert (pending.claim_id, pending.statuses, pending.status_date, pending.charge) == \
        ("ABCXYZ1", (StatusCode("P3", "317"),), date(2005, 9, 13), Decimal("8513.88"))
    assert (pending.payer_claim_number, pending.service_date_from, pending.service_date_to) == \
        ("05347006051", date(2005, 8, 31), date(2005, 9, 6))
    assert finalized.statuses == (StatusCode("F0", "3"),)
    # the dependent's claim (HL 23), with its service line (2220E)
    assert (denied.claim_id, denied.statuses, denied.patient_name) == \
        ("ABCXYC3", (StatusCode("F2", "88", "QC"),), "MANN, JOSEPH")
    assert denied.lines == (LineStatus("", "99203", (StatusCode("F2", "88", "QC"),), Decimal("150.00")),)
    assert not denied.accepted and not denied.rejected


def test_statuses_of_the_receiver_and_provider_are_not_claims():
    (receiver,) = read_277(fixture_text("277/information-receiver-level-status.277"))
    (provider,) = read_277(fixture_text("277/provider-level-status.277"))

    assert receiver.claims == ()
    assert [c.claim_id for c in provider.claims] == ["ABCXYZ1"]


@pytest.mark.parametrize("sample", SAMPLES)
def test_claims_lines_and_statuses_agree_with_pyx12s_walk(sample):
    # pyx12 4.0 does not index its 005010X212 map (pyx12_check indexes it); the map then misplaces
    # the first HL of every sample, which it reports, but places the claim loops.
    text = fixture_text(f"277/{sample}")
    walk = pyx12_check.walk(text)
    (report,) = read_277(text)

    assert len(report.claims) == walk.count("2200D/TRN") + walk.count("2200E/TRN")
    assert sum(len(c.statuses) for c in report.claims) == walk.count("2200D/STC") + walk.count("2200E/STC")
    assert sum(len(c.lines) for c in report.claims) == walk.count("2220D/SVC") + walk.count("2220E/SVC")


def test_a_claim_loop_out_of_its_hierarchy_is_refused():
    text = fixture_text("277/provider-level-status.277").replace("HL*4*3*22*0", "HL*4*9*22*0")

    with pytest.raises(X12SyntaxError, match="HL02") as error:
        read_277(text)
    assert (error.value.segment_id, error.value.position) == ("HL", 11)


def acknowledgment(claims) -> ClaimStatusReport:
    return ClaimStatusReport(InterchangeFactory(functional_id="HN", guide="005010X214"), "005010X214", tuple(claims))


def test_a_written_277ca_validates_and_reads_back():
    accepted = ClaimStatus("PC0000001", (StatusCode("A2", "20", "PR"),), date(2026, 12, 5), Decimal("1350.00"),
                           payer_claim_number="PAYER1", service_date_from=date(2026, 11, 2),
                           service_date_to=date(2026, 11, 2), patient_name="DOE, JANE", member_id="M123",
                           lines=(LineStatus("PC0000001-1", "64483", (StatusCode("A2", "20"),), Decimal("1200.00")),))
    rejected = ClaimStatus("PC0000002", (StatusCode("A7", "562", "85"), StatusCode("A7", "128")), date(2026, 12, 5),
                           Decimal("150.00"), message="BILLING NPI NOT FOUND", service_date_from=date(2026, 11, 2),
                           service_date_to=date(2026, 11, 3), patient_name="ROE, RICH", member_id="M124")
    text = write_277ca([acknowledgment([accepted, rejected])], envelope("HN"), PARTIES)

    assert pyx12_check.validation_errors(text) == []
    (report,) = read_277(text)
    assert report.guide == "005010X214"
    assert report.claims == (accepted, rejected)
    assert report.claims[0].accepted and report.claims[1].rejected


codes = st.from_regex(r"[A-Z0-9]{1,10}", fullmatch=True)
days = st.dates(min_value=date(2020, 1, 1), max_value=date(2030, 12, 31))
money = st.decimals(min_value=0, max_value=Decimal("99999.99"), places=2)
status_codes = st.builds(StatusCode, category=st.sampled_from(["A1", "A2", "A3", "A6", "A7", "A8"]),
                         code=st.sampled_from(["19", "20", "21", "562", "128", "33"]),
                         entity=st.sampled_from(["", "PR", "41", "85", "IL", "QC"]))
line_statuses = st.builds(LineStatus, line_control_number=st.just("") | codes,
                          procedure_code=st.from_regex(r"[0-9]{5}", fullmatch=True),
                          statuses=st.lists(status_codes, min_size=1, max_size=3).map(tuple), charge=money)


@st.composite
def claim_statuses(draw):
    start = draw(days)
    return ClaimStatus(
        claim_id=draw(codes), statuses=tuple(draw(st.lists(status_codes, min_size=1, max_size=3))),
        status_date=draw(days), charge=draw(money), payer_claim_number=draw(st.just("") | codes),
        message=draw(st.just("") | st.from_regex(r"[A-Z][A-Z ]{0,30}[A-Z]", fullmatch=True)),
        service_date_from=start, service_date_to=draw(st.dates(min_value=start, max_value=date(2030, 12, 31))),
        lines=tuple(draw(st.lists(line_statuses, max_size=3))),
        patient_name=draw(st.from_regex(r"[A-Z]{1,10}(, [A-Z]{1,10})?", fullmatch=True)),
        member_id=draw(st.from_regex(r"[A-Z0-9]{2,12}", fullmatch=True)))


@settings(max_examples=40, derandomize=True, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.lists(claim_statuses(), max_size=4), min_size=1, max_size=2))
def test_any_277ca_written_reads_back_the_same(reports):
    written = [acknowledgment(claims) for claims in reports]

    read = read_277(write_277ca(written, envelope("HN"), PARTIES))

    assert [replace(r, interchange=w.interchange) for r, w in zip(read, written)] == written


@settings(max_examples=10, derandomize=True, deadline=None, suppress_health_check=[HealthCheck.too_slow],
          phases=[Phase.explicit, Phase.generate])  # no shrinking: each example is a pyx12 validation
@given(st.lists(claim_statuses(), min_size=1, max_size=4))
def test_any_277ca_written_validates_with_pyx12(claims):
    # pyx12's X214 map lists no entity codes for STC10-03 and STC11-03, so it refuses any there.
    claims = [replace(c, statuses=_first_entity_only(c.statuses),
                      lines=tuple(replace(line, statuses=_first_entity_only(line.statuses)) for line in c.lines))
              for c in claims]
    assert pyx12_check.validation_errors(write_277ca([acknowledgment(claims)], envelope("HN"), PARTIES)) == []


def _first_entity_only(statuses: tuple[StatusCode, ...]) -> tuple[StatusCode, ...]:
    return statuses[:1] + tuple(replace(s, entity="") for s in statuses[1:])
