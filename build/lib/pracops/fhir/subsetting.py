"""``_summary`` and ``_elements``: a resource cut down to what the client asked for.

Pure. A subset keeps the resource's mandatory elements (so it is still a valid resource) and
carries the ``SUBSETTED`` tag, which tells the client not to update the resource with it
(R4 search 3.1.1.5.7-8). Which elements are in the summary is the R4 definition, as the
``fhir.resources`` models record it.
"""

from __future__ import annotations

from functools import lru_cache

from fhir.resources.R4B import get_fhir_model_class

SUBSETTED = {
    "system": "http://terminology.hl7.org/CodeSystem/v3-ObservationValue",
    "code": "SUBSETTED",
    "display": "Resource encoded in summary mode",
}
SUMMARY_MODES = ("true", "text", "data", "count", "false")
_ALWAYS = ("resourceType", "id", "meta")


@lru_cache(maxsize=None)
def _elements_of(resource_type: str) -> tuple[frozenset[str], frozenset[str]]:
    """(the summary elements, the mandatory elements) of a type, by their JSON names."""
    summary, mandatory = set(), set()
    for name, field in get_fhir_model_class(resource_type).model_fields.items():
        extra = field.json_schema_extra or {}
        json_name = field.alias or name
        if extra.get("summary_element_property"):
            summary.add(json_name)
        if extra.get("element_required") or field.is_required():
            mandatory.add(json_name)
    return frozenset(summary), frozenset(mandatory)


def subset(resource: dict, *, summary: str = "", elements: list[str] | None = None) -> dict:
    """The resource as ``_summary`` (true, text, data) or ``_elements`` asks; unchanged for false or neither."""
    if summary in ("true", "text", "data"):
        summary_elements, mandatory = _elements_of(resource["resourceType"])
        if summary == "true":
            keep = summary_elements | mandatory
        elif summary == "text":
            keep = mandatory | {"text"}
        else:
            keep = set(resource) - {"text"}
    elif elements:
        _, mandatory = _elements_of(resource["resourceType"])
        keep = mandatory | {name.strip() for name in elements}
    else:
        return resource
    out = {key: value for key, value in resource.items() if key in keep or key in _ALWAYS}
    meta = dict(out.get("meta") or {})
    tags = [tag for tag in meta.get("tag") or [] if tag.get("code") != SUBSETTED["code"]]
    meta["tag"] = [*tags, SUBSETTED]
    out["meta"] = meta
    return out
