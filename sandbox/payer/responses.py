"""The payer's answers as FHIR: the PAS response Bundle and the rest-hook notification (pure).

The response Bundle follows the PAS response profile: a ``collection`` whose first entry is the
ClaimResponse, followed by the resources it references (the patient, the insurer and the
requesting provider, with the fullUrls the request gave them, so the references resolve).
Each item carries the X12 306 review action with its reason codes and, when certified, the
authorization number, the authorized units and the certified period.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime
from typing import Sequence

from sandbox.payer.decisions import CERTIFIED, MODIFIED, NOT_CERTIFIED, PENDED, REVIEW_ACTION_DISPLAY, ItemDecision
from sandbox.payer.pas import (
    ITEM_AUTHORIZED_DETAIL,
    ITEM_PREAUTH_ISSUE_DATE,
    ITEM_PREAUTH_PERIOD,
    ITEM_TRACE_NUMBER,
    PAS,
    PAS_TOPIC,
    REVIEW_ACTION,
    REVIEW_ACTION_CODE,
    X12_306,
    X12_HCR_REASON,
    PasRequest,
)

# The system of the payer's own tracking number (ClaimResponse.identifier), used for inquiries.
TRACKING_SYSTEM = "https://sandbox-payer.pracops.invalid/fhir/prior-authorization-tracking"
BACKPORT = "http://hl7.org/fhir/uv/subscriptions-backport/StructureDefinition"


@dataclass(frozen=True)
class Answer:
    """Everything the response says beyond the request: the payer's decision, as stored."""

    tracking_id: str
    auth_number: str | None  # None while nothing is certified
    decisions: Sequence[ItemDecision]
    created: datetime
    base_url: str  # the payer's FHIR base (absolute, ending in "/")

    @property
    def claim_response_url(self) -> str:
        return f"{self.base_url}ClaimResponse/{self.tracking_id}"


def outcome_of(decisions: Sequence[ItemDecision]) -> str:
    """``queued`` while any item is pended, else ``complete`` (ClaimResponse.outcome)."""
    return "queued" if any(d.review_action == PENDED for d in decisions) else "complete"


def claim_response(request: PasRequest, answer: Answer, *, inquiry: bool = False) -> dict:
    """The ClaimResponse answering ``request``."""
    claim = request.claim
    certified = [d for d in answer.decisions if d.review_action in (CERTIFIED, MODIFIED)]
    resource: dict = {
        "resourceType": "ClaimResponse",
        "id": answer.tracking_id,
        "meta": {"profile": [f"{PAS}/profile-claiminquiryresponse" if inquiry else f"{PAS}/profile-claimresponse"]},
        "identifier": [
            {"system": TRACKING_SYSTEM, "value": answer.tracking_id},
            _plain_identifier(request.identifier),
        ],
        "status": "active",
        "type": claim["type"],
        "use": "preauthorization",
        "patient": {"reference": claim["patient"]["reference"]},
        "created": answer.created.isoformat(timespec="seconds"),
        "insurer": {"reference": claim["insurer"]["reference"]},
        "requestor": {"reference": claim["provider"]["reference"]},
        # The Claim is not in the response: it is pointed at by its identifier.
        "request": {"type": "Claim", "identifier": _plain_identifier(request.identifier)},
        "outcome": outcome_of(answer.decisions),
        "item": [_item(request, decision, answer) for decision in answer.decisions],
    }
    disposition = _disposition(answer.decisions)
    if disposition:
        resource["disposition"] = disposition
    if answer.auth_number and certified:
        resource["preAuthRef"] = answer.auth_number
        resource["preAuthPeriod"] = {
            "start": min(d.period_start for d in certified if d.period_start).isoformat(),
            "end": max(d.period_end for d in certified if d.period_end).isoformat(),
        }
    notes = [d for d in answer.decisions if d.reason_text]
    if notes:
        resource["processNote"] = [
            {"number": n, "type": "display", "text": f"Item {d.sequence}: {d.reason_text}"}
            for n, d in enumerate(notes, start=1)
        ]
    return resource


def response_bundle(request: PasRequest, answer: Answer, *, inquiry: bool = False) -> dict:
    """The PAS response (or inquiry response) Bundle: the ClaimResponse first, then what it references."""
    profile = "profile-pas-inquiry-response-bundle" if inquiry else "profile-pas-response-bundle"
    return {
        "resourceType": "Bundle",
        "meta": {"profile": [f"{PAS}/{profile}"]},
        "identifier": {"system": TRACKING_SYSTEM, "value": answer.tracking_id},
        "type": "collection",
        "timestamp": answer.created.isoformat(timespec="seconds"),
        "entry": [
            {"fullUrl": answer.claim_response_url, "resource": claim_response(request, answer, inquiry=inquiry)},
            *_referenced_entries(request),
        ],
    }


def _referenced_entries(request: PasRequest) -> list[dict]:
    entries, seen = [], set()
    for entry in (request.patient_entry, request.insurer_entry, request.provider_entry):
        if entry["fullUrl"] not in seen:
            seen.add(entry["fullUrl"])
            entries.append({"fullUrl": entry["fullUrl"], "resource": entry["resource"]})
    return entries


def _plain_identifier(identifier: dict) -> dict:
    return {key: identifier[key] for key in ("system", "value") if identifier.get(key)}


def _disposition(decisions: Sequence[ItemDecision]) -> str:
    codes = {d.review_action for d in decisions}
    if PENDED in codes:
        return "Pended for review"
    if codes == {CERTIFIED}:
        return "Certified in total"
    if codes == {NOT_CERTIFIED}:
        return "Not certified"
    return "Certified in part"


def _item(request: PasRequest, decision: ItemDecision, answer: Answer) -> dict:
    requested = next(i for i in request.items if i.sequence == decision.sequence)
    extensions: list[dict] = []
    if requested.trace_number:
        extensions.append({"url": ITEM_TRACE_NUMBER, "valueIdentifier": requested.trace_number})
    if decision.review_action in (CERTIFIED, MODIFIED):
        extensions += [
            {"url": ITEM_PREAUTH_ISSUE_DATE, "valueDate": answer.created.date().isoformat()},
            {"url": ITEM_PREAUTH_PERIOD, "valuePeriod": _period(decision.period_start, decision.period_end)},
            {"url": ITEM_AUTHORIZED_DETAIL, "extension": [
                {"url": "productOrServiceCode", "valueCodeableConcept": {"coding": [_coding(requested)]}},
                {"url": "quantity", "valueQuantity": {"value": decision.units}},
            ]},
        ]
    review: list[dict] = [{"url": REVIEW_ACTION_CODE, "valueCodeableConcept": {"coding": [{
        "system": X12_306, "code": decision.review_action,
        "display": REVIEW_ACTION_DISPLAY[decision.review_action],
    }]}}]
    if answer.auth_number and decision.review_action in (CERTIFIED, MODIFIED):
        review.insert(0, {"url": "number", "valueString": answer.auth_number})
    if decision.reason_code:
        reason = {"system": X12_HCR_REASON, "code": decision.reason_code}
        if decision.reason_text:
            reason["display"] = decision.reason_text
        review.append({"url": "reasonCode", "valueCodeableConcept": {"coding": [reason],
                                                                     **_text(decision.reason_text)}})
    item: dict = {"itemSequence": decision.sequence}
    if extensions:
        item["extension"] = extensions
    item["adjudication"] = [{
        "extension": [{"url": REVIEW_ACTION, "extension": review}],
        "category": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/adjudication",
                                 "code": "submitted"}]},
    }]
    if decision.units is not None:
        item["adjudication"].append({
            "category": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/adjudication",
                                     "code": "eligible"}]},
            "value": decision.units,
        })
    return item


def _text(text: str) -> dict:
    return {"text": text} if text else {}


def _coding(item) -> dict:
    coding = {"code": item.code}
    if item.system:
        coding["system"] = item.system
    if item.display:
        coding["display"] = item.display
    return coding


def _period(start: date | None, end: date | None) -> dict:
    period = {}
    if start:
        period["start"] = start.isoformat()
    if end:
        period["end"] = end.isoformat()
    return period


def notification_bundle(*, subscription_url: str, event_number: int, timestamp: datetime,
                        payload: str, response: dict | None, focus_url: str) -> dict:
    """A backport ``event-notification`` Bundle (history) about one decided ClaimResponse.

    ``payload`` is the subscription's content: ``empty`` names no resource, ``id-only`` points
    at the ClaimResponse, ``full-resource`` carries it and what it references (``response``,
    the response Bundle)."""
    event: list[dict] = [
        {"name": "event-number", "valueString": str(event_number)},
        {"name": "timestamp", "valueInstant": timestamp.isoformat(timespec="seconds")},
    ]
    entries: list[dict] = []
    if payload in ("id-only", "full-resource"):
        event.append({"name": "focus", "valueReference": {"reference": focus_url}})
    if payload == "full-resource" and response is not None:
        first, *rest = response["entry"]
        event += [{"name": "additional-context", "valueReference": {"reference": e["fullUrl"]}} for e in rest]
        entries.append({"fullUrl": first["fullUrl"], "resource": first["resource"],
                        "request": {"method": "PUT", "url": f"ClaimResponse/{first['resource']['id']}"},
                        "response": {"status": "200"}})
        entries += [{"fullUrl": e["fullUrl"], "resource": e["resource"]} for e in rest]
    status = {
        "fullUrl": f"urn:uuid:{_uuid_for(subscription_url, event_number)}",
        "resource": {
            "resourceType": "Parameters",
            "id": _uuid_for(subscription_url, event_number),
            "meta": {"profile": [f"{BACKPORT}/backport-subscription-status-r4"]},
            "parameter": [
                {"name": "subscription", "valueReference": {"reference": subscription_url}},
                {"name": "topic", "valueCanonical": PAS_TOPIC},
                {"name": "status", "valueCode": "active"},
                {"name": "type", "valueCode": "event-notification"},
                {"name": "events-since-subscription-start", "valueString": str(event_number)},
                {"name": "notification-event", "part": event},
            ],
        },
        "request": {"method": "GET", "url": f"{subscription_url}/$status"},
        "response": {"status": "200"},
    }
    return {
        "resourceType": "Bundle",
        "meta": {"profile": [f"{BACKPORT}/backport-subscription-notification-r4"]},
        "type": "history",
        "timestamp": timestamp.isoformat(timespec="seconds"),
        "entry": [status, *entries],
    }


def _uuid_for(subscription_url: str, event_number: int) -> str:
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"{subscription_url}#{event_number}"))
