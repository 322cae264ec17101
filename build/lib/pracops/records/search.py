"""FHIR search parameters over the practice's records.

Each parameter turns a query-string value into a Django ``Q``; the same table feeds the
CapabilityStatement, so what is advertised is what is implemented, under the definition URL
of the R4 SearchParameter it implements (``Resource-``, ``clinical-``, ``individual-`` or
``<Type>-<code>`` as the R4 specification names them).

Unknown parameters are ignored unless the client sends ``Prefer: handling=strict`` (R4
search 3.1.1.1.4); what was ignored is left out of the searchset's self link.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal, InvalidOperation
from typing import Callable, Mapping

from django.contrib.contenttypes.models import ContentType
from django.db.models import F, Q
from django.db.models.expressions import OrderBy

from pracops.fhir.outcome import FhirError, Issue
from pracops.fhir.search_values import STRING_LENGTH, normalized
from pracops.records.models import SearchString, SearchToken
from pracops.records.registry import KINDS

_PREFIXES = ("eq", "ne", "gt", "lt", "ge", "le", "sa", "eb", "ap")
_DATE = re.compile(
    r"^(?P<y>\d{4})(-(?P<m>\d{2})(-(?P<d>\d{2})(T(?P<time>\d{2}:\d{2}(:\d{2}(\.\d+)?)?)(?P<tz>Z|[+-]\d{2}:\d{2})?)?)?)?$"
)

_EARLIEST = datetime.min.replace(tzinfo=timezone.utc)
_LATEST = datetime.max.replace(tzinfo=timezone.utc)


def bad_value(name: str, value: str, why: str) -> FhirError:
    return FhirError(400, Issue("invalid", f"search parameter {name}={value!r}: {why}"))


def date_range(name: str, raw: str) -> tuple[str, datetime, datetime]:
    """(prefix, start, end-exclusive) of a FHIR date search value at its precision."""
    prefix = raw[:2] if raw[:2] in _PREFIXES else "eq"
    value = raw[2:] if raw[:2] in _PREFIXES else raw
    match = _DATE.match(value)
    if not match:
        raise bad_value(name, raw, "expected [prefix]YYYY[-MM[-DD[Thh:mm[:ss][zone]]]]")
    try:
        year = int(match["y"])
        if match["time"]:
            start = datetime.fromisoformat(value.replace("Z", "+00:00"))
            start = (start if start.tzinfo else start.replace(tzinfo=timezone.utc)).astimezone(timezone.utc)
            step = timedelta(seconds=1) if match["time"].count(":") == 2 else timedelta(minutes=1)
            return prefix, start, start + step
        if match["d"]:
            day = date(year, int(match["m"]), int(match["d"]))
            start = datetime(day.year, day.month, day.day, tzinfo=timezone.utc)
            return prefix, start, start + timedelta(days=1)
        if match["m"]:
            month = int(match["m"])
            start = datetime(year, month, 1, tzinfo=timezone.utc)
            end = datetime(year + (month == 12), month % 12 + 1, 1, tzinfo=timezone.utc)
            return prefix, start, end
        return prefix, datetime(year, 1, 1, tzinfo=timezone.utc), datetime(year + 1, 1, 1, tzinfo=timezone.utc)
    except (ValueError, OverflowError) as exc:  # e.g. 2024-02-30, or the day after 9999-12-31
        raise bad_value(name, raw, f"not a date between the years 1 and 9999 ({exc})") from exc


@dataclass(frozen=True)
class SearchParam:
    name: str
    type: str  # string, token, date, reference, quantity
    documentation: str
    build: Callable[[str, str, str], Q] | None  # (name, modifier, value) -> Q; None: matched in the index
    code: str = ""  # the R4 SearchParameter's code when it differs from the name (an alias)
    sort: str = ""  # the column ``_sort`` orders by; empty: not sortable
    target: str = ""  # reference parameters: the type referred to
    fk: str = ""  # reference parameters: the foreign key holding the reference
    path: str = ""  # indexed parameters: where in the resource its values are (pracops.fhir.search_values)

    def with_(self, **changes) -> "SearchParam":
        return replace(self, **changes)


# The R4 search parameters shared by several types, and those types (R4 search parameter registry).
_SHARED: dict[str, set[str]] = {
    "clinical-patient": {"Condition", "DocumentReference", "Encounter", "Observation", "Procedure",
                         "ServiceRequest"},
    "clinical-identifier": {"Condition", "DocumentReference", "Encounter", "Observation", "Procedure",
                            "ServiceRequest"},
    "clinical-code": {"Condition", "Observation", "Procedure", "ServiceRequest"},
    "clinical-date": {"Encounter", "Observation", "Procedure"},
    "clinical-encounter": {"DocumentReference", "Observation", "Procedure", "ServiceRequest"},
    "clinical-type": {"DocumentReference", "Encounter"},
    "individual-family": {"Patient", "Practitioner"},
    "individual-given": {"Patient", "Practitioner"},
    "individual-birthdate": {"Patient"},
    "individual-gender": {"Patient", "Practitioner"},
    "individual-address": {"Patient", "Practitioner"},
    "individual-address-city": {"Patient", "Practitioner"},
    "individual-address-state": {"Patient", "Practitioner"},
    "individual-address-postalcode": {"Patient", "Practitioner"},
    "individual-phone": {"Patient", "Practitioner"},
    "individual-email": {"Patient", "Practitioner"},
}


def definition(resource_type: str, param: SearchParam) -> str:
    """The canonical URL of the R4 SearchParameter a parameter implements."""
    code = param.code or param.name
    if code.startswith("_"):
        return f"http://hl7.org/fhir/SearchParameter/Resource-{code[1:]}"
    for prefix in ("clinical", "individual"):
        if resource_type in _SHARED.get(f"{prefix}-{code}", ()):
            return f"http://hl7.org/fhir/SearchParameter/{prefix}-{code}"
    return f"http://hl7.org/fhir/SearchParameter/{resource_type}-{code}"


def string_param(name: str, *fields: str, doc: str = "") -> SearchParam:
    def build(pname: str, modifier: str, value: str) -> Q:
        q = Q()
        for field in fields:
            if modifier == "exact":
                q |= Q(**{f"{field}__exact": value})
            elif modifier == "contains":
                q |= Q(**{f"{field}__icontains": value})
            elif modifier == "":
                q |= Q(**{f"{field}__istartswith": value})
            else:
                raise bad_value(pname, value, f"the modifier :{modifier} is not supported")
        return q

    return SearchParam(name, "string", doc or f"Starts with, case-insensitive ({', '.join(fields)})", build)


def indexed_string(name: str, path: str, doc: str, *, sort: str = "") -> SearchParam:
    """A string search over the search index: starts with, ignoring case and accents; :exact, :contains."""
    return SearchParam(name, "string", doc, None, path=path, sort=sort)


def indexed_token(name: str, path: str, doc: str) -> SearchParam:
    """A token search over every coding (identifier, code) at ``path``: code, system|code, |code, system|; :not, :text."""
    return SearchParam(name, "token", doc, None, path=path)


def _index_match(resource_type: str, param: SearchParam, modifier: str, value: str) -> Q:
    """The records whose index rows for ``param`` match the value (a subquery: no duplicate rows)."""
    content_type = ContentType.objects.get_for_model(KINDS[resource_type].model)
    if param.type == "token" and modifier == "text":
        # The concept's text and codings' displays, matched as a string: starts with, any accent or case.
        rows = SearchString.objects.filter(content_type=content_type, param=f"{param.code or param.name}:text",
                                           normalized__startswith=normalized(value)[:STRING_LENGTH])
    elif param.type == "token":
        if modifier not in ("", "not"):
            raise bad_value(param.name, value, f"the modifier :{modifier} is not supported")
        rows = SearchToken.objects.filter(content_type=content_type, param=param.code or param.name)
        if "|" in value:
            system, _, code = value.partition("|")
            rows = rows.filter(system=system, **({"code": code} if code else {}))
        else:
            rows = rows.filter(code=value)
    else:
        rows = SearchString.objects.filter(content_type=content_type, param=param.code or param.name)
        if modifier == "exact":
            rows = rows.filter(exact=value[:STRING_LENGTH])
        elif modifier == "contains":
            rows = rows.filter(normalized__contains=normalized(value))
        elif modifier == "":
            rows = rows.filter(normalized__startswith=normalized(value)[:STRING_LENGTH])
        else:
            raise bad_value(param.name, value, f"the modifier :{modifier} is not supported")
    return Q(pk__in=rows.values("object_id"))


_QUANTITY_LIMIT = Decimal(10) ** 12  # what the value columns hold (18 digits, 6 after the point)


def quantity_param(name: str, number_field: str, unit_field: str, element: str, doc: str) -> SearchParam:
    """Quantity search, ``[prefix]number[|system|code]``, on a number column and the Quantity's system and code.

    Without a prefix a number matches at its precision: 5.4 finds [5.35, 5.45) (R4 search 3.1.1.4.4).
    """

    def build(pname: str, modifier: str, value: str) -> Q:
        if modifier:
            raise bad_value(pname, value, f"the modifier :{modifier} is not supported")
        prefix = value[:2] if value[:2] in _PREFIXES else "eq"
        number_text, _, unit = (value[2:] if value[:2] in _PREFIXES else value).partition("|")
        try:
            number = Decimal(number_text)
        except InvalidOperation as exc:
            raise bad_value(pname, value, "expected [prefix]number[|system|code]") from exc
        if not number.is_finite() or abs(number) >= _QUANTITY_LIMIT:
            raise bad_value(pname, value, f"expected a number between -{_QUANTITY_LIMIT} and {_QUANTITY_LIMIT}")
        half = Decimal(1).scaleb(number.as_tuple().exponent) / 2
        lo, hi = number - half, number + half
        field = number_field
        q = {
            "eq": Q(**{f"{field}__gte": lo, f"{field}__lt": hi}),
            "ne": ~Q(**{f"{field}__gte": lo, f"{field}__lt": hi}) & Q(**{f"{field}__isnull": False}),
            "gt": Q(**{f"{field}__gt": number}), "sa": Q(**{f"{field}__gt": number}),
            "lt": Q(**{f"{field}__lt": number}), "eb": Q(**{f"{field}__lt": number}),
            "ge": Q(**{f"{field}__gte": number}), "le": Q(**{f"{field}__lte": number}),
            "ap": Q(**{f"{field}__gte": number - abs(number) / 10, f"{field}__lte": number + abs(number) / 10}),
        }[prefix]
        if unit:
            system, _, code = unit.partition("|") if "|" in unit else ("", "", unit)
            if system:
                q &= Q(**{f"resource__{element}__system": system})
            if code:
                # the code, or without a system the unit as written (R4: "matches code or unit")
                q &= Q(**{f"resource__{element}__code": code}) | (
                    Q(**{unit_field: code}) if not system else Q(pk__in=[]))
        return q

    return SearchParam(name, "quantity", doc, build)


def token_param(name: str, code_field: str, system_field: str | None = None, doc: str = "") -> SearchParam:
    def build(pname: str, modifier: str, value: str) -> Q:
        if modifier:
            raise bad_value(pname, value, f"the modifier :{modifier} is not supported")
        if "|" in value and system_field:
            system, _, code = value.partition("|")
            q = Q(**{system_field: system}) if system else Q(**{system_field: ""})
            return q & Q(**{code_field: code}) if code else q
        if "|" in value:
            value = value.partition("|")[2]
        return Q(**{code_field: value})

    return SearchParam(name, "token", doc or f"Code, optionally system|code ({code_field})", build)


def identifier_param() -> SearchParam:
    def build(pname: str, modifier: str, value: str) -> Q:
        if modifier:
            raise bad_value(pname, value, f"the modifier :{modifier} is not supported")
        if "|" in value:
            system, _, code = value.partition("|")
            q = Q(identifiers__system=system)
            return q & Q(identifiers__value=code) if code else q
        return Q(identifiers__value=value)

    return SearchParam("identifier", "token", "A business identifier, system|value or value", build)


def date_param(name: str, start_field: str, end_field: str | None = None, *, as_date: bool = False,
               ongoing: Q | bool = False, doc: str = "") -> SearchParam:
    """Date search with FHIR's prefixes, comparing the value's range with the resource's.

    The resource's range is [start, end]. Without an end it is the moment ``start``, unless
    ``ongoing`` says the record holds a Period (True: always; a Q: the records that do): a
    Period without an end has not ended, so its range runs on for ever (R4 search 3.1.1.4.2).
    """

    def end_q(op: str, v) -> Q:
        q = Q(**{f"{end_field}__{op}": v})
        moment = Q(**{f"{end_field}__isnull": True, f"{start}__{op}": v})
        if ongoing is True:
            moment = Q(pk__in=[])
        elif ongoing is not False:
            moment &= ~ongoing
        if ongoing is not False and op != "lt":  # an open period ends after every date
            q |= Q(**{f"{end_field}__isnull": True}) & (Q() if ongoing is True else ongoing)
        return q | moment

    def build(pname: str, modifier: str, value: str) -> Q:
        if modifier:
            raise bad_value(pname, value, f"the modifier :{modifier} is not supported")
        prefix, lo, hi = date_range(pname, value)
        lo_v, hi_v = (lo.date(), hi.date()) if as_date else (lo, hi)
        ends = end_q if end_field else (lambda op, v: Q(**{f"{start}__{op}": v}))
        has = Q(**{f"{start}__isnull": False})
        if prefix == "eq":
            return has & Q(**{f"{start}__gte": lo_v}) & ends("lt", hi_v)
        if prefix == "ne":
            return has & ~(Q(**{f"{start}__gte": lo_v}) & ends("lt", hi_v))
        if prefix in ("gt", "sa"):
            return has & (ends("gte", hi_v) if prefix == "gt" else Q(**{f"{start}__gte": hi_v}))
        if prefix in ("lt", "eb"):
            return has & (Q(**{f"{start}__lt": lo_v}) if prefix == "lt" else ends("lt", lo_v))
        if prefix == "ge":
            return has & ends("gte", lo_v)
        if prefix == "le":
            return has & Q(**{f"{start}__lt": hi_v})
        # ap: within 10% of the distance to now, at least a day, either side
        span = max(abs(datetime.now(timezone.utc) - lo) / 10, timedelta(days=1))
        a, b = (lo - min(span, lo - _EARLIEST), hi + min(span, _LATEST - hi))  # within years 1 to 9999
        a_v, b_v = (a.date(), b.date()) if as_date else (a, b)
        return has & Q(**{f"{start}__lt": b_v}) & ends("gte", a_v)

    start = start_field
    return SearchParam(name, "date", doc or "Date with eq, ne, gt, lt, ge, le, sa, eb, ap", build,
                       sort=start_field)


def reference_param(name: str, fk: str, target: str, doc: str = "") -> SearchParam:
    def build(pname: str, modifier: str, value: str) -> Q:
        if modifier and modifier != target:
            raise bad_value(pname, value, f"the modifier :{modifier} is not supported")
        parts = value.rstrip("/").split("/")
        if len(parts) >= 2 and parts[-2] != target:
            raise bad_value(pname, value, f"expected a {target} reference")
        return Q(**{f"{fk}__fhir_id": parts[-1]})

    return SearchParam(name, "reference", doc or f"The {target} (id or {target}/id)", build, target=target, fk=fk)


def either_reference_param(name: str, fks: Mapping[str, str], doc: str) -> SearchParam:
    """A reference parameter over an element that may point at several types, each held in its
    own foreign key (``fks``: type -> key). A bare id matches any of them; chains and ``_include``
    follow the first type."""
    def build(pname: str, modifier: str, value: str) -> Q:
        if modifier and modifier not in fks:
            raise bad_value(pname, value, f"the modifier :{modifier} is not supported")
        parts = value.rstrip("/").split("/")
        wanted = [modifier] if modifier else list(fks)
        if len(parts) >= 2:
            if parts[-2] not in wanted:
                raise bad_value(pname, value, f"expected a {' or '.join(wanted)} reference")
            wanted = [parts[-2]]
        q = Q(pk__in=[])
        for target in wanted:
            q |= Q(**{f"{fks[target]}__fhir_id": parts[-1]})
        return q

    target, fk = next(iter(fks.items()))
    return SearchParam(name, "reference", doc, build, target=target, fk=fk)


def common_params() -> list[SearchParam]:
    """The parameters of every type (``_id``, ``_lastUpdated``, ``identifier``); a type another app
    registers starts its own list with them."""
    return [
        token_param("_id", "fhir_id", doc="The logical id").with_(sort="fhir_id"),
        date_param("_lastUpdated", "last_updated", doc="When the resource last changed"),
        identifier_param(),
    ]


def _period_of(*elements: str) -> Q:
    """The records whose date comes from a Period: without an end, they are ongoing."""
    q = Q(pk__in=[])
    for element in elements:
        q |= Q(resource__has_key=element)
    return q


def _clinical(code_doc: str, extra: list[SearchParam] = (), *, date: SearchParam | None = None) -> list[SearchParam]:
    return [
        *common_params(),
        reference_param("patient", "patient", "Patient"),
        reference_param("subject", "patient", "Patient", doc="The patient (subject)"),
        reference_param("encounter", "encounter", "Encounter"),
        indexed_token("code", "code", code_doc),
        date or date_param("date", "date", "date_end"),
        token_param("status", "status"),
        *extra,
    ]


def _names(resource_type: str) -> list[SearchParam]:
    """HumanName searches: over every name and its text, ignoring accents and case."""
    return [
        indexed_string("name", "name", f"Any part of any name (family, given, prefix, suffix, text) of the {resource_type}"),
        indexed_string("family", "name.family", "A family name, of any name", sort="family"),
        indexed_string("given", "name.given", "A given name, of any name", sort="given"),
    ]


def _contacts() -> list[SearchParam]:
    return [
        indexed_string("address", "address", "Any part of any address (line, city, state, postal code, country, text)"),
        indexed_string("address-city", "address.city", "A city of any address"),
        indexed_string("address-state", "address.state", "A state of any address"),
        indexed_string("address-postalcode", "address.postalCode", "A postal code of any address"),
        indexed_token("phone", "telecom.where(system='phone')", "A phone number (as written)"),
        indexed_token("email", "telecom.where(system='email')", "An email address"),
    ]


# The core types' parameters, registered with their types (pracops.records.kinds); searches
# read every registered type's own from the registry (params_of).
SEARCH_PARAMS: dict[str, dict[str, SearchParam]] = {
    resource_type: {p.name: p for p in params}
    for resource_type, params in {
        "Organization": [*common_params(), string_param("name", "name").with_(sort="name"),
                         token_param("type", "kind", doc="prov (provider) or pay (payer)")],
        "Practitioner": [*common_params(), *_names("Practitioner"), *_contacts()],
        "Patient": [
            *common_params(), *_names("Patient"), *_contacts(),
            date_param("birthdate", "birth_date", as_date=True, doc="Date of birth"),
            token_param("gender", "gender"),
        ],
        "Coverage": [
            *common_params(),
            reference_param("beneficiary", "beneficiary", "Patient"),
            reference_param("patient", "beneficiary", "Patient", doc="The beneficiary"),
            reference_param("payor", "payor", "Organization"),
            token_param("status", "status"),
        ],
        "Encounter": [
            *common_params(),
            reference_param("patient", "patient", "Patient"),
            reference_param("subject", "patient", "Patient", doc="The patient (subject)"),
            date_param("date", "period_start", "period_end", ongoing=True,
                       doc="The encounter period; one without an end is ongoing"),
            token_param("status", "status"),
            token_param("class", "class_code"),
            indexed_token("type", "type", "Any coding of any type"),
            reference_param("practitioner", "practitioner", "Practitioner"),
            reference_param("service-provider", "service_provider", "Organization"),
        ],
        "Condition": _clinical("Any coding of the code: ICD-10-CM, SNOMED CT, ...; system|code", [
            date_param("onset-date", "date", doc="The onset (onsetDateTime or onsetPeriod.start)"),
            indexed_token("clinical-status", "clinicalStatus", "active, recurrence, relapse, inactive, remission, resolved"),
            indexed_token("verification-status", "verificationStatus", "confirmed, provisional, refuted, ..."),
            indexed_token("category", "category", "problem-list-item, encounter-diagnosis, ..."),
        ], date=date_param("date", "date", "date_end", doc="The onset to the abatement (as onset-date)")
              .with_(code="onset-date")),
        "Procedure": _clinical("Any coding of the code: CPT, HCPCS, SNOMED CT, ...; system|code", date=date_param(
            "date", "date", "date_end", ongoing=_period_of("performedPeriod"),
            doc="When performed; a performedPeriod without an end is ongoing")),
        "ServiceRequest": _clinical("Any coding of the ordered procedure's code, system|code",
                                    [token_param("intent", "intent")], date=date_param(
            "date", "date", "date_end", ongoing=_period_of("occurrencePeriod"),
            doc="The occurrence (or authoredOn); an occurrencePeriod without an end is ongoing",
        ).with_(code="occurrence")),
        "Observation": _clinical("Any coding of the code, e.g. http://loinc.org|72514-3 (pain severity)", [
            indexed_token("category", "category", "Any coding of any category (survey, vital-signs, ...)"),
            quantity_param("value-quantity", "value_number", "value_unit", "valueQuantity",
                           "The value: [prefix]number[|system|code], e.g. ge7 or 5.4|http://unitsofmeasure.org|mg"),
        ], date=date_param(
            "date", "date", "date_end", ongoing=_period_of("effectivePeriod"),
            doc="The effective time; an effectivePeriod without an end is ongoing")),
        "DocumentReference": _clinical("Any coding of the note type (as type), system|code", [
            indexed_token("type", "type", "Any coding of the note type (LOINC)"),
            indexed_token("category", "category", "Any coding of any category"),
        ]),
        "Claim": [
            *common_params(),
            reference_param("patient", "patient", "Patient"),
            token_param("use", "use", doc="claim, preauthorization or predetermination"),
            token_param("status", "status"),
            token_param("priority", "priority", doc="stat, normal or deferred"),
            date_param("created", "created", doc="When the claim was created"),
            reference_param("insurer", "insurer", "Organization"),
            either_reference_param(
                "provider", {"Practitioner": "provider", "Organization": "provider_organization"},
                "The provider: Practitioner/id or Organization/id (an id alone matches either); "
                "chains and _include follow the Practitioner"),
        ],
        "ClaimResponse": [
            *common_params(),
            reference_param("patient", "patient", "Patient"),
            token_param("use", "use", doc="claim, preauthorization or predetermination"),
            token_param("status", "status"),
            token_param("outcome", "outcome", doc="queued, complete, error or partial"),
            date_param("created", "created", doc="When the response was created"),
            reference_param("insurer", "insurer", "Organization"),
            reference_param("request", "request", "Claim", doc="The Claim answered (id or Claim/id)"),
            string_param("disposition", "disposition", doc="The disposition message: starts with, case-insensitive"),
        ],
    }.items()
}
# Condition has no status; ``status`` is kept as a name for its verification status (the column).
SEARCH_PARAMS["Condition"]["status"] = SEARCH_PARAMS["Condition"]["status"].with_(
    code="verification-status", documentation="The verification status code (as verification-status)")
# DocumentReference has no code; ``code`` is kept as a name for its type.
SEARCH_PARAMS["DocumentReference"]["code"] = SEARCH_PARAMS["DocumentReference"]["type"].with_(
    name="code", code="type")


def params_of(resource_type: str) -> Mapping[str, SearchParam]:
    """The search parameters of a registered type (none for a type not registered)."""
    kind = KINDS.get(resource_type)
    return kind.search_params if kind is not None else {}


def register_search_params(resource_type: str, params: list[SearchParam]) -> None:
    """Add search parameters to a registered type; /metadata advertises them.

    Records stored before an indexed parameter was added are found once ``rebuild_search_index`` has run.
    """
    kind = KINDS.get(resource_type)
    if kind is None:
        raise LookupError(f"{resource_type} is not a registered resource type")
    kind.search_params.update((p.name, p) for p in params)


def indexed_params(resource_type: str) -> list[SearchParam]:
    """The parameters a type's records are found by through the search index."""
    return [p for p in params_of(resource_type).values() if p.path and p.name == (p.code or p.name)]


# Parameters about the result rather than the match.
RESULT_PARAMS = {"_count", "_offset", "_total", "_format", "_pretty", "_summary", "_elements", "_sort",
                 "_include", "_revinclude"}


def unknown_parameter(resource_type: str, name: str) -> FhirError:
    known = params_of(resource_type)
    return FhirError(400, Issue(
        "not-supported",
        f"unknown search parameter {name!r} for {resource_type}; supported: {', '.join(sorted(known))}",
    ))


MaySearch = Callable[[str], bool]


def _anything(resource_type: str) -> bool:
    return True


def search_filters(resource_type: str, params: list[tuple[str, str]], *, strict: bool = False,
                   may_search: MaySearch = _anything) -> tuple[list[Q], list[tuple[str, str]]]:
    """One filter per search parameter (repeated parameters AND, commas OR), and the parameters applied.

    Unknown parameters are skipped, or a 400 when ``strict``. A chain or ``_has`` into a type
    the client may not search (``may_search``) is a 403: its answer would tell what is there.
    """
    filters: list[Q] = []
    applied: list[tuple[str, str]] = []
    for raw_name, raw_value in params:
        if raw_name in RESULT_PARAMS:
            continue
        if "\x00" in raw_value:  # no column holds it, and PostgreSQL refuses it in a query
            raise bad_value(raw_name, raw_value.replace("\x00", "\\0"), "NUL bytes are not allowed")
        q = parameter_filter(resource_type, raw_name, raw_value, strict=strict, may_search=may_search)
        if q is not None:
            filters.append(q)
            applied.append((raw_name, raw_value))
    return filters, applied


def parameter_filter(resource_type: str, raw_name: str, raw_value: str, *, strict: bool = False,
                     may_search: MaySearch = _anything) -> Q | None:
    """The filter of one ``name[:modifier]=value``, chained (``patient.name``) or reverse-chained
    (``_has:Observation:patient:code``); None for a parameter this server does not know (not strict).
    """
    if raw_name.startswith("_has:"):
        return _reverse_chain(resource_type, raw_name, raw_value, strict=strict, may_search=may_search)
    head, dot, rest = raw_name.partition(".")
    name, _, modifier = head.partition(":")
    param = params_of(resource_type).get(name)
    if param is None:
        if strict:
            raise unknown_parameter(resource_type, name)
        return None
    if dot:
        if param.type != "reference" or (modifier and modifier != param.target):
            raise bad_value(raw_name, raw_value, f"{name} cannot be chained here; chain a reference parameter")
        _check_may_search(param.target, may_search)
        inner = parameter_filter(param.target, rest, raw_value, strict=strict, may_search=may_search)
        if inner is None:
            return None
        return Q(**{f"{param.fk}__in": KINDS[param.target].model.objects.filter(inner).values("pk")})
    if modifier == "missing":
        raise bad_value(raw_name, raw_value, "the modifier :missing is not supported")
    values = [v for v in _split_commas(raw_value) if v != ""]
    if not values:
        raise bad_value(raw_name, raw_value, "a value is required")
    negated = modifier == "not" and param.type == "token"
    if negated and param.build is not None:
        raise bad_value(raw_name, raw_value, "the modifier :not is not supported on this parameter")
    alternatives = Q()
    for value in values:
        if param.build is None:
            alternatives |= _index_match(resource_type, param, "" if negated else modifier, value)
        else:
            alternatives |= param.build(name, modifier, value)
    # code:not=a,b: neither a nor b
    return ~alternatives if negated else alternatives


def _check_may_search(resource_type: str, may_search: MaySearch) -> None:
    if not may_search(resource_type):
        raise FhirError(403, Issue("forbidden", f"your role may not search {resource_type}"))


def _reverse_chain(resource_type: str, raw_name: str, raw_value: str, *, strict: bool,
                   may_search: MaySearch) -> Q | None:
    """``_has:Type:reference:param=value``: the records some ``Type`` refers to and matches."""
    parts = raw_name.split(":", 3)
    if len(parts) != 4 or not all(parts):
        raise bad_value(raw_name, raw_value, "expected _has:Type:reference:parameter")
    _, other, reference, rest = parts
    param = params_of(other).get(reference)
    if param is None or param.type != "reference" or param.target != resource_type:
        if strict:
            raise bad_value(raw_name, raw_value, f"{other}:{reference} is not a reference to {resource_type}")
        return None
    _check_may_search(other, may_search)
    inner = parameter_filter(other, rest, raw_value, strict=strict, may_search=may_search)
    if inner is None:
        return None
    return Q(pk__in=KINDS[other].model.objects.filter(inner).values(param.fk))


def include_params(resource_type: str, kind: str, spec: str, *,
                   strict: bool = False) -> list[tuple[str, SearchParam]]:
    """The (source type, reference parameter) pairs of one ``_include`` or ``_revinclude`` value.

    ``_include=Encounter:patient``, ``_include=Encounter:subject:Patient``, ``_include=*`` (every
    reference of the type); ``_revinclude=Encounter:patient`` on a Patient search.
    """
    if kind == "_include" and spec == "*":
        params = [p for p in params_of(resource_type).values() if p.type == "reference"]
        unique = {p.fk: p for p in params}  # subject and patient are one foreign key
        return [(resource_type, p) for p in unique.values()]
    source, _, rest = spec.partition(":")
    name, _, target = rest.partition(":")
    param = params_of(source).get(name)
    fits = (
        param is not None and param.type == "reference" and (not target or target == param.target)
        and (source == resource_type if kind == "_include" else param.target == resource_type)
    )
    if not fits:
        if strict:
            raise bad_value(kind, spec, f"not a reference parameter that a {resource_type} search can {kind[1:]}")
        return []
    return [(source, param)]


def sort_order(resource_type: str, params: list[tuple[str, str]], *, strict: bool = False) -> list[OrderBy]:
    """The ``order_by`` fields of ``_sort=a,-b`` (then the primary key, so that pages are stable)."""
    known = params_of(resource_type)
    order: list[str] = []
    for value in [v for k, v in params if k == "_sort"][-1:]:
        for key in filter(None, value.split(",")):
            descending, name = key.startswith("-"), key.lstrip("-")
            param = known.get(name)
            if param is None or not param.sort:
                if strict:
                    raise bad_value("_sort", value, f"{name!r} is not a sortable parameter of {resource_type}")
                continue
            order.append(F(param.sort).desc(nulls_last=True) if descending else F(param.sort).asc(nulls_last=True))
    return [*order, F("pk").asc()]


def _split_commas(value: str) -> list[str]:
    """Split on commas that are not escaped with a backslash."""
    parts, current, escaped = [], [], False
    for char in value:
        if escaped:
            current.append(char)
            escaped = False
        elif char == "\\":
            escaped = True
        elif char == ",":
            parts.append("".join(current))
            current = []
        else:
            current.append(char)
    parts.append("".join(current))
    return parts


