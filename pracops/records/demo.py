"""Demo data for the embedded default: a small interventional pain practice.

Built as a FHIR transaction Bundle and imported the way an EHR's feed is, so loading it
again changes nothing. Every name, number and note here is invented.
"""

from __future__ import annotations

import base64
import uuid

from pracops.fhir.mapping import CPT, ICD10CM, LOINC, NPI, SNOMED, V2_0203

NS = uuid.UUID("5b0c7c44-8a0e-4d8e-9a53-0f2f7f0a6d11")
MRN_SYSTEM = "urn:oid:2.16.840.1.113883.3.7418.1"
PAYER_ID_SYSTEM = "urn:oid:2.16.840.1.113883.3.7418.2"


def _id(*parts: str) -> str:
    return str(uuid.uuid5(NS, "/".join(parts)))


def demo_fhir_id(*parts: str) -> str:
    """The id this bundle gives a resource (e.g. ``demo_fhir_id("patient", "p2")``): how the other
    apps' demo steps refer to the demo practice's records."""
    return _id(*parts)


def _entry(resource: dict) -> dict:
    return {"fullUrl": f"urn:uuid:{resource['id']}", "resource": resource,
            "request": {"method": "POST", "url": resource["resourceType"]}}


def _ref(resource: dict) -> dict:
    return {"reference": f"urn:uuid:{resource['id']}"}


def _organization(key: str, name: str, kind: str, identifier: dict) -> dict:
    return {
        "resourceType": "Organization", "id": _id("org", key), "identifier": [identifier], "active": True,
        "type": [{"coding": [{"system": "http://terminology.hl7.org/CodeSystem/organization-type", "code": kind}]}],
        "name": name,
    }


def _practitioner(key: str, family: str, given: str, npi: str) -> dict:
    return {
        "resourceType": "Practitioner", "id": _id("practitioner", key), "active": True,
        "identifier": [{"system": NPI, "value": npi}],
        "name": [{"family": family, "given": [given], "prefix": ["Dr."]}],
    }


PATIENTS = [
    # key, family, given, birth date, gender, payer, member id, plan, condition (ICD-10-CM), order
    ("p1", "Alvarez", "Maria", "1961-04-12", "female", "acme", "AHP123456789", "PPO Gold", "GRP-1001",
     ("M54.16", "Radiculopathy, lumbar region"),
     ("64483", "Transforaminal epidural steroid injection, lumbar/sacral, single level", "Left L4-L5", "7771000"),
     "Low back pain radiating to the left leg for 8 months. Tried ibuprofen and 6 weeks of physical "
     "therapy without relief. MRI lumbar spine: L4-L5 disc protrusion contacting the left L5 nerve root. "
     "NRS 7/10 today. ODI 46%. Plan: left L4-L5 transforaminal epidural steroid injection.", 7),
    ("p2", "Chen", "Robert", "1955-09-30", "male", "medicare", "1EG4TE5MK72", "Part B", "",
     ("M47.816", "Spondylosis without myelopathy or radiculopathy, lumbar region"),
     ("64493", "Medial branch block, lumbar, single level", "Bilateral L4-L5", "51440002"),
     "Axial low back pain for 2 years, worse with extension. Failed 12 weeks of home exercise and "
     "meloxicam. No radicular symptoms. NRS 6/10. Plan: bilateral L4-L5 medial branch blocks.", 6),
    ("p3", "Okafor", "Grace", "1970-01-22", "female", "acme", "AHP987654321", "HMO Silver", "GRP-2002",
     ("M46.1", "Sacroiliitis, not elsewhere classified"),
     ("27096", "Injection procedure for sacroiliac joint, anesthetic/steroid", "Right sacroiliac joint", "24028007"),
     "Right buttock pain for 5 months. 4 of 5 SI provocative tests positive. Physical therapy for "
     "8 weeks with partial relief. NRS 8/10. Plan: right SI joint injection under fluoroscopy.", 8),
    ("p4", "Novak", "Peter", "1966-07-08", "male", "medicare", "2FH5UF6NL83", "Part B", "",
     ("M96.1", "Postlaminectomy syndrome, not elsewhere classified"),
     ("63650", "Percutaneous implantation of neurostimulator electrode array, epidural", "T8-T10", ""),
     "Persistent leg and back pain after L4-S1 fusion in 2021. Failed medications, PT and two "
     "epidural injections. Psychological evaluation completed, cleared for spinal cord stimulator "
     "trial. NRS 7/10, ODI 52%.", 7),
]


# Home addresses (a claim's box 5 and loop 2010BA need one).
ADDRESSES = {
    "p1": ("418 Cottonwood Street", "Tempe", "AZ", "85281"),
    "p2": ("2207 East Mesquite Drive", "Phoenix", "AZ", "85016"),
    "p3": ("95 Palo Verde Court", "Mesa", "AZ", "85201"),
    "p4": ("1630 West Ocotillo Road", "Phoenix", "AZ", "85015"),
}


def demo_bundle() -> dict:
    practice = _organization("practice", "Riverside Interventional Pain", "prov",
                             {"system": NPI, "value": "1245319599"})
    payers = {
        "acme": _organization("acme", "Acme Health Plan", "pay", {"system": PAYER_ID_SYSTEM, "value": "ACME01"}),
        "medicare": _organization("medicare", "Medicare Part B (Jurisdiction J)", "pay",
                                  {"system": PAYER_ID_SYSTEM, "value": "MCRJ15"}),
    }
    doctor = _practitioner("patel", "Patel", "Anika", "1234567893")
    resources = [practice, *payers.values(), doctor]
    for number, (key, family, given, born, gender, payer, member, plan, group, (icd, icd_text),
                 (cpt, cpt_text, site, laterality), note, nrs) in enumerate(PATIENTS, start=1000):
        patient = {
            "resourceType": "Patient", "id": _id("patient", key),
            "identifier": [{"type": {"coding": [{"system": V2_0203, "code": "MR"}]},
                            "system": MRN_SYSTEM, "value": f"RIP-{number}"}],
            "name": [{"use": "official", "family": family, "given": [given]}],
            "gender": gender, "birthDate": born,
            "address": [{"use": "home", "line": [ADDRESSES[key][0]], "city": ADDRESSES[key][1],
                         "state": ADDRESSES[key][2], "postalCode": ADDRESSES[key][3]}],
        }
        coverage = {
            "resourceType": "Coverage", "id": _id("coverage", key), "status": "active",
            "subscriberId": member, "beneficiary": _ref(patient), "payor": [_ref(payers[payer])],
            "class": [c for c in (
                {"type": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/coverage-class",
                                      "code": "plan"}]}, "value": plan},
                {"type": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/coverage-class",
                                      "code": "group"}]}, "value": group} if group else None,
            ) if c],
            "period": {"start": "2026-01-01", "end": "2026-12-31"},
        }
        encounter = {
            "resourceType": "Encounter", "id": _id("encounter", key), "status": "finished",
            "class": {"system": "http://terminology.hl7.org/CodeSystem/v3-ActCode", "code": "AMB"},
            "type": [{"text": "New patient pain consultation"}],
            "subject": _ref(patient),
            "participant": [{"individual": _ref(doctor)}],
            "period": {"start": "2026-11-02T09:00:00-05:00", "end": "2026-11-02T09:45:00-05:00"},
            "serviceProvider": _ref(practice),
        }
        condition = {
            "resourceType": "Condition", "id": _id("condition", key),
            "clinicalStatus": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/condition-clinical",
                                           "code": "active"}]},
            "code": {"coding": [{"system": ICD10CM, "code": icd, "display": icd_text}]},
            "subject": _ref(patient), "encounter": _ref(encounter), "recordedDate": "2026-11-02",
        }
        body_site = {"text": site}
        if laterality:
            body_site["coding"] = [{"system": SNOMED, "code": laterality}]
        order = {
            "resourceType": "ServiceRequest", "id": _id("order", key), "status": "active", "intent": "order",
            "code": {"coding": [{"system": CPT, "code": cpt, "display": cpt_text}]},
            "bodySite": [body_site], "subject": _ref(patient), "encounter": _ref(encounter),
            "requester": _ref(doctor), "authoredOn": "2026-11-02",
            "reasonCode": [{"coding": [{"system": ICD10CM, "code": icd}]}],
            "insurance": [_ref(coverage)],
        }
        pain = {
            "resourceType": "Observation", "id": _id("pain", key), "status": "final",
            "category": [{"coding": [{"system": "http://terminology.hl7.org/CodeSystem/observation-category",
                                      "code": "survey"}]}],
            "code": {"coding": [{"system": LOINC, "code": "72514-3",
                                 "display": "Pain severity - 0-10 verbal numeric rating [Score] - Reported"}]},
            "subject": _ref(patient), "encounter": _ref(encounter),
            "effectiveDateTime": "2026-11-02T09:05:00-05:00",
            "valueQuantity": {"value": nrs, "unit": "{score}", "system": "http://unitsofmeasure.org", "code": "{score}"},
        }
        document = {
            "resourceType": "DocumentReference", "id": _id("note", key), "status": "current",
            "type": {"coding": [{"system": LOINC, "code": "11488-4", "display": "Consult note"}]},
            "subject": _ref(patient), "date": "2026-11-02T10:00:00-05:00", "author": [_ref(doctor)],
            "content": [{"attachment": {"contentType": "text/plain; charset=utf-8",
                                        "data": base64.b64encode(note.encode()).decode()}}],
            "context": {"encounter": [_ref(encounter)]},
        }
        resources += [patient, coverage, encounter, condition, order, pain, document]
    return {"resourceType": "Bundle", "type": "transaction", "entry": [_entry(r) for r in resources]}
