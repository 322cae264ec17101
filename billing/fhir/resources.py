"""A billing claim as FHIR R4 resources: its Claim (use claim), the ClaimResponse of the payer's
latest answer, and an ExplanationOfBenefit per posted 835 claim payment.

Pure: the builders read what ``selectors.projection_facts`` loaded (rows and their prefetched
children) and return resource dicts; no queries, no writes. Codes and amounts only: no names,
no note text (the records referred to hold those).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from pracops.fhir.mapping import CLAIM_TYPE, CPT, HCPCS, ICD10CM, PROCESS_PRIORITY

# The identifier systems of the records billing writes: the one place they are named.
BILLING_CLAIM_SYSTEM = "urn:pracops:billing-claim"  # Claim and ClaimResponse: billing.Claim.public_id
PATIENT_CONTROL_NUMBER_SYSTEM = "urn:pracops:billing-claim:patient-control-number"  # CLM01
CLAIM_PAYMENT_SYSTEM = "urn:pracops:billing-claim-payment"  # ExplanationOfBenefit: 835 file, ST02, CLP position
TRACE_NUMBER_SYSTEM = "urn:pracops:remittance-trace-number"  # TRN02: the check or EFT number

ADJUDICATION = "http://terminology.hl7.org/CodeSystem/adjudication"
PAYMENT_TYPE = "http://terminology.hl7.org/CodeSystem/ex-paymenttype"
RELATED_CLAIM = "http://terminology.hl7.org/CodeSystem/ex-relatedclaimrelationship"
CARE_TEAM_ROLE = "http://terminology.hl7.org/CodeSystem/claimcareteamrole"
DIAGNOSIS_TYPE = "http://terminology.hl7.org/CodeSystem/ex-diagnosistype"
PLACE_OF_SERVICE = "https://www.cms.gov/Medicare/Coding/place-of-service-codes/Place_of_Service_Code_Set"
CARC = "https://x12.org/codes/claim-adjustment-reason-codes"
CAS_GROUP = "https://x12.org/codes/claim-adjustment-group-codes"
RARC = "https://x12.org/codes/remittance-advice-remark-codes"

GROUP_WORDS = {"CO": "Contractual obligation", "PR": "Patient responsibility", "OA": "Other adjustment",
               "PI": "Payer initiated reduction", "CR": "Correction and reversal"}
# The payer's answers to a claim sent (277CA, 835 or a 277), and the ClaimResponse outcome of each.
ANSWERS = {"accepted": "queued", "rejected": "error", "paid": "complete", "denied": "complete",
           "partially_paid": "partial"}
_DISPOSITION = {"accepted": "Accepted by the payer for adjudication", "rejected": "Rejected",
                "paid": "Paid", "denied": "Denied", "partially_paid": "Partially paid"}
USD = "USD"


@dataclass
class ClaimFacts:
    """One billing claim and what its projection reads, loaded by ``selectors.projection_facts``."""

    claim: object  # billing.Claim with patient, payer, coverage, billing_provider, rendering_provider
    lines: list = field(default_factory=list)  # ClaimLine, by number
    history: list = field(default_factory=list)  # ClaimStatusChange, oldest first
    payments: list = field(default_factory=list)  # posted ClaimPayment, remittance and file, lines, adjustments
    replaces_fhir_id: str = ""  # the FHIR Claim of the claim this one replaces, when projected
    voided: bool = False  # a void (frequency 8) of this claim has been sent


def money(value: Decimal) -> dict:
    return {"value": Decimal(value).quantize(Decimal("0.01")), "currency": USD}


def _instant(value: datetime) -> str:
    return value.isoformat().replace("+00:00", "Z")


def _procedure_coding(code: str) -> dict:
    # CPT codes are five digits or four and a letter (category II/III); HCPCS Level II starts with a letter.
    return {"system": HCPCS if code[:1].isalpha() else CPT, "code": code}


def _modifier(code: str) -> dict:
    # 50, 59, 76...: CPT modifiers; RT, LT, XS...: HCPCS Level II modifiers.
    return {"coding": [{"system": CPT if code.isdigit() else HCPCS, "code": code}]}


def icd10_with_dot(code: str) -> str:
    return f"{code[:3]}.{code[3:]}" if len(code) > 3 and "." not in code else code


def claim_identifier(claim) -> dict:
    return {"system": BILLING_CLAIM_SYSTEM, "value": str(claim.public_id)}


def _professional() -> dict:
    return {"coding": [{"system": CLAIM_TYPE, "code": "professional"}]}


def _insurance(claim, *, with_auth: bool) -> list[dict]:
    insurance = {"sequence": 1, "focal": True, "coverage": {"reference": claim.coverage.reference}}
    if with_auth and claim.prior_authorization_number:
        insurance["preAuthRef"] = [claim.prior_authorization_number]
    return [insurance]


def fhir_claim(facts: ClaimFacts) -> dict:
    """The claim as sent (837P): a FHIR Claim with use ``claim``; a void, or a claim voided, is cancelled."""
    claim = facts.claim
    cancelled = claim.frequency == "8" or facts.voided
    resource: dict = {
        "resourceType": "Claim",
        "identifier": [claim_identifier(claim),
                       {"system": PATIENT_CONTROL_NUMBER_SYSTEM, "value": claim.patient_control_number}],
        "status": "cancelled" if cancelled else "active",
        "type": _professional(),
        "use": "claim",
        "patient": {"reference": claim.patient.reference},
        "billablePeriod": {"start": min((line.service_date for line in facts.lines), default=claim.service_date)
                           .isoformat(),
                           "end": max((line.service_date for line in facts.lines), default=claim.service_date)
                           .isoformat()},
        "created": _instant(claim.created_at),
        "insurer": {"reference": claim.payer.reference},
        "provider": {"reference": claim.billing_provider.reference},
        "priority": {"coding": [{"system": PROCESS_PRIORITY, "code": "normal"}]},
    }
    if claim.replaces_id is not None:
        related: dict = {
            "relationship": {"coding": [{"system": RELATED_CLAIM, "code": "prior"}]},
            "claim": ({"reference": f"Claim/{facts.replaces_fhir_id}"} if facts.replaces_fhir_id
                      else {"identifier": claim_identifier(claim.replaces)}),
        }
        if claim.replaces.payer_claim_number:
            related["reference"] = {"value": claim.replaces.payer_claim_number}
        resource["related"] = [related]
    if claim.rendering_provider is not None:
        resource["careTeam"] = [{
            "sequence": 1, "provider": {"reference": claim.rendering_provider.reference},
            "responsible": True, "role": {"coding": [{"system": CARE_TEAM_ROLE, "code": "primary"}]},
        }]
    if claim.diagnoses:
        resource["diagnosis"] = [{
            "sequence": number,
            "diagnosisCodeableConcept": {"coding": [{"system": ICD10CM, "code": icd10_with_dot(code)}]},
            **({"type": [{"coding": [{"system": DIAGNOSIS_TYPE, "code": "principal"}]}]} if number == 1 else {}),
        } for number, code in enumerate(claim.diagnoses, 1)]
    resource["insurance"] = _insurance(claim, with_auth=True)
    if facts.lines:
        resource["item"] = [_claim_item(claim, line) for line in facts.lines]
    resource["total"] = money(claim.total_charge)
    return resource


def _claim_item(claim, line) -> dict:
    item: dict = {"sequence": line.number}
    if claim.rendering_provider is not None:
        item["careTeamSequence"] = [1]
    pointers = [p for p in line.diagnosis_pointers if isinstance(p, int) and 1 <= p <= len(claim.diagnoses)]
    if pointers:
        item["diagnosisSequence"] = pointers
    item["productOrService"] = {"coding": [_procedure_coding(line.procedure_code)]}
    if line.modifiers:
        item["modifier"] = [_modifier(m) for m in line.modifiers]
    item["servicedDate"] = line.service_date.isoformat()
    item["locationCodeableConcept"] = {"coding": [{"system": PLACE_OF_SERVICE, "code": claim.place_of_service}]}
    units = Decimal(line.units)
    item["quantity"] = {"value": units.normalize() if units == units.to_integral() else units}
    if units > 0:
        item["unitPrice"] = money(Decimal(line.charge) / units)
    item["net"] = money(line.charge)
    return item


def payer_answer(facts: ClaimFacts):
    """The latest answer of the payer to the claim as last sent (a ClaimStatusChange), or None;
    when the claim was sent again after its latest answer, the move to submitted (awaiting)."""
    answer = None
    for change in facts.history:
        if change.to_status == "submitted" and answer is not None:
            answer = change  # sent again: the earlier answer no longer stands
        elif change.to_status in ANSWERS:
            answer = change
    return answer


def fhir_claim_response(facts: ClaimFacts, claim_fhir_id: str) -> dict | None:
    """The payer's answer as a ClaimResponse to the Claim, or None before any answer."""
    claim = facts.claim
    answer = payer_answer(facts)
    if answer is None:
        return None
    awaiting = answer.to_status == "submitted"
    outcome = "queued" if awaiting else ANSWERS[answer.to_status]
    disposition = "Sent again; awaiting the payer's answer" if awaiting else _DISPOSITION[answer.to_status]
    if answer.to_status == "rejected" and answer.reason:
        disposition = f"{disposition}: {answer.reason}"  # the status codes and their meaning, no patient data
    identifiers = [claim_identifier(claim)]
    if claim.payer_claim_number:
        identifiers.append({"type": {"text": "Payer claim number"}, "value": claim.payer_claim_number})
    return {
        "resourceType": "ClaimResponse",
        "identifier": identifiers,
        "status": "cancelled" if claim.frequency == "8" or facts.voided else "active",
        "type": _professional(),
        "use": "claim",
        "patient": {"reference": claim.patient.reference},
        "created": _instant(answer.at),
        "insurer": {"reference": claim.payer.reference},
        "requestor": {"reference": claim.billing_provider.reference},
        "request": {"reference": f"Claim/{claim_fhir_id}"},
        "outcome": outcome,
        "disposition": disposition[:1000],
    }


def payment_identifier(payment) -> dict:
    remittance = payment.remittance
    return {"system": CLAIM_PAYMENT_SYSTEM,
            "value": f"{remittance.file.public_id}-{remittance.set_control_number}-{payment.position}"}


def _category(code: str) -> dict:
    return {"coding": [{"system": ADJUDICATION, "code": code}]}


def _adjustment(adjustment) -> dict:
    group = {"system": CAS_GROUP, "code": adjustment.group}
    if adjustment.group in GROUP_WORDS:
        group["display"] = GROUP_WORDS[adjustment.group]
    return {
        "category": {"coding": [group]},
        "reason": {"coding": [{"system": CARC, "code": adjustment.reason}],
                   "text": f"{adjustment.group}-{adjustment.reason}"},
        "amount": money(adjustment.amount),
    }


def _allowed(charge: Decimal, adjustments) -> Decimal:
    """What the payer allowed: the charge less its contractual (CO) and payer-initiated (PI) reductions."""
    return Decimal(charge) - sum((Decimal(a.amount) for a in adjustments if a.group in ("CO", "PI")), Decimal(0))


def fhir_explanation_of_benefit(facts: ClaimFacts, payment, *, claim_fhir_id: str, outcome: str) -> dict:
    """One 835 claim payment (CLP) as an ExplanationOfBenefit of the Claim: items with submitted,
    eligible (allowed) and benefit (paid) amounts and each CAS adjustment (group code and CARC)."""
    claim = facts.claim
    lines_by_pk = {line.pk: line for line in facts.lines}
    claim_adjustments = [a for a in payment.adjustments.all() if a.service_line_id is None]
    items = []
    for number, service in enumerate(payment.service_lines.all(), 1):
        line = lines_by_pk.get(service.line_id)
        adjustments = list(service.adjustments.all())
        item: dict = {"sequence": line.number if line is not None else number}
        code = service.procedure_code.partition(":")[2] or service.procedure_code  # SVC01 is HC:<code>
        item["productOrService"] = {"coding": [_procedure_coding(code[:5])]}
        if service.modifiers:
            item["modifier"] = [_modifier(m) for m in service.modifiers]
        served = service.service_date or (line.service_date if line is not None else None)
        if served:
            item["servicedDate"] = served.isoformat()
        if service.units is not None:
            units = Decimal(service.units)
            item["quantity"] = {"value": units.normalize() if units == units.to_integral() else units}
        item["net"] = money(service.charge)
        item["adjudication"] = [
            {"category": _category("submitted"), "amount": money(service.charge)},
            {"category": _category("eligible"), "amount": money(_allowed(service.charge, adjustments))},
            {"category": _category("benefit"), "amount": money(service.paid)},
            *[_adjustment(a) for a in adjustments],
        ]
        if service.remarks:
            item["adjudication"].extend({"category": _category("benefit"), "reason": {
                "coding": [{"system": RARC, "code": remark}]}} for remark in service.remarks)
        items.append(item)
    remittance = payment.remittance
    resource: dict = {
        "resourceType": "ExplanationOfBenefit",
        "identifier": [payment_identifier(payment)],
        "status": "active",
        "type": _professional(),
        "use": "claim",
        "patient": {"reference": claim.patient.reference},
        "billablePeriod": {"start": claim.service_date.isoformat()},
        "created": _instant(payment.posted_at),
        "insurer": {"reference": claim.payer.reference},
        "provider": {"reference": claim.billing_provider.reference},
        "claim": {"reference": f"Claim/{claim_fhir_id}"},
        "outcome": outcome,
        "disposition": _payment_words(payment),
        "insurance": [{"focal": True, "coverage": {"reference": claim.coverage.reference}}],
    }
    if claim.prior_authorization_number:
        resource["preAuthRef"] = [claim.prior_authorization_number]
    if items:
        resource["item"] = items
    if claim_adjustments:
        resource["adjudication"] = [_adjustment(a) for a in claim_adjustments]
    all_adjustments = [a for a in payment.adjustments.all()]
    resource["total"] = [
        {"category": _category("submitted"), "amount": money(payment.charge)},
        {"category": _category("eligible"), "amount": money(_allowed(payment.charge, all_adjustments))},
        {"category": _category("benefit"), "amount": money(payment.paid)},
    ]
    paid_in_full = Decimal(payment.paid) >= Decimal(payment.charge)
    resource["payment"] = {
        "type": {"coding": [{"system": PAYMENT_TYPE, "code": "complete" if paid_in_full else "partial"}]},
        **({"date": remittance.payment_date.isoformat()} if remittance.payment_date else {}),
        "amount": money(payment.paid),
        **({"identifier": {"system": TRACE_NUMBER_SYSTEM, "value": remittance.trace_number}}
           if remittance.trace_number else {}),
    }
    return resource


def _payment_words(payment) -> str:
    if payment.status_code == "22":
        return "Reversal of an earlier payment (CLP02 22)"
    if payment.status_code == "4":
        return "Denied (CLP02 4)"
    return f"Processed (CLP02 {payment.status_code}); paid {Decimal(payment.paid).quantize(Decimal('0.01'))}"


def claim_payment_outcome(payment, *, denial: bool) -> str:
    """complete, or partial when a denial adjustment took part of a claim that was paid in part."""
    return "partial" if denial and Decimal(payment.paid) > 0 and payment.status_code != "22" else "complete"


