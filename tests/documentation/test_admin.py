"""Staff read a note's facts in the admin: the facts panel and the note with its evidence marked."""

import pytest
from django.contrib.auth.models import User

from documentation.services import extract_note_facts
from pracops.records.models import DocumentReference
from tests.factories import DocumentReferenceFactory, PatientFactory

NOTE = (
    "HPI: Low back pain radiating down the left leg for 8 months. Completed 6 weeks of PT without "
    "improvement. Pain 7/10 today. ODI 23/50. <script>alert(1)</script>\n"
    "A/P: left L4-5 transforaminal ESI."
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def note_page(client):
    """The change page of a note whose facts are stored, as a superuser sees it."""
    document = DocumentReferenceFactory(patient=PatientFactory(), text=NOTE)
    stored = DocumentReference.objects.get(fhir_id=document["id"])
    extract_note_facts(document_pk=stored.pk, force=True)
    client.force_login(User.objects.create_superuser("reader", "r@example.org", "a-long-test-password"))
    response = client.get(f"/admin/records/documentreference/{stored.pk}/change/")
    assert response.status_code == 200
    return response.content.decode()


def test_the_facts_panel_shows_the_facts_and_where_they_were_read(note_page):
    panel = note_page.split("Facts", 1)[1]

    assert "Read by extractor" in panel
    assert "<th>Pain today (NRS 0-10)</th><td>7</td><td>7/10</td>" in panel
    assert "<th>Pain duration (months)</th><td>8.0</td>" in panel
    assert "<td>physical therapy</td><td>completed</td><td>6.0</td><td>failed</td><td>PT</td>" in panel


def test_the_note_is_escaped_with_its_evidence_marked(note_page):
    assert '<mark title="pain.nrs_current">7/10</mark>' in note_page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in note_page
    assert "<script>alert(1)</script>" not in note_page


def test_a_note_not_read_yet_says_so(client):
    document = DocumentReferenceFactory(patient=PatientFactory(), text="Pain <b>7/10</b>.")
    stored = DocumentReference.objects.get(fhir_id=document["id"])
    stored.facts.all().delete()  # read in-process on the embedded default
    client.force_login(User.objects.create_superuser("reader", "r@example.org", "a-long-test-password"))

    page = client.get(f"/admin/records/documentreference/{stored.pk}/change/").content.decode()

    assert "Not read yet." in page
    assert "Pain &lt;b&gt;7/10&lt;/b&gt;." in page
