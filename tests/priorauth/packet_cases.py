"""Packet inputs shaped like the four demo orders (pracops/records/demo.py): the FHIR resources
as the demo bundle holds them, the facts the extractor reads from the demo notes, and
evaluations written by hand from the criteria spec (shared/specs/prior-auth-criteria.md).

Shared by tests/priorauth/test_packet.py and bench/priorauth_packets.py.
"""

from __future__ import annotations

import base64
import datetime as dt
from functools import lru_cache

from documentation.nlp.extract import extract_facts
from pracops.records.demo import demo_bundle
from priorauth.packet import PacketNote

NOTE_DATE = dt.date(2026, 11, 2)
GENERATED_AT = dt.datetime(2026, 11, 3, 14, 30, tzinfo=dt.timezone.utc)
REQUEST_IDS = {
    "esi": "3f1c2a9e-5b7d-4c21-9e0a-7d6b2f4a8c11",
    "mbb": "8a2d4e6f-1c3b-4d5e-8f7a-9b0c1d2e3f40",
    "si": "c4e5f6a7-b8c9-4d0e-a1f2-b3c4d5e6f7a8",
    "scs": "0b1c2d3e-4f50-4617-8293-a4b5c6d7e8f9",
}
PATIENT_OF = {"esi": "Alvarez", "mbb": "Chen", "si": "Okafor", "scs": "Novak"}


@lru_cache(maxsize=1)
def _resources() -> tuple[dict, ...]:
    return tuple(entry["resource"] for entry in demo_bundle()["entry"])


def _by_ref(reference: dict) -> dict:
    wanted = reference["reference"].removeprefix("urn:uuid:")
    return next(resource for resource in _resources() if resource["id"] == wanted)


def demo_order(family: str) -> dict:
    """The demo resources around one patient's order, as plain dicts."""
    patient = next(r for r in _resources() if r["resourceType"] == "Patient" and r["name"][0]["family"] == family)
    mine = [r for r in _resources() if (r.get("subject") or r.get("beneficiary") or {}).get("reference")
            == f"urn:uuid:{patient['id']}"]
    kind = {r["resourceType"]: r for r in mine}
    coverage = next(r for r in _resources() if r["resourceType"] == "Coverage"
                    and r["beneficiary"]["reference"] == f"urn:uuid:{patient['id']}")
    document = kind["DocumentReference"]
    text = base64.b64decode(document["content"][0]["attachment"]["data"]).decode()
    return {
        "patient": patient, "coverage": coverage, "payer": _by_ref(coverage["payor"][0]),
        "requester": _by_ref(kind["ServiceRequest"]["requester"]),
        "facility": _by_ref(kind["Encounter"]["serviceProvider"]),
        "service_request": kind["ServiceRequest"], "conditions": [kind["Condition"]],
        "note": PacketNote(key=document["id"], title="Consult note", date=NOTE_DATE, text=text),
    }


@lru_cache(maxsize=8)
def _facts(text: str) -> dict:
    return extract_facts(text, note_date=NOTE_DATE)


def demo_facts(family: str) -> dict:
    """What the extractor reads from the patient's demo note (a fresh copy: tests may change it)."""
    import copy

    return copy.deepcopy(_facts(demo_order(family)["note"].text))


def evidence(note: PacketNote, facts: dict, path: str) -> list[dict]:
    """The evaluation's evidence for a fact: a scalar's path ("pain.nrs_current") or a list
    entry's ("conservative_care[0]")."""
    if "[" in path:
        name, index = path[:-1].split("[")
        found = facts[name][int(index)]["evidence"]
    else:
        found = facts["evidence"][path]
    return [{"note": note.key, **found}]


def criterion(id_: str, text: str, status: str, found: list[dict] | None = None, *, facts: dict | None = None,
              missing: str | None = None) -> dict:
    return {"id": id_, "text": text, "status": status, "evidence": found or [], "facts": facts or {},
            "missing": missing}


def demo_evaluation(case: str, facts: dict, note: PacketNote) -> dict:
    """``Evaluation.as_dict()`` for the demo order of ``case``, as the criteria spec decides it."""
    ev = lambda path: evidence(note, facts, path)  # noqa: E731
    if case == "esi":
        criteria = [
            criterion("radicular_pain", "Radicular pain", "met", ev("pain.radicular"), facts={"pain.radicular": True}),
            criterion("imaging_concordant", "Imaging shows a concordant finding", "met", ev("imaging[0]")),
            criterion("pain_duration", "Pain for at least 6 weeks", "met", ev("pain.duration_months"),
                      facts={"pain.duration_months": 8.0}),
            criterion("conservative_care", "At least 6 weeks of failed conservative care", "met",
                      ev("conservative_care[0]")),
            criterion("pain_scale", "Pain scored on a validated scale", "met", ev("pain.nrs_current")),
            criterion("function_scale", "Function scored on a validated scale", "met", ev("function.odi_percent")),
            criterion("no_red_flags", "No red flags", "met"),
            criterion("repeat_relief", "Earlier injections gave lasting relief", "not_applicable"),
            criterion("frequency", "At most 3 sessions in 6 months", "met", facts={"sessions": 1}),
        ]
        return {"payer": "commercial", "cpt": "64483", "requires_auth": True, "policy": "commercial-esi",
                "ready": True, "reason": None, "criteria": criteria}
    if case == "mbb":
        criteria = [
            criterion("axial_pain", "Predominantly axial pain", "met", ev("pain.axial")),
            criterion("no_radiculopathy", "No radiculopathy", "met", ev("pain.radicular")),
            criterion("pain_duration", "Pain for at least 3 months", "met", ev("pain.duration_months")),
            criterion("conservative_care", "At least 4 weeks of failed conservative care", "met",
                      ev("conservative_care[0]")),
            criterion("pain_scale", "Pain scored on a validated scale", "met", ev("pain.nrs_current")),
            criterion("no_red_flags", "No red flags", "met"),
            criterion("frequency", "At most 2 sessions in 12 months", "met"),
        ]
        return {"payer": "medicare", "cpt": "64493", "requires_auth": True, "policy": "medicare-mbb",
                "ready": True, "reason": None, "criteria": criteria}
    if case == "si":
        criteria = [
            criterion("si_location", "Pain located over the sacroiliac joint", "met", ev("pain.laterality")),
            criterion("pain_duration", "Pain for at least 3 months", "met", ev("pain.duration_months")),
            criterion("conservative_care", "At least 6 weeks of failed conservative care", "met",
                      ev("conservative_care[0]")),
            criterion("provocative_tests", "At least 3 positive provocative tests", "met",
                      ev("exam.si_provocative_positive"), facts={"exam.si_provocative_positive": 4}),
            criterion("pain_scale", "Pain scored on a validated scale", "met", ev("pain.nrs_current")),
            criterion("no_red_flags", "No red flags", "met"),
            criterion("repeat_relief", "Earlier injections gave lasting relief", "not_applicable"),
            criterion("frequency", "At most 4 sessions in 12 months", "met"),
        ]
        return {"payer": "commercial", "cpt": "27096", "requires_auth": True, "policy": "commercial-si-joint",
                "ready": True, "reason": None, "criteria": criteria}
    if case == "scs":
        criteria = [
            criterion("pain_duration", "Pain for at least 6 months", "insufficient_documentation",
                      facts={"pain.duration_months": None},
                      missing="Document how many months the pain has lasted."),
            criterion("failed_therapies", "At least two failed conservative therapies", "insufficient_documentation",
                      ev("conservative_care[0]"), facts={"failed_modalities": ["physical_therapy"]},
                      missing="Document a second failed therapy (medication, injections) with its weeks and response."),
            criterion("psych_evaluation", "Psychological evaluation with clearance", "met",
                      ev("psych_eval.done") + ev("psych_eval.cleared")),
            criterion("pain_scale", "Pain scored on a validated scale", "met", ev("pain.nrs_current")),
            criterion("no_red_flags", "No red flags", "met"),
        ]
        return {"payer": "medicare", "cpt": "63650", "requires_auth": True, "policy": "medicare-scs-trial",
                "ready": False, "reason": "2 criteria need documentation", "criteria": criteria}
    raise KeyError(case)


def demo_packet_inputs(case: str, **overrides) -> dict:
    """Keyword arguments for ``packet_context`` for one demo order; ``overrides`` replace any (the
    evaluation is the demo facts' whatever ``facts`` says, so a test can vary the letter alone)."""
    order = demo_order(PATIENT_OF[case])
    facts = demo_facts(PATIENT_OF[case])
    note = order["note"]
    inputs = {
        "request_id": REQUEST_IDS[case], "patient": order["patient"], "coverage": order["coverage"],
        "payer": order["payer"], "requester": order["requester"], "performer": order["requester"],
        "facility": order["facility"], "service_request": order["service_request"],
        "conditions": order["conditions"], "evaluation": demo_evaluation(case, facts, note), "facts": facts,
        "notes": [note], "urgency": "standard", "units": 1, "generated_at": GENERATED_AT,
    }
    inputs.update(overrides)
    return inputs
