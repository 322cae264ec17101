"""Notes that arrive are read in the background: facts stored per extractor version,
scores recorded as Observations linked to the note, the evidence shown in the admin."""

import pytest
from django.contrib.auth.models import User

from documentation import services
from documentation.highlight import highlight
from documentation.models import NoteFacts
from pracops.audit.models import AuditEvent
from pracops.records.models import DocumentReference, Observation
from tests.celery_worker import wait_for
from tests.factories import DocumentReferenceFactory, PatientFactory

NOTE = (
    "HPI: Low back pain radiating down the left leg for 8 months. Completed 6 weeks of PT without "
    "improvement. Pain 7/10 today. ODI 23/50.\n"
    "A/P: left L4-5 transforaminal ESI."
)


def post_note(api, text: str = NOTE) -> dict:
    """Post a note and wait until it has been read (by a worker, or in-process)."""
    response = api.post("/fhir/DocumentReference", DocumentReferenceFactory.build(
        patient=PatientFactory(), text=text))
    assert response.status_code == 201
    note = response.json()
    wait_for(lambda: NoteFacts.objects.filter(document__fhir_id=note["id"]).exists(), timeout=90)
    return note


pytestmark = pytest.mark.worker


def test_a_note_posted_to_the_fhir_api_is_read_and_its_pain_score_becomes_an_observation(api, celery_worker):
    note = post_note(api)

    facts = NoteFacts.objects.get(document__fhir_id=note["id"])
    assert facts.facts["pain"]["nrs_current"] == 7
    evidence = facts.facts["evidence"]["pain.nrs_current"]
    assert NOTE[evidence["start"]:evidence["end"]] == evidence["text"]
    observation = Observation.objects.get(code="72514-3", patient__fhir_id=note["subject"]["reference"].split("/")[1])
    assert observation.value_number == 7
    assert observation.resource["derivedFrom"] == [{"reference": f"DocumentReference/{note['id']}"}]
    assert observation.status == "preliminary"
    event = AuditEvent.objects.get(source="task", action="C", resource_type="Observation",
                                   resource_id=observation.fhir_id)
    # The software wrote it: a system agent, not an anonymous blank.
    assert (event.agent_name, event.user) == ("system:extract_note_facts", None)
    assert event.as_fhir()["agent"][0]["requestor"] is False


def test_reading_a_note_again_with_the_same_extractor_changes_nothing(api, celery_worker):
    note = post_note(api)
    document = DocumentReference.objects.get(fhir_id=note["id"])
    first = NoteFacts.objects.get(document=document)

    again = services.extract_note_facts(document_pk=document.pk)

    assert again.pk == first.pk and again.extracted_at == first.extracted_at
    assert NoteFacts.objects.filter(document=document).count() == 1
    assert Observation.objects.filter(code="72514-3").count() == 1


def test_a_newer_extractor_reads_the_note_again_beside_the_old_result(api, celery_worker, monkeypatch):
    note = post_note(api)
    document = DocumentReference.objects.get(fhir_id=note["id"])
    monkeypatch.setattr(services, "EXTRACTOR_VERSION", "999.0.0")

    services.extract_note_facts(document_pk=document.pk)

    versions = set(NoteFacts.objects.filter(document=document).values_list("extractor_version", flat=True))
    assert len(versions) == 2 and "999.0.0" in versions
    assert Observation.objects.filter(code="72514-3").count() == 1  # updated, not duplicated


def test_a_changed_note_is_read_again(api, celery_worker):
    note = post_note(api)
    changed = {**note, "content": DocumentReferenceFactory.build(
        patient=note["subject"]["reference"], text=NOTE.replace("7/10", "4/10"))["content"]}

    assert api.put(f"/fhir/DocumentReference/{note['id']}", changed).status_code == 200

    def reread():
        facts = NoteFacts.objects.get(document__fhir_id=note["id"]).facts
        return facts if facts["pain"]["nrs_current"] == 4 else None

    wait_for(reread, timeout=90)
    wait_for(lambda: Observation.objects.get(code="72514-3").value_number == 4, timeout=30)


def test_notes_are_read_by_a_worker_on_the_nlp_queue(api, celery_worker):
    note = post_note(api)

    assert NoteFacts.objects.get(document__fhir_id=note["id"]).facts["pain"]["nrs_current"] == 7


def test_the_admin_shows_a_note_with_its_evidence_marked(api, client, celery_worker):
    note = post_note(api)
    admin = User.objects.create_superuser("reader", "r@example.org", "a-long-test-password")
    client.force_login(admin)
    document = DocumentReference.objects.get(fhir_id=note["id"])

    page = client.get(f"/admin/records/documentreference/{document.pk}/change/").content.decode()

    assert '<mark title="pain.nrs_current">7/10</mark>' in page


@pytest.mark.django_db  # not a worker test; the module's mark asks for none of its fixtures
def test_highlighting_escapes_the_note_and_merges_overlapping_evidence():
    text = "<b>Pain</b> 7/10 and ODI 40%"
    facts = {"evidence": {
        "pain.nrs_current": {"start": 12, "end": 16, "text": "7/10"},
        "function.odi_percent": {"start": 21, "end": 28, "text": "ODI 40%"},
        "pain.axial": {"start": 14, "end": 25, "text": "10 and ODI "},
    }}

    html = str(highlight(text, facts))

    assert "&lt;b&gt;Pain&lt;/b&gt;" in html
    assert html.count("<mark") == 1
    assert "pain.nrs_current; pain.axial; function.odi_percent" in html


def test_read_notes_queues_what_the_current_extractor_has_not_read(api, celery_worker, monkeypatch):
    from io import StringIO

    from django.core.management import call_command

    from documentation.management.commands import read_notes

    note = post_note(api)
    out = StringIO()
    call_command("read_notes", stdout=out)
    assert out.getvalue().startswith("0 notes queued")

    monkeypatch.setattr(read_notes, "EXTRACTOR_VERSION", "999.0.0")
    monkeypatch.setattr(services, "EXTRACTOR_VERSION", "999.0.0")
    call_command("read_notes", stdout=out)

    assert "1 notes queued for extractor 999.0.0" in out.getvalue()
    if celery_worker is None:  # in-process: already read; a real worker runs its own extractor version
        assert NoteFacts.objects.filter(document__fhir_id=note["id"], extractor_version="999.0.0").exists()
