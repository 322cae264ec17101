"""The prior authorization REST API (/api/prior-authorizations/): every endpoint for every role,
the worklist's filters, bad input answered with a JSON 4xx, the audit trail and the list's
query count.

Requests are put in a state through the lifecycle (``priorauth.lifecycle.transition``), as the
workflow would have moved them; creating, evaluating, submitting, cancelling and recording a
decision go through the real services.
"""

from __future__ import annotations

import base64
import json
import uuid
from datetime import date, timedelta

import pytest
from django.conf import settings as django_settings
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from priorauth.lifecycle import record_creation, transition
from priorauth.models import PayerProfile, PriorAuthorization
from pracops.audit.models import AuditEvent
from pracops.records import models
from pracops.records.services import store_by_identifier
from tests.factories import (
    ApiClientFactory,
    CoverageFactory,
    OrganizationFactory,
    PatientFactory,
    PractitionerFactory,
    ProcedureFactory,
    ServiceRequestFactory,
    reference,
)

pytestmark = pytest.mark.django_db

BASE = "/api/prior-authorizations/"
S = PriorAuthorization.Status
ROLES = ["front_office", "clinician", "billing", "integration", "auditor"]
QUOTE = "NRS 7/10 today"

# An evaluation as the criteria engine stores it (Evaluation.as_dict()).
EVALUATION = {
    "payer": "commercial", "cpt": "64483", "requires_auth": True, "policy": "commercial-esi", "ready": False,
    "reason": "1 criterion lacks documentation",
    "criteria": [
        {"id": "pain_severity", "text": "Pain of at least 6/10", "status": "met",
         "evidence": [{"note": "note-1", "start": 12, "end": 12 + len(QUOTE), "text": QUOTE}],
         "facts": {"pain.score": 7}, "missing": None},
        {"id": "conservative_care", "text": "Four weeks of conservative care", "status": "insufficient_documentation",
         "evidence": [], "facts": {}, "missing": "Document the conservative care tried and for how long."},
    ],
}


@pytest.fixture(autouse=True)
def _fax_outbox(settings, tmp_path):
    # A submission sent by fax (the payers here) is a file in the outbox: the test's own.
    settings.PRIORAUTH_FAX_OUTBOX = tmp_path / "fax-outbox"


class Api:
    """The test client with one role's bearer token, speaking JSON."""

    def __init__(self, role: str | None):
        self.client = Client()
        self.headers = {"Authorization": ApiClientFactory(role=role).authorization} if role else {}

    def get(self, path: str, params: dict | None = None):
        return self.client.get(path, params or {}, headers=self.headers)

    def post(self, path: str, body=None, content_type: str = "application/json"):
        data = body if isinstance(body, (str, bytes)) else json.dumps(body if body is not None else {})
        return self.client.post(path, data, content_type=content_type, headers=self.headers)


def api(role: str | None) -> Api:
    return Api(role)


def an_order(*, cpt: str = "64483", with_profile: bool = True, covered: bool = True) -> models.ServiceRequest:
    """A patient covered by a payer (set up with the commercial policies) and ordered ``cpt``."""
    patient = PatientFactory()
    payer = OrganizationFactory(payer=True)
    if covered:
        CoverageFactory(patient=patient, payer=payer, period={"start": "2026-01-01", "end": "2027-12-31"})
    doctor = PractitionerFactory()
    order = ServiceRequestFactory(patient=patient, cpt=cpt, occurrenceDateTime="2026-11-20T09:00:00Z",
                                  requester=reference(doctor, "Practitioner"))
    if with_profile:
        PayerProfile.objects.create(organization=models.Organization.objects.get(fhir_id=payer["id"]),
                                    policy_key="commercial", adapter="fax", fax_number="+15550100")
    return models.ServiceRequest.objects.get(fhir_id=order["id"])


def a_request(*states: str, cpt: str = "64483", order: models.ServiceRequest | None = None,
              **fields) -> PriorAuthorization:
    """A request for a new order, moved through ``states`` by the lifecycle; ``fields`` are saved
    with the last move (decision details, due dates)."""
    order = order or an_order(cpt=cpt)
    coverage = models.Coverage.objects.filter(beneficiary=order.patient).first()
    authorization = PriorAuthorization.objects.create(
        service_request=order, patient=order.patient, coverage=coverage, payer=coverage.payor if coverage else None,
        requester=order.requester, cpt=order.code, planned_date=date(2026, 11, 20), policy_key="commercial",
        policy_id="commercial-esi", requires_auth=True, evaluation=EVALUATION,
        coverage_information={"covered": "covered", "pa-needed": "auth-needed", "requires_auth": True},
        evaluated_at=timezone.now(),
    )
    record_creation(authorization, agent="system:test", reason="created from the order")
    for index, state in enumerate(states):
        moves = fields if index == len(states) - 1 else {}
        if state == S.SUBMITTED:
            moves = {"submitted_at": timezone.now(), "channel": "fax",
                     "decision_due_at": timezone.now() + timedelta(days=7), **moves}
        transition(authorization, state, agent="system:test", reason=f"to {state}", **moves)
    return authorization


def approved(**fields) -> PriorAuthorization:
    decision = {"auth_number": "AUTH-123", "approved_codes": ["64483"], "approved_units": 2,
                "valid_from": date(2026, 11, 1), "valid_until": date(2027, 1, 31), "decided_at": timezone.now(),
                "decision_reason": "Certified in total", **fields}
    return a_request(S.READY, S.SUBMITTED, S.APPROVED, **decision)


def path(authorization: PriorAuthorization, action: str = "") -> str:
    return f"{BASE}{authorization.public_id}/{action}"


def error(response) -> dict:
    assert response["Content-Type"].startswith("application/json"), response.content[:300]
    return response.json()["error"]


def store_packet(authorization: PriorAuthorization, pdf: bytes = b"%PDF-1.7 packet\n%%EOF") -> models.DocumentReference:
    op, = store_by_identifier(resources=[{
        "resourceType": "DocumentReference", "status": "current",
        "identifier": [{"system": "urn:pracops:prior-authorization", "value": str(authorization.public_id)}],
        "type": {"coding": [{"system": "http://loinc.org", "code": "51851-4"}]},
        "subject": {"reference": f"Patient/{authorization.patient.fhir_id}"},
        "content": [{"attachment": {"contentType": "application/pdf", "data": base64.b64encode(pdf).decode()}}],
    }])
    document = models.DocumentReference.objects.get(fhir_id=op.fhir_id)
    PriorAuthorization.objects.filter(pk=authorization.pk).update(packet=document, packet_built_at=timezone.now())
    return document


# --- every endpoint x every role -----------------------------------------------------------

# (name, method, action, body, the roles allowed); the request is made for each role.
ENDPOINTS = [
    ("list", "get", None, None, {"front_office", "clinician", "billing", "integration"}),
    ("detail", "get", "", None, {"front_office", "clinician", "integration"}),
    ("evaluate", "post", "evaluate/", {}, {"front_office"}),
    ("submit", "post", "submit/", {}, {"front_office"}),
    ("cancel", "post", "cancel/", {"reason": "the patient chose physical therapy"}, {"front_office"}),
    ("decision", "post", "decision/", {"outcome": "approved", "auth_number": "FAX-881", "approved_units": 1,
                                       "valid_from": "2026-11-01", "valid_until": "2027-02-28"}, {"front_office"}),
    ("packet", "get", "packet.pdf", None, {"front_office", "clinician"}),
]
# The state each endpoint is tried in: one where the allowed call succeeds.
STATE_FOR = {"list": (S.READY,), "detail": (S.READY,), "evaluate": (), "submit": (S.READY,), "cancel": (S.READY,),
             "decision": (S.READY, S.SUBMITTED), "packet": (S.READY,)}
SUCCESS = {"list": 200, "detail": 200, "evaluate": 200, "submit": 202, "cancel": 200, "decision": 200, "packet": 200}


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("endpoint", ENDPOINTS, ids=[e[0] for e in ENDPOINTS])
def test_every_endpoint_for_every_role(role, endpoint):
    name, method, action, body, allowed_roles = endpoint
    authorization = a_request(*STATE_FOR[name])
    if name == "packet":
        store_packet(authorization)
    url = BASE if action is None else path(authorization, action)
    client = api(role)

    response = client.get(url) if method == "get" else client.post(url, body)

    if role in allowed_roles:
        assert response.status_code == SUCCESS[name], response.content[:500]
    else:
        assert response.status_code == 403, response.content[:500]
        assert error(response)["code"] == "permission_denied"
        authorization.refresh_from_db()
        assert authorization.status == (STATE_FOR[name] or (S.DRAFT,))[-1]  # nothing changed


@pytest.mark.parametrize("endpoint", ENDPOINTS, ids=[e[0] for e in ENDPOINTS])
def test_every_endpoint_without_a_token_is_401(endpoint):
    name, method, action, body, _ = endpoint
    authorization = a_request(*STATE_FOR[name])
    url = BASE if action is None else path(authorization, action)

    response = api(None).get(url) if method == "get" else api(None).post(url, body)

    assert response.status_code == 401
    assert error(response)["status"] == 401


def test_create_is_allowed_to_front_office_and_the_ehr_only():
    for role in ROLES:
        response = api(role).post(BASE, {"service_request": an_order().fhir_id})
        assert response.status_code == (201 if role in ("front_office", "integration") else 403), (role, response.content)


def test_billing_reads_approvals_only():
    draft, approval, expired = a_request(), approved(), a_request(S.READY, S.SUBMITTED, S.APPROVED, S.EXPIRED)
    billing = api("billing")

    listed = billing.get(BASE).json()["results"]

    assert {row["id"] for row in listed} == {str(approval.public_id), str(expired.public_id)}
    assert billing.get(path(approval)).status_code == 200
    assert billing.get(path(draft)).status_code == 403
    assert billing.get(BASE, {"status": "draft"}).json()["results"] == []


def test_billing_sees_the_decision_but_not_the_notes_evidence():
    approval = approved()

    shown = api("billing").get(path(approval)).json()
    clinician = api("clinician").get(path(approval)).json()

    assert shown["decision"]["auth_number"] == "AUTH-123"
    assert all("evidence" not in c and "facts" not in c for c in shown["criteria"])
    assert clinician["criteria"][0]["evidence"] == [{"note": "note-1", "start": 12, "end": 26, "text": QUOTE}]


# --- the detail ----------------------------------------------------------------------------


def test_the_detail_has_status_coverage_criteria_evidence_missing_and_history():
    authorization = a_request(S.NEEDS_DOCUMENTATION)

    shown = api("front_office").get(path(authorization)).json()

    assert shown["id"] == str(authorization.public_id)
    assert shown["status"] == "needs_documentation"
    assert shown["requires_auth"] is True
    assert shown["policy"] == {"id": "commercial-esi", "policy_set": "commercial"}
    assert shown["coverage"]["id"] == authorization.coverage.fhir_id
    assert shown["coverage"]["member_id"] == authorization.coverage.member_id
    assert shown["coverage"]["information"]["pa-needed"] == "auth-needed"
    assert [(c["id"], c["status"]) for c in shown["criteria"]] == [
        ("pain_severity", "met"), ("conservative_care", "insufficient_documentation")]
    assert shown["criteria"][0]["evidence"][0]["text"] == QUOTE
    assert shown["missing"] == [{"criterion": "conservative_care",
                                 "text": "Document the conservative care tried and for how long."}]
    assert [(h["from"], h["to"], h["by"]) for h in shown["history"]] == [
        (None, "draft", "system:test"), ("draft", "needs_documentation", "system:test")]
    assert shown["history"][1]["reason"] == "to needs_documentation"
    assert shown["decision"] is None and shown["packet"] is None
    assert shown["requester"]["npi"] == authorization.requester.npi


def test_the_detail_of_an_approval_has_its_decision_units_used_and_warnings():
    soon = timezone.localdate() + timedelta(days=5)
    approval = approved(valid_from=timezone.localdate() - timedelta(days=30), valid_until=soon)
    ProcedureFactory(patient={"resourceType": "Patient", "id": approval.patient.fhir_id}, cpt="64483",
                     performedDateTime=(timezone.now() - timedelta(days=3)).isoformat())

    shown = api("front_office").get(path(approval)).json()

    decision = shown["decision"]
    assert decision["outcome"] == "approved"
    assert (decision["auth_number"], decision["approved_codes"], decision["units_approved"]) == (
        "AUTH-123", ["64483"], 2)
    assert decision["units_used"] == 1
    assert (decision["valid_from"], decision["valid_until"]) == (
        (timezone.localdate() - timedelta(days=30)).isoformat(), soon.isoformat())
    assert {w["kind"] for w in shown["warnings"]} == {"expiring", "units_low"}


def test_a_denial_keeps_the_payers_reason():
    denial = a_request(S.READY, S.SUBMITTED, S.DENIED, decided_at=timezone.now(),
                       decision_reason="Not medically necessary: fewer than 4 weeks of conservative care (code 75)")

    decision = api("front_office").get(path(denial)).json()["decision"]

    assert decision["outcome"] == "denied"
    assert decision["denial_reason"].startswith("Not medically necessary")


def test_an_overdue_request_says_so():
    late = a_request(S.READY, S.SUBMITTED, decision_due_at=timezone.now() - timedelta(hours=5))
    on_time = a_request(S.READY, S.SUBMITTED)

    assert api("front_office").get(path(late)).json()["overdue"] is True
    assert api("front_office").get(path(on_time)).json()["overdue"] is False


# --- the worklist's filters ----------------------------------------------------------------


def listed(params: dict | None = None, role: str = "front_office") -> list[str]:
    response = api(role).get(BASE, params)
    assert response.status_code == 200, response.content
    return [row["id"] for row in response.json()["results"]]


def test_the_list_filters_by_status_payer_cpt_and_patient():
    ready = a_request(S.READY)
    sent = a_request(S.READY, S.SUBMITTED, cpt="64493")
    draft = a_request()

    assert listed({"status": "ready"}) == [str(ready.public_id)]
    assert sorted(listed({"status": "ready,submitted"})) == sorted([str(ready.public_id), str(sent.public_id)])
    assert listed({"cpt": "64493"}) == [str(sent.public_id)]
    assert listed({"payer": draft.payer.fhir_id}) == [str(draft.public_id)]
    assert len(listed({"payer": "commercial"})) == 3
    assert listed({"payer": "medicare"}) == []
    assert listed({"patient": ready.patient.fhir_id}) == [str(ready.public_id)]


def test_the_list_filters_by_due_date():
    now = timezone.now()
    overdue = a_request(S.READY, S.SUBMITTED, decision_due_at=now - timedelta(hours=2))
    today_end = timezone.make_aware(timezone.datetime.combine(timezone.localdate(), timezone.datetime.max.time()))
    later_today = a_request(S.READY, S.SUBMITTED, decision_due_at=min(now + timedelta(minutes=5), today_end))
    in_three_days = a_request(S.READY, S.SUBMITTED, decision_due_at=now + timedelta(days=3))
    next_month = a_request(S.READY, S.SUBMITTED, decision_due_at=now + timedelta(days=30))
    a_request(S.READY)  # not awaiting the payer: never due

    assert listed({"due": "overdue"}) == [str(overdue.public_id)]
    assert listed({"due": "today"}) == [str(later_today.public_id)]
    assert listed({"due": "week"}) == [str(later_today.public_id), str(in_three_days.public_id)]
    before = (timezone.localdate() + timedelta(days=10)).isoformat()
    assert listed({"due": f"before={before}"}) == [str(overdue.public_id), str(later_today.public_id),
                                                   str(in_three_days.public_id)]
    assert str(next_month.public_id) in listed({"due": "before=9999-12-31"})


def test_the_list_is_ordered_by_due_date_and_paged():
    late = a_request(S.READY, S.SUBMITTED, decision_due_at=timezone.now() - timedelta(days=1))
    soon = a_request(S.READY, S.SUBMITTED, decision_due_at=timezone.now() + timedelta(days=1))
    a_request()

    page = api("front_office").get(BASE, {"limit": 2}).json()

    assert page["count"] == 3
    assert [row["id"] for row in page["results"]] == [str(late.public_id), str(soon.public_id)]
    assert page["next"] is not None
    row = page["results"][0]
    assert row["overdue"] is True and row["status"] == "submitted"
    assert row["patient"] == {"id": late.patient.fhir_id, "reference": f"Patient/{late.patient.fhir_id}"}


@pytest.mark.parametrize(("params", "field"), [
    ({"status": "sometimes"}, "status"),
    ({"due": "soon"}, "due"),
    ({"due": "before=2026-02-30"}, "due"),
    ({"due": "before=tomorrow"}, "due"),
    ({"status": "ready\x00"}, "status"),
    ({"limit": "ten"}, "limit"),
    ({"offset": "-1"}, "offset"),
])
def test_bad_filters_are_400_naming_the_parameter(params, field):
    response = api("front_office").get(BASE, params)

    assert response.status_code == 400
    assert field in error(response)["detail"]


def test_the_list_runs_the_same_queries_for_two_rows_as_for_twenty():
    client = api("front_office")
    a_request(S.READY), a_request(S.READY)
    client.get(BASE)  # the token's first use is cached; count from the second call on

    with CaptureQueriesContext(connection) as two:
        assert len(client.get(BASE).json()["results"]) == 2
    for _ in range(18):
        a_request(S.READY, S.SUBMITTED)
    with CaptureQueriesContext(connection) as twenty:
        assert len(client.get(BASE).json()["results"]) == 20

    # token and user, the role, count, page, audit event, its patients
    assert len(two) == len(twenty) == PINNED_LIST_QUERIES, [q["sql"][:120] for q in twenty.captured_queries]


PINNED_LIST_QUERIES = 7


# --- changes through the services ---------------------------------------------------------


def test_create_from_a_service_request_is_201_with_the_evaluated_detail():
    order = an_order()

    response = api("front_office").post(BASE, {"service_request": order.fhir_id, "urgency": "expedited"})

    assert response.status_code == 201, response.content
    shown = response.json()
    created = PriorAuthorization.objects.get(public_id=shown["id"])
    assert (created.service_request, created.urgency, created.cpt) == (order, "expedited", "64483")
    assert shown["status"] in ("needs_documentation", "ready")  # evaluated at once, out of draft
    assert shown["history"][0]["to"] == "draft"
    assert shown["coverage"]["information"] is not None


@pytest.mark.parametrize(("body", "field"), [
    ({}, "service_request"),
    ({"service_request": "no-such-order"}, "service_request"),
    ({"service_request": 12}, "service_request"),
    ({"service_request": ["x"]}, "service_request"),
    ({"service_request": "a b"}, "service_request"),
    ({"service_request": "x" * 65}, "service_request"),
    ({"service_request": "ok-id", "urgency": "whenever"}, "urgency"),
    ({"service_request": "ok-id", "urgency": None}, "urgency"),
])
def test_create_with_bad_input_is_400_naming_the_field(body, field):
    response = api("front_office").post(BASE, body)

    assert response.status_code == 400
    assert field in error(response)["detail"]
    assert PriorAuthorization.objects.count() == 0


@pytest.mark.parametrize("raw", ["{", "[1, 2]", "null", "\"text\"", "{\"service_request\": \"\\u0000\"}"])
def test_create_with_a_body_that_is_not_an_object_is_400(raw):
    response = api("front_office").post(BASE, raw)

    assert response.status_code == 400
    assert error(response)["status"] == 400


def test_create_with_another_content_type_is_415():
    response = api("front_office").post(BASE, "service_request=x", content_type="text/plain")

    assert response.status_code == 415
    assert error(response)["code"] == "unsupported_media_type"


def test_create_for_a_patient_without_coverage_is_400_in_plain_words():
    response = api("front_office").post(BASE, {"service_request": an_order(covered=False).fhir_id})

    assert response.status_code == 400
    assert "no active coverage" in str(error(response)["detail"])


def test_create_for_an_order_with_an_open_request_is_409():
    order = an_order()
    assert api("front_office").post(BASE, {"service_request": order.fhir_id}).status_code == 201

    response = api("front_office").post(BASE, {"service_request": order.fhir_id})

    assert response.status_code == 409
    assert "already has an open" in str(error(response)["detail"])
    assert PriorAuthorization.objects.filter(service_request=order).count() == 1


def test_submit_queues_the_submission_and_answers_202(django_capture_on_commit_callbacks):
    ready = a_request(S.READY)

    with django_capture_on_commit_callbacks(execute=True):
        response = api("front_office").post(path(ready, "submit/"))

    assert response.status_code == 202, response.content
    ready.refresh_from_db()
    if django_settings.CELERY_TASK_ALWAYS_EAGER:  # no broker: the task queued on commit has run (by fax here)
        assert ready.status == S.SUBMITTED and ready.channel == "fax"
        assert len(list(django_settings.PRIORAUTH_FAX_OUTBOX.rglob("*.pdf"))) >= 1
    else:  # a broker: it waits for a worker
        assert ready.submit_requested_at is not None
        assert response.json()["submission"]["requested_at"] is not None


# A move the request's state does not allow: the services say whether it is a conflict (409) or
# input that cannot work (400); either way a JSON 4xx in plain words, and nothing changes.
STATE_REFUSED = (400, 409)


def test_submit_of_a_request_that_is_not_ready_is_refused_and_changes_nothing():
    draft = a_request(S.NEEDS_DOCUMENTATION)

    response = api("front_office").post(path(draft, "submit/"))

    assert response.status_code in STATE_REFUSED
    assert "only a request that is ready" in str(error(response)["detail"])
    draft.refresh_from_db()
    assert (draft.status, draft.submit_requested_at) == (S.NEEDS_DOCUMENTATION, None)


def test_evaluate_evaluates_again():
    draft = a_request()

    response = api("front_office").post(path(draft, "evaluate/"))

    assert response.status_code == 200, response.content
    draft.refresh_from_db()
    assert draft.status in (S.NEEDS_DOCUMENTATION, S.READY)
    assert response.json()["status"] == draft.status
    assert draft.evaluation != EVALUATION  # the engine's own evaluation replaced the one stored


def test_cancel_keeps_the_reason_in_the_timeline():
    ready = a_request(S.READY)

    response = api("front_office").post(path(ready, "cancel/"), {"reason": "the patient moved away"})

    assert response.status_code == 200
    assert response.json()["status"] == "cancelled"
    assert response.json()["history"][-1]["reason"] == "the patient moved away"


@pytest.mark.parametrize("body", [{}, {"reason": ""}, {"reason": None}, {"reason": "x" * 501}, {"reason": ["a"]}])
def test_cancel_without_a_usable_reason_is_400(body):
    ready = a_request(S.READY)

    response = api("front_office").post(path(ready, "cancel/"), body)

    assert response.status_code == 400
    assert "reason" in error(response)["detail"]
    ready.refresh_from_db()
    assert ready.status == S.READY


def test_cancelling_a_cancelled_request_is_refused():
    cancelled = a_request(S.CANCELLED)

    response = api("front_office").post(path(cancelled, "cancel/"), {"reason": "again"})

    assert response.status_code in STATE_REFUSED
    assert "cannot be cancelled" in str(error(response)["detail"])
    assert cancelled.history.count() == 2


def test_a_fax_decision_recorded_by_staff():
    sent = a_request(S.READY, S.SUBMITTED)

    response = api("front_office").post(path(sent, "decision/"), {
        "outcome": "approved", "auth_number": "FAX-881", "approved_units": 1,
        "valid_from": "2026-11-01", "valid_until": "2027-02-28"})

    assert response.status_code == 200, response.content
    decision = response.json()["decision"]
    assert (decision["outcome"], decision["auth_number"], decision["units_approved"]) == ("approved", "FAX-881", 1)
    assert (decision["valid_from"], decision["valid_until"]) == ("2026-11-01", "2027-02-28")
    assert response.json()["history"][-1]["by"] == PriorAuthorization.objects.get(pk=sent.pk).history.last().agent


@pytest.mark.parametrize(("body", "field"), [
    ({"outcome": "maybe"}, "outcome"),
    ({"outcome": "approved", "approved_units": -1}, "approved_units"),
    ({"outcome": "approved", "approved_units": "two"}, "approved_units"),
    ({"outcome": "approved", "approved_units": 2 ** 70}, "approved_units"),
    ({"outcome": "approved", "valid_from": "2026-13-01"}, "valid_from"),
    ({"outcome": "approved", "valid_until": "10000-01-01"}, "valid_until"),
    ({"outcome": "approved", "valid_from": "2026-12-01", "valid_until": "2026-11-01"}, "valid_until"),
    ({"outcome": "approved", "auth_number": "x" * 65}, "auth_number"),
])
def test_a_decision_with_bad_values_is_400_naming_the_field(body, field):
    sent = a_request(S.READY, S.SUBMITTED)

    response = api("front_office").post(path(sent, "decision/"), body)

    assert response.status_code == 400
    assert field in error(response)["detail"]
    sent.refresh_from_db()
    assert sent.status == S.SUBMITTED


def test_an_approval_without_an_authorization_number_is_400_in_plain_words():
    sent = a_request(S.READY, S.SUBMITTED)

    response = api("front_office").post(path(sent, "decision/"), {"outcome": "approved"})

    assert response.status_code == 400
    assert "authorization number" in str(error(response)["detail"])


# --- the packet ----------------------------------------------------------------------------


def test_the_packet_is_served_as_a_pdf_once_built():
    ready = a_request(S.READY)
    assert error(api("clinician").get(path(ready, "packet.pdf")))["status"] == 404
    store_packet(ready, b"%PDF-1.7 the packet\n%%EOF")

    response = api("clinician").get(path(ready, "packet.pdf"))

    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response.content == b"%PDF-1.7 the packet\n%%EOF"
    assert api("clinician").get(path(ready)).json()["packet"]["url"].endswith(f"{ready.public_id}/packet.pdf")


# --- unknown ids and paths -------------------------------------------------------------------


@pytest.mark.parametrize("public_id", [str(uuid.uuid4()), "not-a-uuid", "1", "%00", "x" * 300])
@pytest.mark.parametrize("action", ["", "submit/", "packet.pdf"])
def test_an_unknown_request_is_a_json_404(public_id, action):
    client = api("front_office")
    url = f"{BASE}{public_id}/{action}"

    response = client.get(url) if action != "submit/" else client.post(url)

    assert response.status_code == 404
    assert error(response)["status"] == 404


@pytest.mark.parametrize("url", [f"{BASE}x/y/z/", f"{BASE}{uuid.uuid4()}/submit", f"{BASE}{uuid.uuid4()}/zap/"])
def test_an_unknown_path_is_a_json_404(url):
    assert error(api("front_office").get(url))["status"] == 404


def test_a_method_an_endpoint_does_not_have_is_a_json_405():
    ready = a_request(S.READY)

    client = api("front_office")

    response = client.client.delete(path(ready), headers=client.headers)

    assert response.status_code == 405
    assert error(response)["status"] == 405


# --- the audit trail ------------------------------------------------------------------------


def new_events(mark: int) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(pk__gt=mark, source="rest-api").exclude(subtype="login").order_by("pk"))


def last_event_pk() -> int:
    return AuditEvent.objects.order_by("-pk").values_list("pk", flat=True).first() or 0


def test_reading_the_list_is_audited_with_every_patient_shown():
    first, second = a_request(S.READY), a_request(S.READY)
    client = api("clinician")
    mark = last_event_pk()

    client.get(BASE, {"status": "ready"})

    event, = new_events(mark)
    assert (event.action, event.subtype, event.resource_type, event.query) == (
        "E", "search", "PriorAuthorization", "status=ready")
    assert sorted(link.patient_id for link in event.patients.all()) == sorted(
        [first.patient.fhir_id, second.patient.fhir_id])
    assert sorted(event.entities) == sorted(f"PriorAuthorization/{a.public_id}" for a in (first, second))


def test_reading_a_request_and_its_packet_is_audited_with_the_patient():
    ready = a_request(S.READY)
    document = store_packet(ready)
    client = api("clinician")
    mark = last_event_pk()

    client.get(path(ready))
    client.get(path(ready, "packet.pdf"))

    read, packet = new_events(mark)
    assert (read.action, read.resource_type, read.resource_id, read.patient_id) == (
        "R", "PriorAuthorization", str(ready.public_id), ready.patient.fhir_id)
    assert (packet.action, packet.resource_type, packet.resource_id, packet.patient_id) == (
        "R", "DocumentReference", document.fhir_id, ready.patient.fhir_id)
    assert read.agent_name == packet.agent_name and read.agent_roles == "clinician"


def test_changes_are_audited_with_the_patient_by_whom():
    client = api("front_office")
    order = an_order()
    mark = last_event_pk()

    created = client.post(BASE, {"service_request": order.fhir_id}).json()
    client.post(f"{BASE}{created['id']}/cancel/", {"reason": "duplicate order"})

    events = [(e.action, e.subtype, e.resource_id, e.patient_id) for e in new_events(mark)]
    assert ("C", "create", created["id"], order.patient.fhir_id) in events
    assert ("U", "cancel", created["id"], order.patient.fhir_id) in events


def test_a_refused_call_is_audited_as_a_failure():
    draft = a_request()
    mark = last_event_pk()

    api("clinician").post(path(draft, "submit/"))
    api("billing").get(path(draft))

    submit, read = new_events(mark)
    assert (submit.action, submit.subtype, submit.outcome, submit.outcome_detail) == ("U", "submit", "4", "HTTP 403")
    assert (read.action, read.resource_id, read.patient_id, read.outcome) == (
        "R", str(draft.public_id), draft.patient.fhir_id, "4")
