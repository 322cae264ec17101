"""Every write of the prior authorization workflow: create and evaluate a request, build its
packet, send it to the payer exactly once, follow it to a decision, and keep the decision.

Each public function is the outermost transaction of its work (``durable=True``), locks the
request's row (``select_for_update``) before reading what it decides on, moves the status only
through ``priorauth.lifecycle.transition``, queues background work on commit and writes the
audit trail. Tasks (priorauth.tasks) pass ids and an agent ``system:<what>``.

Never sent twice: a ``SubmissionAttempt`` in state ``sending`` is committed before the request
leaves, and the sender holds a database session lock on that attempt (PostgreSQL advisory lock,
released by the server if the worker dies) for as long as the call runs. A second delivery of
the task finds the attempt either still locked (a send is in flight: it leaves it) or unlocked
while ``sending`` (the sender died): it then asks the payer whether the request arrived before
sending it again. Any earlier attempt that failed (a timeout may have reached the payer) is
followed by the same question.
"""

from __future__ import annotations

import base64
import contextlib
import copy
import logging
import uuid
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.db.models import Q
from django.utils import timezone

from priorauth import selectors
from priorauth.lifecycle import can_move, record_creation, transition, transition_many
from priorauth.models import PayerProfile, PriorAuthorization, SubmissionAttempt
from pracops.audit.models import AuditEvent
from pracops.audit.services import record_access, record_many
from pracops.bulk import update_rows
from pracops.fhir.mapping import ICD10CM, LOINC
from pracops.pending_work import enqueue_on_commit
from pracops.records.models import Condition, Organization, ServiceRequest
from pracops.records.registry import KINDS

logger = logging.getLogger(__name__)

S = PriorAuthorization.Status
A = SubmissionAttempt.State

# The packet is stored as a DocumentReference identified by the request's public id.
PACKET_ID_SYSTEM = "urn:pracops:prior-authorization"
# LOINC 51851-4 "Administrative note": a prior authorization packet is an administrative
# document about the patient's care (not a clinical note, so note reading leaves it alone).
PACKET_TYPE = {"system": LOINC, "code": selectors.PACKET_LOINC, "display": "Administrative note"}
# The Claim / ClaimResponse pair kept for EHRs carries the same identifier system.
CLAIM_ID_SYSTEM = PACKET_ID_SYSTEM


class AuthorizationError(Exception):
    """A request that cannot be made or moved, in plain words for staff (no patient data).

    ``conflict`` is True when the request clashes with the current state (the API answers 409),
    False when the input cannot work (400).
    """

    conflict = False


class OpenRequestExists(AuthorizationError):
    conflict = True


class NotificationRefused(ValueError):
    """A rest-hook notification that is not one (the endpoint answers 400 OperationOutcome)."""


# --- Helpers -------------------------------------------------------------------


def _audit(authorization: PriorAuthorization, action: str, *, user=None, agent: str = "",
           subtype: str = "") -> None:
    """One audit event on the request (its public id), with the patient's id."""
    system = agent.removeprefix("system:") if agent else ""
    record_access(
        user=user if user is not None and getattr(user, "is_authenticated", False) else None,
        source=AuditEvent.Source.TASK if system and user is None else AuditEvent.Source.REST_API,
        action=action, subtype=subtype, resource_type="PriorAuthorization",
        resource_id=str(authorization.public_id), patient_id=authorization.patient.fhir_id,
        system=system or ("priorauth" if user is None else ""),
    )


def _lock(pk: int) -> PriorAuthorization | None:
    return (PriorAuthorization.objects.select_for_update(of=("self",))
            .select_related("patient", "coverage", "payer", "service_request").filter(pk=pk).first())


def _served(record) -> dict | None:
    """A record as the FHIR API serves it (what payers and the packet are given)."""
    if record is None:
        return None
    return KINDS[record.resource_type].to_fhir(record)


# --- Coverage requirement and evaluation --------------------------------------------


def coverage_requirement(*, service_request: ServiceRequest) -> dict:
    """The CRD coverage-information answer for an order: does the patient's payer need an
    authorization for it, by which policy, and what documentation. Raises AuthorizationError
    when it cannot be answered (not a procedure order, no coverage in force, payer not set up)."""
    from priorauth.criteria import coverage_information

    cpt, coverage, profile, on = _order_terms(service_request)
    return coverage_information(payer=profile.policy_key, cpt=cpt, on=on).as_dict()


def _order_terms(service_request: ServiceRequest) -> tuple[str, object, PayerProfile, date]:
    cpt = selectors.ordered_cpt(service_request)
    if cpt is None:
        raise AuthorizationError("the order has no CPT or HCPCS code: only procedure orders need prior authorization")
    on = selectors.planned_date(service_request)
    coverage = selectors.active_coverage(patient_pk=service_request.patient_id, on=on,
                                         service_request=service_request)
    if coverage is None:
        raise AuthorizationError(f"the patient has no active coverage on {on.isoformat()}")
    profile = selectors.payer_profile(coverage)
    if profile is None:
        raise AuthorizationError(
            "the coverage's payer has no payer profile: set its policy key in the admin (Payer profiles)")
    return cpt, coverage, profile, on


def create_authorization(*, service_request: ServiceRequest, urgency: str = PriorAuthorization.Urgency.STANDARD,
                         user=None, agent: str = "") -> PriorAuthorization:
    """A new request (draft) for an order, evaluated at once (so draft -> ready or needs_documentation).

    Raises AuthorizationError (no CPT code, no coverage, no payer profile, bad urgency) or
    OpenRequestExists (the order already has an open request).
    """
    if urgency not in PriorAuthorization.Urgency.values:
        raise AuthorizationError(f"urgency must be one of {', '.join(PriorAuthorization.Urgency.values)}")
    cpt, coverage, profile, on = _order_terms(service_request)
    try:
        with transaction.atomic(durable=True):
            # The order's row serializes two creations for it (the constraint is the backstop).
            ServiceRequest.objects.select_for_update().filter(pk=service_request.pk).first()
            if selectors.open_request_for(service_request) is not None:
                raise OpenRequestExists("the order already has an open prior authorization request")
            authorization = PriorAuthorization.objects.create(
                service_request=service_request, patient_id=service_request.patient_id, coverage=coverage,
                payer_id=coverage.payor_id, requester_id=service_request.requester_id, cpt=cpt,
                units=selectors.ordered_units(service_request), planned_date=on, urgency=urgency,
                policy_key=profile.policy_key,
                created_by=user if user is not None and user.is_authenticated else None,
            )
            record_creation(authorization, user=user, agent=agent or "system:priorauth", reason="created from the order")
            _evaluate_locked(authorization, user=user, agent=agent or "system:priorauth")
            _audit(authorization, AuditEvent.Action.CREATE, user=user, agent=agent)
    except IntegrityError as exc:
        raise OpenRequestExists("the order already has an open prior authorization request") from exc
    return authorization


def evaluate_authorization(*, authorization: PriorAuthorization, user=None, agent: str = "") -> PriorAuthorization:
    """Evaluate the request's criteria against the patient's notes and records now; store the
    evaluation and coverage information and move draft / needs_documentation / ready by it.

    A request already sent or decided is left as it is (what was sent stays what was evaluated).
    Raises AuthorizationError when the request is gone or its payer has no policy set. The batch
    of one: ``evaluate_authorizations`` does the work.
    """
    result = evaluate_authorizations(authorizations=[authorization], user=user, agent=agent)
    if authorization.pk in result.skipped:
        raise AuthorizationError(result.skipped[authorization.pk])
    return result.authorizations[0]


@dataclass(frozen=True)
class BatchEvaluation:
    """What ``evaluate_authorizations`` did. ``authorizations``: every request found, locked and
    as stored after the batch (in primary key order); ``evaluated``: the primary keys evaluated;
    ``skipped``: {pk: why} for requests left unchanged (gone, or a payer without a policy set),
    in plain words without patient data. Requests already sent or decided are in neither."""

    authorizations: list[PriorAuthorization]
    evaluated: list[int]
    skipped: dict[int, str]


def evaluate_authorizations(*, authorizations: Iterable[PriorAuthorization], user=None, agent: str = "") -> BatchEvaluation:
    """``evaluate_authorization`` for many requests in one transaction and a fixed number of
    queries whatever their number: the rows locked in primary key order, the note facts,
    procedure histories and payer profiles of all of them read at once, the evaluations made in
    memory, the rows written with one bulk update, the status moves (``lifecycle.transition_many``)
    with one bulk insert of StatusChanges, and one audit event per evaluated request in one
    ``record_many``. Evaluates and stores exactly what one-by-one evaluation would.
    """
    pks = sorted({a.pk for a in authorizations})
    with transaction.atomic(durable=True):
        locked = list(PriorAuthorization.objects.select_for_update(of=("self",))
                      .select_related("patient", "coverage").filter(pk__in=pks).order_by("pk"))
        skipped = {pk: "the request no longer exists" for pk in set(pks) - {a.pk for a in locked}}
        evaluable = [a for a in locked if a.status in PriorAuthorization.EVALUABLE]
        evaluated, refused = _evaluate_many_locked(evaluable, user=user, agent=agent or "system:priorauth")
        skipped.update(refused)
        if evaluated:
            system = agent.removeprefix("system:") if agent else ""
            record_many(
                [dict(action=AuditEvent.Action.UPDATE, subtype="evaluate", resource_type="PriorAuthorization",
                      resource_id=str(a.public_id), patient_id=a.patient.fhir_id) for a in evaluated],
                user=user if user is not None and getattr(user, "is_authenticated", False) else None,
                source=AuditEvent.Source.TASK if system and user is None else AuditEvent.Source.REST_API,
                system=system or ("priorauth" if user is None else ""),
            )
    return BatchEvaluation(authorizations=locked, evaluated=[a.pk for a in evaluated], skipped=skipped)


# The columns an evaluation writes (besides status and updated_at).
_EVALUATION_FIELDS = ["policy_key", "policy_id", "requires_auth", "ready", "evaluation", "coverage_information",
                      "evaluated_at"]


def _evaluate_locked(authorization: PriorAuthorization, *, user=None, agent: str) -> None:
    _evaluated, refused = _evaluate_many_locked([authorization], user=user, agent=agent)
    if refused:
        raise AuthorizationError(refused[authorization.pk])


def _evaluate_many_locked(authorizations: list[PriorAuthorization], *, user=None,
                          agent: str) -> tuple[list[PriorAuthorization], dict[int, str]]:
    """Evaluate locked, evaluable requests and write the results; (evaluated, {pk: why refused})."""
    from priorauth.criteria import coverage_information, evaluate, merge_facts
    from priorauth.policies import UnknownPayer

    if not authorizations:
        return [], {}
    patients = {a.patient_id for a in authorizations}
    notes = selectors.note_facts_by_patient(patients)
    histories = selectors.procedure_history_by_patient(patients)
    profiles = selectors.payer_profiles_by_organization(
        a.coverage.payor_id for a in authorizations if a.coverage is not None)
    merged: dict[int, object] = {}
    coverages: dict[tuple, object] = {}
    evaluated, refused, moves, stays = [], {}, [], []
    for authorization in authorizations:
        coverage_row = authorization.coverage
        profile = profiles.get(coverage_row.payor_id) if coverage_row is not None else None
        key = profile.policy_key if profile else authorization.policy_key
        planned = authorization.planned_date or timezone.localdate()
        if authorization.patient_id not in merged:
            merged[authorization.patient_id] = merge_facts(notes[authorization.patient_id])
        try:
            evaluation = evaluate(payer=key, cpt=authorization.cpt, facts=merged[authorization.patient_id],
                                  history=histories[authorization.patient_id], planned=planned)
            if (key, authorization.cpt, planned) not in coverages:
                coverages[key, authorization.cpt, planned] = coverage_information(
                    payer=key, cpt=authorization.cpt, on=planned).as_dict()
        except UnknownPayer:
            refused[authorization.pk] = f"no payer policy set named {key!r}"
            continue
        fields = dict(
            policy_key=key, policy_id=evaluation.policy.id if evaluation.policy else "",
            requires_auth=evaluation.requires_auth, ready=evaluation.ready, evaluation=evaluation.as_dict(),
            # A copy each: the rows must not share one mutable dict.
            coverage_information=copy.deepcopy(coverages[key, authorization.cpt, planned]),
            evaluated_at=timezone.now(),
        )
        for name, value in fields.items():
            setattr(authorization, name, value)
        target = S.READY if evaluation.ready else S.NEEDS_DOCUMENTATION
        if target != authorization.status and can_move(authorization, target):
            moves.append((authorization, target, _evaluation_reason(evaluation)))
        else:
            stays.append(authorization)
        evaluated.append(authorization)
    transition_many(moves, user=user, agent=agent, update_fields=_EVALUATION_FIELDS)
    if stays:
        now = timezone.now()
        for authorization in stays:
            # update_rows, like bulk_update, does not apply auto_now.
            authorization.updated_at = now
        update_rows(stays, [*_EVALUATION_FIELDS, "updated_at"])
    return evaluated, refused


def _evaluation_reason(evaluation) -> str:
    if evaluation.ready:
        return "every criterion is met" if evaluation.requires_auth else "no authorization criteria to meet"
    open_items = [c for c in evaluation.criteria if c.status in ("not_met", "insufficient_documentation")]
    return f"{len(open_items)} criteri{'on' if len(open_items) == 1 else 'a'} not met or not documented"


def reevaluate_patient(*, patient_pk: int, agent: str = "system:reevaluate") -> int:
    """Evaluate again each of the patient's requests still being prepared (a new note, a new
    procedure); how many were evaluated."""
    pks = selectors.requests_to_reevaluate(patient_pk)
    if not pks:
        return 0
    result = evaluate_authorizations(authorizations=[PriorAuthorization(pk=pk) for pk in pks], agent=agent)
    for pk, why in result.skipped.items():
        logger.warning("prior authorization pk=%s not re-evaluated: %s", pk, why)
    return len(result.evaluated)


# --- The packet ---------------------------------------------------------------


def request_packet(*, authorization: PriorAuthorization, user=None) -> PriorAuthorization:
    """Ask for the packet to be (re)built in the background."""
    from priorauth.tasks import build_packet_task

    with transaction.atomic(durable=True):
        locked = _lock(authorization.pk)
        if locked is None:
            raise AuthorizationError("the request no longer exists")
        locked.packet_requested_at = timezone.now()
        locked.save(update_fields=["packet_requested_at", "updated_at"])
        enqueue_on_commit(build_packet_task, locked.pk)
    return locked


def build_packet(*, authorization: PriorAuthorization, agent: str = "system:packet") -> PriorAuthorization:
    """Render the request's packet (PDF) and store it as a DocumentReference of the patient
    identified by the request's public id: a rebuild is a new version of the same document."""
    from priorauth.packet import packet_context, render_packet

    authorization = PriorAuthorization.objects.select_related(
        "patient", "coverage", "payer", "service_request", "requester").get(pk=authorization.pk)
    started = timezone.now()
    pdf = render_packet(packet_context(**_packet_inputs(authorization, generated_at=started)))
    document = {
        "resourceType": "DocumentReference",
        "identifier": [{"system": PACKET_ID_SYSTEM, "value": str(authorization.public_id)}],
        "status": "current",
        "type": {"coding": [PACKET_TYPE], "text": "Prior authorization request packet"},
        "subject": {"reference": f"Patient/{authorization.patient.fhir_id}"},
        "date": started.isoformat(),
        "description": f"Prior authorization request {authorization.cpt}",
        "content": [{"attachment": {"contentType": "application/pdf", "data": base64.b64encode(pdf).decode(),
                                    "title": f"prior-authorization-{authorization.public_id}.pdf"}}],
    }
    from pracops.records.services import store_by_identifier

    with transaction.atomic(durable=True):
        locked = _lock(authorization.pk)
        if locked is None:
            raise AuthorizationError("the request no longer exists")
        op = store_by_identifier(resources=[document])[0]
        locked.packet_id = op.pk
        locked.packet_built_at = timezone.now()
        # A request for a packet made while this one rendered still wants its own.
        if locked.packet_requested_at is not None and locked.packet_requested_at <= started:
            locked.packet_requested_at = None
        locked.save(update_fields=["packet", "packet_built_at", "packet_requested_at", "updated_at"])
        _audit(locked, AuditEvent.Action.UPDATE, agent=agent, subtype="packet")
    return locked


def _packet_inputs(authorization: PriorAuthorization, *, generated_at: datetime) -> dict:
    from priorauth.criteria import merge_facts
    from priorauth.packet import PacketNote

    parties = _parties(authorization)
    notes = [PacketNote(key=note.fhir_id, title=note.code_display or "Clinical note",
                        date=note.date.date() if note.date else None, text=note.text)
             for note in selectors.patient_notes(authorization.patient_id)]
    return dict(
        request_id=str(authorization.public_id), patient=parties["patient"], coverage=parties["coverage"],
        payer=parties["payer"], requester=parties["requester"], performer=parties["performer"],
        facility=parties["facility"], service_request=parties["service_request"],
        conditions=parties["conditions"], evaluation=authorization.evaluation or {},
        facts=merge_facts(selectors.note_facts(authorization.patient_id)).facts, notes=notes,
        urgency=authorization.urgency, units=authorization.units, generated_at=generated_at,
    )


def _parties(authorization: PriorAuthorization) -> dict:
    """The FHIR resources a packet and a submission name, as served."""
    order = authorization.service_request
    requester = authorization.requester or order.requester
    facility = None
    if order.encounter_id is not None and order.encounter.service_provider_id is not None:
        facility = order.encounter.service_provider
    if facility is None:
        facility = Organization.objects.filter(kind=Organization.Kind.PROVIDER, active=True).order_by("pk").first()
    reason_codes = [c["code"] for c in order.reason_codes if c.get("system") == ICD10CM and c.get("code")]
    conditions = list(Condition.objects.filter(patient_id=authorization.patient_id, code__in=reason_codes))
    if not conditions:
        conditions = list(Condition.objects.filter(
            patient_id=authorization.patient_id, code_system=ICD10CM).exclude(clinical_status="resolved"))
    diagnoses = reason_codes or [c.code for c in conditions]
    return {
        "patient": _served(authorization.patient), "coverage": _served(authorization.coverage),
        "payer": _served(authorization.payer), "requester": _served(requester), "performer": _served(requester),
        "facility": _served(facility), "service_request": _served(order),
        "conditions": [_served(c) for c in conditions], "diagnoses": diagnoses,
    }


def _packet_pdf(authorization: PriorAuthorization) -> bytes | None:
    if authorization.packet is None:
        return None
    for content in authorization.packet.resource.get("content") or []:
        data = (content.get("attachment") or {}).get("data")
        if data:
            return base64.b64decode(data)
    return None


# --- Submission -------------------------------------------------------------------


def request_submission(*, authorization: PriorAuthorization, user=None, agent: str = "") -> PriorAuthorization:
    """Ask for a ready request to be sent to its payer (in the background, exactly once).

    Asking again before it is sent changes nothing. Raises AuthorizationError for a request
    that is not ready, or whose payer cannot be reached (no profile).
    """
    from priorauth.tasks import send_submission_task

    with transaction.atomic(durable=True):
        locked = _lock(authorization.pk)
        if locked is None:
            raise AuthorizationError("the request no longer exists")
        if locked.status != S.READY:
            raise AuthorizationError(
                f"only a request that is ready can be sent; this one is {locked.get_status_display().lower()}")
        if selectors.payer_profile(locked.coverage) is None:
            raise AuthorizationError("the payer has no payer profile: set how to reach it in the admin")
        if locked.submit_requested_at is None:
            locked.submit_requested_at = timezone.now()
            locked.problem = ""
            locked.save(update_fields=["submit_requested_at", "problem", "updated_at"])
        _audit(locked, AuditEvent.Action.UPDATE, user=user, agent=agent, subtype="submit")
        enqueue_on_commit(send_submission_task, locked.pk)
    return locked


@dataclass
class _Send:
    """What one delivery of the send task works with, read under the request's lock."""

    authorization_pk: int
    attempt_pk: int
    fresh: bool  # no earlier attempt: nothing to ask the payer first
    stale: bool  # the attempt is an earlier delivery's, left ``sending`` (its worker died)
    adapter_name: str
    request: object  # SubmissionRequest
    endpoint: object  # PayerEndpoint


def endpoint_of(profile: PayerProfile):
    from priorauth.payers.base import PayerEndpoint

    return PayerEndpoint(adapter=profile.adapter, base_url=profile.endpoint, fax_number=profile.fax_number,
                         timeout=settings.PRIORAUTH_PAYER_TIMEOUT)


def submission_request(authorization: PriorAuthorization):
    """The request as the payer adapters take it (``SubmissionRequest``)."""
    from priorauth.payers.base import RequestedItem, SubmissionRequest

    parties = _parties(authorization)
    return SubmissionRequest(
        request_id=str(authorization.public_id), patient=parties["patient"], coverage=parties["coverage"],
        payer=parties["payer"], requester=parties["requester"], performer=parties["performer"],
        facility=parties["facility"], service_request=parties["service_request"],
        conditions=parties["conditions"], diagnoses=parties["diagnoses"],
        items=[RequestedItem(sequence=1, cpt=authorization.cpt, units=authorization.units,
                             service_date=authorization.planned_date)],
        urgency=authorization.urgency, packet_pdf=_packet_pdf(authorization),
        packet_title="Prior authorization request packet", created=authorization.created_at,
    )


def send_submission(*, authorization_pk: int, agent: str = "system:submit") -> str:
    """Send a request staff asked to send, exactly once; what happened, in a word (for logs).

    Raises TransientError after recording a failed attempt (the task retries with backoff);
    a PermanentError is recorded on the request (``problem``), which stays ready.
    """
    from pracops.outbound import PermanentError, TransientError

    if PriorAuthorization.objects.filter(pk=authorization_pk, packet__isnull=True,
                                         status=S.READY).exclude(submit_requested_at=None).exists():
        build_packet(authorization=PriorAuthorization(pk=authorization_pk))  # the payer gets the packet
    for _ in range(3):  # at most: an unanswered stale attempt, then the send itself
        claimed = _claim_send(authorization_pk)
        if isinstance(claimed, str):
            return claimed
        with _send_lock(claimed.attempt_pk) as held:
            if not held:
                return "in flight"  # another worker is sending it right now
            state = SubmissionAttempt.objects.filter(pk=claimed.attempt_pk).values_list("state", flat=True).first()
            if state != A.SENDING:
                continue  # finished (or given up) by another worker meanwhile: look again
            try:
                outcome = _send_claimed(claimed, agent=agent)
            except TransientError as exc:
                prefix = "" if getattr(exc, "maybe_delivered", True) else NOT_DELIVERED
                _attempt_failed(claimed, error=f"{prefix}{type(exc).__name__}: {exc}"[:500])
                raise
            except PermanentError as exc:
                _attempt_refused(claimed, error=str(exc)[:500], agent=agent)
                return "refused"
            if outcome != "resend":
                return outcome
    return "gave up"


def _claim_send(authorization_pk: int) -> _Send | str:
    """Under the request's lock: the attempt to work on (a new one is committed as ``sending``),
    or a word saying why there is nothing to send."""
    with transaction.atomic(durable=True):
        authorization = _lock(authorization_pk)
        if authorization is None:
            return "gone"
        live = authorization.attempts.filter(
            purpose=SubmissionAttempt.Purpose.REQUEST, state__in=[A.SENDING, A.SENT]).first()
        if live is not None and live.state == A.SENT:
            return "already sent"
        if live is None and (authorization.status != S.READY or authorization.submit_requested_at is None):
            return "not requested"
        profile = selectors.payer_profile(authorization.coverage)
        if profile is None:
            authorization.problem = "the payer has no payer profile: set how to reach it in the admin"
            authorization.submit_requested_at = None
            authorization.save(update_fields=["problem", "submit_requested_at", "updated_at"])
            return "no payer profile"
        # Fresh: no earlier attempt may have reached the payer (refused ones were answered,
        # undelivered ones never left or the payer said it had none).
        fresh = live is None and not authorization.attempts.filter(
            purpose=SubmissionAttempt.Purpose.REQUEST).exclude(state=A.REFUSED).exclude(
            state=A.FAILED, error__startswith=NOT_DELIVERED).exists()
        stale = live is not None
        if live is None:
            live = SubmissionAttempt.objects.create(authorization=authorization, channel=profile.adapter,
                                                    state=A.SENDING)
        return _Send(authorization_pk=authorization.pk, attempt_pk=live.pk, fresh=fresh, stale=stale,
                     adapter_name=live.channel or profile.adapter, request=submission_request(authorization),
                     endpoint=endpoint_of(profile))


@contextlib.contextmanager
def _send_lock(attempt_pk: int) -> Iterator[bool]:
    """Hold a session lock on an attempt while it is sent (True), or False if another session holds it.

    PostgreSQL advisory locks belong to the connection: a worker killed mid-send loses it with
    its connection, so the next delivery can tell a dead sender from a live one. Elsewhere
    (SQLite, one writer) this holds nothing.
    """
    if connection.vendor != "postgresql":
        yield True
        return
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_lock(%s, %s)", [_LOCK_SPACE, attempt_pk % 2**31])
        held = cursor.fetchone()[0]
    try:
        yield held
    finally:
        if held:
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_unlock(%s, %s)", [_LOCK_SPACE, attempt_pk % 2**31])


# An attempt's error starting with this certainly did not reach the payer: no need to ask first.
NOT_DELIVERED = "not delivered: "
_LOCK_SPACE = 0x5041  # "PA": prior authorization sends, apart from any other advisory lock


def _send_claimed(claimed: _Send, *, agent: str) -> str:
    """Send (or, after an earlier attempt, first ask the payer about) the claimed attempt; the
    HTTP calls run outside any transaction."""
    from priorauth.payers.base import SubmissionReceipt, adapter_for
    from pracops.outbound import PermanentError

    adapter = adapter_for(claimed.adapter_name)
    if not claimed.fresh:
        reference = SubmissionAttempt.objects.filter(
            authorization_id=claimed.authorization_pk).exclude(reference="").values_list(
            "reference", flat=True).last() or ""
        try:
            known = adapter.inquire(claimed.request, claimed.endpoint, reference)
        except PermanentError as exc:
            raise PermanentError(
                f"could not confirm with the payer whether an earlier attempt arrived ({exc})") from exc
        if known is not None:
            receipt = SubmissionReceipt(channel=claimed.adapter_name, reference=known.payer_reference,
                                        decision=known)
            _record_sent(claimed, receipt, agent=agent, note="the payer already had it")
            return "found at payer"
        if claimed.stale:
            # The payer never got the dead worker's attempt: it failed; the next loop sends in a new one.
            _attempt_failed(claimed, error=f"{NOT_DELIVERED}the payer does not have the request: sending again")
            return "resend"
    receipt = adapter.submit(claimed.request, claimed.endpoint)
    _record_sent(claimed, receipt, agent=agent)
    return "sent"


def _attempt_failed(claimed: _Send, *, error: str) -> None:
    with transaction.atomic(durable=True):
        _lock(claimed.authorization_pk)
        SubmissionAttempt.objects.filter(pk=claimed.attempt_pk, state=A.SENDING).update(
            state=A.FAILED, finished_at=timezone.now(), error=error)


def _attempt_refused(claimed: _Send, *, error: str, agent: str) -> None:
    with transaction.atomic(durable=True):
        authorization = _lock(claimed.authorization_pk)
        SubmissionAttempt.objects.filter(pk=claimed.attempt_pk, state=A.SENDING).update(
            state=A.REFUSED, finished_at=timezone.now(), error=error)
        if authorization is not None:
            authorization.problem = f"The payer refused the request: {error}"[:500]
            authorization.submit_requested_at = None
            authorization.save(update_fields=["problem", "submit_requested_at", "updated_at"])
            _audit(authorization, AuditEvent.Action.UPDATE, agent=agent, subtype="submit-refused")


def _record_sent(claimed: _Send, receipt, *, agent: str, note: str = "") -> None:
    """In one transaction: the attempt sent, the request submitted (due date), and the payer's
    decision if it decided at once; the Claim / ClaimResponse pair stored for EHRs."""
    now = timezone.now()
    with transaction.atomic(durable=True):
        authorization = _lock(claimed.authorization_pk)
        SubmissionAttempt.objects.filter(pk=claimed.attempt_pk).update(
            state=A.SENT, finished_at=now, reference=(receipt.reference or "")[:255], error="")
        if authorization is None:
            return
        fields = dict(channel=receipt.channel, payer_reference=(receipt.reference or "")[:255],
                      submit_requested_at=None, problem="")
        if can_move(authorization, S.SUBMITTED):
            transition(authorization, S.SUBMITTED, agent=agent,
                       reason=f"sent by {receipt.channel}" + (f" ({note})" if note else ""),
                       submitted_at=now, decision_due_at=now + authorization.decision_due_after(now), **fields)
        else:  # cancelled while it was in flight: keep the payer's reference all the same
            for name, value in fields.items():
                setattr(authorization, name, value)
            authorization.save(update_fields=[*fields, "updated_at"])
        if receipt.decision is not None:
            _apply_decision(authorization, receipt.decision, agent=agent)
        _audit(authorization, AuditEvent.Action.UPDATE, agent=agent, subtype="submitted")


# --- Following the payer ------------------------------------------------------------------


def _apply_decision(authorization: PriorAuthorization, decision, *, agent: str, user=None) -> bool:
    """Move a locked request by the payer's answer; False when it changes nothing."""
    _store_claim_pair(authorization, decision)
    outcome = decision.outcome
    now = timezone.now()
    if outcome == S.PENDED:
        if authorization.status == S.PENDED or not can_move(authorization, S.PENDED):
            return False
        transition(authorization, S.PENDED, user=user, agent=agent, reason=_decision_reason(decision),
                   decision_reason=decision.reason[:10000], payer_reference=decision.payer_reference or
                   authorization.payer_reference, item_decisions=_items(decision))
        return True
    if authorization.status == outcome or not can_move(authorization, outcome):
        return False
    transition(
        authorization, outcome, user=user, agent=agent, reason=_decision_reason(decision),
        decided_at=now, auth_number=(decision.auth_number or "")[:64],
        approved_codes=list(decision.approved_codes), approved_units=decision.approved_units,
        valid_from=decision.period_start, valid_until=decision.period_end,
        decision_reason=decision.reason, item_decisions=_items(decision),
        payer_reference=decision.payer_reference or authorization.payer_reference,
    )
    return True


def _decision_reason(decision) -> str:
    words = {"approved": "approved by the payer", "partially_approved": "partly approved by the payer",
             "denied": "denied by the payer", "pended": "pended by the payer for review"}
    return words[decision.outcome]


def _items(decision) -> list[dict]:
    return [{"sequence": i.sequence, "cpt": i.cpt, "review_action": i.review_action,
             "reason_codes": list(i.reason_codes), "units": i.units,
             "period_start": i.period_start.isoformat() if i.period_start else None,
             "period_end": i.period_end.isoformat() if i.period_end else None,
             "auth_number": i.auth_number} for i in decision.items]


def _store_claim_pair(authorization: PriorAuthorization, decision) -> None:
    """Keep the payer's Claim / ClaimResponse pair as records EHRs can read (when the records
    know those types). A pair the records refuse is logged and skipped: it is a copy; the
    decision itself is on the request."""
    from pracops.fhir.outcome import FhirError
    from pracops.records.services import store_by_identifier

    local = _local_references(authorization)
    pair = []
    for resource in (decision.claim, decision.claim_response):
        if not resource or resource.get("resourceType") not in KINDS:
            continue
        resource = _with_local_references({k: v for k, v in resource.items() if k not in ("id", "meta")}, local)
        identifier = {"system": CLAIM_ID_SYSTEM, "value": str(authorization.public_id)}
        resource["identifier"] = [identifier, *[i for i in resource.get("identifier") or []
                                                if i.get("system") != CLAIM_ID_SYSTEM]]
        pair.append(resource)
    if not pair:
        return
    try:
        with transaction.atomic():
            store_by_identifier(resources=pair)
    except (FhirError, ValueError, KeyError) as exc:
        logger.warning("prior authorization pk=%s: the payer's Claim/ClaimResponse were not stored (%s)",
                       authorization.pk, type(exc).__name__)


def _local_references(authorization: PriorAuthorization) -> dict[str, str]:
    """The PAS Bundle's ``urn:uuid`` names of the request's records -> their local references."""
    from priorauth.payers.pas.bundle import full_url

    order = authorization.service_request
    records = [authorization.patient, authorization.coverage, authorization.payer, order,
               authorization.requester or order.requester, authorization.packet,
               *Organization.objects.filter(kind=Organization.Kind.PROVIDER),
               *Condition.objects.filter(patient_id=authorization.patient_id)]
    return {full_url(r.resource_type, r.fhir_id): r.reference for r in records if r is not None}


def _with_local_references(value, local: dict[str, str]):
    """``value`` with the Bundle-internal references made local; one to a record not kept here
    (a PractitionerRole of the request, the Claim itself) keeps only its words."""
    if isinstance(value, list):
        return [_with_local_references(v, local) for v in value]
    if not isinstance(value, dict):
        return value
    out = {k: _with_local_references(v, local) for k, v in value.items()}
    reference = out.get("reference")
    if isinstance(reference, str) and reference.startswith("urn:uuid:"):
        if reference in local:
            out["reference"] = local[reference]
        else:
            out.pop("reference")
            out.setdefault("display", "a resource of the prior authorization request")
    return out


def check_status(*, authorization: PriorAuthorization, agent: str = "system:inquire", user=None) -> str:
    """Ask the payer where a request awaiting it stands ($inquire) and apply its answer.

    Transient errors are raised (the next poll asks again); a permanent one is put on the request.
    """
    from priorauth.payers.base import adapter_for
    from pracops.outbound import PermanentError

    current = PriorAuthorization.objects.select_related("coverage", "patient").get(pk=authorization.pk)
    if current.status not in PriorAuthorization.AWAITING_PAYER:
        return "not awaiting the payer"
    profile = selectors.payer_profile(current.coverage)
    if profile is None:
        return "no payer profile"
    request = submission_request(current)
    try:
        decision = adapter_for(current.channel or profile.adapter).inquire(
            request, endpoint_of(profile), current.payer_reference)
    except PermanentError as exc:
        with transaction.atomic(durable=True):
            locked = _lock(current.pk)
            locked.problem = f"The payer refused the status inquiry: {exc}"[:500]
            locked.last_checked_at = timezone.now()
            locked.save(update_fields=["problem", "last_checked_at", "updated_at"])
        return "refused"
    with transaction.atomic(durable=True):
        locked = _lock(current.pk)
        locked.last_checked_at = timezone.now()
        locked.save(update_fields=["last_checked_at", "updated_at"])
        if decision is None or locked.status not in PriorAuthorization.AWAITING_PAYER:
            return "no answer"
        changed = _apply_decision(locked, decision, agent=agent, user=user)
        _audit(locked, AuditEvent.Action.READ, user=user, agent=agent, subtype="inquire")
    return decision.outcome if changed else "unchanged"


def poll_payers() -> int:
    """Queue a status check of every request awaiting a payer that can be asked (not fax)."""
    from priorauth.tasks import check_status_task
    from pracops.pending_work import enqueue

    pks = list(selectors.awaiting_payer().exclude(channel="fax").values_list("pk", flat=True))
    for pk in pks:
        enqueue(check_status_task, pk)
    return len(pks)


def receive_notification(*, body: object) -> list[int]:
    """A payer's rest-hook notification: the requests it names get a status check (queued on
    commit); their primary keys. Raises NotificationRefused for a body that is not a notification."""
    from priorauth.tasks import check_status_task

    if not isinstance(body, dict) or body.get("resourceType") != "Bundle":
        raise NotificationRefused("the body is not a FHIR Bundle")
    if body.get("type") not in ("history", "subscription-notification"):
        raise NotificationRefused("the Bundle is not a subscription notification (type history)")
    try:
        from priorauth.payers.pas import read_notification

        named = read_notification(body)
    except (ValueError, KeyError, TypeError) as exc:
        raise NotificationRefused(f"the notification cannot be read: {type(exc).__name__}") from exc
    public_ids, references = [], []
    for value in named:
        try:
            public_ids.append(uuid.UUID(str(value)))
        except ValueError:
            if "\x00" not in str(value):  # no stored reference has one (and PostgreSQL takes none)
                references.append(str(value))
    matched = PriorAuthorization.objects.filter(status__in=PriorAuthorization.AWAITING_PAYER).filter(
        _named(public_ids, references))
    pks = list(matched.values_list("pk", flat=True))
    with transaction.atomic():
        for pk in pks:
            enqueue_on_commit(check_status_task, pk)
    return pks


def _named(public_ids: list, references: list) -> Q:
    q = Q(pk__in=[])
    if public_ids:
        q |= Q(public_id__in=public_ids)
    if references:
        q |= Q(payer_reference__in=references)
    return q


# --- Staff decisions and the rest of the lifecycle ----------------------------------


def record_decision(*, authorization: PriorAuthorization, outcome: str, auth_number: str = "",
                    approved_units: int | None = None, valid_from: date | None = None,
                    valid_until: date | None = None, reason: str = "", user=None) -> PriorAuthorization:
    """Staff record the payer's decision (a fax or phone answer)."""
    if outcome not in (S.APPROVED, S.PARTIALLY_APPROVED, S.DENIED, S.PENDED):
        raise AuthorizationError("the outcome must be approved, partially_approved, denied or pended")
    if outcome in PriorAuthorization.APPROVALS and not auth_number:
        raise AuthorizationError("an approval needs the payer's authorization number")
    if outcome == S.DENIED and not reason:
        raise AuthorizationError("a denial needs the payer's specific reason")
    if valid_from and valid_until and valid_until < valid_from:
        raise AuthorizationError("the valid period ends before it starts")
    with transaction.atomic(durable=True):
        locked = _lock(authorization.pk)
        if locked is None:
            raise AuthorizationError("the request no longer exists")
        if not can_move(locked, outcome):
            raise AuthorizationError(f"a request that is {locked.get_status_display().lower()} "
                                     f"cannot be recorded as {S(outcome).label.lower()}")
        fields: dict = dict(decision_reason=reason)
        if outcome != S.PENDED:
            fields.update(decided_at=timezone.now(), auth_number=auth_number[:64], approved_units=approved_units,
                          approved_codes=[locked.cpt] if outcome in PriorAuthorization.APPROVALS else [],
                          valid_from=valid_from, valid_until=valid_until)
        transition(locked, outcome, user=user, reason="decision recorded by staff", **fields)
        _audit(locked, AuditEvent.Action.UPDATE, user=user, subtype="record-decision")
    return locked


def cancel(*, authorization: PriorAuthorization, reason: str, user=None) -> PriorAuthorization:
    """Cancel an open request (staff); the reason is kept in the timeline."""
    with transaction.atomic(durable=True):
        locked = _lock(authorization.pk)
        if locked is None:
            raise AuthorizationError("the request no longer exists")
        if not can_move(locked, S.CANCELLED):
            raise AuthorizationError(f"a request that is {locked.get_status_display().lower()} cannot be cancelled")
        transition(locked, S.CANCELLED, user=user, reason=reason or "cancelled by staff", submit_requested_at=None)
        _audit(locked, AuditEvent.Action.UPDATE, user=user, subtype="cancel")
    return locked


def appeal(*, authorization: PriorAuthorization, reason: str, user=None) -> PriorAuthorization:
    """Record that a denial (or partial approval) was appealed; the decision is due again."""
    if not reason:
        raise AuthorizationError("an appeal needs its grounds")
    with transaction.atomic(durable=True):
        locked = _lock(authorization.pk)
        if locked is None:
            raise AuthorizationError("the request no longer exists")
        if not can_move(locked, S.APPEALED):
            raise AuthorizationError(f"a request that is {locked.get_status_display().lower()} cannot be appealed")
        now = timezone.now()
        transition(locked, S.APPEALED, user=user, reason=reason, decision_due_at=now + locked.decision_due_after(now))
        _audit(locked, AuditEvent.Action.UPDATE, user=user, subtype="appeal")
    return locked


def expire_approvals(*, today: date | None = None) -> int:
    """Approvals whose valid period is over become expired; how many."""
    today = today or timezone.localdate()
    done = 0
    for pk in list(selectors.approvals_to_expire(today=today).values_list("pk", flat=True)):
        with transaction.atomic(durable=True):
            locked = _lock(pk)
            if locked is None or locked.status not in PriorAuthorization.APPROVALS or not locked.valid_until \
                    or locked.valid_until >= today:
                continue
            transition(locked, S.EXPIRED, agent="system:expire",
                       reason=f"the valid period ended on {locked.valid_until.isoformat()}")
            _audit(locked, AuditEvent.Action.UPDATE, agent="system:expire", subtype="expire")
            done += 1
    return done


# --- Pending work ---------------------------------------------------------------


def claim_pending_work(*, now: datetime | None = None) -> tuple[list[int], list[int]]:
    """Requests whose submission or packet was asked for and is not done after the grace period."""
    before = (now or timezone.now()) - timedelta(seconds=settings.PENDING_WORK_GRACE_SECONDS)
    return selectors.submissions_pending(before=before), selectors.packets_pending(before=before)


# --- Payer notifications (Da Vinci PAS subscriptions) ---------------------------------

PAS_TOPIC = "http://hl7.org/fhir/us/davinci-pas/SubscriptionTopic/PASSubscriptionTopic"
_BACKPORT = "http://hl7.org/fhir/uv/subscriptions-backport/StructureDefinition"


def subscribe_payer_notifications(*, profile: PayerProfile, callback_base: str, org_identifier: str = "") -> dict:
    """Register PracOps' rest-hook endpoint with a PAS payer (a Subscription to the PAS topic for
    the practice's decisions); the payer's answer. ``callback_base`` is PracOps' public base URL.

    Raises AuthorizationError when the payer is not a PAS payer or no token is configured, and
    pracops.outbound errors when the payer refuses or cannot be reached.
    """
    from django.urls import reverse

    from pracops import outbound

    if profile.adapter != PayerProfile.Adapter.PAS or not profile.endpoint:
        raise AuthorizationError("only a PAS payer with an endpoint can notify PracOps")
    if not settings.PRIORAUTH_NOTIFICATION_TOKEN:
        raise AuthorizationError("set PRIORAUTH_NOTIFICATION_TOKEN before subscribing to payer notifications")
    if not org_identifier:
        practice = Organization.objects.filter(kind=Organization.Kind.PROVIDER, active=True).exclude(
            npi="").order_by("pk").first()
        if practice is None:
            raise AuthorizationError("the practice (a provider Organization with an NPI) is not recorded")
        org_identifier = practice.npi
    callback = callback_base.rstrip("/") + reverse(
        "priorauth-pas-notification", kwargs={"token": settings.PRIORAUTH_NOTIFICATION_TOKEN})
    subscription = {
        "resourceType": "Subscription",
        "meta": {"profile": [f"{_BACKPORT}/backport-subscription",
                             "http://hl7.org/fhir/us/davinci-pas/StructureDefinition/profile-subscription"]},
        "status": "requested",
        "reason": "Prior authorization decisions for PracOps",
        "criteria": PAS_TOPIC,
        "_criteria": {"extension": [{"url": f"{_BACKPORT}/backport-filter-criteria",
                                     "valueString": f"org-identifier={org_identifier}"}]},
        "channel": {
            "type": "rest-hook", "endpoint": callback, "payload": "application/fhir+json",
            "_payload": {"extension": [{"url": f"{_BACKPORT}/backport-payload-content", "valueCode": "id-only"}]},
        },
    }
    return outbound.post_json(profile.endpoint.rstrip("/") + "/Subscription", subscription,
                              timeout=settings.PRIORAUTH_PAYER_TIMEOUT,
                              headers={"Content-Type": "application/fhir+json"})
