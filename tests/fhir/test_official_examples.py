"""The official FHIR R4 examples of the stored types, material nobody here wrote.

Every example that is valid R4 and whose references resolve among the examples loads, in one
transaction with the ids it has, and reads back identical: the same elements, the same
decimal digits (only meta.versionId and meta.lastUpdated are the server's). Every other
example is named below with the reason it is not loaded or is refused.
"""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path

import pytest
from pydantic import ValidationError

from pracops.fhir.validation import fhir_model
from pracops.records.registry import KINDS

pytestmark = pytest.mark.django_db

EXAMPLES = Path(__file__).resolve().parent.parent / "fixtures" / "hl7-r4-examples"

# Examples that refer to a resource of a stored type that is not among the examples (or that
# lives on another server), so they cannot be loaded as they are.
UNRESOLVABLE = {
    "Coverage/7546D": "Patient/5",
    "Coverage/7547E": "Patient/5",
    "Coverage/9876B1": "Patient/4",
    "Coverage/SP1234": "Patient/5",
    "Observation/656": "Patient/PatientId-patientId",
    "Observation/bgpanel": "Patient/infant",
    "Observation/bloodgroup": "Patient/infant",
    "Observation/bmi-using-related": "Observation/bodyheight",
    "Observation/example-diplotype1": "Patient/727127",
    "Observation/example-genetics-brcapat": "Patient/brcapat",
    "Observation/example-haplotype1": "Patient/727127",
    "Observation/example-haplotype2": "Patient/727127",
    "Observation/example-phenotype": "Patient/727127",
    "Observation/rhstatus": "Patient/infant",
    "Observation/secondsmoke": "Patient/infant",
    "Observation/trachcare": "Patient/infant",
    "Observation/vomiting": "Patient/infant",
    "Patient/infant-mom": "Practitioner/21B",
    "ServiceRequest/ambulation": "Practitioner/3ad0687e-f477-468c-afd5-fcc2bf897809",
    "ServiceRequest/colon-biopsy": "Practitioner/3ad0687e-f477-468c-afd5-fcc2bf897809",
    "ServiceRequest/colonoscopy": "Practitioner/3ad0687e-f477-468c-afd5-fcc2bf897809",
    "ServiceRequest/example-implant": "Practitioner/3ad0687e-f477-468c-afd5-fcc2bf897809",
    "ServiceRequest/example-pgx": "Patient/899962",
    "ServiceRequest/myringotomy": "https://fhir.orionhealth.com/blaze/fhir/Patient/77662",
    "ServiceRequest/vent": "Practitioner/3ad0687e-f477-468c-afd5-fcc2bf897809",
}

_NO_PATIENT = ("Every clinical record here belongs to a patient stored on this server (its "
               "foreign key is required); this example's subject is a Group, a display text or absent.")
_CONTAINED_PATIENT = ("Its subject is a contained Patient (#newborn): a clinical record belongs to a "
                      "patient stored on this server, so that it can be found, audited and authorized.")
# Examples the server refuses: example -> (HTTP status, words of the diagnostics, why).
REFUSED: dict[str, tuple[int, str, str]] = {
    # Deliberate: PracOps keeps clinical records of its own patients.
    "Observation/decimal": (422, "needs a reference to a Patient", _NO_PATIENT),
    "Observation/herd1": (422, "needs a reference to a Patient", _NO_PATIENT),
    "Observation/vp-oyster": (422, "needs a reference to a Patient", _NO_PATIENT),
    "Procedure/ob": (422, "needs a reference to a Patient", _NO_PATIENT),
    "ServiceRequest/appendectomy-narrative": (422, "needs a reference to a Patient", _NO_PATIENT),
    "ServiceRequest/education": (422, "needs a reference to a Patient", _NO_PATIENT),
    "ServiceRequest/ob": (422, "needs a reference to a Patient", _NO_PATIENT),
    "Observation/1minute-apgar-score": (422, "#newborn is not a Patient on this server", _CONTAINED_PATIENT),
    "Observation/2minute-apgar-score": (422, "#newborn is not a Patient on this server", _CONTAINED_PATIENT),
    "Observation/5minute-apgar-score": (422, "#newborn is not a Patient on this server", _CONTAINED_PATIENT),
    "Observation/10minute-apgar-score": (422, "#newborn is not a Patient on this server", _CONTAINED_PATIENT),
    "Observation/20minute-apgar-score": (422, "#newborn is not a Patient on this server", _CONTAINED_PATIENT),
}


def _keep_digits(text: str) -> tuple[str, str]:
    # A decimal's digits are its precision: 0.60 must not come back as 0.6.
    return ("decimal", text)


def _exact(text: str | bytes) -> dict:
    return json.loads(text, parse_float=_keep_digits)


@lru_cache(maxsize=None)
def examples() -> dict[str, str]:
    """"Type/id" -> the example's JSON text, as published."""
    found = {}
    for path in sorted(EXAMPLES.glob("*.json")):
        text = path.read_text(encoding="utf-8")
        resource = json.loads(text)
        found[f"{resource['resourceType']}/{resource['id']}"] = text
    return found


def references(node) -> set[str]:
    found = set()
    if isinstance(node, dict):
        if isinstance(node.get("reference"), str):
            found.add(node["reference"])
        for value in node.values():
            found |= references(value)
    elif isinstance(node, list):
        for value in node:
            found |= references(value)
    return found


def stored_type_references(key: str) -> set[str]:
    """The references of an example that name a stored type, here or on another server."""
    found = set()
    for reference in references(json.loads(examples()[key])):
        reference = reference.split("/_history/")[0]  # a version of the resource is the resource
        parts = reference.split("?")[0].split("/")
        if parts[0] in KINDS or (len(parts) > 2 and parts[-2] in KINDS):
            found.add(reference)
    return found


def not_loaded() -> dict[str, str]:
    """Every example that is not sent in the load, with why."""
    why = {key: f"refers to {target}, which is not among the examples" for key, target in UNRESOLVABLE.items()}
    why.update((key, reason) for key, (_, _, reason) in REFUSED.items())
    changed = True
    while changed:
        changed = False
        for key in examples():
            if key in why:
                continue
            blocked = sorted(stored_type_references(key) & why.keys())
            if blocked:
                why[key] = f"refers to {blocked[0]}, which is not loaded ({why[blocked[0]]})"
                changed = True
    return why


def in_dependency_order(keys: set[str]) -> list[str]:
    ordered: list[str] = []

    def visit(key: str, seen: frozenset[str]) -> None:
        if key in ordered or key in seen:
            return
        for target in sorted(stored_type_references(key) & keys):
            visit(target, seen | {key})
        ordered.append(key)

    for key in sorted(keys):
        visit(key, frozenset())
    return ordered


def transaction_text(keys: list[str]) -> str:
    """A transaction of PUTs (ids kept) built from the examples' own text, so no digit changes."""
    entries = [
        f'{{"fullUrl":"http://testserver/fhir/{key}","resource":{examples()[key]},'
        f'"request":{{"method":"PUT","url":"{key}"}}}}'
        for key in keys
    ]
    return f'{{"resourceType":"Bundle","type":"transaction","entry":[{",".join(entries)}]}}'


def without_server_meta(resource: dict) -> dict:
    resource = dict(resource)
    meta = {k: v for k, v in (resource.pop("meta", None) or {}).items() if k not in ("versionId", "lastUpdated")}
    if meta:
        resource["meta"] = meta
    return resource


def load_every_loadable_example(api) -> list[str]:
    loadable = set(examples()) - not_loaded().keys()
    keys = in_dependency_order(loadable)
    response = api.post("/fhir", transaction_text(keys))
    assert response.status_code == 200, [i["diagnostics"] for i in response.json().get("issue", [])]
    return keys


def test_every_vendored_example_is_valid_r4():
    invalid = {}
    for key, text in examples().items():
        try:
            fhir_model(key.split("/")[0]).model_validate(json.loads(text))
        except ValidationError as exc:
            invalid[key] = str(exc).splitlines()[0]

    assert invalid == {}


def test_the_unresolvable_examples_are_those_whose_references_leave_the_examples():
    found = {
        key: sorted(stored_type_references(key) - examples().keys())
        for key in examples()
    }
    found = {key: missing for key, missing in found.items() if missing}

    assert found.keys() == UNRESOLVABLE.keys()
    assert all(UNRESOLVABLE[key] in missing for key, missing in found.items())


def test_every_loadable_example_loads_and_reads_back_identical(api):
    keys = load_every_loadable_example(api)

    different = []
    for key in keys:
        response = api.get(f"/fhir/{key}")
        assert response.status_code == 200, key
        if without_server_meta(_exact(response.content)) != without_server_meta(_exact(examples()[key])):
            different.append(key)
    assert different == []
    # Of 176; the others are named above (or refer to one that is). A change in what loads shows here.
    assert len(keys) == 134


def test_each_refused_example_is_refused_for_its_reason(api):
    load_every_loadable_example(api)

    for key, (status, words, _) in REFUSED.items():
        response = api.post("/fhir", transaction_text([key]))

        assert response.status_code == status, key
        assert any(words in issue["diagnostics"] for issue in response.json()["issue"]), key
        assert api.get(f"/fhir/{key}").status_code == 404, key
