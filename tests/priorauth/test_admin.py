"""The front-office worklist in the admin: counts, countdown, filters, the request's page, the
actions (through the services), the order's coverage answer, payer profiles, roles and audit."""

from __future__ import annotations

import base64
import re
from datetime import date, datetime, timedelta
from datetime import timezone as dt_timezone

import pytest
from django.contrib.auth.models import Group, User
from django.utils import timezone

from priorauth.admin import countdown
from priorauth.lifecycle import transition
from priorauth.models import PayerProfile, PriorAuthorization, StatusChange
from pracops.access.roles import ensure_roles
from pracops.audit.models import AuditEvent
from pracops.records.models import Coverage, DocumentReference, Organization, Practitioner, ServiceRequest
from tests.factories import (
    CoverageFactory,
    DocumentReferenceFactory,
    OrganizationFactory,
    PatientFactory,
    PractitionerFactory,
    ServiceRequestFactory,
)

S = PriorAuthorization.Status
pytestmark = pytest.mark.django_db
LIST = "/admin/priorauth/priorauthorization/"

NOTE = ("HPI: Low back pain radiating down the left leg for 8 months. Completed 6 weeks of PT without "
        "improvement. <script>alert(1)</script> ODI 23/50.")
QUOTE_PT = "Completed 6 weeks of PT"


def _path_to(status: str) -> list[str]:
    """The lifecycle's way from draft to ``status``."""
    return {
        S.DRAFT: [], S.NEEDS_DOCUMENTATION: [S.NEEDS_DOCUMENTATION], S.READY: [S.READY],
        S.SUBMITTED: [S.READY, S.SUBMITTED], S.PENDED: [S.READY, S.SUBMITTED, S.PENDED],
        S.APPROVED: [S.READY, S.SUBMITTED, S.APPROVED], S.DENIED: [S.READY, S.SUBMITTED, S.DENIED],
        S.CANCELLED: [S.CANCELLED],
    }[status]


def make_request(*, status: str = S.NEEDS_DOCUMENTATION, due_in: timedelta | None = None, cpt: str = "64483",
                 payer=None, requester=None, family: str | None = None, with_note: bool = False,
                 **fields) -> PriorAuthorization:
    """A stored request moved to ``status`` through the lifecycle, with an evaluation whose
    evidence points into a real note of the patient when ``with_note``."""
    patient = PatientFactory(**({"family": family} if family else {}))
    payer = payer or OrganizationFactory(payer=True)
    requester = requester or PractitionerFactory()
    CoverageFactory(patient=patient, payer=payer)
    order = ServiceRequestFactory(patient=patient, cpt=cpt)
    evaluation = {"payer": "commercial", "cpt": cpt, "requires_auth": True, "policy": "commercial-esi",
                  "ready": status != S.NEEDS_DOCUMENTATION, "reason": "Acme requires prior authorization.",
                  "criteria": []}
    if with_note:
        note = DocumentReferenceFactory(patient=patient, text=NOTE, display="Consult note")
        start = NOTE.index(QUOTE_PT)
        evaluation["criteria"] = [
            {"id": "conservative_care", "text": "At least 4 weeks of conservative care failed", "status": "met",
             "evidence": [{"note": note["id"], "start": start, "end": start + len(QUOTE_PT), "text": QUOTE_PT}],
             "facts": {"conservative_care.weeks": 6.0}, "missing": None},
            {"id": "imaging", "text": "Imaging shows the pathology treated", "status": "insufficient_documentation",
             "evidence": [], "facts": {}, "missing": "Document the MRI or CT findings at the treated level."},
        ]
    authorization = PriorAuthorization.objects.create(
        service_request=ServiceRequest.objects.get(fhir_id=order["id"]),
        patient_id=ServiceRequest.objects.get(fhir_id=order["id"]).patient_id,
        coverage=Coverage.objects.get(beneficiary__fhir_id=patient["id"]),
        payer=Organization.objects.get(fhir_id=payer["id"]),
        requester=Practitioner.objects.get(fhir_id=requester["id"]),
        cpt=cpt, evaluation=evaluation, evaluated_at=timezone.now(), policy_key="commercial",
        policy_id="commercial-esi", **fields)
    for step in _path_to(status):
        extra = {}
        if step == S.SUBMITTED:
            extra = {"submitted_at": timezone.now(), "channel": "fax",
                     "decision_due_at": timezone.now() + (due_in if due_in is not None else timedelta(days=7))}
        if step == S.APPROVED:
            extra = {"decided_at": timezone.now(), "auth_number": "AUTH-77", "approved_codes": [cpt],
                     "approved_units": 2, "valid_from": date(2024, 4, 1), "valid_until": date(2099, 9, 30)}
        transition(authorization, step, agent="system:test", reason=f"test: to {step}", **extra)
    return authorization


def sign_in(client, role: str | None = None) -> User:
    """A staff user in ``role``'s group (None: a superuser), signed in to the admin."""
    if role is None:
        user = User.objects.create_superuser(f"admin-{User.objects.count()}", "a@example.org", "pw-long-enough")
    else:
        ensure_roles()
        user = User.objects.create_user(f"{role}-{User.objects.count()}", password="pw-long-enough", is_staff=True)
        user.groups.add(Group.objects.get(name=role))
    client.force_login(user)
    return user


def rows(page: str) -> list[str]:
    body = page.split('<table id="result_list"', 1)[1].split("</table>", 1)[0]
    return re.findall(r"<tr>.*?</tr>", body.split("<tbody>", 1)[1], flags=re.S)


def count_of(page: str, label: str) -> int:
    match = re.search(r'<span class="n">(\d+)</span>' + re.escape(label) + r"</a>", page)
    assert match, f"no count for {label!r}"
    return int(match.group(1))


# --- The countdown ------------------------------------------------------------------


@pytest.mark.parametrize("delta,words,overdue", [
    (timedelta(days=2, hours=4, minutes=10), "due in 2 d 4 h", False),
    (timedelta(hours=-5, minutes=-3), "overdue 5 h", True),
    (timedelta(minutes=20), "due in 20 min", False),
    (timedelta(days=-1, hours=-2), "overdue 1 d 2 h", True),
])
def test_the_countdown_says_how_long_until_or_since_the_due_date(delta, words, overdue):
    now = datetime(2026, 1, 5, 12, 0, tzinfo=dt_timezone.utc)
    assert countdown(now + delta, now) == (words, overdue)


# --- The worklist ----------------------------------------------------------------------


def test_the_worklist_counts_requests_per_status_and_each_count_filters(client):
    sign_in(client, "front_office")
    make_request(status=S.NEEDS_DOCUMENTATION)
    make_request(status=S.NEEDS_DOCUMENTATION)
    make_request(status=S.READY)
    make_request(status=S.PENDED, due_in=timedelta(hours=-5))
    make_request(status=S.APPROVED)

    page = client.get(LIST).content.decode()

    assert count_of(page, "Needs documentation") == 2
    assert count_of(page, "Ready to submit") == 1
    assert count_of(page, "Pended by payer") == 1
    assert count_of(page, "Approved") == 1
    assert count_of(page, "Overdue") == 1
    assert len(rows(page)) == 5
    filtered = client.get(LIST, {"status__exact": "needs_documentation"}).content.decode()
    assert len(rows(filtered)) == 2 and all("Needs documentation" in r for r in rows(filtered))
    assert '?status__exact=needs_documentation"' in page


def test_an_overdue_request_shows_its_countdown_in_red_and_the_due_filter_finds_it(client):
    sign_in(client, "front_office")
    late = make_request(status=S.PENDED, due_in=timedelta(hours=-5, minutes=-10), family="Latecomer")
    make_request(status=S.SUBMITTED, due_in=timedelta(days=2, hours=4, minutes=30), family="Ontime")
    make_request(status=S.SUBMITTED, due_in=timedelta(days=12), family="Later")

    page = client.get(LIST).content.decode()
    assert '<span class="pa-overdue"' in page and ">overdue 5 h</span>" in page
    assert ">due in 2 d 4 h</span>" in page
    # Overdue rows are marked so the whole row stands out (CSS :has on the overdue mark).
    assert "tr:has(.pa-overdue)" in page

    overdue = rows(client.get(LIST, {"due": "overdue"}).content.decode())
    assert len(overdue) == 1 and "Latecomer" in overdue[0]
    week = rows(client.get(LIST, {"due": "week"}).content.decode())
    assert len(week) == 1 and "Ontime" in week[0]
    # The most urgent first: due dates ascending, the overdue one on top.
    assert "Latecomer" in rows(page)[0] and late.patient.family == "Latecomer"


def test_the_worklist_filters_by_payer_procedure_and_provider_and_searches_by_mrn(client):
    sign_in(client, "front_office")
    payer = OrganizationFactory(payer=True, name="Zenith Mutual")
    doctor = PractitionerFactory(family="Okafor")
    make_request(payer=payer, cpt="64483", family="Payerone")
    make_request(cpt="64493", requester=doctor, family="Doctorone")
    third = make_request(cpt="64635", family="Codeone")

    zenith = Organization.objects.get(fhir_id=payer["id"])
    by_payer = rows(client.get(LIST, {"payer__id__exact": zenith.pk}).content.decode())
    assert len(by_payer) == 1 and "Payerone" in by_payer[0] and "Zenith Mutual" in by_payer[0]
    by_code = rows(client.get(LIST, {"cpt": "64635"}).content.decode())
    assert len(by_code) == 1 and "Codeone" in by_code[0]
    okafor = Practitioner.objects.get(fhir_id=doctor["id"])
    by_provider = rows(client.get(LIST, {"requester__id__exact": okafor.pk}).content.decode())
    assert len(by_provider) == 1 and "Doctorone" in by_provider[0]
    by_mrn = rows(client.get(LIST, {"q": third.patient.mrn}).content.decode())
    assert len(by_mrn) == 1 and "Codeone" in by_mrn[0]


def test_the_worklist_search_finds_an_authorization_number(client):
    sign_in(client, "front_office")
    make_request(status=S.APPROVED, family="Approvedone")
    make_request(status=S.READY)
    found = rows(client.get(LIST, {"q": "AUTH-77"}).content.decode())
    assert len(found) == 1 and "Approvedone" in found[0]


def test_the_worklist_says_what_is_to_do(client):
    sign_in(client, "front_office")
    make_request(status=S.NEEDS_DOCUMENTATION, with_note=True, family="Needsdocs")
    make_request(status=S.READY, family="Readyone", problem="The payer refused the request: invalid member id")
    page = client.get(LIST).content.decode()
    assert "1 item to document" in page
    assert "The payer refused the request: invalid member id" in page


def test_the_worklist_makes_the_same_number_of_queries_for_3_or_12_requests(client, django_assert_num_queries):
    sign_in(client, "front_office")
    for _ in range(3):
        make_request(status=S.PENDED, with_note=True)
    client.get(LIST)  # warm the content-type and permission caches

    with django_assert_num_queries(PINNED_LIST_QUERIES):
        assert len(rows(client.get(LIST).content.decode())) == 3
    for _ in range(9):
        make_request(status=S.READY)
    with django_assert_num_queries(PINNED_LIST_QUERIES):
        assert len(rows(client.get(LIST).content.decode())) == 12


# session, user, the user's roles, the status counts, the user's and the groups' permissions, the
# three filters' choices, the page count, the rows (patient, payer and provider joined), the audit
# event and its patients.
PINNED_LIST_QUERIES = 13


# --- A request's page ---------------------------------------------------------------


def _page(client, authorization) -> str:
    response = client.get(f"{LIST}{authorization.pk}/change/")
    assert response.status_code == 200
    return response.content.decode()


def test_the_page_shows_the_checklist_the_missing_items_and_the_evidence_marked_in_the_note(client):
    sign_in(client, "front_office")
    authorization = make_request(status=S.NEEDS_DOCUMENTATION, with_note=True, family="Checklist")
    page = _page(client, authorization)

    checklist = page.split('id="pa-checklist"', 1)[1].split('id="pa-notes"', 1)[0]
    assert "At least 4 weeks of conservative care failed" in checklist and "✔" in checklist and "Met" in checklist
    assert "Not documented" in checklist
    assert "Missing: Document the MRI or CT findings at the treated level." in checklist
    assert f"“<span class=\"pa-quote\">{QUOTE_PT}</span>”" in checklist
    assert "conservative care › weeks: 6.0" in checklist
    notes = page.split('id="pa-notes"', 1)[1].split('id="pa-decision"', 1)[0]
    assert f'<mark title="At least 4 weeks of conservative care failed">{QUOTE_PT}</mark>' in notes
    assert "Consult note" in notes
    # The note is escaped: what a note says is never markup.
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in notes and "<script>alert(1)" not in page


def test_the_page_shows_the_request_the_timeline_and_no_raw_json(client):
    sign_in(client, "front_office")
    authorization = make_request(status=S.PENDED, with_note=True, due_in=timedelta(days=3, hours=1))
    page = _page(client, authorization)

    summary = page.split('id="pa-summary"', 1)[1].split('id="pa-checklist"', 1)[0]
    assert str(authorization.patient) in summary and authorization.patient.mrn in summary
    assert authorization.coverage.member_id in summary and authorization.payer.name in summary
    assert "CPT 64483, 1 unit" in summary and "Standard (7 days)" in summary and "due in 3 d" in summary
    timeline = page.split('id="pa-timeline"', 1)[1].split('id="pa-attempts"', 1)[0]
    assert re.search(r"<td>Draft</td><td>Ready to submit</td><td>system:test</td><td>test: to ready</td>", timeline)
    assert "<td>Submitted</td><td>Pended by payer</td>" in timeline
    assert '{"' not in page.split('id="content-main"', 1)[1]
    assert "Not sent yet." in page


def test_a_request_page_offers_the_actions_its_status_allows(client):
    sign_in(client, "front_office")
    ready = _page(client, make_request(status=S.READY))
    assert 'value="submit_requests"' in ready and 'value="evaluate_requests"' in ready
    assert 'value="check_statuses"' not in ready and 'value="record_decision"' not in ready
    pended = _page(client, make_request(status=S.PENDED))
    assert 'value="check_statuses"' in pended and 'value="record_decision"' in pended
    assert 'value="submit_requests"' not in pended
    cancelled = _page(client, make_request(status=S.CANCELLED))
    assert 'name="action"' not in cancelled


def test_the_page_cannot_be_saved_over(client):
    sign_in(client, "front_office")
    authorization = make_request(status=S.READY)
    response = client.post(f"{LIST}{authorization.pk}/change/", {"status": "approved", "cpt": "99999"})
    authorization.refresh_from_db()
    assert response.status_code == 403
    assert (authorization.status, authorization.cpt) == (S.READY, "64483")


# --- The packet, through the admin, audited -------------------------------------------


def test_the_packet_is_served_through_the_admin_and_its_read_audited(client):
    from pracops.records.services import store_by_identifier

    sign_in(client, "clinician")
    authorization = make_request(status=S.READY)
    pdf = b"%PDF-1.7\n% a packet\n"
    op = store_by_identifier(resources=[{
        "resourceType": "DocumentReference", "status": "current",
        "identifier": [{"system": "urn:pracops:prior-authorization", "value": str(authorization.public_id)}],
        "subject": {"reference": f"Patient/{authorization.patient.fhir_id}"},
        "content": [{"attachment": {"contentType": "application/pdf", "data": base64.b64encode(pdf).decode()}}],
    }])[0]
    PriorAuthorization.objects.filter(pk=authorization.pk).update(packet_id=op.pk, packet_built_at=timezone.now())
    packet = DocumentReference.objects.get(pk=op.pk)

    page = _page(client, authorization)
    assert f"{LIST}{authorization.pk}/packet/" in page
    response = client.get(f"{LIST}{authorization.pk}/packet/")

    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert response.content == pdf
    read = AuditEvent.objects.filter(resource_type="DocumentReference", resource_id=packet.fhir_id, subtype="packet")
    assert read.count() == 1 and read.get().patient_id == authorization.patient.fhir_id


def test_a_packet_not_built_yet_is_a_404(client):
    sign_in(client, "front_office")
    authorization = make_request(status=S.READY)
    assert client.get(f"{LIST}{authorization.pk}/packet/").status_code == 404
    assert "Not built yet." in _page(client, authorization)


# --- Roles ----------------------------------------------------------------------------


def test_a_clinician_reads_the_worklist_and_a_page_but_has_no_actions(client):
    sign_in(client, "clinician")
    authorization = make_request(status=S.READY)
    page = client.get(LIST).content.decode()
    assert len(rows(page)) == 1 and 'name="action"' not in page
    assert 'name="action"' not in _page(client, authorization)
    # Posting an action anyway changes nothing.
    client.post(LIST, {"action": "cancel_requests", "_selected_action": [authorization.pk], "apply": "1",
                       "reason": "no"})
    authorization.refresh_from_db()
    assert authorization.status == S.READY


def test_billing_sees_the_approvals_only_without_the_notes(client):
    sign_in(client, "billing")
    approved = make_request(status=S.APPROVED, family="Approvedone", with_note=True)
    pending = make_request(status=S.READY, family="Readyone")
    found = rows(client.get(LIST).content.decode())
    assert len(found) == 1 and "Approvedone" in found[0]
    assert client.get(f"{LIST}{pending.pk}/change/").status_code == 302  # not found for billing: back to the list
    page = _page(client, approved)
    assert "AUTH-77" in page and "At least 4 weeks of conservative care failed" in page
    # Minimum necessary: billing may not read notes, so no quotes from them.
    assert QUOTE_PT not in page and 'id="pa-notes"' not in page and "<mark" not in page


def test_an_auditor_may_not_open_the_worklist(client):
    sign_in(client, "auditor")
    make_request(status=S.READY)
    assert client.get(LIST).status_code == 403


def test_front_office_has_the_actions(client):
    sign_in(client, "front_office")
    make_request(status=S.READY)
    page = client.get(LIST).content.decode()
    for action in ("evaluate_requests", "build_packets", "submit_requests", "check_statuses", "record_decision",
                   "cancel_requests"):
        assert f'value="{action}"' in page


# --- Audit ----------------------------------------------------------------------------


def test_listing_and_opening_requests_are_audited_with_their_patients(client):
    user = sign_in(client, "front_office")
    authorization = make_request(status=S.READY)
    client.get(LIST)
    _page(client, authorization)

    listed = AuditEvent.objects.get(resource_type="PriorAuthorization", action="E", agent_name=user.username)
    assert listed.entities == [f"PriorAuthorization/{authorization.public_id}"]
    opened = AuditEvent.objects.get(resource_type="PriorAuthorization", action="R", agent_name=user.username)
    assert (opened.resource_id, opened.patient_id) == (str(authorization.public_id), authorization.patient.fhir_id)


# --- Payer profiles --------------------------------------------------------------------


def test_staff_set_a_payers_policy_key_and_the_change_is_audited(client):
    user = sign_in(client, "billing")
    payer = Organization.objects.get(fhir_id=OrganizationFactory(payer=True)["id"])
    response = client.post("/admin/priorauth/payerprofile/add/", {
        "organization": payer.pk, "policy_key": "commercial", "adapter": "fax", "endpoint": "",
        "fax_number": "+1-555-0100"})
    assert response.status_code == 302, response.content.decode()[:2000]
    profile = PayerProfile.objects.get(organization=payer)
    assert (profile.policy_key, profile.adapter) == ("commercial", "fax")
    assert AuditEvent.objects.filter(resource_type="PayerProfile", action="C", agent_name=user.username,
                                     resource_id=str(profile.pk)).exists()


def test_a_policy_key_no_file_defines_is_refused(client):
    sign_in(client, "billing")
    payer = Organization.objects.get(fhir_id=OrganizationFactory(payer=True)["id"])
    response = client.post("/admin/priorauth/payerprofile/add/", {
        "organization": payer.pk, "policy_key": "nosuchpayer", "adapter": "fax"})
    assert response.status_code == 200 and "Select a valid choice" in response.content.decode()
    assert not PayerProfile.objects.exists()


def test_a_pas_payer_needs_its_endpoint(client):
    sign_in(client, "front_office")
    payer = Organization.objects.get(fhir_id=OrganizationFactory(payer=True)["id"])
    response = client.post("/admin/priorauth/payerprofile/add/", {
        "organization": payer.pk, "policy_key": "medicare", "adapter": "pas", "endpoint": ""})
    assert response.status_code == 200 and "A PAS payer needs its FHIR base URL" in response.content.decode()
