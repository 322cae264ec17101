"""Reading a Da Vinci PAS response Bundle into a PayerDecision (pure: dicts in, dataclasses out).

Per the PAS IG 2.x ("Prior Authorization Response"): the Bundle starts with the ClaimResponse;
each item's decision is the X12 306 code in ClaimResponse.item.adjudication's reviewAction
extension (A1 certified in total, A2 certified partial, A3 not certified, A4 pended, A6
modified, C cancelled, CT contact payer, NA no action required), with its X12 reason codes and
its item-level review number; what a modified item actually authorises is in the addItem of the
same itemSequence; the authorization number and period are ClaimResponse.preAuthRef and
preAuthPeriod (or the item's own number and itemPreAuthPeriod); a denial's words are in
processNote.

A Bundle that is not such a response, an answer the payer marks as an error, or a review
action this module does not know raise pracops.outbound.PermanentError, whose message names
the element at fault and never a value from the Bundle.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from pracops.fhir.validation import validation_issues
from pracops.outbound import PermanentError
from priorauth.payers.base import ItemDecision, PayerDecision, RequestedItem
from priorauth.payers.pas.bundle import CPT, REQUEST_SYSTEM, SD

REVIEW_ACTION = f"{SD}/extension-reviewAction"
REVIEW_ACTION_CODE = f"{SD}/extension-reviewActionCode"
ITEM_PREAUTH_PERIOD = f"{SD}/extension-itemPreAuthPeriod"
ITEM_AUTHORIZED_DETAIL = f"{SD}/extension-itemAuthorizedDetail"
AUTHORIZATION_NUMBER = f"{SD}/extension-authorizationNumber"
HCPCS = "http://www.cms.gov/Medicare/Coding/HCPCSReleaseCodeSets"

CERTIFIED = frozenset({"A1"})
PARTLY_CERTIFIED = frozenset({"A2", "A6"})
NOT_CERTIFIED = frozenset({"A3", "C"})
STILL_OPEN = frozenset({"A4", "CT"})
NO_ACTION_REQUIRED = frozenset({"NA"})
KNOWN_ACTIONS = CERTIFIED | PARTLY_CERTIFIED | NOT_CERTIFIED | STILL_OPEN | NO_ACTION_REQUIRED
ACTION_WORDS = {
    "A1": "certified", "A2": "partly certified", "A3": "not certified", "A4": "pended", "A6": "modified",
    "C": "cancelled", "CT": "contact the payer", "NA": "no authorization required",
}


def read_response(body: object, *, items: Sequence[RequestedItem] = (), claim: dict | None = None) -> PayerDecision:
    """The payer's decision in a PAS response (or inquiry response) Bundle.

    ``items`` are the requested items (to name each decision's CPT code and requested units
    when the response only gives sequences); ``claim`` is the Claim that was sent, kept on the
    decision with the ClaimResponse.
    """
    claim_response = first_claim_response(body)
    if claim_response is None:
        raise PermanentError("the payer's response Bundle holds no ClaimResponse")
    return decision_from(claim_response, items=items, claim=claim)


def first_claim_response(body: object) -> dict | None:
    """The ClaimResponse a PAS response Bundle starts with; None for an empty (inquiry) Bundle."""
    if not isinstance(body, dict) or body.get("resourceType") != "Bundle":
        raise PermanentError("the payer's answer is not a FHIR Bundle")
    if body.get("type") != "collection":
        raise PermanentError("the payer's response Bundle is not a collection (Bundle.type)")
    entries = body.get("entry")
    if entries is None or entries == []:
        return None
    if not isinstance(entries, list) or not all(isinstance(e, dict) for e in entries):
        raise PermanentError("the payer's response Bundle has malformed entries (Bundle.entry)")
    first = entries[0].get("resource")
    if not isinstance(first, dict) or first.get("resourceType") != "ClaimResponse":
        kind = first.get("resourceType") if isinstance(first, dict) else None
        raise PermanentError(f"the first entry of the payer's response is {kind or 'not a resource'}, "
                             "not the ClaimResponse (Bundle.entry[0])")
    issues = validation_issues(first)
    if issues:
        where = ", ".join(sorted({i.expression or "ClaimResponse" for i in issues}))
        raise PermanentError(f"the payer's ClaimResponse is not valid FHIR R4 ({where})")
    return first


def decision_from(claim_response: dict, *, items: Sequence[RequestedItem] = (),
                  claim: dict | None = None) -> PayerDecision:
    """The PayerDecision a (valid R4) PAS ClaimResponse states."""
    if claim_response.get("outcome") == "error" or (claim_response.get("error") and not claim_response.get("item")):
        codes = [c for error in claim_response.get("error") or [] for c in _codes(error.get("code"))]
        raise PermanentError("the payer rejected the request without reviewing it"
                             + (f" (error codes {', '.join(codes)})" if codes else ""))
    if not claim_response.get("item"):
        raise PermanentError("the payer's ClaimResponse answers no item (ClaimResponse.item)")
    requested = {item.sequence: item for item in items}
    added = {}
    for add in claim_response.get("addItem") or []:
        for sequence in add.get("itemSequence") or []:
            added.setdefault(sequence, add)
    overall_period = claim_response.get("preAuthPeriod") or {}
    overall_number = claim_response.get("preAuthRef") or _extension_value(claim_response, AUTHORIZATION_NUMBER)

    read = [_item_decision(item, requested, added, overall_number, overall_period)
            for item in claim_response["item"]]
    decisions = [decision for decision, _ in read]
    actions = [d.review_action for d in decisions]
    certified = [d for d in decisions if d.review_action in CERTIFIED | PARTLY_CERTIFIED]
    outcome = _outcome(actions)
    return PayerDecision(
        outcome=outcome,
        items=decisions,
        auth_number=overall_number or next((d.auth_number for d in certified if d.auth_number), None),
        period_start=_date(overall_period.get("start"), "ClaimResponse.preAuthPeriod.start") or min(
            (d.period_start for d in certified if d.period_start), default=None),
        period_end=_date(overall_period.get("end"), "ClaimResponse.preAuthPeriod.end") or max(
            (d.period_end for d in certified if d.period_end), default=None),
        approved_codes=list(dict.fromkeys(d.cpt for d in certified if d.cpt)),
        approved_units=sum(d.units for d in certified if d.units is not None) if any(
            d.units is not None for d in certified) else None,
        reason=_reason(claim_response, read),
        payer_reference=payer_reference(claim_response),
        claim=claim,
        claim_response=claim_response,
    )


def payer_reference(claim_response: dict) -> str:
    """The payer's tracking id: its own identifier on the ClaimResponse, else the ClaimResponse's id."""
    for identifier in claim_response.get("identifier") or []:
        if identifier.get("value") and identifier.get("system") != REQUEST_SYSTEM:
            return str(identifier["value"])
    return str(claim_response.get("id") or "")


def _outcome(actions: list[str]) -> str:
    if any(a in STILL_OPEN for a in actions):
        return "pended"
    if all(a in CERTIFIED | NO_ACTION_REQUIRED for a in actions):
        return "approved"
    if all(a in NOT_CERTIFIED for a in actions):
        return "denied"
    return "partially_approved"


def _item_decision(item: dict, requested: dict[int, RequestedItem], added: dict[int, dict],
                   overall_number: str | None, overall_period: dict) -> tuple[ItemDecision, list[str]]:
    """The item's decision and the payer's words for its reasons."""
    sequence = item.get("itemSequence")
    where = f"ClaimResponse.item[itemSequence={sequence}]"
    action, number, reasons, reason_words = _review_action(item.get("adjudication") or [], where)
    asked = requested.get(sequence)
    detail = _authorized_detail(item)
    addition = added.get(sequence)
    cpt = asked.cpt if asked else detail.get("code") or ""
    units: int | None = None
    if action in CERTIFIED:
        units = asked.units if asked else detail.get("units")
    elif action in PARTLY_CERTIFIED:
        # What was authorised instead of what was asked: the addItem of this sequence (PAS), else
        # the authorised detail on the item itself.
        if addition:
            cpt = _product_code(addition.get("productOrService")) or cpt
            units = _units(addition.get("quantity"), where)
        else:
            units = detail.get("units")
    period = _extension_period(item, ITEM_PREAUTH_PERIOD)
    if addition and not period:
        period = _extension_period(addition, ITEM_PREAUTH_PERIOD) or addition.get("servicedPeriod")
    certified = action in CERTIFIED | PARTLY_CERTIFIED
    if certified and not period:
        period = overall_period
    return ItemDecision(
        sequence=sequence,
        cpt=cpt,
        review_action=action,
        reason_codes=reasons,
        units=units,
        period_start=_date((period or {}).get("start"), f"{where} period") if certified else None,
        period_end=_date((period or {}).get("end"), f"{where} period") if certified else None,
        auth_number=(number or overall_number) if certified else None,
    ), reason_words


def _review_action(adjudications: list[dict], where: str) -> tuple[str, str | None, list[str], list[str]]:
    """(X12 306 code, item review number, reason codes, reason words) from the item's reviewAction."""
    for adjudication in adjudications:
        for extension in adjudication.get("extension") or []:
            if extension.get("url") != REVIEW_ACTION:
                continue
            code, number, reasons, words = None, None, [], []
            for part in extension.get("extension") or []:
                url = part.get("url")
                if url in (REVIEW_ACTION_CODE, "code"):
                    code = next(iter(_codes(part.get("valueCodeableConcept"))), None)
                elif url == "number":
                    number = part.get("valueString")
                elif url == "reasonCode":
                    concept = part.get("valueCodeableConcept") or {}
                    reasons += _codes(concept)
                    words += [c["display"] for c in concept.get("coding") or []
                              if isinstance(c, dict) and isinstance(c.get("display"), str)]
                    if isinstance(concept.get("text"), str):
                        words.append(concept["text"])
            if code is None:
                raise PermanentError(f"{where} has a review action without its code")
            if code not in KNOWN_ACTIONS:
                raise PermanentError(f"{where} has a review action code that is not an X12 306 code this "
                                     "system reads")
            return code, number, reasons, list(dict.fromkeys(words))
    raise PermanentError(f"{where} has no review action (adjudication.extension reviewAction)")


def _authorized_detail(item: dict) -> dict:
    """{code, units} from the item's itemAuthorizedDetail extension, when it gives them."""
    for extension in item.get("extension") or []:
        if extension.get("url") != ITEM_AUTHORIZED_DETAIL:
            continue
        found: dict = {}
        for part in extension.get("extension") or []:
            if part.get("url") == "productOrServiceCode":
                found["code"] = _product_code(part.get("valueCodeableConcept"))
            elif part.get("url") == "quantity":
                found["units"] = _units(part.get("valueQuantity"), "ClaimResponse.item itemAuthorizedDetail")
        return found
    return {}


def _product_code(concept: dict | None) -> str | None:
    """The CPT/HCPCS code of a productOrService (another code system names no CPT code)."""
    for coding in (concept or {}).get("coding") or []:
        if coding.get("system") in (CPT, HCPCS) and coding.get("code"):
            return str(coding["code"])
    return None


def _units(quantity: dict | None, where: str) -> int | None:
    if not quantity or quantity.get("value") is None:
        return None
    value = quantity["value"]
    if not isinstance(value, (int, float)) or value < 0 or value != int(value):
        raise PermanentError(f"{where}: the authorised quantity is not a whole number of units")
    return int(value)


def _extension_value(resource: dict, url: str) -> str | None:
    for extension in resource.get("extension") or []:
        if extension.get("url") == url and extension.get("valueString"):
            return str(extension["valueString"])
    return None


def _extension_period(resource: dict, url: str) -> dict | None:
    for extension in resource.get("extension") or []:
        if extension.get("url") == url and isinstance(extension.get("valuePeriod"), dict):
            return extension["valuePeriod"]
    return None


def _codes(concept: dict | None) -> list[str]:
    return [str(c["code"]) for c in (concept or {}).get("coding") or [] if isinstance(c, dict) and c.get("code")]


def _date(value: str | None, where: str) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(value[:10])
    except (TypeError, ValueError):
        raise PermanentError(f"{where} is not a date") from None


def _reason(claim_response: dict, read: list[tuple[ItemDecision, list[str]]]) -> str:
    """The payer's reasons in plain words: each item's action with its reason codes, then its notes."""
    parts = []
    for decision, words in read:
        text = f"item {decision.sequence}"
        if decision.cpt:
            text += f" ({decision.cpt})"
        text += f": {ACTION_WORDS.get(decision.review_action, decision.review_action)} [{decision.review_action}]"
        if decision.reason_codes:
            text += f", reason {', '.join(decision.reason_codes)}"
            if words:
                text += f" ({'; '.join(words)})"
        parts.append(text)
    text = "; ".join(parts) + "."
    disposition = claim_response.get("disposition")
    notes = [n["text"] for n in claim_response.get("processNote") or [] if isinstance(n.get("text"), str)]
    seen = {w for _, words in read for w in words}
    for line in ([disposition] if isinstance(disposition, str) else []) + notes:
        line = line.strip()
        if line and line not in seen:
            text += f" {line}" if line.endswith(".") else f" {line}."
    return text
