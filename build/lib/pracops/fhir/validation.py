"""Validation of R4 JSON against the ``fhir.resources`` R4B models (fhirVersion 4.0.1)."""

from __future__ import annotations

from decimal import Decimal
from functools import lru_cache
from html.parser import HTMLParser
from typing import Any, Mapping

from fhir.resources.R4B import get_fhir_model_class
from pydantic import BaseModel, ValidationError

from pracops.fhir.outcome import FhirError, Issue


@lru_cache(maxsize=None)
def fhir_model(resource_type: str):
    return get_fhir_model_class(resource_type)


def _code_issues(resource: dict, required_codes: Mapping[str, frozenset[str]], where: str) -> list[Issue]:
    # The R4B models check a code's form, not its value set: without this a Patient.gender of
    # "sometimes" would be stored.
    issues = []
    for element, codes in required_codes.items():
        value = resource.get(element)
        if value is not None and value not in codes:
            expression = f"{resource['resourceType']}.{element}"
            issues.append(Issue(
                "code-invalid", f"{where}{expression}: {value!r} is not one of {', '.join(sorted(codes))}",
                expression=expression,
            ))
    return issues


def validation_issues(resource: dict, *, where: str = "",
                      required_codes: Mapping[str, frozenset[str]] | None = None) -> list[Issue]:
    """The structural problems of a resource; empty when it is valid R4 and its elements named in
    ``required_codes`` (element -> codes, the type's required bindings) hold one of their codes."""
    try:
        instance = fhir_model(resource["resourceType"]).model_validate(resource)
    except ValidationError as exc:
        issues = []
        for error in exc.errors()[:20]:
            path = "".join(f"[{p}]" if isinstance(p, int) else f".{p}"
                           for p in error.get("loc", ()) if p != "__root__")
            expression = f"{resource['resourceType']}{path}"
            message = error.get("msg", "invalid value")
            issues.append(Issue("value" if path else "structure", f"{where}{expression}: {message}",
                                expression=expression))
        return issues or [Issue("structure", f"{where}invalid {resource['resourceType']}")]
    issues: list[Issue] = []
    _json_issues(resource, instance, resource["resourceType"], where, issues)
    return issues[:_MAX_ISSUES] or _code_issues(resource, required_codes or {}, where)


def validate_resource(resource: dict, *, where: str = "",
                      required_codes: Mapping[str, frozenset[str]] | None = None) -> None:
    issues = validation_issues(resource, where=where, required_codes=required_codes)
    if issues:
        raise FhirError(400, issues)


# --- what the R4B models let through -----------------------------------------------

_MAX_ISSUES = 20


@lru_cache(maxsize=None)
def _field_names(model: type[BaseModel]) -> dict[str, str]:
    """JSON name -> attribute name of a model's fields."""
    return {field.alias or name: name for name, field in model.model_fields.items()}


_SCALARS = frozenset({int, bool, float, Decimal})  # nothing to check in a number or a boolean


def _json_issues(value: Any, instance: Any, path: str, where: str, issues: list[Issue],
                 null_allowed: bool = False) -> None:
    """What FHIR JSON forbids and the models accept: nulls, empty values, decimals sent as
    strings and active narrative. ``instance`` is the validated model value at ``path``.

    Run on every resource an import stores, so leaves that are fine are passed over without
    a call or a path."""
    if len(issues) >= _MAX_ISSUES:
        return
    if value is None:
        if not null_allowed:
            issues.append(Issue("structure", f"{where}{path}: null is not allowed in FHIR JSON; leave the element out",
                                expression=path))
    elif isinstance(value, dict):
        if not value:
            issues.append(Issue("structure", f"{where}{path}: an empty object is not allowed", expression=path))
            return
        names = _field_names(type(instance)) if isinstance(instance, BaseModel) else {}
        for key, item in value.items():
            if item.__class__ in _SCALARS or key == "resourceType":
                continue
            name = names.get(key)
            child = getattr(instance, name, None) if name else None
            if item.__class__ is str:
                if key == "div" and path.endswith("text"):
                    _narrative_issues(item, f"{path}.{key}", where, issues)
                elif not item or isinstance(child, Decimal):
                    _json_issues(item, child, f"{path}.{key}", where, issues)
                continue
            child_path = f"{path}.{key}"
            if isinstance(item, list):
                if not item:
                    issues.append(Issue("structure", f"{where}{child_path}: an empty array is not allowed",
                                        expression=child_path))
                    continue
                if all(element is None for element in item):
                    issues.append(Issue("structure", f"{where}{child_path}: an array of nulls is not allowed",
                                        expression=child_path))
                    continue
                # A primitive array and its "_" sibling pad each other with nulls.
                paired = (key[1:] if key.startswith("_") else f"_{key}") in value
                children = child if isinstance(child, list) else []
                for index, element in enumerate(item):
                    if element.__class__ in _SCALARS or (element.__class__ is str and element and not (
                            index < len(children) and isinstance(children[index], Decimal))):
                        continue
                    _json_issues(element, children[index] if index < len(children) else None,
                                 f"{child_path}[{index}]", where, issues, null_allowed=paired)
            else:
                _json_issues(item, child, child_path, where, issues)
    elif isinstance(value, str):
        if not value:
            issues.append(Issue("structure", f"{where}{path}: an empty string is not allowed", expression=path))
        elif isinstance(instance, Decimal):
            issues.append(Issue("value", f"{where}{path}: a decimal is a JSON number, not a string",
                                expression=path))


# Active content, which the narrative rules (R4 narrative.html, txt-1) leave out: it would run
# in whatever shows the resource.
_ACTIVE_ELEMENTS = frozenset({
    "script", "iframe", "frame", "frameset", "object", "embed", "applet", "form", "input", "button",
    "select", "textarea", "base", "link", "meta", "head", "body", "html", "style",
})
_URL_ATTRIBUTES = frozenset({"href", "src", "action", "formaction", "background", "lowsrc", "dynsrc", "cite"})
_ACTIVE_SCHEMES = ("javascript:", "vbscript:", "data:text/html")
XHTML = "http://www.w3.org/1999/xhtml"


class _NarrativeReader(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.root: tuple[str, dict[str, str | None]] | None = None
        self.problems: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if self.root is None:
            self.root = (tag, dict(attrs))
        if tag in _ACTIVE_ELEMENTS:
            self.problems.append(f"a <{tag}> element is not allowed")
        for name, value in attrs:
            if name.startswith("on"):
                self.problems.append(f"the event attribute {name} is not allowed")
            elif name in _URL_ATTRIBUTES and value:
                squeezed = "".join(ch for ch in value if ch > " ").lower()
                if squeezed.startswith(_ACTIVE_SCHEMES):
                    self.problems.append(f"a {squeezed.split(':')[0]}: URL in {name} is not allowed")

    handle_startendtag = handle_starttag


def _narrative_issues(div: str, path: str, where: str, issues: list[Issue]) -> None:
    reader = _NarrativeReader()
    reader.feed(div)
    reader.close()
    problems = list(reader.problems)
    if reader.root is None or reader.root[0] != "div" or reader.root[1].get("xmlns") != XHTML \
            or not div.lstrip().startswith("<"):
        problems.insert(0, f"the narrative must be one XHTML <div xmlns=\"{XHTML}\">")
    for problem in dict.fromkeys(problems):
        issues.append(Issue("value", f"{where}{path}: {problem}", expression=path))
