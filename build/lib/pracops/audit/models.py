"""The audit trail: who read or changed which patient data, when, and how it ended.

Shaped like FHIR AuditEvent (``as_fhir``). It records references and search parameters,
never a note's text or a resource's content.
"""

from django.conf import settings
from django.db import models
from django.utils import timezone


class AuditEvent(models.Model):
    # ``agent_name`` of work no user requested: "system:import_fhir", "system:task".
    SYSTEM_AGENT = "system:"

    class Action(models.TextChoices):
        CREATE = "C", "Create"
        READ = "R", "Read"
        UPDATE = "U", "Update"
        DELETE = "D", "Delete"
        EXECUTE = "E", "Execute (search, transaction, import)"

    class Outcome(models.TextChoices):
        SUCCESS = "0", "Success"
        MINOR_FAILURE = "4", "Minor failure (refused request)"
        SERIOUS_FAILURE = "8", "Serious failure"
        MAJOR_FAILURE = "12", "Major failure"

    class Source(models.TextChoices):
        FHIR_API = "fhir-api", "FHIR API"
        REST_API = "rest-api", "REST API"
        ADMIN = "admin", "Admin"
        COMMAND = "command", "Management command"
        TASK = "task", "Background task"

    recorded = models.DateTimeField(default=timezone.now, db_index=True)
    action = models.CharField(max_length=1, choices=Action.choices)
    subtype = models.CharField(max_length=32, help_text="read, search, create, update, delete, transaction, ...")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                             related_name="+")
    agent_name = models.CharField(max_length=150, blank=True, help_text="The user's name when it happened")
    agent_roles = models.CharField(max_length=255, blank=True)
    source = models.CharField(max_length=16, choices=Source.choices)
    remote_addr = models.GenericIPAddressField(null=True, blank=True)
    resource_type = models.CharField(max_length=64, blank=True, db_index=True)
    resource_id = models.CharField(max_length=64, blank=True, db_index=True)
    # The one patient; an event that touched several lists them in AuditEventPatient instead.
    patient_id = models.CharField(max_length=64, blank=True, db_index=True,
                                  help_text="The FHIR id of the patient whose data this was")
    query = models.TextField(blank=True, help_text="Search parameters, for searches")
    entities = models.JSONField(default=list, blank=True, help_text="What a search returned (Type/id)")
    outcome = models.CharField(max_length=2, choices=Outcome.choices, default=Outcome.SUCCESS)
    outcome_detail = models.CharField(max_length=255, blank=True, help_text="HTTP status or error code")

    class Meta:
        ordering = ["-recorded", "-id"]
        indexes = [models.Index(fields=["patient_id", "recorded"])]

    def __str__(self) -> str:
        what = f"{self.resource_type}/{self.resource_id}" if self.resource_id else self.resource_type
        return f"{self.recorded:%Y-%m-%d %H:%M:%S} {self.agent_name or 'anonymous'} {self.subtype} {what}"

    @property
    def is_system(self) -> bool:
        return self.user_id is None and self.agent_name.startswith(self.SYSTEM_AGENT)

    def as_fhir(self) -> dict:
        """This event as a FHIR R4 AuditEvent."""
        rest = self.source != self.Source.ADMIN
        event = {
            "resourceType": "AuditEvent",
            "id": str(self.pk),
            "type": {
                "system": "http://terminology.hl7.org/CodeSystem/audit-event-type",
                "code": "rest" if rest else "110110",
                "display": "RESTful Operation" if rest else "Patient Record",
            },
            "subtype": [{"system": "http://hl7.org/fhir/restful-interaction", "code": self.subtype}],
            "action": self.action,
            "recorded": self.recorded.isoformat(),
            "outcome": self.outcome,
            "agent": [{
                **({"type": {"coding": [{"system": "http://dicom.nema.org/resources/ontology/DCM",
                                         "code": "110150", "display": "Application"}]}}
                   if self.is_system else {}),
                "who": {"display": self.agent_name or "anonymous"},
                "requestor": not self.is_system,
                **({"role": [{"text": r} for r in self.agent_roles.split(",") if r]} if self.agent_roles else {}),
                **({"network": {"address": self.remote_addr, "type": "2"}} if self.remote_addr else {}),
            }],
            "source": {"observer": {"display": f"PracOps {self.get_source_display()}"}},
        }
        if self.outcome_detail:
            event["outcomeDesc"] = self.outcome_detail
        entities = []
        if self.resource_type and self.resource_id:
            entities.append({"what": {"reference": f"{self.resource_type}/{self.resource_id}"}})
        if self.patient_id and not (self.resource_type == "Patient" and self.resource_id == self.patient_id):
            entities.append({"what": {"reference": f"Patient/{self.patient_id}"},
                             "type": {"system": "http://terminology.hl7.org/CodeSystem/audit-entity-type",
                                      "code": "1"}})
        if self.query:
            entities.append({"type": {"system": "http://terminology.hl7.org/CodeSystem/audit-entity-type",
                                      "code": "2"}, "description": self.resource_type,
                             "query": _b64(self.query)})
        entities.extend({"what": {"reference": ref}} for ref in self.entities[:100])
        if not self.patient_id:
            # Prefetched by the audit-events API; a lone event asks the database.
            entities.extend(
                {"what": {"reference": f"Patient/{link.patient_id}"},
                 "type": {"system": "http://terminology.hl7.org/CodeSystem/audit-entity-type", "code": "1"}}
                for link in self.patients.all()[:100]
            )
        if entities:
            event["entity"] = entities
        return event


class AuditEventPatient(models.Model):
    """One of several patients an event touched (a search or list that showed many)."""

    event = models.ForeignKey(AuditEvent, on_delete=models.CASCADE, related_name="patients")
    patient_id = models.CharField(max_length=64, db_index=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["event", "patient_id"], name="audit_event_patient_once")]

    def __str__(self) -> str:
        return f"Patient/{self.patient_id}"


def _b64(text: str) -> str:
    import base64

    return base64.b64encode(text.encode()).decode()
