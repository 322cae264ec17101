"""The billing REST API for billing teams (issue 9, item 7).

    GET  /api/claims/                 claims: ?status=&payer=&patient=&service_date_from=&service_date_to=&carc=,
                                      limit/offset paging, the latest date of service first
    GET  /api/claims/<id>/            one claim: lines, the latest scrub's edits, status history, remittances
    POST /api/claims/<id>/scrub/      run the scrubber now (billing only)
    GET  /api/ar-aging/               open balances by payer in 0-30 ... 120+ day buckets (?as_of=&payer=)
    GET  /api/denials/                denied and partially paid adjustments by group code and CARC
                                      (?payer=&paid_from=&paid_to=)

Who may: billing works claims (everything here); front office reads claims' status (the list
and a claim's detail without remittances, edits or lines). Views parse input, check the role,
call one selector or service and format the answer; every read is audited with its patients,
and refused calls as failures. Errors are JSON (``pracops.access.api.json_exception_handler``).
"""

from __future__ import annotations

import logging
import uuid

from django.db import DatabaseError, transaction
from django.utils import timezone
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.exceptions import APIException, NotAuthenticated, NotFound, PermissionDenied, ValidationError
from rest_framework.response import Response
from rest_framework.views import APIView

from billing import selectors, serializers, services
from billing.models import Claim
from pracops.access.api import Pagination
from pracops.access.roles import roles_of
from pracops.audit.models import AuditEvent
from pracops.audit.services import record_access
from pracops.records.models import Organization

logger = logging.getLogger("pracops.api")

READ_ROLES = frozenset({"billing", "front_office"})  # may read claims' status
WORK_ROLES = frozenset({"billing"})  # may read everything here and scrub

ERROR = OpenApiResponse(description='A JSON error: {"error": {"status", "code", "detail"}}')
ERRORS = {400: ERROR, 401: ERROR, 403: ERROR, 404: ERROR}


class Conflict(APIException):
    status_code = status.HTTP_409_CONFLICT
    default_code = "conflict"
    default_detail = "the claim's state does not allow this"


class BillingView(APIView):
    """What every billing endpoint shares: the role check, the audit of reads and refusals."""

    audit_action = AuditEvent.Action.READ
    audit_subtype = ""
    _audit_id = ""
    _audit_patient = ""

    def require(self, roles: frozenset[str]) -> None:
        user = self.request.user
        if user is None or not user.is_authenticated:
            raise NotAuthenticated()
        if not (user.is_superuser or roles & roles_of(user)):
            raise PermissionDenied("your role may not do this with claims")

    def works_claims(self) -> bool:
        user = self.request.user
        return bool(user.is_superuser or WORK_ROLES & roles_of(user))

    def filters(self, serializer_class) -> dict:
        raw = {key: value for key, value in self.request.query_params.items() if key in serializer_class().fields}
        for name, value in raw.items():
            if "\x00" in value:
                raise ValidationError({name: "NUL bytes are not allowed"})
        found = serializer_class(data=raw)
        found.is_valid(raise_exception=True)
        return found.validated_data

    def claim(self, public_id: str) -> Claim:
        try:
            key = uuid.UUID(public_id)
        except ValueError:
            raise NotFound("no claim has this id") from None
        found = selectors.claim_for_detail(key)
        if found is None:
            raise NotFound("no claim has this id")
        self._audit_id, self._audit_patient = str(found.public_id), found.patient.fhir_id
        return found

    def audit(self, *, action: str, subtype: str = "", resource_id: str = "", patient_id: str = "",
              patients=(), entities=()) -> None:
        record_access(user=self.request.user, source=AuditEvent.Source.REST_API, action=action, subtype=subtype,
                      resource_type=Claim.resource_type, resource_id=resource_id, patient_id=patient_id,
                      patients=patients, entities=entities, query=self.request.META.get("QUERY_STRING", ""),
                      request=self.request)

    def handle_exception(self, exc):
        if isinstance(exc, services.BillingError):
            exc = Conflict(str(exc))
        response = super().handle_exception(exc)
        user = getattr(self.request, "user", None)
        if response.status_code in (401, 429) or user is None or not user.is_authenticated:
            return response  # a refused sign-in is audited by the exception handler
        try:
            with transaction.atomic():
                record_access(
                    user=user, source=AuditEvent.Source.REST_API, action=self.audit_action,
                    subtype=self.audit_subtype, resource_type=Claim.resource_type, resource_id=self._audit_id,
                    patient_id=self._audit_patient, query=self.request.META.get("QUERY_STRING", ""),
                    outcome=AuditEvent.Outcome.MINOR_FAILURE if response.status_code < 500
                    else AuditEvent.Outcome.SERIOUS_FAILURE,
                    outcome_detail=f"HTTP {response.status_code}", request=self.request)
        except DatabaseError as audit_exc:  # the failure may have been the database's
            logger.error("the refused request could not be audited", exc_info=audit_exc)
        return response

    def detail_body(self, claim: Claim) -> dict:
        body = serializers.ClaimDetailSerializer(claim).data
        if not self.works_claims():  # front office: the claim's status, not its money or coding
            for name in ("lines", "edits", "remittances", "diagnoses"):
                body.pop(name, None)
        return body


def _payer_pk(payer_id: str | None) -> int | None:
    """The payer Organization's pk; 400 naming ``payer`` for an id no payer has."""
    if not payer_id:
        return None
    pk = Organization.objects.filter(fhir_id=payer_id).values_list("pk", flat=True).first()
    if pk is None:
        raise ValidationError({"payer": "no payer Organization has this id"})
    return pk


class ClaimList(BillingView):
    audit_action = AuditEvent.Action.EXECUTE
    audit_subtype = "search"
    pagination_class = Pagination

    @extend_schema(
        operation_id="claims_list", parameters=[serializers.ClaimFilters],
        responses={200: serializers.ClaimSummarySerializer(many=True), **ERRORS},
        description="Claims, the latest date of service first; billing and front office.")
    def get(self, request):
        self.require(READ_ROLES)
        given = self.filters(serializers.ClaimFilters)
        found = selectors.claims(
            status=given.get("status"), payer_id=given.get("payer"), patient_id=given.get("patient"),
            service_from=given.get("service_date_from"), service_until=given.get("service_date_to"),
            carc=given.get("carc")).order_by("-service_date", "-pk")
        # A summary shows the payer's and patient's ids and names, not their FHIR resources:
        # a page of 1,000 claims would otherwise parse up to 2,000 stored JSON documents.
        found = found.defer("payer__resource", "patient__resource")
        paginator = Pagination()
        page = paginator.paginate_queryset(found, request, view=self)
        rows = serializers.ClaimSummarySerializer(page, many=True).data
        self.audit(action=AuditEvent.Action.EXECUTE, subtype="search",
                   patients=[claim.patient.fhir_id for claim in page],
                   entities=[f"{Claim.resource_type}/{claim.public_id}" for claim in page])
        return paginator.get_paginated_response(rows)


class ClaimDetail(BillingView):
    @extend_schema(operation_id="claims_retrieve", responses={200: serializers.ClaimDetailSerializer, **ERRORS},
                   description="One claim; lines, edits and remittances for billing only.")
    def get(self, request, public_id: str):
        self.require(READ_ROLES)
        claim = self.claim(public_id)
        body = self.detail_body(claim)
        self.audit(action=AuditEvent.Action.READ, resource_id=str(claim.public_id), patient_id=claim.patient.fhir_id)
        return Response(body)


class ClaimScrub(BillingView):
    audit_action = AuditEvent.Action.UPDATE
    audit_subtype = "scrub"

    @extend_schema(operation_id="claims_scrub", request=None,
                   responses={200: serializers.ClaimDetailSerializer, 409: ERROR, **ERRORS},
                   description="Run the scrubber on a claim not yet sent (billing only); 409 once sent.")
    def post(self, request, public_id: str):
        self.require(WORK_ROLES)
        claim = self.claim(public_id)
        services.scrub_claim(claim=claim, user=request.user)  # audited by the service
        return Response(self.detail_body(selectors.claim_for_detail(claim.public_id)))


class ArAging(BillingView):
    audit_subtype = "ar-aging"

    @extend_schema(operation_id="ar_aging", parameters=[serializers.AgingFilters],
                   responses={200: serializers.AgingSerializer, **ERRORS},
                   description=selectors.AR_AGING_DEFINITION)
    def get(self, request):
        self.require(WORK_ROLES)
        given = self.filters(serializers.AgingFilters)
        as_of = given.get("as_of") or timezone.localdate()
        rows = selectors.ar_aging(as_of=as_of, payer_pk=_payer_pk(given.get("payer")))
        labels = [label for label, _, _ in selectors.AGING_BUCKETS]
        totals = {label: sum((row["buckets"][label] for row in rows), start=0) for label in labels}
        body = serializers.AgingSerializer({
            "as_of": as_of, "definition": selectors.AR_AGING_DEFINITION, "payers": rows, "totals": totals,
            "total": sum((row["total"] for row in rows), start=0)}).data
        self.audit(action=AuditEvent.Action.EXECUTE, subtype="ar-aging")
        return Response(body)


class Denials(BillingView):
    audit_subtype = "denials"

    @extend_schema(operation_id="denials", parameters=[serializers.DenialFilters],
                   responses={200: serializers.DenialsSerializer, **ERRORS},
                   description="Adjustments of denied and partially paid claims by group code and CARC.")
    def get(self, request):
        self.require(WORK_ROLES)
        given = self.filters(serializers.DenialFilters)
        rows = selectors.denials(payer_pk=_payer_pk(given.get("payer")), paid_from=given.get("paid_from"),
                                 paid_until=given.get("paid_to"))
        self.audit(action=AuditEvent.Action.EXECUTE, subtype="denials")
        return Response(serializers.DenialsSerializer({"reasons": rows}).data)


@extend_schema(exclude=True)
class NoSuchEndpoint(BillingView):
    """Any other path under /api/claims/: a JSON 404 rather than the site's HTML page."""

    def answer(self, request, *args, **kwargs):
        raise NotFound("no such endpoint under /api/claims/")

    get = post = put = patch = delete = answer
