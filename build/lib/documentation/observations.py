"""Pain and function scores from a note's facts, as FHIR Observations (pure)."""

from __future__ import annotations

from pracops.fhir.mapping import LOINC

NOTE_FACT_SYSTEM = "urn:pracops:note-fact"
FUNCTION_SCORES = "https://pracops.org/fhir/CodeSystem/function-score"

# fact path -> (code system, code, display, unit)
SCORES = {
    "pain.nrs_current": (LOINC, "72514-3", "Pain severity - 0-10 verbal numeric rating [Score] - Reported",
                         "{score}"),
    "function.odi_percent": (FUNCTION_SCORES, "odi-percent", "Oswestry Disability Index (percent)", "%"),
    "function.ndi_percent": (FUNCTION_SCORES, "ndi-percent", "Neck Disability Index (percent)", "%"),
}


def score_observations(*, facts: dict, document: dict) -> list[dict]:
    """One Observation per score the note states, derived from (and pointing at) the note.

    ``document`` is the note as FHIR. Each Observation's identifier names the note and the
    fact, so writing them again updates them instead of adding more.
    """
    observations = []
    for path, (system, code, display, unit) in SCORES.items():
        section, name = path.split(".")
        value = facts.get(section, {}).get(name)
        if value is None:
            continue
        observation = {
            "resourceType": "Observation",
            "identifier": [{"system": NOTE_FACT_SYSTEM, "value": f"{document['id']}/{path}"}],
            "status": "preliminary",  # read by software from the note; a clinician has not confirmed it
            "category": [{"coding": [{
                "system": "http://terminology.hl7.org/CodeSystem/observation-category", "code": "survey",
            }]}],
            "code": {"coding": [{"system": system, "code": code, "display": display}], "text": display},
            "subject": document["subject"],
            "derivedFrom": [{"reference": f"DocumentReference/{document['id']}"}],
            "valueQuantity": {"value": value, "unit": unit, "system": "http://unitsofmeasure.org", "code": unit},
        }
        if document.get("date"):
            observation["effectiveDateTime"] = document["date"]
        encounters = (document.get("context") or {}).get("encounter") or []
        if encounters:
            observation["encounter"] = encounters[0]
        evidence = facts.get("evidence", {}).get(path)
        if evidence:
            observation["note"] = [{"text": f"From the note, characters {evidence['start']}-{evidence['end']}"}]
        observations.append(observation)
    return observations
