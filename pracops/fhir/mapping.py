"""Two-way mapping between FHIR R4 resources (plain dicts) and the practice's columns.

Pure: no ORM, no I/O. ``parse`` reads the columns, references and identifiers out of a
resource; ``render`` writes changed column values back into a copy of the stored resource,
so whatever the practice does not use reads back exactly as the EHR sent it.
"""

from __future__ import annotations

import copy
import re
from dataclasses import dataclass, field
from datetime import date, datetime, time, timezone
from decimal import Decimal, InvalidOperation
from typing import Any, Callable, Iterator

from pracops.records.validators import icd10cm_is_valid, npi_is_valid

NPI = "http://hl7.org/fhir/sid/us-npi"
ICD10CM = "http://hl7.org/fhir/sid/icd-10-cm"
CPT = "http://www.ama-assn.org/go/cpt"
HCPCS = "urn:oid:2.16.840.1.113883.6.285"
LOINC = "http://loinc.org"
SNOMED = "http://snomed.info/sct"
V2_0203 = "http://terminology.hl7.org/CodeSystem/v2-0203"
ORG_TYPE = "http://terminology.hl7.org/CodeSystem/organization-type"
COVERAGE_CLASS = "http://terminology.hl7.org/CodeSystem/coverage-class"

LATERALITY_CODES = {"7771000": "left", "24028007": "right", "51440002": "bilateral"}
_LATERALITY_WORDS = re.compile(r"\b(bilateral|left|right)\b", re.IGNORECASE)
_SPINAL_LEVEL = re.compile(
    r"\b([CTLS])\s?(\d{1,2})(?:\s*(?:-|–|/|to)\s*([CTLS])?\s?(\d{1,2}))?\b", re.IGNORECASE
)


class MappingError(ValueError):
    """The resource breaks a rule of the practice (an invalid NPI, a malformed ICD-10-CM code)."""

    def __init__(self, issues: list[str]):
        super().__init__("; ".join(issues))
        self.issues = issues


@dataclass
class Mapped:
    columns: dict[str, Any]
    references: dict[str, str | None]
    identifiers: list[tuple[str, str]]
    warnings: list[str] = field(default_factory=list)


# --- small readers and writers -------------------------------------------------


def first(items: list | None) -> Any:
    return items[0] if items else None


def coding(concept: dict | None, system: str | None = None) -> dict:
    """The first coding of a CodeableConcept, preferring ``system`` when given."""
    codings = (concept or {}).get("coding") or []
    if system:
        for c in codings:
            if c.get("system") == system:
                return c
    return codings[0] if codings else {}


def parse_fhir_datetime(value: str | None) -> datetime | None:
    """A FHIR date or dateTime (possibly partial: YYYY, YYYY-MM) as an aware datetime."""
    if not value:
        return None
    if len(value) == 4:
        return datetime(int(value), 1, 1, tzinfo=timezone.utc)
    if len(value) == 7:
        return datetime(int(value[:4]), int(value[5:7]), 1, tzinfo=timezone.utc)
    if len(value) == 10:
        return datetime.combine(date.fromisoformat(value), time(), tzinfo=timezone.utc)
    parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=timezone.utc)


def parse_fhir_date(value: str | None) -> date | None:
    moment = parse_fhir_datetime(value)
    return moment.date() if moment else None


def format_datetime(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def format_date(value: date | None) -> str | None:
    return value.isoformat() if value else None


def _as_datetime(value: Any) -> datetime | None:
    if value is None or isinstance(value, datetime):
        return value
    return parse_fhir_datetime(str(value))


def _as_date(value: Any) -> date | None:
    if value is None or (isinstance(value, date) and not isinstance(value, datetime)):
        return value
    return parse_fhir_date(str(value))


def _set(resource: dict, key: str, value: Any) -> None:
    if value in (None, "", []):
        resource.pop(key, None)
    else:
        resource[key] = value


def _set_reference(resource: dict, key: str, reference: str | None, *, many: bool = False) -> None:
    if many:
        items = resource.get(key) or []
        if reference is None:
            if items:
                items.pop(0)
            _set(resource, key, items)
            return
        if items:
            items[0]["reference"] = reference
        else:
            resource[key] = [{"reference": reference}]
        return
    if reference is None:
        resource.pop(key, None)
    else:
        resource.setdefault(key, {})["reference"] = reference


def _set_code(resource: dict, key: str, system: str, code: str, display: str) -> None:
    concept = resource.setdefault(key, {})
    codings = concept.setdefault("coding", [])
    target = next((c for c in codings if c.get("system") == system), None)
    if target is None:
        target = {"system": system} if system else {}
        codings.insert(0, target)
    _set(target, "code", code)
    _set(target, "display", display)


def _status_concept(resource: dict, key: str) -> str:
    return coding(resource.get(key)).get("code", "")


def laterality_of(concepts: list[dict] | None) -> str:
    """Left, right or bilateral from SNOMED laterality codings or the words of a body site."""
    for concept in concepts or []:
        for c in concept.get("coding") or []:
            if c.get("code") in LATERALITY_CODES:
                return LATERALITY_CODES[c["code"]]
        texts = [concept.get("text") or ""] + [c.get("display") or "" for c in concept.get("coding") or []]
        for text in texts:
            match = _LATERALITY_WORDS.search(text)
            if match:
                return match.group(1).lower()
    return ""


def spinal_levels_of(concepts: list[dict] | None) -> list[str]:
    """Spinal levels named by body sites, normalised: "L4-5" -> "L4-L5", "s1" -> "S1"."""
    levels: list[str] = []
    for concept in concepts or []:
        texts = [concept.get("text") or ""] + [c.get("display") or "" for c in concept.get("coding") or []]
        for text in texts:
            for region, top, region2, bottom in _SPINAL_LEVEL.findall(text):
                level = f"{region.upper()}{int(top)}"
                if bottom:
                    level += f"-{(region2 or region).upper()}{int(bottom)}"
                if level not in levels:
                    levels.append(level)
    return levels


# --- mappers ---------------------------------------------------------------------

Getter = Callable[[dict], Any]
Setter = Callable[[dict, Any], None]


@dataclass(frozen=True)
class Column:
    get: Getter
    set: Setter | None = None  # None: derived from the resource, not edited on its own


@dataclass(frozen=True)
class Ref:
    targets: tuple[str, ...]
    get: Getter
    set: Setter
    required: bool = False


class ResourceMapper:
    resource_type: str = ""
    columns: dict[str, Column] = {}
    references: dict[str, Ref] = {}

    def identifiers(self, resource: dict) -> list[tuple[str, str]]:
        return [
            (ident.get("system") or "", ident["value"])
            for ident in resource.get("identifier") or []
            if ident.get("value")
        ]

    def check(self, columns: dict[str, Any], resource: dict) -> list[str]:
        """Business-rule problems with this resource; empty when it is acceptable."""
        return []

    def parse(self, resource: dict, *, strict: bool = True) -> Mapped:
        columns = {name: col.get(resource) for name, col in self.columns.items()}
        references = {}
        for name, ref in self.references.items():
            value = ref.get(resource)
            if value is not None and not _targets(value, ref.targets):
                value = None  # e.g. a PractitionerRole where we keep Practitioners
            references[name] = value
        problems = self.check(columns, resource)
        for name, ref in self.references.items():
            if ref.required and not references[name]:
                problems.append(
                    f"{self.resource_type} needs a reference to a {' or '.join(ref.targets)}"
                )
        if problems and strict:
            raise MappingError(problems)
        return Mapped(columns, references, self.identifiers(resource), warnings=problems)

    def render(self, resource: dict, columns: dict[str, Any], references: dict[str, str | None]) -> dict:
        """The resource with the given column values and references written into it."""
        out = copy.deepcopy(resource)
        out["resourceType"] = self.resource_type
        for name, col in self._columns_to_write(out, columns):
            col.set(out, columns[name])
        for name, ref in self._references_to_write(out, references):
            ref.set(out, references[name])
        return out

    def renders_unchanged(self, resource: dict, columns: dict[str, Any], references: dict[str, str | None]) -> bool:
        """Whether ``render`` would write nothing into the resource, so a caller may skip its copy."""
        return not any(self._columns_to_write(resource, columns)) and \
            not any(self._references_to_write(resource, references))

    def _columns_to_write(self, resource: dict, columns: dict[str, Any]) -> Iterator[tuple[str, Column]]:
        for name, col in self.columns.items():
            if col.set is not None and name in columns and _normalise(col.get(resource)) != _normalise(columns[name]):
                yield name, col

    def _references_to_write(self, resource: dict, references: dict[str, str | None]) -> Iterator[tuple[str, Ref]]:
        for name, ref in self.references.items():
            if name not in references:
                continue
            current = ref.get(resource)
            if current is not None and not _stored_reference(current, ref.targets):
                # Another type, another server, a version or a contained resource: no stored
                # record stands for it, so a missing foreign key is no reason to drop it.
                current = None
            if current != references[name]:
                yield name, ref


def _normalise(value: Any) -> Any:
    if isinstance(value, Decimal):
        return value.normalize()
    if isinstance(value, float):
        return Decimal(str(value)).normalize()
    if value is None:
        return ""
    return value


def _targets(reference: str, targets: tuple[str, ...]) -> bool:
    if reference.startswith(("urn:uuid:", "urn:oid:", "#")):
        return True  # resolved, and its type checked, when the bundle is processed
    path = reference.split("?", 1)[0].rstrip("/").split("/")
    if "?" in reference:
        return path[-1] in targets
    return len(path) >= 2 and path[-2] in targets


def _stored_reference(reference: str, targets: tuple[str, ...]) -> bool:
    """Whether a reference is the ``Type/id`` of a record PracOps could store for this element."""
    parts = reference.split("/")
    return len(parts) == 2 and parts[0] in targets


def _ref_of(element: dict | None) -> str | None:
    return (element or {}).get("reference")


def _human_name(resource: dict) -> dict:
    names = resource.get("name") or []
    for name in names:
        if name.get("use") == "official":
            return name
    return names[0] if names else {}


def _set_family(resource: dict, value: str) -> None:
    names = resource.setdefault("name", [])
    if not names:
        names.append({})
    _set(_human_name(resource), "family", value)


def _given(resource: dict) -> str:
    # A null pads the array where only the "_given" sibling (an extension) has something.
    return " ".join(part for part in _human_name(resource).get("given") or [] if part)


def _set_given(resource: dict, value: str) -> None:
    names = resource.setdefault("name", [])
    if not names:
        names.append({})
    _set(_human_name(resource), "given", value.split() if value else [])


def _identifier_value(resource: dict, *, system: str | None = None, type_code: str | None = None) -> str:
    for ident in resource.get("identifier") or []:
        if system and ident.get("system") == system:
            return ident.get("value", "")
        if type_code and coding(ident.get("type"), V2_0203).get("code") == type_code:
            return ident.get("value", "")
    return ""


def _identifier_setter(*, system: str | None = None, type_code: str | None = None) -> Setter:
    def setter(resource: dict, value: str) -> None:
        idents = resource.setdefault("identifier", [])
        for ident in idents:
            if (system and ident.get("system") == system) or (
                type_code and coding(ident.get("type"), V2_0203).get("code") == type_code
            ):
                if value:
                    ident["value"] = value
                else:
                    idents.remove(ident)
                return
        if value:
            ident = {"value": value}
            if system:
                ident["system"] = system
            if type_code:
                ident["type"] = {"coding": [{"system": V2_0203, "code": type_code}]}
            idents.append(ident)

    return setter


def _bool(key: str, default: bool = True) -> Column:
    return Column(lambda r: bool(r.get(key, default)), lambda r, v: r.__setitem__(key, bool(v)))


def _text(key: str) -> Column:
    return Column(lambda r: r.get(key) or "", lambda r, v: _set(r, key, v))


class OrganizationMapper(ResourceMapper):
    resource_type = "Organization"
    columns = {
        "name": _text("name"),
        "kind": Column(
            lambda r: next(
                (c.get("code") for t in r.get("type") or [] for c in t.get("coding") or []
                 if c.get("system") == ORG_TYPE and c.get("code") in ("prov", "pay")),
                "other",
            )
        ),
        "npi": Column(lambda r: _identifier_value(r, system=NPI), _identifier_setter(system=NPI)),
        "active": _bool("active"),
    }

    def check(self, columns, resource):
        return _npi_problems(columns)


def _npi_problems(columns: dict[str, Any]) -> list[str]:
    npi = columns.get("npi") or ""
    if npi and not npi_is_valid(npi):
        columns["npi"] = ""  # kept as an identifier, never used as the NPI
        return [f"identifier {NPI} is not a valid NPI (ten digits with a Luhn check digit)"]
    return []


class PractitionerMapper(ResourceMapper):
    resource_type = "Practitioner"
    columns = {
        "npi": Column(lambda r: _identifier_value(r, system=NPI), _identifier_setter(system=NPI)),
        "family": Column(lambda r: _human_name(r).get("family", ""), _set_family),
        "given": Column(_given, _set_given),
        "active": _bool("active"),
    }

    def check(self, columns, resource):
        return _npi_problems(columns)


class PatientMapper(ResourceMapper):
    resource_type = "Patient"
    columns = {
        "mrn": Column(
            lambda r: _identifier_value(r, type_code="MR"), _identifier_setter(type_code="MR")
        ),
        "family": Column(lambda r: _human_name(r).get("family", ""), _set_family),
        "given": Column(_given, _set_given),
        "name_text": Column(
            lambda r: " ".join(
                part.lower()
                for name in r.get("name") or []
                for part in [name.get("family") or "", *(name.get("given") or []), name.get("text") or ""]
                if part
            )
        ),
        "birth_date": Column(
            lambda r: parse_fhir_date(r.get("birthDate")),
            lambda r, v: _set(r, "birthDate", format_date(_as_date(v))),
        ),
        "gender": _text("gender"),
        "active": _bool("active"),
    }


def _coverage_class(kind: str) -> Column:
    def get(resource: dict) -> str:
        for cls in resource.get("class") or []:
            if coding(cls.get("type")).get("code") == kind:
                return cls.get("value", "")
        return ""

    def set_(resource: dict, value: str) -> None:
        classes = resource.setdefault("class", [])
        for cls in classes:
            if coding(cls.get("type")).get("code") == kind:
                if value:
                    cls["value"] = value
                else:
                    classes.remove(cls)
                return
        if value:
            classes.append(
                {"type": {"coding": [{"system": COVERAGE_CLASS, "code": kind}]}, "value": value}
            )

    return Column(get, set_)


def _period(key: str, end: bool, as_date: bool = False) -> Column:
    part = "end" if end else "start"
    parse = parse_fhir_date if as_date else parse_fhir_datetime
    fmt = (lambda v: format_date(_as_date(v))) if as_date else (lambda v: format_datetime(_as_datetime(v)))

    def set_(resource: dict, value: Any) -> None:
        period = resource.setdefault(key, {})
        _set(period, part, fmt(value))
        if not period:
            resource.pop(key)

    return Column(lambda r: parse((r.get(key) or {}).get(part)), set_)


class CoverageMapper(ResourceMapper):
    resource_type = "Coverage"
    columns = {
        "status": _text("status"),
        "member_id": Column(
            lambda r: r.get("subscriberId") or _identifier_value(r, type_code="MB"),
            lambda r, v: _set(r, "subscriberId", v),
        ),
        "plan": _coverage_class("plan"),
        "group": _coverage_class("group"),
        "period_start": _period("period", end=False, as_date=True),
        "period_end": _period("period", end=True, as_date=True),
    }
    references = {
        "beneficiary": Ref(
            ("Patient",), lambda r: _ref_of(r.get("beneficiary")),
            lambda r, v: _set_reference(r, "beneficiary", v), required=True,
        ),
        "payor": Ref(
            ("Organization",), lambda r: _ref_of(first(r.get("payor"))),
            lambda r, v: _set_reference(r, "payor", v, many=True),
        ),
    }


def _subject(required: bool = True) -> Ref:
    return Ref(
        ("Patient",), lambda r: _ref_of(r.get("subject")),
        lambda r, v: _set_reference(r, "subject", v), required=required,
    )


def _encounter_ref() -> Ref:
    return Ref(("Encounter",), lambda r: _ref_of(r.get("encounter")),
               lambda r, v: _set_reference(r, "encounter", v))


def _primary_participant(resource: dict) -> dict | None:
    participants = resource.get("participant") or []
    for p in participants:
        codes = {c.get("code") for t in p.get("type") or [] for c in t.get("coding") or []}
        if "PPRF" in codes and p.get("individual"):
            return p
    return next((p for p in participants if p.get("individual")), None)


def _set_participant(resource: dict, reference: str | None) -> None:
    participant = _primary_participant(resource)
    if participant is not None:
        if reference is None:
            resource["participant"].remove(participant)
        else:
            participant["individual"]["reference"] = reference
    elif reference is not None:
        resource.setdefault("participant", []).append({"individual": {"reference": reference}})


class EncounterMapper(ResourceMapper):
    resource_type = "Encounter"
    columns = {
        "status": _text("status"),
        "class_code": Column(lambda r: (r.get("class") or {}).get("code", "")),
        "type_code": Column(lambda r: coding(first(r.get("type"))).get("code", "")),
        "type_display": Column(
            lambda r: (first(r.get("type")) or {}).get("text")
            or coding(first(r.get("type"))).get("display", "")
        ),
        "period_start": _period("period", end=False),
        "period_end": _period("period", end=True),
    }
    references = {
        "patient": _subject(),
        "practitioner": Ref(
            ("Practitioner",), lambda r: _ref_of((_primary_participant(r) or {}).get("individual")),
            _set_participant,
        ),
        "service_provider": Ref(
            ("Organization",), lambda r: _ref_of(r.get("serviceProvider")),
            lambda r, v: _set_reference(r, "serviceProvider", v),
        ),
    }


def _code_columns(key: str, prefer: tuple[str, ...] = ()) -> dict[str, Column]:
    def pick(resource: dict) -> dict:
        concept = resource.get(key)
        for system in prefer:
            c = coding(concept, system)
            if c.get("system") == system:
                return c
        return coding(concept)

    def set_code(resource: dict, value: Any) -> None:
        current = pick(resource)
        _set_code(resource, key, current.get("system", ""), value, current.get("display", ""))

    def set_system(resource: dict, value: Any) -> None:
        current = pick(resource)
        if current:
            _set(current, "system", value)
        elif value:
            _set_code(resource, key, value, "", "")

    def set_display(resource: dict, value: Any) -> None:
        current = pick(resource)
        if current:
            _set(current, "display", value)
        else:
            _set(resource.setdefault(key, {}), "text", value)

    return {
        "code_system": Column(lambda r: pick(r).get("system", ""), set_system),
        "code": Column(lambda r: pick(r).get("code", ""), set_code),
        "code_display": Column(
            lambda r: pick(r).get("display") or (r.get(key) or {}).get("text", ""), set_display
        ),
    }


def _effective(prefix: str) -> dict[str, Column]:
    """``date``/``date_end`` from ``<prefix>DateTime`` or ``<prefix>Period`` (or Instant)."""

    def start(resource: dict) -> datetime | None:
        if resource.get(f"{prefix}DateTime"):
            return parse_fhir_datetime(resource[f"{prefix}DateTime"])
        if resource.get(f"{prefix}Instant"):
            return parse_fhir_datetime(resource[f"{prefix}Instant"])
        return parse_fhir_datetime((resource.get(f"{prefix}Period") or {}).get("start"))

    def end(resource: dict) -> datetime | None:
        return parse_fhir_datetime((resource.get(f"{prefix}Period") or {}).get("end"))

    def set_start(resource: dict, value: Any) -> None:
        if resource.get(f"{prefix}Period") is not None:
            _set(resource[f"{prefix}Period"], "start", format_datetime(_as_datetime(value)))
        else:
            resource.pop(f"{prefix}Instant", None)
            _set(resource, f"{prefix}DateTime", format_datetime(_as_datetime(value)))

    def set_end(resource: dict, value: Any) -> None:
        if value is None and resource.get(f"{prefix}Period") is None:
            return
        if resource.get(f"{prefix}DateTime"):
            resource[f"{prefix}Period"] = {"start": resource.pop(f"{prefix}DateTime")}
        _set(resource.setdefault(f"{prefix}Period", {}), "end", format_datetime(_as_datetime(value)))

    return {"date": Column(start, set_start), "date_end": Column(end, set_end)}


def _single_date(key: str) -> dict[str, Column]:
    return {
        "date": Column(
            lambda r: parse_fhir_datetime(r.get(key)),
            lambda r, v: _set(r, key, format_datetime(_as_datetime(v))),
        ),
        "date_end": Column(lambda r: None),
    }


class ConditionMapper(ResourceMapper):
    resource_type = "Condition"
    columns = {
        **_code_columns("code", prefer=(ICD10CM,)),
        "clinical_status": Column(
            lambda r: _status_concept(r, "clinicalStatus"),
            lambda r, v: _set_code(
                r, "clinicalStatus", "http://terminology.hl7.org/CodeSystem/condition-clinical", v, ""
            ),
        ),
        "status": Column(lambda r: _status_concept(r, "verificationStatus")),
        "date": Column(
            lambda r: parse_fhir_datetime(
                r.get("onsetDateTime") or (r.get("onsetPeriod") or {}).get("start") or r.get("recordedDate")
            )
        ),
        "date_end": Column(lambda r: parse_fhir_datetime(r.get("abatementDateTime"))),
    }
    references = {"patient": _subject(), "encounter": _encounter_ref()}

    def check(self, columns, resource):
        for c in (resource.get("code") or {}).get("coding") or []:
            if c.get("system") == ICD10CM and not icd10cm_is_valid(c.get("code", "")):
                return [f"{c.get('code')!r} is not an ICD-10-CM code"]
        return []


class ProcedureMapper(ResourceMapper):
    resource_type = "Procedure"
    columns = {
        **_code_columns("code", prefer=(CPT, HCPCS)),
        "status": _text("status"),
        **_effective("performed"),
        "laterality": Column(lambda r: laterality_of(r.get("bodySite"))),
        "spinal_levels": Column(lambda r: spinal_levels_of(r.get("bodySite"))),
    }
    references = {
        "patient": _subject(),
        "encounter": _encounter_ref(),
        "performer": Ref(
            ("Practitioner",), lambda r: _ref_of((first(r.get("performer")) or {}).get("actor")),
            lambda r, v: _set_performer(r, v),
        ),
    }


def _set_performer(resource: dict, reference: str | None) -> None:
    performers = resource.setdefault("performer", [])
    if reference is None:
        if performers:
            performers.pop(0)
        if not performers:
            resource.pop("performer")
    elif performers:
        performers[0].setdefault("actor", {})["reference"] = reference
    else:
        performers.append({"actor": {"reference": reference}})


class ServiceRequestMapper(ResourceMapper):
    resource_type = "ServiceRequest"
    columns = {
        **_code_columns("code", prefer=(CPT, HCPCS)),
        "status": _text("status"),
        "intent": _text("intent"),
        **_effective("occurrence"),
        "laterality": Column(lambda r: laterality_of(r.get("bodySite"))),
        "spinal_levels": Column(lambda r: spinal_levels_of(r.get("bodySite"))),
        "reason_codes": Column(
            lambda r: [
                {"system": c.get("system", ""), "code": c.get("code", "")}
                for concept in r.get("reasonCode") or []
                for c in concept.get("coding") or []
            ]
        ),
    }
    references = {
        "patient": _subject(),
        "encounter": _encounter_ref(),
        "requester": Ref(
            ("Practitioner",), lambda r: _ref_of(r.get("requester")),
            lambda r, v: _set_reference(r, "requester", v),
        ),
    }

    def parse(self, resource, *, strict=True):
        mapped = super().parse(resource, strict=strict)
        if mapped.columns["date"] is None and resource.get("authoredOn"):
            mapped.columns["date"] = parse_fhir_datetime(resource["authoredOn"])
        return mapped

    def render(self, resource, columns, references):
        # A date read from authoredOn (no occurrence sent) is not an occurrence to write back.
        if (
            "date" in columns
            and self.columns["date"].get(resource) is None
            and resource.get("authoredOn")
            and columns["date"] == parse_fhir_datetime(resource["authoredOn"])
        ):
            columns = {name: value for name, value in columns.items() if name != "date"}
        return super().render(resource, columns, references)


# Observation.value_number is a DecimalField(18, 6): what it can hold, and to which precision.
_VALUE_NUMBER_STEP = Decimal("0.000001")
_VALUE_NUMBER_LIMIT = Decimal(10) ** 12


def _value_number(resource: dict) -> Decimal | None:
    value = (resource.get("valueQuantity") or {}).get("value")
    if value is None and isinstance(resource.get("valueInteger"), int):
        value = resource["valueInteger"]
    if value is None or isinstance(value, bool):
        return None
    try:
        number = value if isinstance(value, Decimal) else Decimal(str(value))
    except InvalidOperation:
        return None
    # Beyond the column (e.g. 1E+18): the resource keeps the value, the column none.
    return number if number.is_finite() and abs(number) < _VALUE_NUMBER_LIMIT else None


def _set_value_number(resource: dict, value: Any) -> None:
    current = _value_number(resource)
    if current is not None and value is not None and _same_at_column_precision(current, Decimal(value)):
        return  # the column holds the resource's exact value rounded; keep the exact digits
    if value is None and current is None:
        return  # nothing the column could hold, so nothing to take away
    if "valueInteger" in resource and value is not None and Decimal(value) == int(value):
        resource["valueInteger"] = int(value)
        return
    if value is None:
        resource.pop("valueQuantity", None)
        resource.pop("valueInteger", None)
        return
    resource.pop("valueInteger", None)  # value[x] holds one value; a fraction needs a Quantity
    number = Decimal(value)
    resource.setdefault("valueQuantity", {})["value"] = int(number) if number == int(number) else number.normalize()


def _same_at_column_precision(a: Decimal, b: Decimal) -> bool:
    return a.quantize(_VALUE_NUMBER_STEP) == b.quantize(_VALUE_NUMBER_STEP)


class ObservationMapper(ResourceMapper):
    resource_type = "Observation"
    columns = {
        **_code_columns("code", prefer=(LOINC,)),
        "status": _text("status"),
        "category": Column(lambda r: coding(first(r.get("category"))).get("code", "")),
        **_effective("effective"),
        "value_number": Column(_value_number, _set_value_number),
        "value_unit": Column(lambda r: (r.get("valueQuantity") or {}).get("unit", "")),
        "value_text": Column(
            lambda r: (r.get("valueString") or coding(r.get("valueCodeableConcept")).get("display")
                       or (r.get("valueCodeableConcept") or {}).get("text") or "")[:500]
        ),
    }
    references = {"patient": _subject(), "encounter": _encounter_ref()}


def note_text(resource: dict) -> tuple[str, str]:
    """The text of a note's first text attachment, and its content type."""
    import base64
    import binascii

    for content in resource.get("content") or []:
        attachment = content.get("attachment") or {}
        content_type = attachment.get("contentType", "")
        # MIME types and parameter names are case-insensitive; parameter values may be quoted.
        lowered = content_type.lower()
        if attachment.get("data") and (not content_type or lowered.startswith("text/")):
            try:
                raw = base64.b64decode(attachment["data"], validate=True)
            except (binascii.Error, ValueError):
                continue
            charset = "utf-8"
            if "charset=" in lowered:
                start = lowered.index("charset=") + len("charset=")
                charset = content_type[start:].split(";")[0].strip().strip('"') or "utf-8"
            try:
                return raw.decode(charset, errors="replace"), content_type
            except LookupError:
                return raw.decode("utf-8", errors="replace"), content_type
    return "", ""


class DocumentReferenceMapper(ResourceMapper):
    resource_type = "DocumentReference"
    columns = {
        **_code_columns("type", prefer=(LOINC,)),
        "status": _text("status"),
        **_single_date("date"),
        "text": Column(lambda r: note_text(r)[0]),
        "content_type": Column(lambda r: note_text(r)[1]),
    }
    references = {
        "patient": _subject(),
        "encounter": Ref(
            ("Encounter",), lambda r: _ref_of(first((r.get("context") or {}).get("encounter"))),
            lambda r, v: _set_context_encounter(r, v),
        ),
        "author": Ref(
            ("Practitioner",), lambda r: _ref_of(first(r.get("author"))),
            lambda r, v: _set_reference(r, "author", v, many=True),
        ),
    }


def _set_context_encounter(resource: dict, reference: str | None) -> None:
    context = resource.setdefault("context", {})
    _set_reference(context, "encounter", reference, many=True)
    if not context:
        resource.pop("context")


CLAIM_TYPE = "http://terminology.hl7.org/CodeSystem/claim-type"
PROCESS_PRIORITY = "http://terminology.hl7.org/CodeSystem/processpriority"
PAS = "http://hl7.org/fhir/us/davinci-pas/StructureDefinition/"
# Claim.total is a DecimalField(18, 2): what it holds.
_TOTAL_LIMIT = Decimal(10) ** 16
_CENT = Decimal("0.01")


def _datetime_column(key: str) -> Column:
    return Column(lambda r: parse_fhir_datetime(r.get(key)),
                  lambda r, v: _set(r, key, format_datetime(_as_datetime(v))))


def _coded(key: str, system: str) -> Column:
    """The first code of a CodeableConcept; written back under ``system``."""
    return Column(lambda r: coding(r.get(key)).get("code", ""),
                  lambda r, v: _set_code(r, key, system, v, "") if v else r.pop(key, None))


def _reference_to(key: str, targets: tuple[str, ...], *, required: bool = False) -> Ref:
    return Ref(targets, lambda r: _ref_of(r.get(key)), lambda r, v: _set_reference(r, key, v), required=required)


def _focal_insurance(resource: dict) -> dict | None:
    """The insurance a claim is adjudicated under: the focal one, else the first."""
    insurances = [i for i in resource.get("insurance") or [] if isinstance(i, dict)]
    return next((i for i in insurances if i.get("focal") is True), first(insurances))


def _set_focal_coverage(resource: dict, reference: str | None) -> None:
    insurance = _focal_insurance(resource)
    if insurance is None:
        if reference is not None:
            resource["insurance"] = [{"sequence": 1, "focal": True, "coverage": {"reference": reference}}]
        return
    coverage = insurance.setdefault("coverage", {})
    if reference is None:
        coverage.pop("reference", None)
    else:
        coverage["reference"] = reference


def money_column_value(money: object) -> Decimal | None:
    """A Money element's value as a DecimalField(18, 2) column holds it; None when absent, not a
    number, or beyond the column (the resource keeps the value, the column none)."""
    value = money.get("value") if isinstance(money, dict) else None
    if value is None or isinstance(value, bool):
        return None
    try:
        number = value if isinstance(value, Decimal) else Decimal(str(value))
    except InvalidOperation:
        return None
    return number.quantize(_CENT) if number.is_finite() and abs(number) < _TOTAL_LIMIT else None


def _claim_total(resource: dict) -> Decimal | None:
    return money_column_value(resource.get("total"))


class ClaimMapper(ResourceMapper):
    """A Claim: a prior authorization request (Da Vinci PAS) or a claim for payment."""

    resource_type = "Claim"
    columns = {
        "use": _text("use"),
        "status": _text("status"),
        "type_code": _coded("type", CLAIM_TYPE),
        "priority": _coded("priority", PROCESS_PRIORITY),
        "created": _datetime_column("created"),
        "total": Column(_claim_total),
    }
    references = {
        "patient": _reference_to("patient", ("Patient",), required=True),
        "insurer": _reference_to("insurer", ("Organization",)),
        # One element, two target types: each keeps the references of its own type (see _targets).
        "provider": _reference_to("provider", ("Practitioner",)),
        "provider_organization": _reference_to("provider", ("Organization",)),
        "coverage": Ref(("Coverage",), lambda r: _ref_of((_focal_insurance(r) or {}).get("coverage")),
                        _set_focal_coverage),
    }


def _pas_extension(element: dict, name: str) -> dict:
    return next((e for e in element.get("extension") or [] if isinstance(e, dict) and e.get("url") == PAS + name), {})


def _review_numbers(resource: dict) -> Iterator[str]:
    """The authorization numbers a PAS ClaimResponse gives per item (reviewAction ``number``)."""
    for item in resource.get("item") or []:
        for adjudication in (item or {}).get("adjudication") or []:
            action = _pas_extension(adjudication or {}, "extension-reviewAction")
            for part in action.get("extension") or []:
                if part.get("url") == "number" and part.get("valueString"):
                    yield part["valueString"]


def _pre_auth_period(resource: dict) -> dict:
    """The period an authorization is valid for: ``preAuthPeriod``, else the first item's PAS one."""
    if resource.get("preAuthPeriod"):
        return resource["preAuthPeriod"]
    for item in resource.get("item") or []:
        period = _pas_extension(item or {}, "extension-itemPreAuthPeriod").get("valuePeriod")
        if period:
            return period
    return {}


def _pre_auth_period_column(part: str) -> Column:
    written = _period("preAuthPeriod", end=part == "end", as_date=True)
    return Column(lambda r: parse_fhir_date(_pre_auth_period(r).get(part)), written.set)


class ClaimResponseMapper(ResourceMapper):
    """A payer's ClaimResponse; a PAS one carries its authorization number and period per item."""

    resource_type = "ClaimResponse"
    columns = {
        "use": _text("use"),
        "status": _text("status"),
        "outcome": _text("outcome"),
        "created": _datetime_column("created"),
        "disposition": _text("disposition"),
        "pre_auth_ref": Column(lambda r: r.get("preAuthRef") or next(_review_numbers(r), ""),
                               lambda r, v: _set(r, "preAuthRef", v)),
        "pre_auth_period_start": _pre_auth_period_column("start"),
        "pre_auth_period_end": _pre_auth_period_column("end"),
    }
    references = {
        "patient": _reference_to("patient", ("Patient",), required=True),
        "insurer": _reference_to("insurer", ("Organization",)),
        "request": _reference_to("request", ("Claim",)),
    }


MAPPERS: dict[str, ResourceMapper] = {
    mapper.resource_type: mapper
    for mapper in (
        OrganizationMapper(), PractitionerMapper(), PatientMapper(), CoverageMapper(),
        EncounterMapper(), ConditionMapper(), ProcedureMapper(), ServiceRequestMapper(),
        ObservationMapper(), DocumentReferenceMapper(), ClaimMapper(), ClaimResponseMapper(),
    )
}
