"""Content FHIR JSON forbids, which the R4B models let through, is refused with its path."""

import pytest

from pracops.records.models import Observation, Patient
from tests.factories import ObservationFactory, PatientFactory, reference

pytestmark = pytest.mark.django_db

XHTML = 'xmlns="http://www.w3.org/1999/xhtml"'


def narrative(div: str) -> dict:
    return {"text": {"status": "generated", "div": div}}


PATIENT_CASES = {
    "null": ({"gender": None}, "Patient.gender"),
    "null in an array": ({"name": [{"family": "Null", "given": ["Ana", None]}]}, "Patient.name[0].given[1]"),
    "empty object": ({"name": [{}]}, "Patient.name[0]"),
    "empty array": ({"telecom": []}, "Patient.telecom"),
    "empty string": ({"name": [{"family": "Empty", "given": [""]}]}, "Patient.name[0].given[0]"),
    "empty nested object": ({"maritalStatus": {"coding": [{}]}}, "Patient.maritalStatus.coding[0]"),
    "script": (narrative(f"<div {XHTML}><script>alert(1)</script></div>"), "Patient.text.div"),
    "event attribute": (narrative(f'<div {XHTML}><p onclick="alert(1)">x</p></div>'), "Patient.text.div"),
    "iframe": (narrative(f'<div {XHTML}><iframe src="https://example.org"></iframe></div>'), "Patient.text.div"),
    "object": (narrative(f'<div {XHTML}><object data="x.swf"></object></div>'), "Patient.text.div"),
    "embed": (narrative(f'<div {XHTML}><embed src="x.swf"/></div>'), "Patient.text.div"),
    "form": (narrative(f'<div {XHTML}><form action="https://example.org"><p>x</p></form></div>'),
             "Patient.text.div"),
    "javascript URL": (narrative(f'<div {XHTML}><a href=" JavaScript:alert(1)">x</a></div>'), "Patient.text.div"),
    "not an XHTML div": (narrative("<p>plain html</p>"), "Patient.text.div"),
    "contained null": ({"contained": [{"resourceType": "Organization", "id": "o", "name": None}]},
                       "Patient.contained[0].name"),
}


@pytest.mark.parametrize("case", PATIENT_CASES)
def test_a_patient_with_forbidden_content_is_400_with_its_path_and_not_stored(api, case):
    change, expression = PATIENT_CASES[case]
    sent = {**PatientFactory.build(), **change}

    response = api.post("/fhir/Patient", sent)

    assert response.status_code == 400
    body = response.json()
    assert body["resourceType"] == "OperationOutcome"
    assert expression in [e for issue in body["issue"] for e in issue.get("expression", [])]
    assert Patient.objects.count() == 0


def test_a_decimal_sent_as_a_string_is_400_with_its_path(api):
    patient = api.create(PatientFactory.build())
    sent = ObservationFactory.build(patient=None, subject=reference(patient))
    sent["valueQuantity"]["value"] = "7.5"

    response = api.post("/fhir/Observation", sent)

    assert response.status_code == 400
    [issue] = response.json()["issue"]
    assert issue["expression"] == ["Observation.valueQuantity.value"]
    assert Observation.objects.count() == 0


def test_nulls_that_pad_a_primitive_array_beside_its_extensions_are_allowed(api):
    extension = {"extension": [{"url": "http://example.org/fhir/StructureDefinition/origin", "valueString": "x"}]}
    sent = {**PatientFactory.build(), "name": [{"family": "Padded", "given": ["Ana", None],
                                                "_given": [None, extension]}]}

    assert api.post("/fhir/Patient", sent).status_code == 201


def test_a_safe_narrative_with_links_images_and_styles_is_accepted(api):
    div = (f'<div {XHTML}><p style="color:red">Seen <b>today</b></p>'
           '<a href="https://example.org/x">more</a><img src="#photo" alt="photo"/></div>')

    assert api.post("/fhir/Patient", {**PatientFactory.build(), **narrative(div)}).status_code == 201


def test_a_transaction_with_one_forbidden_entry_stores_nothing(api):
    bundle = {"resourceType": "Bundle", "type": "transaction", "entry": [
        {"resource": PatientFactory.build(), "request": {"method": "POST", "url": "Patient"}},
        {"resource": {**PatientFactory.build(), "gender": None}, "request": {"method": "POST", "url": "Patient"}},
    ]}

    response = api.post("/fhir", bundle)

    assert response.status_code == 400
    assert any("Patient.gender" in issue["diagnostics"] and "entry[1]" in issue["diagnostics"]
               for issue in response.json()["issue"])
    assert Patient.objects.count() == 0
