"""The prior authorization REST API for front offices and EHRs, at ``/api/prior-authorizations/``.

    GET  /                      the worklist: ?status=&payer=&cpt=&due=&patient=, limit/offset paging
    POST /                      {"service_request": "<id>", "urgency": "standard"|"expedited"} -> 201
    GET  /<id>/                 one request: coverage answer, criteria, evidence, missing, decision, timeline
    POST /<id>/evaluate/        evaluate again now
    POST /<id>/submit/          send it to the payer (in the background) -> 202
    POST /<id>/cancel/          {"reason": "..."}
    POST /<id>/decision/        a decision received by fax: {"outcome", "auth_number", "approved_units",
                                "valid_from", "valid_until", "reason"}
    GET  /<id>/packet.pdf       the request packet (404 until built)

Views parse input, check the role (``priorauth.access``), call one service and format the
answer. Every read is audited here with the patient; changes are audited by the services;
refused calls are audited as failures. Errors are JSON (``pracops.access.api.json_exception_handler``).
"""

from __future__ import annotations

import base64
import binascii
import logging
import uuid
from datetime import date, datetime, timedelta

from django.core.exceptions import RequestDataTooBig
from django.db import DatabaseError, transaction
from django.db.models import F, Q, QuerySet
from django.http import HttpResponse
from django.urls import reverse
from django.utils import timezone
from rest_framework import status
from rest_framework.exceptions import (
    APIException,
    NotAuthenticated,
    NotFound,
    ParseError,
    PermissionDenied,
    ValidationError,
)
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.response import Response
from rest_framework.views import APIView

from priorauth import access, selectors, serializers, services
from priorauth.lifecycle import TransitionNotAllowed
from priorauth.models import PriorAuthorization
from pracops.access.api import Pagination
from pracops.access.openapi import ERROR
from pracops.audit.models import AuditEvent
from pracops.audit.services import record_access
from pracops.records.models import ServiceRequest

logger = logging.getLogger("pracops.api")

S = PriorAuthorization.Status
ERRORS = {400: ERROR, 401: ERROR, 403: ERROR, 404: ERROR, 409: ERROR, 413: ERROR}
LIST_PARAMETERS = [
    OpenApiParameter("status", str, description="Comma-separated statuses"),
    OpenApiParameter("payer", str, description="The payer Organization's id or its policy set key"),
    OpenApiParameter("cpt", str), OpenApiParameter("patient", str, description="A Patient id"),
    OpenApiParameter("due", str, description="overdue, today, week or before=YYYY-MM-DD"),
    OpenApiParameter("limit", int), OpenApiParameter("offset", int),
]
RESOURCE_TYPE = "PriorAuthorization"  # what the audit trail calls a request
DUE_FILTERS = "overdue, today, week or before=YYYY-MM-DD"


class Conflict(APIException):
    status_code = status.HTTP_409_CONFLICT
    default_code = "conflict"
    default_detail = "the request's state does not allow this"


class PayloadTooLarge(APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_code = "too_large"
    default_detail = "the body is too large"


class PriorAuthorizationView(APIView):
    """What every endpoint shares: the role check, loading a request, the audit of refusals."""

    # The audit of a refused call: what was attempted, on which request.
    audit_action = AuditEvent.Action.READ
    audit_subtype = ""
    _audit_id = ""
    _audit_patient = ""

    def require(self, interaction: str) -> None:
        user = self.request.user
        if user is None or not user.is_authenticated:
            raise NotAuthenticated()
        if not access.may(user, interaction):
            raise PermissionDenied(f"your role may not {interaction} prior authorization requests")

    def authorization(self, public_id: str) -> PriorAuthorization:
        """The request with this public id, with what its detail shows; 404 for an id no request has,
        403 for one the caller's role may not see (billing: approvals only)."""
        try:
            key = uuid.UUID(public_id)
        except ValueError:
            raise NotFound("no prior authorization request has this id") from None
        found = self.loaded().filter(public_id=key).first()
        if found is None:
            raise NotFound("no prior authorization request has this id")
        self._audit_id, self._audit_patient = str(found.public_id), found.patient.fhir_id
        visible = access.statuses_visible_to(self.request.user)
        if visible is not None and found.status not in visible:
            raise PermissionDenied("your role reads approved prior authorizations only")
        return found

    @staticmethod
    def loaded() -> QuerySet[PriorAuthorization]:
        return PriorAuthorization.objects.select_related("patient", "payer", "service_request", "coverage",
                                                         "requester")

    def body(self, serializer_class) -> dict:
        """The JSON body, validated by ``serializer_class``: 400 for malformed JSON or bad values."""
        try:
            data = self.request.data
        except RequestDataTooBig:
            raise PayloadTooLarge() from None
        if not isinstance(data, dict):  # a list, a number: DRF would try to read it as fields
            raise ParseError("the body must be a JSON object")
        serializer = serializer_class(data=data)
        serializer.is_valid(raise_exception=True)
        return serializer.validated_data

    def audit(self, *, action: str, authorization: PriorAuthorization | None = None, subtype: str = "",
              resource_type: str = RESOURCE_TYPE, resource_id: str = "", patients=(), entities=(),
              query: str = "") -> None:
        record_access(
            user=self.request.user, source=AuditEvent.Source.REST_API, action=action, subtype=subtype,
            resource_type=resource_type,
            resource_id=resource_id or (str(authorization.public_id) if authorization else ""),
            patient_id=authorization.patient.fhir_id if authorization else "", patients=patients,
            entities=entities, query=query, request=self.request,
        )

    def handle_exception(self, exc):
        if isinstance(exc, services.AuthorizationError):
            exc = (Conflict if exc.conflict else ValidationError)(str(exc))
        elif isinstance(exc, TransitionNotAllowed):
            exc = Conflict(str(exc))
        response = super().handle_exception(exc)
        user = getattr(self.request, "user", None)
        if response.status_code in (401, 429) or user is None or not user.is_authenticated:
            return response  # a refused sign-in is audited by the exception handler
        try:
            with transaction.atomic():
                record_access(
                    user=user, source=AuditEvent.Source.REST_API, action=self.audit_action,
                    subtype=self.audit_subtype, resource_type=RESOURCE_TYPE, resource_id=self._audit_id,
                    patient_id=self._audit_patient, query=self.request.META.get("QUERY_STRING", ""),
                    outcome=AuditEvent.Outcome.MINOR_FAILURE if response.status_code < 500
                    else AuditEvent.Outcome.SERIOUS_FAILURE,
                    outcome_detail=f"HTTP {response.status_code}", request=self.request,
                )
        except DatabaseError as audit_exc:  # the failure may have been the database's
            logger.error("the refused request could not be audited", exc_info=audit_exc)
        return response

    def detail_response(self, authorization: PriorAuthorization, *, code: int = 200, reload: bool = True) -> Response:
        """The request's detail as the caller may see it (evidence only for those who read notes).

        ``reload``: read it again with what the detail shows (after a service changed it)."""
        if reload:
            authorization = self.loaded().get(pk=authorization.pk)
        used = selectors.units_used(authorization) if authorization.status in PriorAuthorization.APPROVALS \
            else None
        body = serializers.detail(
            authorization, url=self.url_of(authorization), history=list(authorization.history.all()),
            units_used=used, warnings=selectors.warnings(authorization, used=used) if used is not None else [],
            show_evidence=access.may_see_evidence(self.request.user),
        )
        return Response(body, status=code)

    def url_of(self, authorization: PriorAuthorization) -> str:
        return self.request.build_absolute_uri(
            reverse("priorauth:detail", kwargs={"public_id": str(authorization.public_id)}))


class AuthorizationList(PriorAuthorizationView):
    """The worklist, and starting a request from an order."""

    audit_action = AuditEvent.Action.EXECUTE

    @extend_schema(operation_id="prior_authorizations_list", parameters=LIST_PARAMETERS, responses={200: OpenApiTypes.OBJECT, **ERRORS})
    def get(self, request):
        self.require(access.LIST)
        requests = worklist(request.query_params, visible=access.statuses_visible_to(request.user))
        paginator = Pagination()
        page = paginator.paginate_queryset(requests, request, view=self)
        rows = [serializers.summary(a, url=self.url_of(a)) for a in page]
        self.audit(action=AuditEvent.Action.EXECUTE, subtype="search",
                   patients=[a.patient.fhir_id for a in page],
                   entities=[f"{RESOURCE_TYPE}/{a.public_id}" for a in page],
                   query=request.META.get("QUERY_STRING", ""))
        return paginator.get_paginated_response(rows)

    @extend_schema(operation_id="prior_authorizations_create", request=serializers.CreateInput, responses={201: OpenApiTypes.OBJECT, **ERRORS})
    def post(self, request):
        self.audit_action = AuditEvent.Action.CREATE
        self.require(access.CREATE)
        data = self.body(serializers.CreateInput)
        order = ServiceRequest.objects.filter(fhir_id=data["service_request"]).first()
        if order is None:
            raise ValidationError({"service_request": "no ServiceRequest has this id"})
        self._audit_patient = order.patient.fhir_id
        created = services.create_authorization(service_request=order, urgency=data["urgency"], user=request.user)
        return self.detail_response(created, code=status.HTTP_201_CREATED)


class AuthorizationDetail(PriorAuthorizationView):
    @extend_schema(operation_id="prior_authorizations_retrieve", responses={200: OpenApiTypes.OBJECT, **ERRORS})
    def get(self, request, public_id: str):
        self.require(access.READ)
        authorization = self.authorization(public_id)
        response = self.detail_response(authorization, reload=False)
        self.audit(action=AuditEvent.Action.READ, authorization=authorization)
        return response


class Evaluate(PriorAuthorizationView):
    audit_action = AuditEvent.Action.UPDATE
    audit_subtype = "evaluate"

    @extend_schema(operation_id="prior_authorizations_evaluate", request=None, responses={200: OpenApiTypes.OBJECT, **ERRORS})
    def post(self, request, public_id: str):
        self.require(access.EVALUATE)
        authorization = self.authorization(public_id)
        evaluated = services.evaluate_authorization(authorization=authorization, user=request.user)
        return self.detail_response(evaluated)


class Submit(PriorAuthorizationView):
    audit_action = AuditEvent.Action.UPDATE
    audit_subtype = "submit"

    @extend_schema(operation_id="prior_authorizations_submit", request=None, responses={202: OpenApiTypes.OBJECT, **ERRORS})
    def post(self, request, public_id: str):
        self.require(access.SUBMIT)
        authorization = self.authorization(public_id)
        queued = services.request_submission(authorization=authorization, user=request.user)
        return self.detail_response(queued, code=status.HTTP_202_ACCEPTED)


class Cancel(PriorAuthorizationView):
    audit_action = AuditEvent.Action.UPDATE
    audit_subtype = "cancel"

    @extend_schema(operation_id="prior_authorizations_cancel", request=serializers.CancelInput, responses={200: OpenApiTypes.OBJECT, **ERRORS})
    def post(self, request, public_id: str):
        self.require(access.CANCEL)
        authorization = self.authorization(public_id)
        data = self.body(serializers.CancelInput)
        cancelled = services.cancel(authorization=authorization, reason=data["reason"], user=request.user)
        return self.detail_response(cancelled)


class RecordDecision(PriorAuthorizationView):
    audit_action = AuditEvent.Action.UPDATE
    audit_subtype = "record-decision"

    @extend_schema(operation_id="prior_authorizations_decision", request=serializers.DecisionInput, responses={200: OpenApiTypes.OBJECT, **ERRORS})
    def post(self, request, public_id: str):
        self.require(access.DECIDE)
        authorization = self.authorization(public_id)
        data = self.body(serializers.DecisionInput)
        decided = services.record_decision(authorization=authorization, user=request.user, **data)
        return self.detail_response(decided)


class Packet(PriorAuthorizationView):
    """The request packet as a PDF; reading it is audited as a read of its DocumentReference."""

    @extend_schema(operation_id="prior_authorizations_packet", responses={(200, "application/pdf"): OpenApiTypes.BINARY, **ERRORS})
    def get(self, request, public_id: str):
        self.require(access.PACKET)
        authorization = self.authorization(public_id)
        document = authorization.packet
        pdf = _pdf_of(document.resource) if document is not None else None
        if pdf is None:
            raise NotFound("the packet has not been built yet")
        self.audit(action=AuditEvent.Action.READ, authorization=authorization, subtype="packet",
                   resource_type="DocumentReference", resource_id=document.fhir_id)
        response = HttpResponse(pdf, content_type="application/pdf")
        response["Content-Disposition"] = f'inline; filename="prior-authorization-{authorization.public_id}.pdf"'
        return response


@extend_schema(exclude=True)
class NoSuchEndpoint(PriorAuthorizationView):
    """Any other path under the API: a JSON 404 rather than the site's HTML page."""

    def answer(self, request, *args, **kwargs):
        raise NotFound("no such endpoint under /api/prior-authorizations/")

    get = post = put = patch = delete = answer


def _pdf_of(resource: dict) -> bytes | None:
    """The PDF attachment of a packet DocumentReference, decoded; None when it has none."""
    for content in resource.get("content") or []:
        attachment = (content or {}).get("attachment") or {}
        if attachment.get("contentType", "").lower().startswith("application/pdf") and attachment.get("data"):
            try:
                return base64.b64decode(attachment["data"], validate=True)
            except (binascii.Error, ValueError):
                return None
    return None


# --- the worklist's filters -------------------------------------------------------------


def worklist(params, *, visible: tuple[str, ...] | None) -> QuerySet[PriorAuthorization]:
    """The requests the query parameters select, the nearest decision due first.

    ``status`` (comma-separated), ``payer`` (the payer Organization's id or its policy set
    key), ``cpt``, ``patient`` (a Patient id) and ``due`` (overdue, today, week or
    before=YYYY-MM-DD: requests awaiting the payer whose decision is due then). 400 for a
    value no request can match in form (an unknown status, a malformed date).
    """
    query = Q()
    for name in ("status", "payer", "cpt", "patient", "due"):
        value = params.get(name, "")
        if "\x00" in value:
            raise ValidationError({name: "NUL bytes are not allowed"})
    statuses = [s for s in params.get("status", "").split(",") if s]
    unknown = [s for s in statuses if s not in S.values]
    if unknown:
        raise ValidationError({"status": f"unknown status {unknown[0]!r}; expected one of {', '.join(S.values)}"})
    if statuses:
        query &= Q(status__in=statuses)
    if visible is not None:
        query &= Q(status__in=visible)
    if params.get("payer"):
        query &= Q(payer__fhir_id=params["payer"]) | Q(policy_key=params["payer"])
    if params.get("cpt"):
        query &= Q(cpt=params["cpt"])
    if params.get("patient"):
        query &= Q(patient__fhir_id=params["patient"])
    if params.get("due"):
        query &= _due(params["due"])
    return (PriorAuthorization.objects.filter(query)
            .select_related("patient", "payer", "service_request")
            .order_by(F("decision_due_at").asc(nulls_last=True), "-created_at", "pk"))


def _due(value: str) -> Q:
    now = timezone.now()
    today = timezone.localdate()
    awaiting = Q(status__in=PriorAuthorization.AWAITING_PAYER, decision_due_at__isnull=False)

    def start_of(day: date) -> datetime:
        return timezone.make_aware(datetime.combine(day, datetime.min.time()))

    if value == "overdue":
        return awaiting & Q(decision_due_at__lt=now)
    if value == "today":
        return awaiting & Q(decision_due_at__gte=now, decision_due_at__lt=start_of(today + timedelta(days=1)))
    if value == "week":
        return awaiting & Q(decision_due_at__gte=now, decision_due_at__lt=start_of(today + timedelta(days=7)))
    if value.startswith("before="):
        try:
            day = date.fromisoformat(value.removeprefix("before="))
        except ValueError:
            raise ValidationError({"due": "expected before=YYYY-MM-DD (a date between the years 1 and 9999)"}) from None
        # At the calendar's ends a bound in local time may not exist in UTC: nothing is due before
        # the year 2, everything awaiting the payer is due before the year 9999.
        if day.year < 2:
            return Q(pk__in=[])
        if day.year > 9998:
            return awaiting
        return awaiting & Q(decision_due_at__lt=start_of(day))
    raise ValidationError({"due": f"expected {DUE_FILTERS}"})
