"""Reading Da Vinci PAS request and inquiry Bundles: what a payer's server checks before deciding.

Pure: plain dicts in, plain dataclasses out, ``PasRequestError`` (with FHIR issues) when the
Bundle is not a PAS request. The checks are the IG's (hl7.org/fhir/us/davinci-pas, STU 2):
a ``collection`` Bundle whose first entry is the Claim (``use`` = ``preauthorization``),
every resource valid R4, every reference resolvable inside the Bundle, and the Claim's
required elements present.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any, Iterator

from pracops.fhir.mapping import parse_fhir_date
from pracops.fhir.outcome import Issue
from pracops.fhir.validation import validation_issues

PAS = "http://hl7.org/fhir/us/davinci-pas/StructureDefinition"
REVIEW_ACTION = f"{PAS}/extension-reviewAction"
REVIEW_ACTION_CODE = f"{PAS}/extension-reviewActionCode"
ITEM_TRACE_NUMBER = f"{PAS}/extension-itemTraceNumber"
ITEM_PREAUTH_PERIOD = f"{PAS}/extension-itemPreAuthPeriod"
ITEM_PREAUTH_ISSUE_DATE = f"{PAS}/extension-itemPreAuthIssueDate"
ITEM_AUTHORIZED_DETAIL = f"{PAS}/extension-itemAuthorizedDetail"
X12_306 = "https://codesystem.x12.org/005010/306"  # Health Care Services review action
X12_HCR_REASON = "https://codesystem.x12.org/external/886"  # HCR reason codes
CPT = "http://www.ama-assn.org/go/cpt"
PAS_TOPIC = "http://hl7.org/fhir/us/davinci-pas/SubscriptionTopic/PASSubscriptionTopic"

# Elements the PAS Claim profile requires (1..) beyond what R4 itself requires.
_CLAIM_REQUIRED = ("identifier", "type", "patient", "created", "insurer", "provider", "insurance", "item")
# Claim.status's required binding (the R4 models check a code's form, not its value set).
_CLAIM_STATUSES = frozenset({"active", "cancelled", "draft", "entered-in-error"})
# What each of the Claim's references must be, so a Patient cannot stand in for the insurer.
_CLAIM_TARGETS = {
    "patient": ("Patient",),
    "insurer": ("Organization",),
    "provider": ("Organization", "Practitioner", "PractitionerRole"),
}


class PasRequestError(Exception):
    """The body is not a conformant PAS request; ``issues`` say what is wrong, where."""

    def __init__(self, issues: list[Issue]):
        self.issues = issues
        super().__init__("; ".join(issue.diagnostics for issue in issues))


@dataclass(frozen=True)
class RequestedItem:
    """One Claim.item: what is asked for, in the request's own codes."""

    sequence: int
    code: str
    system: str
    display: str
    units: int
    service_date: date | None
    trace_number: dict | None  # the itemTraceNumber Identifier, echoed in the response


@dataclass(frozen=True)
class PasRequest:
    """A checked PAS request (or inquiry) Bundle."""

    bundle: dict
    claim: dict
    identifier: dict  # Claim.identifier[0]: the submitter's trace number, the idempotency key
    member_id: str  # the subscriber's member id (Coverage.subscriberId, else the Patient's identifier)
    provider_identifiers: tuple[str, ...]  # the requesting provider's identifier values
    items: tuple[RequestedItem, ...]
    # The entries the response carries again (fullUrl + resource), by their Claim element.
    patient_entry: dict
    insurer_entry: dict
    provider_entry: dict

    @property
    def key(self) -> tuple[str, str]:
        return self.identifier.get("system", ""), self.identifier["value"]


def read_request(body: Any, *, inquiry: bool = False) -> PasRequest:
    """Check ``body`` as a PAS request Bundle (or an inquiry Bundle) and read what deciding needs.

    Raises ``PasRequestError`` listing every problem found (structure first: references are
    only followed in a Bundle whose resources are valid)."""
    what = "inquiry" if inquiry else "request"
    if not isinstance(body, dict) or body.get("resourceType") != "Bundle":
        found = body.get("resourceType") if isinstance(body, dict) else type(body).__name__
        raise PasRequestError([Issue(
            "structure", f"the body must be a PAS {what} Bundle (resourceType Bundle), not {found or 'nothing'}",
        )])
    issues: list[Issue] = []
    if body.get("type") != "collection":
        issues.append(Issue("value", f"Bundle.type must be 'collection' in a PAS {what} Bundle, not "
                                     f"{body.get('type')!r}", expression="Bundle.type"))
    entries = body.get("entry") or []
    if not entries:
        raise PasRequestError(issues + [Issue(
            "required", f"Bundle.entry: a PAS {what} Bundle holds the Claim as its first entry; this one "
                        "has no entries", expression="Bundle.entry")])
    issues += validation_issues(body)
    if issues:
        raise PasRequestError(issues)
    first = entries[0].get("resource") or {}
    if first.get("resourceType") != "Claim":
        raise PasRequestError([Issue(
            "structure", f"Bundle.entry[0]: the first entry of a PAS {what} Bundle must be the Claim, not "
                         f"{first.get('resourceType') or 'an empty entry'}", expression="Bundle.entry[0]")])
    claim = first
    issues += _entry_issues(entries)
    issues += _claim_issues(claim)
    index = _BundleIndex(entries)
    issues += _reference_issues(entries, index)
    if issues:
        raise PasRequestError(issues)
    claim_url = entries[0].get("fullUrl", "")
    patient_entry = index.resolve(claim["patient"]["reference"], claim_url)
    insurer_entry = index.resolve(claim["insurer"]["reference"], claim_url)
    provider_entry = index.resolve(claim["provider"]["reference"], claim_url)
    coverage_entries = [index.resolve(i["coverage"]["reference"], claim_url) for i in claim["insurance"]]
    return PasRequest(
        bundle=body,
        claim=claim,
        identifier=claim["identifier"][0],
        member_id=_member_id(coverage_entries, patient_entry["resource"]),
        provider_identifiers=tuple(i["value"] for i in provider_entry["resource"].get("identifier", [])
                                   if i.get("value")),
        items=tuple(_item(item) for item in claim["item"]),
        patient_entry=patient_entry,
        insurer_entry=insurer_entry,
        provider_entry=provider_entry,
    )


def _entry_issues(entries: list[dict]) -> list[Issue]:
    issues = []
    seen: set[str] = set()
    for n, entry in enumerate(entries):
        where = f"Bundle.entry[{n}]"
        if "resource" not in entry:
            issues.append(Issue("required", f"{where}: every entry of a PAS Bundle carries a resource",
                                expression=where))
        full_url = entry.get("fullUrl")
        if not full_url:
            issues.append(Issue("required", f"{where}.fullUrl is required: references resolve by it",
                                expression=f"{where}.fullUrl"))
        elif full_url in seen:
            issues.append(Issue("structure", f"{where}.fullUrl: {full_url} is in the Bundle twice; "
                                             "a PAS Bundle carries each resource once",
                                expression=f"{where}.fullUrl"))
        else:
            seen.add(full_url)
    return issues


def _claim_issues(claim: dict) -> list[Issue]:
    issues = []
    if claim.get("status") not in _CLAIM_STATUSES:
        issues.append(Issue("code-invalid", f"Claim.status: {claim.get('status')!r} is not one of "
                                            f"{', '.join(sorted(_CLAIM_STATUSES))}", expression="Claim.status"))
    if claim.get("use") != "preauthorization":
        issues.append(Issue("value", f"Claim.use must be 'preauthorization' in a PAS request, not "
                                     f"{claim.get('use')!r}", expression="Claim.use"))
    for element in _CLAIM_REQUIRED:
        if not claim.get(element):
            issues.append(Issue("required", f"Claim.{element} is required by the PAS Claim profile",
                                expression=f"Claim.{element}"))
    identifiers = claim.get("identifier") or []
    if identifiers and not identifiers[0].get("value"):
        issues.append(Issue("required", "Claim.identifier[0].value is required: it identifies the request",
                            expression="Claim.identifier[0].value"))
    for element in ("patient", "insurer", "provider"):
        if claim.get(element) and not claim[element].get("reference"):
            issues.append(Issue("required", f"Claim.{element} must be a reference to a resource in the Bundle",
                                expression=f"Claim.{element}.reference"))
    for n, insurance in enumerate(claim.get("insurance") or []):
        if not (insurance.get("coverage") or {}).get("reference"):
            issues.append(Issue("required", f"Claim.insurance[{n}].coverage must reference a Coverage in the "
                                            "Bundle", expression=f"Claim.insurance[{n}].coverage"))
    for n, item in enumerate(claim.get("item") or []):
        codings = [c for c in (item.get("productOrService") or {}).get("coding", []) if c.get("code")]
        if not codings:
            issues.append(Issue("required", f"Claim.item[{n}].productOrService needs a coded service "
                                            "(a coding with a code)",
                                expression=f"Claim.item[{n}].productOrService"))
    return issues


class _BundleIndex:
    """Resolves references the way FHIR resolves them inside a Bundle (R4 bundle.html#references)."""

    def __init__(self, entries: list[dict]):
        self.by_url = {e["fullUrl"]: e for e in entries if e.get("fullUrl") and e.get("resource")}
        self.by_type_id = {
            f"{e['resource'].get('resourceType')}/{e['resource'].get('id')}": e
            for e in entries if e.get("resource") and e["resource"].get("id")
        }

    def resolve(self, reference: str, from_url: str) -> dict | None:
        if reference in self.by_url:
            return self.by_url[reference]
        if "://" in reference or reference.startswith("urn:"):
            return None
        # A relative reference resolves against the base of the referring entry's fullUrl
        # when that is a RESTful URL; otherwise against any entry of that type and id.
        base = _rest_base(from_url)
        if base and f"{base}/{reference}" in self.by_url:
            return self.by_url[f"{base}/{reference}"]
        entry = self.by_type_id.get(reference.split("/_history/")[0])
        if entry is not None and base and entry.get("fullUrl", "").startswith(("http://", "https://")):
            # An entry of the same type and id on another server is another resource.
            return entry if _rest_base(entry["fullUrl"]) == base else None
        return entry


def _rest_base(full_url: str) -> str | None:
    if not full_url.startswith(("http://", "https://")):
        return None
    parts = full_url.rstrip("/").split("/")
    return "/".join(parts[:-2]) if len(parts) > 4 else None


def _reference_issues(entries: list[dict], index: _BundleIndex) -> list[Issue]:
    issues = []
    for n, entry in enumerate(entries):
        resource = entry.get("resource") or {}
        contained = {f"#{c.get('id')}" for c in resource.get("contained", [])}
        for path, reference in _references(resource, resource.get("resourceType", "")):
            if reference.startswith("#"):
                if reference not in contained and reference != "#":
                    issues.append(Issue("not-found", f"Bundle.entry[{n}] {path}: the contained resource "
                                                     f"{reference} is missing", expression=path))
                continue
            target = index.resolve(reference, entry.get("fullUrl", ""))
            if target is None:
                issues.append(Issue(
                    "not-found",
                    f"Bundle.entry[{n}] {path}: {reference} is not in the Bundle; a PAS Bundle carries every "
                    "resource it references", expression=path))
            elif resource.get("resourceType") == "Claim":
                issues += _target_issues(path, target["resource"])
    return issues


def _target_issues(path: str, target: dict) -> list[Issue]:
    element = path.removeprefix("Claim.").split(".")[0].split("[")[0]
    if element == "insurance" and path.endswith(".coverage"):
        allowed: tuple[str, ...] = ("Coverage",)
    else:
        allowed = _CLAIM_TARGETS.get(element, ())
    if allowed and target.get("resourceType") not in allowed:
        return [Issue("structure", f"{path} must reference a {' or '.join(allowed)}, not a "
                                   f"{target.get('resourceType')}", expression=path)]
    return []


def _references(value: Any, path: str) -> Iterator[tuple[str, str]]:
    if isinstance(value, dict):
        for key, item in value.items():
            if key == "reference" and isinstance(item, str):
                yield path, item
            elif key != "contained":
                yield from _references(item, f"{path}.{key}")
    elif isinstance(value, list):
        for n, item in enumerate(value):
            yield from _references(item, f"{path}[{n}]")


def _member_id(coverage_entries: list[dict], patient: dict) -> str:
    for entry in coverage_entries:
        coverage = entry["resource"]
        if coverage.get("subscriberId"):
            return coverage["subscriberId"]
    for entry in coverage_entries:
        for identifier in entry["resource"].get("identifier", []):
            if identifier.get("value"):
                return identifier["value"]
    for identifier in patient.get("identifier", []):
        codes = {c.get("code") for c in (identifier.get("type") or {}).get("coding", [])}
        if "MB" in codes and identifier.get("value"):
            return identifier["value"]
    return next((i["value"] for i in patient.get("identifier", []) if i.get("value")), "")


def _item(item: dict) -> RequestedItem:
    codings = [c for c in item["productOrService"]["coding"] if c.get("code")]
    chosen = next((c for c in codings if c.get("system") == CPT), codings[0])
    quantity = (item.get("quantity") or {}).get("value")
    served = item.get("servicedDate") or (item.get("servicedPeriod") or {}).get("start")
    trace = next((e.get("valueIdentifier") for e in item.get("extension", []) if e.get("url") == ITEM_TRACE_NUMBER),
                 None)
    return RequestedItem(
        sequence=int(item["sequence"]),
        code=chosen["code"],
        system=chosen.get("system", ""),
        display=chosen.get("display", ""),
        units=max(int(quantity), 1) if quantity is not None else 1,
        service_date=parse_fhir_date(served[:10]) if served else None,
        trace_number=trace,
    )
