"""The workflow's services on the database: create and evaluate a request from an order and the
patient's notes, re-evaluate on a new note, record decisions, units used, warnings and expiry."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.contrib.auth.models import User
from django.utils import timezone

from priorauth import selectors, services
from priorauth.lifecycle import transition
from priorauth.models import PriorAuthorization, StatusChange
from pracops.audit.models import AuditEvent
from pracops.records.models import Procedure
from tests.factories import ProcedureFactory
from tests.priorauth.workflow import COMPLETE_ESI_NOTE, THIN_ESI_NOTE, add_note, practice_case

S = PriorAuthorization.Status
pytestmark = pytest.mark.django_db


@pytest.fixture
def frontdesk():
    return User.objects.create_user("frontdesk")


def test_an_order_with_complete_notes_becomes_a_ready_request_with_its_evaluation(frontdesk):
    case = practice_case()
    note = add_note(case.patient, COMPLETE_ESI_NOTE)

    authorization = services.create_authorization(service_request=case.order, urgency="standard", user=frontdesk)

    authorization.refresh_from_db()
    assert authorization.status == S.READY
    assert (authorization.cpt, authorization.units, authorization.planned_date) == ("64483", 1, date(2026, 11, 20))
    assert (authorization.coverage, authorization.payer, authorization.policy_key) == (
        case.coverage, case.payer, "commercial")
    assert authorization.requester == case.order.requester
    assert authorization.requires_auth is True and authorization.ready is True
    assert authorization.policy_id
    statuses = {c["id"]: c["status"] for c in authorization.evaluation["criteria"]}
    assert statuses["radicular_pain"] == "met"
    evidence = [e for c in authorization.evaluation["criteria"] for e in c["evidence"]]
    assert evidence and {e["note"] for e in evidence} == {note.fhir_id}
    assert authorization.coverage_information["requires_auth"] is True
    assert list(StatusChange.objects.filter(authorization=authorization).values_list(
        "from_status", "to_status", "agent")) == [("", "draft", "frontdesk"), ("draft", "ready", "frontdesk")]
    assert AuditEvent.objects.filter(resource_type="PriorAuthorization", resource_id=str(authorization.public_id),
                                     action="C", patient_id=case.patient.fhir_id).exists()


def test_thin_notes_leave_the_request_needing_documentation_with_what_is_missing():
    case = practice_case()
    add_note(case.patient, THIN_ESI_NOTE)

    authorization = services.create_authorization(service_request=case.order, urgency="expedited", user=None)

    assert authorization.status == S.NEEDS_DOCUMENTATION
    missing = [c["missing"] for c in authorization.evaluation["criteria"]
               if c["status"] in ("not_met", "insufficient_documentation")]
    assert missing and all(missing)


def test_the_ordered_quantity_is_the_units_asked_for():
    case = practice_case(quantity=2)
    assert services.create_authorization(service_request=case.order, user=None).units == 2


@pytest.mark.parametrize("kwargs,message", [
    ({"policy_key": None}, "no payer profile"),
    ({"coverage_status": "cancelled"}, "no active coverage"),
    ({"coverage_period": ("2025-01-01", "2025-12-31")}, "no active coverage on 2026-11-20"),
    ({"cpt": ""}, "no CPT or HCPCS code"),
])
def test_an_order_that_cannot_be_authorized_is_refused_in_plain_words(kwargs, message):
    case = practice_case(**kwargs) if kwargs.get("cpt") != "" else practice_case()
    if kwargs.get("cpt") == "":
        case.order.code_system = "http://snomed.info/sct"
        case.order.save()

    with pytest.raises(services.AuthorizationError, match=message) as error:
        services.create_authorization(service_request=case.order, user=None)

    assert not error.value.conflict
    assert not PriorAuthorization.objects.exists()


def test_an_order_has_one_open_request_at_a_time():
    case = practice_case()
    first = services.create_authorization(service_request=case.order, user=None)

    with pytest.raises(services.OpenRequestExists) as error:
        services.create_authorization(service_request=case.order, user=None)
    assert error.value.conflict

    services.cancel(authorization=first, reason="order changed", user=None)
    second = services.create_authorization(service_request=case.order, user=None)
    assert second.pk != first.pk


def test_coverage_requirement_answers_for_the_order():
    case = practice_case()

    answer = services.coverage_requirement(service_request=case.order)

    assert answer["requires_auth"] is True
    assert answer["billingCode"] if "billingCode" in answer else True
    assert answer["documentation"]


def test_the_order_s_own_insurance_is_the_coverage_used():
    case = practice_case()
    # A second coverage in force, at a payer without a profile, started later.
    from tests.factories import CoverageFactory, OrganizationFactory

    CoverageFactory.create(patient=f"Patient/{case.patient.fhir_id}", payer=OrganizationFactory.create(payer=True),
                           period={"start": "2026-06-01", "end": "2026-12-31"})

    assert selectors.active_coverage(patient_pk=case.patient.pk, on=date(2026, 11, 20),
                                     service_request=case.order) == case.coverage
    assert selectors.active_coverage(patient_pk=case.patient.pk, on=date(2026, 11, 20)) != case.coverage


def test_a_new_note_re_evaluates_the_patients_open_requests(django_capture_on_commit_callbacks, monkeypatch):
    from priorauth.tasks import reevaluate_patient_task

    # The task runs here whether or not a broker is configured (the receiver -> task -> service chain).
    monkeypatch.setattr(reevaluate_patient_task, "delay", lambda *args: reevaluate_patient_task.apply(args=args))
    case = practice_case()
    add_note(case.patient, THIN_ESI_NOTE, date="2026-11-01T10:00:00Z")
    authorization = services.create_authorization(service_request=case.order, user=None)
    assert authorization.status == S.NEEDS_DOCUMENTATION

    # The note-reading signal queues the re-evaluation once the facts are committed.
    with django_capture_on_commit_callbacks(execute=True):
        add_note(case.patient, COMPLETE_ESI_NOTE, date="2026-11-05T10:00:00Z")

    authorization.refresh_from_db()
    assert authorization.status == S.READY
    change = StatusChange.objects.filter(authorization=authorization).last()
    assert (change.from_status, change.to_status, change.agent) == ("needs_documentation", "ready",
                                                                    "system:reevaluate")


def test_a_request_already_sent_is_not_re_evaluated():
    case = practice_case()
    add_note(case.patient, COMPLETE_ESI_NOTE)
    authorization = services.create_authorization(service_request=case.order, user=None)
    transition(authorization, S.SUBMITTED)
    evaluated_at = authorization.evaluated_at

    services.evaluate_authorization(authorization=authorization)

    authorization.refresh_from_db()
    assert (authorization.status, authorization.evaluated_at) == (S.SUBMITTED, evaluated_at)
    assert services.reevaluate_patient(patient_pk=case.patient.pk) == 0


def _approved(case, *, units=2, valid_from=date(2026, 11, 1), valid_until=date(2027, 1, 31)) -> PriorAuthorization:
    add_note(case.patient, COMPLETE_ESI_NOTE)
    authorization = services.create_authorization(service_request=case.order, user=None)
    transition(authorization, S.SUBMITTED, channel="fax")
    return services.record_decision(authorization=authorization, outcome=S.APPROVED, auth_number="AUTH-1",
                                    approved_units=units, valid_from=valid_from, valid_until=valid_until,
                                    reason="", user=User.objects.create_user("biller"))


def _perform(case, when: str, cpt: str = "64483", status: str = "completed") -> None:
    ProcedureFactory.create(patient=f"Patient/{case.patient.fhir_id}", cpt=cpt, performedDateTime=when,
                            status=status)


def test_units_used_count_performed_procedures_of_the_approved_code_within_the_valid_period():
    case = practice_case()
    authorization = _approved(case, units=3)
    _perform(case, "2026-11-25T10:00:00Z")
    _perform(case, "2026-12-20T10:00:00Z")
    _perform(case, "2026-10-01T10:00:00Z")  # before the valid period
    _perform(case, "2026-12-21T10:00:00Z", cpt="64493")  # another code
    _perform(case, "2026-12-22T10:00:00Z", status="not-done")

    assert Procedure.objects.filter(patient=case.patient).count() == 5
    assert selectors.units_used(authorization) == 2
    assert [w.kind for w in selectors.warnings(authorization, today=date(2026, 12, 1))] == ["units_low"]
    _perform(case, "2027-01-05T10:00:00Z")
    assert selectors.units_used(authorization) == 3
    assert [w.kind for w in selectors.warnings(authorization, today=date(2026, 12, 1))] == ["units_exhausted"]


def test_an_approval_ending_within_14_days_warns_and_once_over_expires():
    case = practice_case()
    authorization = _approved(case, units=4, valid_until=date(2027, 1, 31))

    assert selectors.warnings(authorization, today=date(2027, 1, 16)) == []
    assert [w.kind for w in selectors.warnings(authorization, today=date(2027, 1, 17))] == ["expiring"]
    assert services.expire_approvals(today=date(2027, 1, 31)) == 0
    assert services.expire_approvals(today=date(2027, 2, 1)) == 1

    authorization.refresh_from_db()
    assert authorization.status == S.EXPIRED
    assert StatusChange.objects.filter(authorization=authorization).last().agent == "system:expire"


def test_a_staff_decision_keeps_the_number_units_period_and_the_denial_reason():
    case = practice_case()
    authorization = _approved(case)
    assert (authorization.status, authorization.auth_number, authorization.approved_units,
            authorization.approved_codes) == (S.APPROVED, "AUTH-1", 2, ["64483"])
    assert StatusChange.objects.filter(authorization=authorization).last().agent == "biller"

    other = practice_case()
    add_note(other.patient, COMPLETE_ESI_NOTE)
    denied = services.create_authorization(service_request=other.order, user=None)
    transition(denied, S.SUBMITTED, channel="fax")
    with pytest.raises(services.AuthorizationError, match="specific reason"):
        services.record_decision(authorization=denied, outcome=S.DENIED, user=None)
    services.record_decision(authorization=denied, outcome=S.DENIED, reason="Not medically necessary (code 73)",
                             user=None)
    denied.refresh_from_db()
    assert (denied.status, denied.decision_reason) == (S.DENIED, "Not medically necessary (code 73)")

    services.appeal(authorization=denied, reason="new imaging", user=None)
    denied.refresh_from_db()
    assert denied.status == S.APPEALED and denied.decision_due_at > timezone.now() + timedelta(days=6)


def test_a_decision_the_lifecycle_does_not_allow_is_refused():
    case = practice_case()
    add_note(case.patient, COMPLETE_ESI_NOTE)
    authorization = services.create_authorization(service_request=case.order, user=None)

    with pytest.raises(services.AuthorizationError, match="ready to submit cannot be recorded as approved"):
        services.record_decision(authorization=authorization, outcome=S.APPROVED, auth_number="X", user=None)


def test_due_dates_72_hours_expedited_7_days_standard_and_overdue_stands_out():
    case = practice_case()
    authorization = services.create_authorization(service_request=case.order, urgency="expedited", user=None)
    now = timezone.now()
    assert authorization.decision_due_after(now) == timedelta(hours=72)
    authorization.urgency = "standard"
    assert authorization.decision_due_after(now) == timedelta(days=7)

    PriorAuthorization.objects.filter(pk=authorization.pk).update(
        status=S.SUBMITTED, decision_due_at=now - timedelta(minutes=1))
    authorization.refresh_from_db()
    assert authorization.overdue
    assert list(selectors.due_requests()) == [authorization]
