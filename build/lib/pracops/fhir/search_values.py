"""The values a FHIR search parameter finds a resource by, read from the resource JSON.

Pure: a resource and a path in, tokens or strings out. Paths are the simple FHIRPath the R4
SearchParameter expressions use: element names joined by dots, each stepping into every item
of a list, and ``where(element='value')`` to keep some items (``telecom.where(system='phone')``).
"""

from __future__ import annotations

import re
import unicodedata
from typing import Any, Iterator

_WHERE = re.compile(r"^where\((?P<key>[A-Za-z]+)='(?P<value>[^']*)'\)$")
_HUMAN_NAME_PARTS = ("family", "given", "prefix", "suffix", "text")
_ADDRESS_PARTS = ("line", "city", "district", "state", "postalCode", "country", "text")
STRING_LENGTH = 255  # index columns; longer values are matched on their start


def elements(resource: dict, path: str) -> list[Any]:
    """Every value a path reaches in the resource (lists flattened)."""
    items: list[Any] = [resource]
    for step in path.split("."):
        where = _WHERE.match(step)
        if where:
            items = [i for i in items if isinstance(i, dict) and i.get(where["key"]) == where["value"]]
            continue
        found: list[Any] = []
        for item in items:
            if isinstance(item, dict) and step in item:
                value = item[step]
                found.extend(value if isinstance(value, list) else [value])
        items = found
    return items


def tokens(resource: dict, path: str) -> set[tuple[str, str]]:
    """(system, code) of every coding, identifier, contact point or code the path reaches.

    A CodeableConcept gives each of its codings, so a search finds a record by any of them.
    A ContactPoint's ``use`` stands as its system, as R4 token search defines for it.
    """
    found: set[tuple[str, str]] = set()
    for value in elements(resource, path):
        for system, code in _tokens_of(value):
            if code:
                found.add((system[:STRING_LENGTH], code[:STRING_LENGTH]))
    return found


def _tokens_of(value: Any) -> Iterator[tuple[str, str]]:
    if isinstance(value, bool):
        yield "", "true" if value else "false"
    elif isinstance(value, str):
        yield "", value
    elif isinstance(value, dict):
        if "coding" in value:
            for coding in value.get("coding") or []:
                if isinstance(coding, dict) and isinstance(coding.get("code"), str):
                    yield coding.get("system") or "", coding["code"]
        elif isinstance(value.get("code"), str):  # a Coding
            yield value.get("system") or "", value["code"]
        elif isinstance(value.get("value"), str):
            if value.get("system") in ("phone", "fax", "email", "pager", "url", "sms", "other"):
                yield value.get("use") or "", value["value"]  # a ContactPoint
            else:
                yield value.get("system") or "", value["value"]  # an Identifier


def token_texts(resource: dict, path: str) -> set[str]:
    """The words a token search's ``:text`` looks at: a CodeableConcept's text and its codings' displays."""
    found: set[str] = set()
    for value in elements(resource, path):
        if not isinstance(value, dict):
            continue
        codings = value.get("coding") if "coding" in value else [value]
        texts = [value.get("text"), *((c or {}).get("display") for c in codings or [] if isinstance(c, dict))]
        found.update(t.strip()[:STRING_LENGTH] for t in texts if isinstance(t, str) and t.strip())
    return found


def strings(resource: dict, path: str) -> set[str]:
    """Every string the path reaches; a HumanName or Address gives each of its parts."""
    found: set[str] = set()
    for value in elements(resource, path):
        parts: list[Any]
        if isinstance(value, str):
            parts = [value]
        elif isinstance(value, dict):
            keys = _HUMAN_NAME_PARTS if ("family" in value or "given" in value) else (
                _ADDRESS_PARTS if any(k in value for k in _ADDRESS_PARTS[:6]) else ("text",))
            parts = [p for key in keys for p in (value.get(key) if isinstance(value.get(key), list) else [value.get(key)])]
        else:
            continue
        found.update(p.strip()[:STRING_LENGTH] for p in parts if isinstance(p, str) and p.strip())
    return found


def normalized(text: str) -> str:
    """Text as string search compares it: accents removed, case folded, spaces collapsed.

    R4 string search is accent- and case-insensitive by default ("Gonçalves" finds "goncalves").
    """
    decomposed = unicodedata.normalize("NFKD", text)
    stripped = "".join(char for char in decomposed if not unicodedata.combining(char))
    return " ".join(stripped.casefold().split())
