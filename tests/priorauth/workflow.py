"""Building blocks for the workflow tests: a practice, a patient with coverage at a payer with
a payer profile, an order, and notes read by the real extractor."""

from __future__ import annotations

from dataclasses import dataclass

from documentation.services import extract_note_facts
from pracops.fhir.mapping import NPI
from priorauth.models import PayerProfile
from pracops.records.models import Coverage, DocumentReference, Organization, Patient, ServiceRequest
from tests.factories import (
    ConditionFactory,
    CoverageFactory,
    DocumentReferenceFactory,
    OrganizationFactory,
    PatientFactory,
    PractitionerFactory,
    ServiceRequestFactory,
    concept,
    reference,
)

# A note that meets every criterion of the commercial ESI policy (64483), and one that leaves
# the duration, conservative care and imaging undocumented.
COMPLETE_ESI_NOTE = (
    "Low back pain radiating to the left leg for 8 months. Tried ibuprofen and 6 weeks of physical "
    "therapy without relief. MRI lumbar spine: L4-L5 disc protrusion contacting the left L5 nerve root. "
    "NRS 7/10 today. ODI 46%. Plan: left L4-L5 transforaminal epidural steroid injection.")
THIN_ESI_NOTE = "Low back pain radiating to the left leg. NRS 7/10 today. Plan: left L4-L5 transforaminal ESI."


@dataclass
class Case:
    patient: Patient
    coverage: Coverage
    payer: Organization
    order: ServiceRequest
    profile: PayerProfile | None


def practice_case(*, policy_key: str | None = "commercial", adapter: str = "pas", endpoint: str = "",
                  cpt: str = "64483", occurrence: str = "2026-11-20T09:00:00Z", quantity: int | None = None,
                  coverage_period: tuple[str, str] = ("2026-01-01", "2026-12-31"),
                  coverage_status: str = "active") -> Case:
    """A patient of the practice covered by a payer (with a profile unless policy_key is None)
    and ordered ``cpt``; no notes yet."""
    OrganizationFactory.create(name="Riverside Interventional Pain",
                               identifier=[{"system": NPI, "value": "1245319599"}])
    patient = PatientFactory.create()
    payer = OrganizationFactory.create(payer=True)
    coverage = CoverageFactory.create(patient=patient, payer=payer, status=coverage_status,
                                      period={"start": coverage_period[0], "end": coverage_period[1]})
    doctor = PractitionerFactory.create()
    ConditionFactory.create(patient=patient)
    order = ServiceRequestFactory.create(
        patient=patient, cpt=cpt, display="Transforaminal epidural steroid injection", laterality="left",
        occurrenceDateTime=occurrence, authoredOn="2026-11-02T10:30:00Z",
        requester=reference(doctor, "Practitioner"), reasonCode=[concept("http://hl7.org/fhir/sid/icd-10-cm", "M54.16")],
        insurance=[reference(coverage, "Coverage")],
        **({"quantityQuantity": {"value": quantity}} if quantity else {}),
    )
    payer_record = Organization.objects.get(fhir_id=payer["id"])
    profile = None
    if policy_key is not None:
        profile = PayerProfile.objects.create(organization=payer_record, policy_key=policy_key, adapter=adapter,
                                              endpoint=endpoint, fax_number="+15550100")
    return Case(patient=Patient.objects.get(fhir_id=patient["id"]),
                coverage=Coverage.objects.get(fhir_id=coverage["id"]), payer=payer_record,
                order=ServiceRequest.objects.get(fhir_id=order["id"]), profile=profile)


def add_note(patient: Patient, text: str, *, date: str = "2026-11-02T10:00:00Z") -> DocumentReference:
    """Store a note and read it with the real extractor (as the note-reading task does)."""
    stored = DocumentReferenceFactory.create(patient=f"Patient/{patient.fhir_id}", text=text, date=date,
                                             note_type="11488-4", display="Consult note")
    document = DocumentReference.objects.get(fhir_id=stored["id"])
    extract_note_facts(document_pk=document.pk)
    return document
