"""The Da Vinci PAS request and inquiry Bundles for a SubmissionRequest (pure: dicts in, dicts out).

Per the PAS IG 2.x (hl7.org/fhir/us/davinci-pas, "Prior Authorization Submission"): a
``collection`` Bundle with an identifier and a timestamp; the Claim (``use`` =
preauthorization) first; then every resource the Claim references, and every resource those
reference, each exactly once, each with a fullUrl. Resources go as PracOps serves them, less
the server's bookkeeping (meta.versionId, lastUpdated, source). Their fullUrls are
``urn:uuid:`` names derived from the resource's type and id, so the same record has the same
fullUrl in every Bundle (the IG allows this and only this reuse), and references between them
are rewritten to those names. A reference to a record that is not sent (an Encounter, say) is
left out rather than left dangling, which a payer would reject.

PAS constrains some elements beyond R4, and this module follows it: Claim.provider is the
requesting Organization (or a PractitionerRole when there is none), care team members are
PractitionerRoles, each item carries its X12 request type and certification type, a
category and a place of service, and the packet travels as a DocumentReference with its
PDF inline, pointed at by a supportingInfo of category ``additionalInformation``.
"""

from __future__ import annotations

import base64
import copy
import re
import uuid
from collections.abc import Callable, Iterator
from datetime import datetime

from priorauth.payers.base import RequestedItem, SubmissionRequest

PAS = "http://hl7.org/fhir/us/davinci-pas"
SD = f"{PAS}/StructureDefinition"
PAS_TEMP_CODES = f"{PAS}/CodeSystem/PASTempCodes"
X12 = "https://codesystem.x12.org/005010"
CPT = "http://www.ama-assn.org/go/cpt"
ICD10CM = "http://hl7.org/fhir/sid/icd-10-cm"
LOINC = "http://loinc.org"
PLACE_OF_SERVICE = "https://www.cms.gov/Medicare/Coding/place-of-service-codes/Place_of_Service_Code_Set"
# PracOps' own identifier system for prior authorization requests (Claim.identifier, Bundle.identifier).
REQUEST_SYSTEM = "https://pracops.org/fhir/sid/prior-authorization-request"
INQUIRY_SYSTEM = "https://pracops.org/fhir/sid/prior-authorization-inquiry"

# X12 codes the request needs (code lists 1338, 1525, 1322, 1365, 98, 755, 756).
LEVEL_OF_SERVICE = {"expedited": ("U", "Urgent"), "standard": ("E", "Elective")}
REQUEST_TYPE = ("HS", "Health Services Review")
CERTIFICATION_TYPE = ("I", "Initial")
SERVICE_CATEGORY = ("2", "Surgical")  # interventional spine procedures are CPT surgery codes
ORDERING_PHYSICIAN = ("DK", "Ordering Physician")
SERVICE_PROVIDER = ("SJ", "Service Provider")
PHYSICIANS_REPORT = ("PY", "Physician's Report")
ELECTRONICALLY = ("EL", "Electronically Only")
# Where interventional pain procedures are done when the order does not say: the office.
DEFAULT_PLACE_OF_SERVICE = "11"

_FHIR_ID = re.compile(r"[A-Za-z0-9\-.]{1,64}")
# Names derived from the request id and a record's type and id (uuid5 in this namespace).
_NAMESPACE = uuid.UUID("8c5f4f0e-3f0a-4f5e-9a55-6d1f0f6b2a17")
_SERVER_META = ("versionId", "lastUpdated", "source")


class IncompleteRequest(ValueError):
    """The request lacks something every PAS request must carry; the message names what (no values)."""


def request_bundle(request: SubmissionRequest, *, place_of_service: str = DEFAULT_PLACE_OF_SERVICE) -> dict:
    """The PAS request Bundle for ``request`` (POSTed to Claim/$submit)."""
    builder = _Builder(request)
    claim = builder.claim(place_of_service=place_of_service, inquiry=False)
    return builder.bundle(claim, identifier={"system": REQUEST_SYSTEM, "value": request.request_id},
                          profile=f"{SD}/profile-pas-request-bundle", timestamp=request.created)


def inquiry_bundle(request: SubmissionRequest, *, payer_reference: str, at: datetime,
                   place_of_service: str = DEFAULT_PLACE_OF_SERVICE) -> dict:
    """The PAS inquiry Bundle asking where ``request`` stands (POSTed to Claim/$inquire).

    A query by example: the request's own Claim identifier, patient, payer, provider and items,
    with the payer's tracking id as the administration reference number (X12 REF-NT). The
    Bundle's identifier names this inquiry (one per ``at``).
    """
    builder = _Builder(request)
    claim = builder.claim(place_of_service=place_of_service, inquiry=True)
    if payer_reference:
        claim.setdefault("extension", []).append(
            {"url": f"{SD}/extension-administrationReferenceNumber", "valueString": payer_reference})
    inquiry_id = str(uuid.uuid5(_NAMESPACE, f"inquiry/{request.request_id}/{at.isoformat()}"))
    return builder.bundle(claim, identifier={"system": INQUIRY_SYSTEM, "value": inquiry_id},
                          profile=f"{SD}/profile-pas-inquiry-request-bundle", timestamp=at)


def full_url(resource_type: str, resource_id: str) -> str:
    """The fullUrl a record gets in every PAS Bundle PracOps sends."""
    return f"urn:uuid:{uuid.uuid5(_NAMESPACE, f'{resource_type}/{resource_id}')}"


class _Builder:
    def __init__(self, request: SubmissionRequest) -> None:
        self.request = request
        # Every record the Bundle may carry, by "Type/id": what references can resolve to.
        self.known: dict[str, dict] = {}
        for resource in (request.patient, request.coverage, request.payer, request.requester,
                         request.performer, request.facility, request.service_request, *request.conditions):
            if resource:
                self._know(resource)
        self.care_team: list[dict] = []

    def _know(self, resource: dict) -> str:
        key = _key(resource)
        if key is None:
            raise IncompleteRequest(f"a {resource.get('resourceType') or 'resource'} without a type and id "
                                    "cannot be referenced")
        self.known.setdefault(key, resource)
        return key

    # --- the Claim ---------------------------------------------------------------------

    def claim(self, *, place_of_service: str, inquiry: bool) -> dict:
        request = self.request
        patient_key = self._require(request.patient, "patient")
        coverage_key = self._require(request.coverage, "coverage")
        payer_key = self._require(request.payer, "payer")
        service_request_key = self._require(request.service_request, "service request")
        provider_key = self._provider()
        diagnoses = self._diagnoses()
        level, level_display = LEVEL_OF_SERVICE[request.urgency]
        claim_id = request.request_id if _FHIR_ID.fullmatch(request.request_id) else str(
            uuid.uuid5(_NAMESPACE, f"claim/{request.request_id}"))
        claim: dict = {
            "resourceType": "Claim",
            "id": claim_id,
            "meta": {"profile": [f"{SD}/profile-claim-inquiry" if inquiry else f"{SD}/profile-claim"]},
            "extension": [{"url": f"{SD}/extension-levelOfServiceCode",
                           "valueCodeableConcept": _concept(f"{X12}/1338", level, level_display)}],
            "identifier": [{"system": REQUEST_SYSTEM, "value": request.request_id}],
            "status": "active",
            "type": _concept("http://terminology.hl7.org/CodeSystem/claim-type", "professional", "Professional"),
            "use": "preauthorization",
            "patient": _ref(patient_key),
            "created": request.created.isoformat(),
            "insurer": _ref(payer_key),
            "provider": _ref(provider_key),
            # Base R4 binds priority to process-priority: stat for expedited review, normal otherwise.
            "priority": _concept("http://terminology.hl7.org/CodeSystem/processpriority",
                                 "stat" if request.urgency == "expedited" else "normal"),
        }
        care_team = self._care_team()
        if care_team:
            claim["careTeam"] = care_team
        claim["diagnosis"] = [
            {"sequence": n, "diagnosisCodeableConcept": _concept(ICD10CM, code)}
            for n, code in enumerate(diagnoses, start=1)
        ]
        claim["insurance"] = [{"sequence": 1, "focal": True, "coverage": _ref(coverage_key)}]
        claim["item"] = [self._item(item, service_request_key, len(diagnoses), place_of_service)
                         for item in request.items]
        packet_key = None if inquiry else self._packet()
        if packet_key:
            claim["supportingInfo"] = [{
                "extension": [{"url": f"{SD}/extension-documentInformation", "extension": [
                    {"url": "reportTypeCode", "valueCodeableConcept": _concept(f"{X12}/755", *PHYSICIANS_REPORT)},
                    {"url": "transmissionMethod", "valueCodeableConcept": _concept(f"{X12}/756", *ELECTRONICALLY)},
                    {"url": "description", "valueString": "Prior authorization packet: request form, criteria "
                                                          "checklist with evidence, letter of medical necessity, "
                                                          "note excerpts"},
                ]}],
                "sequence": 1,
                "category": _concept(PAS_TEMP_CODES, "additionalInformation", "Additional Information"),
                "valueReference": _ref(packet_key),
            }]
        return claim

    def _require(self, resource: dict | None, what: str) -> str:
        if not resource:
            raise IncompleteRequest(f"a PAS request needs the {what}")
        return self._know(resource)

    def _provider(self) -> str:
        """Claim.provider: the requesting organization (PAS: an Organization or a PractitionerRole)."""
        facility, requester = self.request.facility, self.request.requester
        if facility and facility.get("resourceType") == "Organization":
            return self._know(facility)
        if requester and requester.get("resourceType") in ("Organization", "PractitionerRole"):
            return self._know(requester)
        if requester and requester.get("resourceType") == "Practitioner":
            return self._role_for(requester)
        raise IncompleteRequest("a PAS request needs the requesting provider or organization")

    def _care_team(self) -> list[dict]:
        """The ordering and rendering providers, for the whole request (PAS: as PractitionerRoles)."""
        members, seen = [], set()
        for resource, (code, display) in ((self.request.requester, ORDERING_PHYSICIAN),
                                          (self.request.performer, SERVICE_PROVIDER)):
            if not resource or resource.get("resourceType") not in ("Practitioner", "PractitionerRole"):
                continue
            key = self._role_for(resource) if resource["resourceType"] == "Practitioner" else self._know(resource)
            if (key, code) in seen:
                continue
            seen.add((key, code))
            members.append({
                "extension": [{"url": f"{SD}/extension-careTeamClaimScope", "valueBoolean": True}],
                "sequence": len(members) + 1,
                "provider": _ref(key),
                "role": _concept(f"{X12}/98", code, display),
            })
        return members

    def _role_for(self, practitioner: dict) -> str:
        """One PractitionerRole per practitioner: the practitioner at the requesting organization."""
        practitioner_key = self._know(practitioner)
        role_id = str(uuid.uuid5(_NAMESPACE, f"role/{practitioner_key}"))
        role: dict = {"resourceType": "PractitionerRole", "id": role_id, "active": True,
                      "practitioner": _ref(practitioner_key)}
        facility = self.request.facility
        if facility and facility.get("resourceType") == "Organization":
            role["organization"] = _ref(self._know(facility))
        return self._know(role)

    def _diagnoses(self) -> list[str]:
        codes = [code.strip() for code in self.request.diagnoses if code and code.strip()]
        if not codes:  # fall back on the conditions' own ICD-10-CM codes
            codes = [coding["code"] for condition in self.request.conditions
                     for coding in (condition.get("code") or {}).get("coding") or []
                     if coding.get("system") == ICD10CM and coding.get("code")]
        if not codes:
            raise IncompleteRequest("a PAS request needs at least one ICD-10-CM diagnosis code")
        return list(dict.fromkeys(codes))

    def _item(self, item: RequestedItem, service_request_key: str, diagnoses: int, place_of_service: str) -> dict:
        if item.units < 1:
            raise IncompleteRequest(f"item {item.sequence} asks for {item.units} units")
        entry: dict = {
            "extension": [
                {"url": f"{SD}/extension-serviceItemRequestType",
                 "valueCodeableConcept": _concept(f"{X12}/1525", *REQUEST_TYPE)},
                {"url": f"{SD}/extension-certificationType",
                 "valueCodeableConcept": _concept(f"{X12}/1322", *CERTIFICATION_TYPE)},
                {"url": f"{SD}/extension-requestedService", "valueReference": _ref(service_request_key)},
            ],
            "sequence": item.sequence,
            "diagnosisSequence": list(range(1, diagnoses + 1)),
            "category": _concept(f"{X12}/1365", *SERVICE_CATEGORY),
            "productOrService": _concept(CPT, item.cpt),
        }
        if item.service_date:
            entry["servicedDate"] = item.service_date.isoformat()
        entry["locationCodeableConcept"] = _concept(PLACE_OF_SERVICE, place_of_service)
        entry["quantity"] = {"value": item.units}
        return entry

    def _packet(self) -> str | None:
        """The packet as a DocumentReference with the PDF inline (PAS: data, never a URL)."""
        request = self.request
        if not request.packet_pdf:
            return None
        document = {
            "resourceType": "DocumentReference",
            "id": str(uuid.uuid5(_NAMESPACE, f"packet/{request.request_id}")),
            "status": "current",
            "type": _concept(LOINC, "34133-9", "Summary of episode note"),
            "category": [_concept("http://hl7.org/fhir/us/core/CodeSystem/us-core-documentreference-category",
                                  "clinical-note", "Clinical Note")],
            "subject": _ref(_key(request.patient) or ""),
            "date": request.created.isoformat(),
            "description": "Prior authorization packet",
            "content": [{"attachment": {
                "contentType": "application/pdf",
                "data": base64.b64encode(request.packet_pdf).decode("ascii"),
                "title": request.packet_title or "Prior authorization packet",
                "creation": request.created.isoformat(),
            }}],
        }
        return self._know(document)

    # --- the Bundle --------------------------------------------------------------------

    def bundle(self, claim: dict, *, identifier: dict, profile: str, timestamp: datetime) -> dict:
        claim_key = f"Claim/{claim['id']}"
        self.known[claim_key] = claim
        order = self._reachable(claim_key)
        entries = []
        for key in order:
            resource = _sendable(self.known[key]) if key != claim_key else claim
            resource = _rewrite_references(resource, self._resolve)
            entries.append({"fullUrl": full_url(*key.split("/", 1)), "resource": resource})
        return {
            "resourceType": "Bundle",
            "meta": {"profile": [profile]},
            "identifier": identifier,
            "type": "collection",
            "timestamp": timestamp.isoformat(),
            "entry": entries,
        }

    def _reachable(self, start: str) -> list[str]:
        """Every known record reachable from ``start`` by references, each once, in discovery order."""
        order, queue, seen = [], [start], {start}
        while queue:
            key = queue.pop(0)
            order.append(key)
            for reference in _references(self.known[key]):
                target = self._lookup(reference)
                if target and target not in seen:
                    seen.add(target)
                    queue.append(target)
        return order

    def _lookup(self, reference: str) -> str | None:
        if reference.startswith("urn:uuid:"):
            return next((k for k in self.known if full_url(*k.split("/", 1)) == reference), None)
        parts = reference.split("/_history/")[0].rstrip("/").split("/")
        key = "/".join(parts[-2:]) if len(parts) >= 2 else None
        return key if key in self.known else None

    def _resolve(self, reference: str) -> str | None:
        """A reference as the Bundle writes it: the target's fullUrl, or None (leave it out)."""
        if reference.startswith("#"):
            return reference  # a contained resource travels inside its container
        key = self._lookup(reference)
        return full_url(*key.split("/", 1)) if key else None


def _key(resource: dict | None) -> str | None:
    if not resource or not resource.get("resourceType") or not resource.get("id"):
        return None
    return f"{resource['resourceType']}/{resource['id']}"


def _ref(key: str) -> dict:
    return {"reference": key}


def _concept(system: str, code: str, display: str | None = None) -> dict:
    coding = {"system": system, "code": code}
    if display:
        coding["display"] = display
    return {"coding": [coding]}


def _sendable(resource: dict) -> dict:
    """A copy without the server's bookkeeping."""
    resource = copy.deepcopy(resource)
    meta = resource.get("meta")
    if isinstance(meta, dict):
        for key in _SERVER_META:
            meta.pop(key, None)
        if not meta:
            del resource["meta"]
    return resource


def _references(node: object) -> Iterator[str]:
    if isinstance(node, dict):
        if isinstance(node.get("reference"), str):
            yield node["reference"]
        for key, value in node.items():
            if key != "contained":
                yield from _references(value)
    elif isinstance(node, list):
        for value in node:
            yield from _references(value)


_DROP = object()


def _rewrite_references(node: object, resolve: Callable[[str], str | None]) -> object:
    """A copy of ``node`` with each reference rewritten by ``resolve``; unresolvable ones left out."""
    if isinstance(node, dict):
        if isinstance(node.get("reference"), str):
            target = resolve(node["reference"])
            if target is None:
                return _DROP
            node = {**node, "reference": target}
        out = {}
        for key, value in node.items():
            if key == "contained":
                out[key] = value
                continue
            new = _rewrite_references(value, resolve)
            if new is not _DROP and new != []:
                out[key] = new
        return out
    if isinstance(node, list):
        return [new for new in (_rewrite_references(v, resolve) for v in node) if new is not _DROP]
    return node
