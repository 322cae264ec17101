"""FHIR decimals keep their exact value and precision through every way in and out."""

import io
import json
from decimal import Decimal

import pytest
from django.core.management import call_command

from pracops.fhir import jsontext
from pracops.records.models import Observation
from pracops.records.services.admin_edits import save_record
from tests.factories import ObservationFactory, PatientFactory, reference

pytestmark = pytest.mark.django_db

PI = "3.141592653589793238"


def observation_text(patient: dict, value: str, component_value: str = "0.60") -> str:
    """An Observation as JSON text, its decimals written exactly as given (json.dumps would not)."""
    resource = ObservationFactory.build(patient=None, subject=reference(patient))
    resource["valueQuantity"] = {"value": "VALUE", "unit": "mm", "system": "http://unitsofmeasure.org", "code": "mm"}
    resource["component"] = [{"code": {"text": "part"}, "valueQuantity": {"value": "COMPONENT"}}]
    text = json.dumps(resource)
    return text.replace('"VALUE"', value).replace('"COMPONENT"', component_value)


def read_exact(response) -> dict:
    return json.loads(response.content, parse_float=lambda digits: ("decimal", digits))


def test_a_created_resource_answers_and_reads_back_with_every_digit(api):
    patient = api.create(PatientFactory.build())

    created = api.post("/fhir/Observation", observation_text(patient, PI))

    assert created.status_code == 201
    read = api.get(f"/fhir/Observation/{created.json()['id']}")
    for response in (created, read):
        body = read_exact(response)
        assert body["valueQuantity"]["value"] == ("decimal", PI)
        assert body["component"][0]["valueQuantity"]["value"] == ("decimal", "0.60")


def test_the_value_column_holds_the_value_rounded_and_search_still_finds_it(api):
    patient = api.create(PatientFactory.build())

    created = api.post("/fhir/Observation", observation_text(patient, PI)).json()

    assert Observation.objects.get(fhir_id=created["id"]).value_number == Decimal("3.141593")
    found = read_exact(api.get("/fhir/Observation", {"patient": patient["id"]}))
    assert found["entry"][0]["resource"]["valueQuantity"]["value"] == ("decimal", PI)


def test_trailing_zeros_and_integers_written_as_decimals_stay_as_sent(api):
    patient = api.create(PatientFactory.build())

    created = api.post("/fhir/Observation", observation_text(patient, "1.00", component_value="1.0"))

    body = read_exact(api.get(f"/fhir/Observation/{created.json()['id']}"))
    assert body["valueQuantity"]["value"] == ("decimal", "1.00")
    assert body["component"][0]["valueQuantity"]["value"] == ("decimal", "1.0")


def test_a_value_too_large_for_the_column_is_kept_in_the_resource(api):
    patient = api.create(PatientFactory.build())

    created = api.post("/fhir/Observation", observation_text(patient, "12345678901234.5"))

    assert created.status_code == 201
    assert Observation.objects.get(fhir_id=created.json()["id"]).value_number is None
    body = read_exact(api.get(f"/fhir/Observation/{created.json()['id']}"))
    assert body["valueQuantity"]["value"] == ("decimal", "12345678901234.5")


def test_a_transaction_keeps_the_digits_of_its_entries(api):
    patient = api.create(PatientFactory.build())
    bundle = ('{"resourceType":"Bundle","type":"transaction","entry":[{"resource":%s,'
              '"request":{"method":"POST","url":"Observation"}}]}' % observation_text(patient, PI))

    response = api.post("/fhir", bundle)

    assert response.status_code == 200
    stored = read_exact(response)["entry"][0]["resource"]
    assert stored["valueQuantity"]["value"] == ("decimal", PI)


def test_an_admin_edit_keeps_the_exact_digits_the_column_rounds(api):
    patient = api.create(PatientFactory.build())
    created = api.post("/fhir/Observation", observation_text(patient, PI)).json()
    record = Observation.objects.get(fhir_id=created["id"])
    record.status = "amended"
    save_record(record, is_new=False)

    body = read_exact(api.get(f"/fhir/Observation/{created['id']}"))
    assert body["status"] == "amended"
    assert body["valueQuantity"]["value"] == ("decimal", PI)


def test_an_admin_edit_of_the_value_writes_the_new_value(api):
    patient = api.create(PatientFactory.build())
    created = api.post("/fhir/Observation", observation_text(patient, PI)).json()
    record = Observation.objects.get(fhir_id=created["id"])
    record.value_number = Decimal("2.500000")
    save_record(record, is_new=False)

    body = read_exact(api.get(f"/fhir/Observation/{created['id']}"))
    assert body["valueQuantity"]["value"] == ("decimal", "2.5")


def test_an_ehr_import_keeps_the_digits(tmp_path):
    patient = PatientFactory.build(id="decimal-patient")
    observation = observation_text({"resourceType": "Patient", "id": "decimal-patient"}, PI)
    bundle = tmp_path / "bundle.json"
    bundle.write_text(
        '{"resourceType":"Bundle","type":"transaction","entry":['
        f'{{"resource":{json.dumps(patient)},"request":{{"method":"PUT","url":"Patient/decimal-patient"}}}},'
        f'{{"resource":{observation},"request":{{"method":"POST","url":"Observation"}}}}]}}'
    )

    call_command("import_fhir", str(bundle), "--progress", "never", stdout=io.StringIO())

    stored = Observation.objects.get()
    assert jsontext.dumps(stored.resource["valueQuantity"]).decode().find(f'"value":{PI}') >= 0


# --- the JSON text layer ------------------------------------------------------------


def test_loads_reads_decimals_as_decimal_and_documents_without_them_as_orjson_does():
    assert jsontext.loads(b'{"a":[0.60,1E-22],"b":"x: 1"}') == {"a": [Decimal("0.60"), Decimal("1E-22")], "b": "x: 1"}
    assert str(jsontext.loads(b'{"a":0.60}')["a"]) == "0.60"
    assert jsontext.loads(b'{"a":[1,2],"b":"2.16.840.1"}') == {"a": [1, 2], "b": "2.16.840.1"}


@pytest.mark.parametrize("text", [
    b'{"a":NaN}', b'{"a":1.5,}', b'{"a":Infinity}', b'{"a":"\xff"}',
    # with a decimal, which the exact path reads
    b'{"a":1.5,"b":NaN}', b'{"a":1.5,"b":-Infinity}', b'{"a":1.5,"b":"\xff"}', b'{"a":1.5,"b":"\\ud800"}',
    b'{"a":1.5,"b":"tab\there"}',
])
def test_loads_refuses_what_is_not_strict_json(text):
    with pytest.raises(json.JSONDecodeError):
        jsontext.loads(text)


def test_dumps_writes_each_decimal_with_its_own_digits():
    assert jsontext.dumps({"a": Decimal("0.60"), "b": [Decimal(PI)], "c": "é"}) == \
        f'{{"a":0.60,"b":[{PI}],"c":"é"}}'.encode()


def test_an_earlier_version_keeps_its_digits(api):
    patient = api.create(PatientFactory.build())
    created = api.post("/fhir/Observation", observation_text(patient, PI)).json()
    api.put(f"/fhir/Observation/{created['id']}", observation_text(patient, "2.50").replace(
        '"resourceType": "Observation"', f'"resourceType": "Observation", "id": "{created["id"]}"'))

    first = read_exact(api.get(f"/fhir/Observation/{created['id']}/_history/1"))
    second = read_exact(api.get(f"/fhir/Observation/{created['id']}/_history/2"))

    assert first["valueQuantity"]["value"] == ("decimal", PI)
    assert second["valueQuantity"]["value"] == ("decimal", "2.50")
