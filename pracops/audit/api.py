"""The audit trail for auditors: ``GET /api/audit-events/`` (JSON, or FHIR AuditEvents)."""

from datetime import datetime, timezone as dt_timezone

from django.utils import timezone
from django.utils.dateparse import parse_datetime
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.exceptions import PermissionDenied, ValidationError
from rest_framework.generics import ListAPIView

from pracops.access.roles import allowed
from pracops.audit.models import AuditEvent
from pracops.audit.selectors import audit_events
from pracops.audit.services import record_access


class AuditEventSerializer(serializers.ModelSerializer):
    fhir = serializers.SerializerMethodField()
    patients = serializers.SerializerMethodField()

    class Meta:
        model = AuditEvent
        fields = ["id", "recorded", "action", "subtype", "agent_name", "agent_roles", "source",
                  "remote_addr", "resource_type", "resource_id", "patient_id", "patients", "query", "entities",
                  "outcome", "outcome_detail", "fhir"]

    def get_fhir(self, event: AuditEvent) -> dict:
        return event.as_fhir()

    def get_patients(self, event: AuditEvent) -> list[str]:
        """Every patient the event touched: its one patient, or the several a search showed."""
        return [event.patient_id] if event.patient_id else [link.patient_id for link in event.patients.all()]


def _moment(name: str, raw: str) -> datetime:
    """An ISO 8601 date-time the database can compare with (naive ones are in the server's zone)."""
    try:
        value = parse_datetime(raw)
        if value is not None:
            value = value if timezone.is_aware(value) else timezone.make_aware(value)
            value.astimezone(dt_timezone.utc)  # 0001-01-01T00:00+01:00 is before the year 1 in UTC
    except (ValueError, OverflowError):
        value = None
    if value is None:
        raise ValidationError({name: "expected an ISO 8601 date-time between the years 1 and 9999"})
    return value


@extend_schema(parameters=[
    OpenApiParameter("patient", str, description="A Patient id"), OpenApiParameter("user", str),
    OpenApiParameter("resource_type", str),
    OpenApiParameter("since", OpenApiTypes.DATETIME), OpenApiParameter("until", OpenApiTypes.DATETIME)])
class AuditEventList(ListAPIView):
    serializer_class = AuditEventSerializer

    def get_queryset(self):
        if not allowed(self.request.user, "search", "AuditEvent"):
            raise PermissionDenied("Only auditors may read the audit trail.")
        params = self.request.query_params
        for name in ("patient", "user", "resource_type"):
            if "\x00" in params.get(name, ""):
                raise ValidationError({name: "NUL bytes are not allowed"})
        bounds = {name: _moment(name, params[name]) for name in ("since", "until") if params.get(name)}
        return audit_events(patient_id=params.get("patient", ""), user=params.get("user", ""),
                            resource_type=params.get("resource_type", ""), **bounds)

    def list(self, request, *args, **kwargs):
        response = super().list(request, *args, **kwargs)
        # Reading the audit trail is itself audited.
        record_access(user=request.user, source=AuditEvent.Source.REST_API, action="E",
                      resource_type="AuditEvent", query=request.META.get("QUERY_STRING", ""),
                      request=request)
        return response
