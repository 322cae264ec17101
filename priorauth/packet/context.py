"""Plain inputs to everything a prior-authorization packet prints (pure: no ORM, no I/O).

The first of two steps, as in ohcnetwork/care's reports: ``packet_context`` reads the FHIR
resources as served, the criteria evaluation, the merged ClinicalFacts and the cited notes, and
returns a ``PacketContext`` of display-ready values; ``render.render_packet`` only lays it out.
A value the inputs do not hold is None here and a blank line on paper: never a guess.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Iterable, Mapping, Sequence

from django.utils import timezone

from pracops.fhir.mapping import COVERAGE_CLASS, CPT, HCPCS, ICD10CM, NPI, V2_0203
from priorauth.packet.excerpts import Passage, locate, passages
from priorauth.packet.letter import Paragraph, letter_paragraphs, number

URGENCIES = {"standard": "Standard", "expedited": "Expedited (urgent)"}
STATUS_LABELS = {
    "met": "Met",
    "not_met": "Not met",
    "insufficient_documentation": "Insufficient documentation",
    "not_applicable": "N/A",
}
SEX_LABELS = {"male": "Male", "female": "Female", "other": "Other", "unknown": "Unknown"}
# HCPCS Level II codes (G0260, ...) are ordered and billed beside CPT codes; both print as service lines.
SERVICE_SYSTEMS = (CPT, HCPCS, "https://www.cms.gov/Medicare/Coding/HCPCSReleaseCodeSets")


class PacketInputError(ValueError):
    """The inputs cannot make a packet (an unknown urgency, no units, an unknown criterion status).

    Messages name the field at fault, never a value from the record.
    """


@dataclass(frozen=True)
class PacketNote:
    """A note the evaluation may cite: ``key`` is the evidence's ``note`` (DocumentReference id or path)."""

    key: str
    title: str
    date: dt.date | None
    text: str


@dataclass(frozen=True)
class FormField:
    """A labelled value of the request form; ``value`` None prints as a blank line."""

    label: str
    value: str | None


@dataclass(frozen=True)
class FormSection:
    title: str
    fields: tuple[FormField, ...]


@dataclass(frozen=True)
class CodeLine:
    """A CPT/HCPCS or ICD-10-CM code with its description as the record gives it (None: not given)."""

    code: str
    description: str | None


@dataclass(frozen=True)
class Provider:
    name: str | None
    npi: str | None
    address: tuple[str, ...] = ()
    phone: str | None = None


@dataclass(frozen=True)
class EvidenceQuote:
    """Words quoted from a note in support of a criterion, with the note they come from."""

    text: str
    note_key: str
    note_title: str | None
    note_date: dt.date | None


@dataclass(frozen=True)
class ChecklistItem:
    id: str
    text: str
    status: str
    status_label: str
    evidence: tuple[EvidenceQuote, ...]
    basis: tuple[FormField, ...]  # the facts the status rests on, e.g. "duration months: 8"
    missing: str | None


@dataclass(frozen=True)
class NoteExcerpt:
    key: str
    title: str
    date: dt.date | None
    passages: tuple[Passage, ...]
    whole: bool  # the note is printed in full


@dataclass(frozen=True)
class Letter:
    date: dt.date
    addressee: tuple[str, ...]
    regarding: tuple[FormField, ...]
    paragraphs: tuple[Paragraph, ...]
    signer: Provider
    facility_name: str | None


@dataclass(frozen=True)
class PacketContext:
    """Everything the packet prints, display-ready. Built by ``packet_context``."""

    request_id: str
    generated_at: dt.datetime
    urgency: str
    urgency_label: str
    units: int
    patient_name: str | None
    patient_birth_date: str | None
    form: tuple[tuple[FormSection, ...], ...]  # columns of sections
    services: tuple[CodeLine, ...]
    diagnoses: tuple[CodeLine, ...]
    payer_key: str | None
    policy: str | None
    requires_auth: bool | None
    ready: bool | None
    reason: str | None
    checklist: tuple[ChecklistItem, ...]
    letter: Letter
    excerpts: tuple[NoteExcerpt, ...]


def packet_context(*, request_id: str, patient: dict, coverage: dict | None, payer: dict | None,
                   requester: dict | None, performer: dict | None, facility: dict | None,
                   service_request: dict, conditions: list[dict], evaluation: dict, facts: dict,
                   notes: list[PacketNote], urgency: str, units: int,
                   generated_at: dt.datetime) -> PacketContext:
    """The packet's content from FHIR resources (dicts as served), ``Evaluation.as_dict()``, the
    merged ClinicalFacts and the notes the evaluation may cite.

    Raises ``PacketInputError`` for an urgency other than standard/expedited, units below 1, an
    empty request id or a criterion status outside the four of the criteria spec.
    """
    if not isinstance(request_id, str) or not request_id.strip():
        raise PacketInputError("request_id is empty")
    if urgency not in URGENCIES:
        raise PacketInputError("urgency must be 'standard' or 'expedited'")
    if isinstance(units, bool) or not isinstance(units, int) or units < 1:
        raise PacketInputError("units must be a whole number of at least 1")

    notes_by_key = {note.key: note for note in notes}
    patient_name = person_name(patient)
    birth_date = us_date(patient.get("birthDate"))
    member_id = member_identifier(coverage)
    payer_name = (payer or {}).get("name") or _payor_display(coverage)
    ordering = provider(requester)
    rendering = provider(performer)
    place = provider(facility)
    services = service_lines(service_request)
    diagnoses = diagnosis_lines(service_request, conditions)
    checklist = tuple(_checklist_item(criterion, notes_by_key) for criterion in evaluation.get("criteria") or [])
    local = timezone.localtime(generated_at) if timezone.is_aware(generated_at) else generated_at

    # Two columns on the form: who is covered by whom and what is asked | who orders, performs, where.
    form = (
        (
            FormSection("Patient", (
                FormField("Name", patient_name),
                FormField("Date of birth", birth_date),
                FormField("Sex", SEX_LABELS.get(patient.get("gender") or "")),
                FormField("MRN", medical_record_number(patient)),
            )),
            FormSection("Coverage", (
                FormField("Payer", payer_name),
                FormField("Payer ID", _identifier_value(payer)),
                FormField("Plan", coverage_class(coverage, "plan")),
                FormField("Group", coverage_class(coverage, "group")),
                FormField("Member ID", member_id),
            )),
            FormSection("Request", (
                FormField("Urgency", URGENCIES[urgency]),
                FormField("Units", str(units)),
                FormField("Planned date(s)", planned_dates(service_request)),
                FormField("Site / level", body_site(service_request)),
                FormField("Ordered on", us_date(service_request.get("authoredOn"))),
            )),
        ),
        (
            FormSection("Ordering provider", (
                FormField("Name", ordering.name), FormField("NPI", ordering.npi),
            )),
            FormSection("Rendering provider", (
                FormField("Name", rendering.name), FormField("NPI", rendering.npi),
            )),
            FormSection("Facility", (
                FormField("Name", place.name), FormField("NPI", place.npi),
                FormField("Address", ", ".join(place.address) or None),
                FormField("Phone", place.phone),
            )),
        ),
    )
    service_words = "; ".join(
        f"{in_sentence(line.description)} (CPT {line.code})" if line.description else f"CPT {line.code}"
        for line in services
    ) or None
    diagnosis_words = "; ".join(
        f"{in_sentence(line.description)} ({line.code})" if line.description else line.code for line in diagnoses
    ) or None
    letter = Letter(
        date=local.date(),
        addressee=tuple(line for line in ("Utilization Management / Prior Authorization", payer_name) if line),
        regarding=(
            FormField("Patient", patient_name), FormField("Date of birth", birth_date),
            FormField("Member ID", member_id), FormField("Request ID", request_id),
        ),
        paragraphs=letter_paragraphs(
            facts=facts or {},
            criteria=frozenset(item.id for item in checklist),
            patient_name=patient_name, service=service_words, diagnosis=diagnosis_words,
        ),
        signer=ordering,
        facility_name=place.name,
    )
    return PacketContext(
        request_id=request_id,
        generated_at=local,
        urgency=urgency,
        urgency_label=URGENCIES[urgency],
        units=units,
        patient_name=patient_name,
        patient_birth_date=birth_date,
        form=form,
        services=services,
        diagnoses=diagnoses,
        payer_key=evaluation.get("payer"),
        policy=evaluation.get("policy"),
        requires_auth=evaluation.get("requires_auth"),
        ready=evaluation.get("ready"),
        reason=evaluation.get("reason"),
        checklist=checklist,
        letter=letter,
        excerpts=note_excerpts(checklist_evidence=evaluation.get("criteria") or [], notes=notes),
    )


def in_sentence(description: str) -> str:
    """A code's description as it reads inside a sentence: "Radiculopathy, lumbar region" ->
    "radiculopathy, lumbar region"; an initialism ("MRI ...") keeps its capitals."""
    if len(description) > 1 and description[0].isupper() and description[1].islower():
        return description[0].lower() + description[1:]
    return description


# --- FHIR reading -------------------------------------------------------------------------------

def us_date(value: str | None) -> str | None:
    """A FHIR date or dateTime as MM/DD/YYYY (US forms); a partial date as given; None stays None."""
    if not value or not isinstance(value, str):
        return None
    try:
        return dt.date.fromisoformat(value[:10]).strftime("%m/%d/%Y")
    except ValueError:
        return value  # "1961" or "1961-04": print what the record holds


def person_name(resource: dict | None) -> str | None:
    """The official (else first) HumanName as "Given Family, Suffix", or an Organization's name."""
    if not resource:
        return None
    if resource.get("resourceType") in ("Organization", "Location"):
        return resource.get("name") or None
    names = resource.get("name") or []
    if not isinstance(names, list) or not names:
        return None
    chosen = next((n for n in names if n.get("use") == "official"), names[0])
    if chosen.get("text"):
        return chosen["text"]
    words = [*(chosen.get("given") or []), chosen.get("family") or ""]
    name = " ".join(word for word in words if word)
    suffix = ", ".join(chosen.get("suffix") or [])
    return (f"{name}, {suffix}" if suffix else name) or None


def _identifier_value(resource: dict | None, *, system: str | None = None, type_code: str | None = None) -> str | None:
    for identifier in (resource or {}).get("identifier") or []:
        if system and identifier.get("system") != system:
            continue
        if type_code and not any(coding.get("code") == type_code
                                 for coding in (identifier.get("type") or {}).get("coding") or []
                                 if coding.get("system") in (V2_0203, None)):
            continue
        if identifier.get("value"):
            return identifier["value"]
    return None


def medical_record_number(patient: dict) -> str | None:
    """The identifier typed MR (HL7 v2 table 0203); no other identifier is taken for it."""
    return _identifier_value(patient, type_code="MR")


def member_identifier(coverage: dict | None) -> str | None:
    """Coverage.subscriberId, else the identifier typed MB (member number)."""
    if not coverage:
        return None
    return coverage.get("subscriberId") or _identifier_value(coverage, type_code="MB")


def coverage_class(coverage: dict | None, kind: str) -> str | None:
    """A Coverage class value ("plan", "group"), with its name when given."""
    for entry in (coverage or {}).get("class") or []:
        codes = {c.get("code") for c in (entry.get("type") or {}).get("coding") or []
                 if c.get("system") in (COVERAGE_CLASS, None)}
        if kind in codes and entry.get("value"):
            name = entry.get("name")
            return f"{entry['value']} ({name})" if name and name != entry["value"] else entry["value"]
    return None


def _payor_display(coverage: dict | None) -> str | None:
    for payor in (coverage or {}).get("payor") or []:
        if payor.get("display"):
            return payor["display"]
    return None


def _address_lines(resource: dict) -> tuple[str, ...]:
    addresses = resource.get("address")
    if isinstance(addresses, dict):  # Location has one address, Organization a list
        addresses = [addresses]
    for address in addresses or []:
        if address.get("text"):
            return (address["text"],)
        city_line = " ".join(part for part in (
            ", ".join(p for p in (address.get("city"), address.get("state")) if p), address.get("postalCode"),
        ) if part)
        lines = tuple(line for line in (*(address.get("line") or []), city_line) if line)
        if lines:
            return lines
    return ()


def _phone(resource: dict) -> str | None:
    for telecom in resource.get("telecom") or []:
        if telecom.get("system") == "phone" and telecom.get("value"):
            return telecom["value"]
    return None


def provider(resource: dict | None) -> Provider:
    """Name, NPI, address and phone of a Practitioner, PractitionerRole, Organization or Location."""
    if not resource:
        return Provider(name=None, npi=None)
    name = person_name(resource)
    if resource.get("resourceType") == "PractitionerRole":
        name = ((resource.get("practitioner") or {}).get("display")) or None
    return Provider(name=name, npi=_identifier_value(resource, system=NPI),
                    address=_address_lines(resource), phone=_phone(resource))


def service_lines(service_request: dict) -> tuple[CodeLine, ...]:
    """The CPT/HCPCS codes ordered, described by the order's own coding display (no CPT table ships here)."""
    code = service_request.get("code") or {}
    lines = []
    codings = [c for c in code.get("coding") or [] if c.get("system") in SERVICE_SYSTEMS and c.get("code")]
    for coding in codings:
        description = coding.get("display") or (code.get("text") if len(codings) == 1 else None)
        lines.append(CodeLine(code=coding["code"], description=description or None))
    return tuple(lines)


def diagnosis_lines(service_request: dict, conditions: Sequence[dict]) -> tuple[CodeLine, ...]:
    """ICD-10-CM codes: the order's reasons first, then the other conditions', each once.

    Descriptions come from the codings' display (a Condition's, when the order's coding has none).
    """
    described: dict[str, str | None] = {}
    order: list[str] = []

    def take(codeable: dict | None) -> None:
        for coding in (codeable or {}).get("coding") or []:
            if coding.get("system") != ICD10CM or not coding.get("code"):
                continue
            code = coding["code"]
            if code not in described:
                order.append(code)
                described[code] = None
            described[code] = described[code] or coding.get("display") or None

    for reason in service_request.get("reasonCode") or []:
        take(reason)
    for condition in conditions:
        take(condition.get("code"))
    return tuple(CodeLine(code=code, description=described[code]) for code in order)


def planned_dates(service_request: dict) -> str | None:
    """The order's occurrence as dates: a dateTime, a period, or a timing's events."""
    if service_request.get("occurrenceDateTime"):
        return us_date(service_request["occurrenceDateTime"])
    period = service_request.get("occurrencePeriod")
    timing = service_request.get("occurrenceTiming") or {}
    if not period:
        period = (timing.get("repeat") or {}).get("boundsPeriod")
    if period:
        start, end = us_date(period.get("start")), us_date(period.get("end"))
        if start and end and start != end:
            return f"{start} to {end}"
        return start or (f"by {end}" if end else None)
    events = [us_date(event) for event in timing.get("event") or []]
    return ", ".join(event for event in events if event) or None


def body_site(service_request: dict) -> str | None:
    for site in service_request.get("bodySite") or []:
        if site.get("text"):
            return site["text"]
        for coding in site.get("coding") or []:
            if coding.get("display"):
                return coding["display"]
    return None


# --- Checklist and excerpts ---------------------------------------------------------------------

def _basis_value(value: object) -> str:
    if value is None:
        return "not documented"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, (int, float)):
        return number(value) or str(value)
    if isinstance(value, (list, tuple)):
        return ", ".join(_basis_value(item) for item in value) or "none"
    if isinstance(value, dict):
        return "; ".join(f"{key}: {_basis_value(item)}" for key, item in value.items())
    return str(value).replace("_", " ")


def _basis_label(path: str) -> str:
    """"pain.duration_months" -> "duration months"; "conservative_care[0]" -> "conservative care"."""
    return re.sub(r"\[\d+\]$", "", path.rsplit(".", 1)[-1]).replace("_", " ")


def _checklist_item(criterion: Mapping, notes_by_key: Mapping[str, PacketNote]) -> ChecklistItem:
    status = criterion.get("status")
    if status not in STATUS_LABELS:
        raise PacketInputError(f"criterion {criterion.get('id')!r} has an unknown status")
    quotes = []
    for evidence in criterion.get("evidence") or []:
        note = notes_by_key.get(evidence.get("note"))
        quotes.append(EvidenceQuote(
            text=evidence.get("text") or "",
            note_key=str(evidence.get("note") or ""),
            note_title=note.title if note else None,
            note_date=note.date if note else None,
        ))
    return ChecklistItem(
        id=str(criterion.get("id")),
        text=str(criterion.get("text") or criterion.get("id")),
        status=status,
        status_label=STATUS_LABELS[status],
        evidence=tuple(quotes),
        basis=tuple(FormField(_basis_label(path), _basis_value(value))
                    for path, value in (criterion.get("facts") or {}).items()),
        missing=criterion.get("missing") or None,
    )


def note_excerpts(*, checklist_evidence: Iterable[Mapping], notes: Sequence[PacketNote]) -> tuple[NoteExcerpt, ...]:
    """The cited notes, newest first, each with its passages around the evidence marked.

    A note no evidence cites is left out; evidence whose quote is not in its note marks nothing.
    """
    spans: dict[str, list[tuple[int, int]]] = {}
    by_key = {note.key: note for note in notes}
    for criterion in checklist_evidence:
        for evidence in criterion.get("evidence") or []:
            note = by_key.get(evidence.get("note"))
            if note is None:
                continue
            found = locate(note.text, evidence.get("start"), evidence.get("end"), evidence.get("text") or "")
            if found:
                spans.setdefault(note.key, []).append(found)
    cited = sorted((by_key[key] for key in spans), key=lambda n: (n.date is None, -(n.date or dt.date.min).toordinal()))
    excerpts = []
    for note in cited:
        cut = passages(note.text, spans[note.key])
        excerpts.append(NoteExcerpt(
            key=note.key, title=note.title, date=note.date, passages=cut,
            whole=len(cut) == 1 and not cut[0].cut_before and not cut[0].cut_after,
        ))
    return tuple(excerpts)
