from django.db.models import Q, QuerySet

from pracops.audit.models import AuditEvent, AuditEventPatient


def audit_events(*, patient_id: str = "", user: str = "", resource_type: str = "", since=None,
                 until=None) -> QuerySet[AuditEvent]:
    qs = AuditEvent.objects.prefetch_related("patients")
    if patient_id:
        qs = qs.filter(Q(patient_id=patient_id) | Q(
            pk__in=AuditEventPatient.objects.filter(patient_id=patient_id).values("event_id")
        ))
    if user:
        qs = qs.filter(agent_name=user)
    if resource_type:
        qs = qs.filter(resource_type=resource_type)
    if since:
        qs = qs.filter(recorded__gte=since)
    if until:
        qs = qs.filter(recorded__lt=until)
    return qs
