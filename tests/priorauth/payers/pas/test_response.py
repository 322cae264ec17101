"""Reading PAS response Bundles: the Inferno test kit's responses, and plain dicts for each review action."""

from __future__ import annotations

import copy
import json
from datetime import date
from pathlib import Path

import pytest

from pracops.outbound import PermanentError
from priorauth.payers.base import RequestedItem
from priorauth.payers.pas.bundle import REQUEST_SYSTEM
from priorauth.payers.pas.response import read_response

FIXTURES = Path(__file__).resolve().parents[3] / "fixtures" / "pas"
SD = "http://hl7.org/fhir/us/davinci-pas/StructureDefinition"
X12_306 = "https://codesystem.x12.org/005010/306"
REASONS = "https://codesystem.x12.org/external/886"
SENTINEL = "MBR-QZX-4471"  # stands for patient data in the Bundle: never in a message
ASKED = [RequestedItem(sequence=1, cpt="64483", units=1, service_date=date(2026, 12, 14)),
         RequestedItem(sequence=2, cpt="64484", units=2, service_date=None)]


def fixture(name: str) -> dict:
    return json.loads((FIXTURES / name).read_text())


def review(code: str, *, number: str | None = None, reasons: tuple[str, ...] = ()) -> dict:
    parts = [{"url": f"{SD}/extension-reviewActionCode", "valueCodeableConcept": {"coding": [
        {"system": X12_306, "code": code}]}}]
    if number:
        parts.append({"url": "number", "valueString": number})
    parts += [{"url": "reasonCode", "valueCodeableConcept": {"coding": [{"system": REASONS, "code": r}]}}
              for r in reasons]
    return {"extension": [{"url": f"{SD}/extension-reviewAction", "extension": parts}],
            "category": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/adjudication",
                                     "code": "submitted"}]}}


def item(sequence: int, code: str, *, period: tuple[str, str] | None = None, **kwargs) -> dict:
    entry: dict = {"itemSequence": sequence, "adjudication": [review(code, **kwargs)]}
    if period:
        entry["extension"] = [{"url": f"{SD}/extension-itemPreAuthPeriod",
                               "valuePeriod": {"start": period[0], "end": period[1]}}]
    return entry


def response(*items: dict, **fields) -> dict:
    claim_response = {
        "resourceType": "ClaimResponse", "id": "TRK-9",
        "identifier": [{"system": "https://payer.example/tracking", "value": "TRK-9"},
                       {"system": REQUEST_SYSTEM, "value": "req-1"}],
        "status": "active", "type": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/claim-type",
                                                  "code": "professional"}]},
        "use": "preauthorization", "patient": {"reference": "Patient/p1"}, "created": "2026-12-02T10:00:00Z",
        "insurer": {"reference": "Organization/payer"}, "outcome": "complete", **({"item": list(items)} if items else {}), **fields,
    }
    return {"resourceType": "Bundle", "type": "collection", "timestamp": "2026-12-02T10:00:00Z",
            "identifier": {"system": "https://payer.example/tx", "value": "tx-1"},
            "entry": [{"fullUrl": "https://payer.example/fhir/ClaimResponse/TRK-9", "resource": claim_response}]}


# --- the Inferno PAS test kit's responses ---------------------------------------------------

def test_the_test_kits_approval_reads_as_approved_with_its_number_and_period():
    decision = read_response(fixture("valid_pa_response_bundle.json"), items=ASKED[:1])
    assert decision.outcome == "approved"
    [only] = decision.items
    assert (only.sequence, only.cpt, only.review_action, only.units) == (1, "64483", "A1", 1)
    assert (only.auth_number, only.period_start, only.period_end) == ("AUTH0001", date(2005, 5, 2), date(2005, 6, 2))
    assert (decision.auth_number, decision.period_start, decision.period_end) == (
        "AUTH0001", date(2005, 5, 2), date(2005, 6, 2))
    assert (decision.approved_codes, decision.approved_units) == (["64483"], 1)
    assert decision.payer_reference == "111099"
    assert decision.claim_response["resourceType"] == "ClaimResponse"


def test_the_test_kits_denial_reads_as_denied_without_an_authorization():
    decision = read_response(fixture("valid_pa_response_bundle_denial.json"), items=ASKED[:1])
    assert decision.outcome == "denied"
    assert decision.items[0].review_action == "A3" and decision.items[0].auth_number is None
    assert (decision.auth_number, decision.approved_codes, decision.approved_units) == (None, [], None)
    assert decision.reason == "item 1 (64483): not certified [A3]."


def test_the_test_kits_inquiry_response_reads_as_its_decision():
    decision = read_response(fixture("valid_pa_inquire_response_bundle.json"))
    assert decision.outcome == "approved" and decision.auth_number == "AUTH0001"
    assert decision.items[0].cpt == ""  # the kit's item is an X12 service type, not a CPT code


def test_a_response_missing_required_elements_is_permanent_and_named():
    with pytest.raises(PermanentError, match=r"ClaimResponse\.created"):
        read_response(fixture("pa_response_bundle_missing_elements.json"))


def test_a_response_that_does_not_start_with_the_claim_response_is_permanent():
    with pytest.raises(PermanentError, match=r"first entry .* is Organization, not the ClaimResponse"):
        read_response(fixture("invalid_first_entry_response_bundle.json"))


# --- each review action -----------------------------------------------------------------

def test_one_item_certified_and_one_not_is_partially_approved():
    decision = read_response(response(item(1, "A1", number="AUTH-1", period=("2026-12-10", "2027-03-10")),
                                      item(2, "A3", reasons=("0U",))), items=ASKED)
    assert decision.outcome == "partially_approved"
    assert decision.approved_codes == ["64483"] and decision.approved_units == 1
    assert decision.auth_number == "AUTH-1"
    assert (decision.period_start, decision.period_end) == (date(2026, 12, 10), date(2027, 3, 10))
    assert decision.items[1].reason_codes == ["0U"] and decision.items[1].units is None
    assert decision.reason == "item 1 (64483): certified [A1]; item 2 (64484): not certified [A3], reason 0U."


def test_a_modified_item_takes_what_was_authorised_from_its_added_item():
    added = {"itemSequence": [2], "productOrService": {"coding": [
        {"system": "http://www.ama-assn.org/go/cpt", "code": "64484"}]}, "quantity": {"value": 1},
        "adjudication": [review("A1")]}
    decision = read_response(response(item(1, "A1"), item(2, "A6", reasons=("0V",)), addItem=[added],
                                      preAuthRef="AUTH-2",
                                      preAuthPeriod={"start": "2026-12-10", "end": "2027-01-10"}), items=ASKED)
    assert decision.outcome == "partially_approved"
    assert [(d.review_action, d.units, d.auth_number) for d in decision.items] == [
        ("A1", 1, "AUTH-2"), ("A6", 1, "AUTH-2")]
    assert decision.approved_units == 2 and decision.approved_codes == ["64483", "64484"]
    assert decision.items[1].period_end == date(2027, 1, 10)


def test_everything_certified_is_approved_and_any_item_pended_is_pended():
    assert read_response(response(item(1, "A1"), item(2, "A1")), items=ASKED).outcome == "approved"
    pended = read_response(response(item(1, "A1"), item(2, "A4")), items=ASKED)
    assert pended.outcome == "pended" and pended.payer_reference == "TRK-9"
    assert read_response(response(item(1, "A3"), item(2, "A3")), items=ASKED).outcome == "denied"


def test_the_payers_own_words_join_the_reason():
    decision = read_response(response(
        item(1, "A3", reasons=("0U",)), disposition="Not medically necessary",
        processNote=[{"number": 1, "text": "Conservative care of 4 weeks not documented."}]), items=ASKED[:1])
    assert decision.reason == ("item 1 (64483): not certified [A3], reason 0U. Not medically necessary. "
                               "Conservative care of 4 weeks not documented.")


def test_an_answer_the_payer_marks_as_an_error_is_permanent_with_its_codes():
    rejected = response(outcome="error", error=[{"code": {"coding": [{"system": f"https://codesystem.x12.org/005010/901",
                                                                      "code": "72"}]}}])
    with pytest.raises(PermanentError, match=r"rejected the request without reviewing it \(error codes 72\)"):
        read_response(rejected)


@pytest.mark.parametrize(("bundle", "message"), [
    (["not", "a", "bundle"], "not a FHIR Bundle"),
    ({"resourceType": "Bundle", "type": "searchset", "entry": []}, "not a collection"),
    ({"resourceType": "Bundle", "type": "collection", "entry": []}, "holds no ClaimResponse"),
    (response(), "answers no item"),
    (response(item(1, "ZZ")), "not an X12 306 code"),
    (response({"itemSequence": 1, "adjudication": [{"category": {"text": "submitted"}}]}), "has no review action"),
    (response(item(1, "A1", period=("soon", "later"))), "is not valid FHIR R4|is not a date"),
])
def test_what_cannot_be_read_is_permanent(bundle, message):
    with pytest.raises(PermanentError, match=message):
        read_response(bundle, items=ASKED)


def test_error_messages_never_quote_the_bundle():
    bundle = response(item(1, "ZZ"))
    bundle["entry"][0]["resource"]["identifier"][0]["value"] = SENTINEL
    broken = copy.deepcopy(bundle)
    broken["entry"][0]["resource"]["created"] = SENTINEL
    for body in (bundle, broken):
        with pytest.raises(PermanentError) as caught:
            read_response(body)
        assert SENTINEL not in str(caught.value)


def test_a_reason_codes_own_words_follow_it_once():
    denied = item(1, "A3", reasons=("0U",))
    reason = denied["adjudication"][0]["extension"][0]["extension"][-1]["valueCodeableConcept"]
    reason["coding"][0]["display"] = "Imaging not documented"
    decision = read_response(response(denied, processNote=[{"number": 1, "text": "Imaging not documented"}]),
                             items=ASKED[:1])
    assert decision.reason == "item 1 (64483): not certified [A3], reason 0U (Imaging not documented)."
