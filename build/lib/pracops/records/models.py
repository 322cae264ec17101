"""The practice's core records, each the stored form of one FHIR R4 resource.

Every record keeps the resource as the EHR sent it (``resource``) and, beside it, typed
columns for what the practice works with. The columns are the truth for those elements;
``pracops.fhir.mapping`` moves values between the two in both directions.
"""

import uuid

from django.contrib.contenttypes.fields import GenericForeignKey, GenericRelation
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.utils import timezone

from pracops.fhir import jsontext
from pracops.records.validators import validate_icd10cm_code, validate_npi


class ResourceJSONField(models.JSONField):
    """A JSONField for FHIR JSON: decimals keep their exact digits, and PostgreSQL gets orjson's
    speed (resource JSON is most of an import's bytes)."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("encoder", jsontext.ExactEncoder)
        kwargs.setdefault("decoder", jsontext.ExactDecoder)
        super().__init__(*args, **kwargs)

    def deconstruct(self):
        # The coders are what this field is, not options of it: nothing for migrations to record.
        name, path, args, kwargs = super().deconstruct()
        kwargs.pop("encoder", None)
        kwargs.pop("decoder", None)
        return name, path, args, kwargs

    def get_db_prep_value(self, value, connection, prepared=False):
        if connection.vendor == "postgresql" and value is not None and not hasattr(value, "as_sql"):
            from psycopg.types.json import Jsonb

            return Jsonb(value, dumps=_json_text)
        return super().get_db_prep_value(value, connection, prepared)


def _json_text(value) -> str:
    return jsontext.dumps(value).decode()


def new_fhir_id() -> str:
    return str(uuid.uuid4())


class ResourceIdentifier(models.Model):
    """A business identifier (MRN, NPI, member id, ...) of any record.

    Not unique: FHIR lets several resources carry the same identifier (a family's shared
    phone-based id, a record merged in the EHR), and a match on one can be ambiguous.
    """

    content_type = models.ForeignKey(ContentType, on_delete=models.CASCADE)
    object_id = models.BigIntegerField()
    record = GenericForeignKey("content_type", "object_id")
    system = models.CharField(max_length=255, blank=True, default="")
    value = models.CharField(max_length=255)

    class Meta:
        indexes = [
            models.Index(fields=["content_type", "object_id"]),
            models.Index(fields=["value"]),
            models.Index(fields=["content_type", "system", "value"], name="identifier_lookup"),
        ]

    def __str__(self) -> str:
        return f"{self.system}|{self.value}" if self.system else self.value


class SearchToken(models.Model):
    """A code a record is found by in a token search (every coding of a CodeableConcept, ...).

    The search index: written with the record by the unit of work, from the resource JSON and
    the parameter paths in ``pracops.records.search``. A table beside the records rather than
    columns on them, because a record has any number of codings, names and contact points.
    """

    content_type = models.ForeignKey(ContentType, on_delete=models.CASCADE)
    object_id = models.BigIntegerField()
    record = GenericForeignKey("content_type", "object_id")
    param = models.CharField(max_length=64)
    system = models.CharField(max_length=255, blank=True, default="")
    code = models.CharField(max_length=255)

    class Meta:
        indexes = [
            models.Index(fields=["content_type", "param", "code"], name="search_token_code"),
            models.Index(fields=["content_type", "object_id"], name="search_token_record"),
        ]

    def __str__(self) -> str:
        return f"{self.param}={self.system}|{self.code}"


class SearchString(models.Model):
    """A string a record is found by: ``normalized`` for the default and :contains, ``exact`` for :exact."""

    content_type = models.ForeignKey(ContentType, on_delete=models.CASCADE)
    object_id = models.BigIntegerField()
    record = GenericForeignKey("content_type", "object_id")
    param = models.CharField(max_length=64)
    normalized = models.CharField(max_length=255)
    exact = models.CharField(max_length=255)

    class Meta:
        indexes = [
            # varchar_pattern_ops: PostgreSQL uses the index for LIKE 'value%' whatever the collation.
            models.Index(fields=["content_type", "param", "normalized"], name="search_string_value",
                         opclasses=["int4_ops", "varchar_pattern_ops", "varchar_pattern_ops"]),
            models.Index(fields=["content_type", "object_id"], name="search_string_record"),
        ]

    def __str__(self) -> str:
        return f"{self.param}={self.exact}"


class FhirRecord(models.Model):
    """What every stored FHIR resource has: a public id, a version and the resource JSON."""

    resource_type: str = ""

    fhir_id = models.CharField("FHIR id", max_length=64, unique=True, default=new_fhir_id)
    version_id = models.PositiveIntegerField(default=1)
    last_updated = models.DateTimeField(default=timezone.now, db_index=True)
    resource = ResourceJSONField(default=dict, help_text="The resource as received, less id and meta.")
    identifiers = GenericRelation(ResourceIdentifier)
    # Deleting a record deletes its index rows.
    search_tokens = GenericRelation(SearchToken)
    search_strings = GenericRelation(SearchString)

    class Meta:
        abstract = True

    @property
    def reference(self) -> str:
        return f"{self.resource_type}/{self.fhir_id}"


class Organization(FhirRecord):
    """The practice itself, payers and other organizations."""

    resource_type = "Organization"

    class Kind(models.TextChoices):
        PROVIDER = "prov", "Healthcare provider"
        PAYER = "pay", "Payer"
        OTHER = "other", "Other"

    name = models.CharField(max_length=255, blank=True, db_index=True)
    kind = models.CharField(max_length=16, choices=Kind.choices, default=Kind.OTHER, db_index=True)
    npi = models.CharField("NPI", max_length=10, blank=True, db_index=True, validators=[validate_npi])
    active = models.BooleanField(default=True)

    def __str__(self) -> str:
        return self.name or self.fhir_id


class Practitioner(FhirRecord):
    resource_type = "Practitioner"

    npi = models.CharField("NPI", max_length=10, blank=True, db_index=True, validators=[validate_npi])
    family = models.CharField(max_length=255, blank=True, db_index=True)
    given = models.CharField(max_length=255, blank=True)
    active = models.BooleanField(default=True)

    def __str__(self) -> str:
        name = " ".join(part for part in (self.given, self.family) if part)
        return name or self.fhir_id


class Patient(FhirRecord):
    resource_type = "Patient"

    class Gender(models.TextChoices):
        MALE = "male"
        FEMALE = "female"
        OTHER = "other"
        UNKNOWN = "unknown"

    mrn = models.CharField("MRN", max_length=255, blank=True, db_index=True)
    family = models.CharField(max_length=255, blank=True, db_index=True)
    given = models.CharField(max_length=255, blank=True)
    # Every name part, lower-cased and space-separated, for the ``name`` search.
    name_text = models.TextField(blank=True, editable=False)
    birth_date = models.DateField(null=True, blank=True, db_index=True)
    gender = models.CharField(max_length=16, choices=Gender.choices, blank=True)
    active = models.BooleanField(default=True)

    def __str__(self) -> str:
        name = ", ".join(part for part in (self.family, self.given) if part)
        return name or self.fhir_id


class Coverage(FhirRecord):
    resource_type = "Coverage"

    status = models.CharField(max_length=32, blank=True)
    beneficiary = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="coverages")
    payor = models.ForeignKey(
        Organization, on_delete=models.PROTECT, null=True, blank=True, related_name="covered"
    )
    member_id = models.CharField(max_length=255, blank=True, db_index=True)
    plan = models.CharField(max_length=255, blank=True)
    group = models.CharField(max_length=255, blank=True)
    period_start = models.DateField(null=True, blank=True)
    period_end = models.DateField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.payor or 'Coverage'} {self.member_id}".strip()


class Encounter(FhirRecord):
    resource_type = "Encounter"

    status = models.CharField(max_length=32, blank=True, db_index=True)
    class_code = models.CharField(max_length=32, blank=True)
    type_code = models.CharField(max_length=64, blank=True)
    type_display = models.CharField(max_length=255, blank=True)
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="encounters")
    practitioner = models.ForeignKey(
        Practitioner, on_delete=models.PROTECT, null=True, blank=True, related_name="encounters"
    )
    service_provider = models.ForeignKey(
        Organization, on_delete=models.PROTECT, null=True, blank=True, related_name="encounters"
    )
    period_start = models.DateTimeField(null=True, blank=True, db_index=True)
    period_end = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["patient", "period_start"])]

    def __str__(self) -> str:
        when = self.period_start.date().isoformat() if self.period_start else ""
        return f"{self.type_display or 'Encounter'} {when}".strip()


class CodedClinicalRecord(FhirRecord):
    """A patient record with a code and a date (the search ``patient``, ``code`` and ``date``)."""

    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="+")
    encounter = models.ForeignKey(
        Encounter, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    status = models.CharField(max_length=32, blank=True)
    code_system = models.CharField(max_length=255, blank=True)
    code = models.CharField(max_length=64, blank=True)
    code_display = models.CharField(max_length=500, blank=True)
    date = models.DateTimeField(null=True, blank=True)
    date_end = models.DateTimeField(null=True, blank=True)

    class Meta:
        abstract = True
        indexes = [
            models.Index(fields=["patient", "date"], name="%(class)s_patient_date"),
            models.Index(fields=["code", "code_system"], name="%(class)s_code"),
        ]

    def __str__(self) -> str:
        return self.code_display or self.code or self.fhir_id


class Condition(CodedClinicalRecord):
    """A diagnosis; ``code`` is ICD-10-CM where the system says so."""

    resource_type = "Condition"
    clinical_status = models.CharField(max_length=32, blank=True)

    class Meta(CodedClinicalRecord.Meta):
        pass

    def clean(self) -> None:
        from pracops.fhir.mapping import ICD10CM

        if self.code_system == ICD10CM:
            validate_icd10cm_code(self.code)


class Procedure(CodedClinicalRecord):
    """A performed procedure (CPT/HCPCS), with laterality and spinal levels where given."""

    resource_type = "Procedure"
    laterality = models.CharField(max_length=16, blank=True)
    spinal_levels = models.JSONField(default=list, blank=True)
    performer = models.ForeignKey(
        Practitioner, on_delete=models.PROTECT, null=True, blank=True, related_name="procedures"
    )

    class Meta(CodedClinicalRecord.Meta):
        pass


class ServiceRequest(CodedClinicalRecord):
    """An ordered procedure: what a prior authorization is about."""

    resource_type = "ServiceRequest"
    intent = models.CharField(max_length=32, blank=True)
    laterality = models.CharField(max_length=16, blank=True)
    spinal_levels = models.JSONField(default=list, blank=True)
    requester = models.ForeignKey(
        Practitioner, on_delete=models.PROTECT, null=True, blank=True, related_name="orders"
    )
    reason_codes = models.JSONField(default=list, blank=True)

    class Meta(CodedClinicalRecord.Meta):
        pass


class Observation(CodedClinicalRecord):
    """A measurement, e.g. a pain score (LOINC 72514-3) or a disability index."""

    resource_type = "Observation"
    category = models.CharField(max_length=64, blank=True)
    value_number = models.DecimalField(max_digits=18, decimal_places=6, null=True, blank=True)
    value_unit = models.CharField(max_length=64, blank=True)
    value_text = models.CharField(max_length=500, blank=True)

    class Meta(CodedClinicalRecord.Meta):
        pass


class DocumentReference(CodedClinicalRecord):
    """A clinical note. Its text is patient data: never logged, never audited."""

    resource_type = "DocumentReference"
    author = models.ForeignKey(
        Practitioner, on_delete=models.PROTECT, null=True, blank=True, related_name="notes"
    )
    content_type = models.CharField(max_length=100, blank=True)
    text = models.TextField(blank=True)

    class Meta(CodedClinicalRecord.Meta):
        pass


class Claim(FhirRecord):
    """A claim sent to a payer: a prior authorization request (``use`` preauthorization, the Da
    Vinci PAS Claim) or, for billing, a claim for payment (``use`` claim).

    ``provider`` is a Practitioner or an Organization in R4 (PAS sends the organization): each
    target type has its own foreign key, and a PractitionerRole stays in the resource only.
    """

    resource_type = "Claim"

    use = models.CharField(max_length=32, blank=True, db_index=True)
    status = models.CharField(max_length=32, blank=True)
    type_code = models.CharField(max_length=64, blank=True)
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="claims")
    insurer = models.ForeignKey(Organization, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    provider = models.ForeignKey(Practitioner, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    provider_organization = models.ForeignKey(
        Organization, on_delete=models.PROTECT, null=True, blank=True, related_name="+",
        verbose_name="provider (organization)",
    )
    priority = models.CharField(max_length=32, blank=True)
    created = models.DateTimeField(null=True, blank=True)
    coverage = models.ForeignKey(
        Coverage, on_delete=models.PROTECT, null=True, blank=True, related_name="+",
        help_text="The focal insurance's coverage",
    )
    total = models.DecimalField(max_digits=18, decimal_places=2, null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["patient", "created"], name="claim_patient_created")]

    def __str__(self) -> str:
        when = self.created.date().isoformat() if self.created else ""
        return f"Claim ({self.use}) {when}".strip()


class ClaimResponse(FhirRecord):
    """A payer's answer to a Claim: for a prior authorization, its decision, the authorization
    number (``pre_auth_ref``) and the period it is valid for."""

    resource_type = "ClaimResponse"

    use = models.CharField(max_length=32, blank=True, db_index=True)
    status = models.CharField(max_length=32, blank=True)
    outcome = models.CharField(max_length=16, blank=True)
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="claim_responses")
    insurer = models.ForeignKey(Organization, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    request = models.ForeignKey(Claim, on_delete=models.PROTECT, null=True, blank=True, related_name="responses")
    pre_auth_ref = models.CharField("authorization number", max_length=255, blank=True, db_index=True)
    pre_auth_period_start = models.DateField(null=True, blank=True)
    pre_auth_period_end = models.DateField(null=True, blank=True)
    disposition = models.TextField(blank=True)
    created = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["patient", "created"], name="claimresponse_patient_created")]

    def __str__(self) -> str:
        return f"Claim response {self.outcome} {self.pre_auth_ref}".strip()


class ResourceVersion(models.Model):
    """One version of a record as it was served (id and meta included), or the marker of its deletion.

    The records hold only the current version; this is what ``_history`` and vread read.
    """

    class Change(models.TextChoices):
        CREATED = "created"
        UPDATED = "updated"
        DELETED = "deleted"

    resource_type = models.CharField(max_length=64)
    fhir_id = models.CharField("FHIR id", max_length=64)
    version_id = models.PositiveIntegerField()
    last_updated = models.DateTimeField()
    change = models.CharField(max_length=8, choices=Change.choices)
    # Whose record this is, so that reading history is audited with the patient even after a delete.
    patient_id = models.CharField(max_length=64, blank=True)
    resource = ResourceJSONField(null=True, blank=True, help_text="None for a deletion.")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["fhir_id", "resource_type", "version_id"], name="one_row_per_version"),
        ]
        indexes = [models.Index(fields=["resource_type", "last_updated"])]

    def __str__(self) -> str:
        return f"{self.resource_type}/{self.fhir_id}/_history/{self.version_id}"

    @property
    def deleted(self) -> bool:
        return self.change == self.Change.DELETED


class BundleSubmission(models.Model):
    """A transaction or batch Bundle accepted for asynchronous processing (Prefer: respond-async)."""

    class Status(models.TextChoices):
        QUEUED = "queued"
        PROCESSING = "processing"
        COMPLETED = "completed"
        FAILED = "failed"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    submitted_by = models.ForeignKey(
        "auth.User", on_delete=models.SET_NULL, null=True, related_name="+"
    )
    submitted_at = models.DateTimeField(default=timezone.now)
    queued_at = models.DateTimeField(
        default=timezone.now, help_text="When its task was last queued; the sweep queues it again later"
    )
    finished_at = models.DateTimeField(null=True, blank=True)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.QUEUED)
    bundle = ResourceJSONField()
    base_url = models.CharField(max_length=500, blank=True)
    response = ResourceJSONField(null=True, blank=True)
    response_status = models.PositiveSmallIntegerField(null=True, blank=True)

    def __str__(self) -> str:
        return f"Bundle submission {self.id} ({self.status})"
