"""The scrubber's coding tables, read from the YAML files in ``tables/`` (each cites its sources).

Checked when read: a code that is not CPT/HCPCS-shaped, a missing key or a wrong type raises
``TableFileError`` naming the file and the entry, so a bad edit to a table fails loudly at start-up
rather than silently letting claims through.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any, Mapping

import yaml

TABLES_DIR = Path(__file__).resolve().parent / "tables"
_CODE = re.compile(r"^(\d{5}|\d{4}[FTU]|[A-V]\d{4})$")
BILATERAL_MODIFIER_50 = "modifier_50"


class TableFileError(ValueError):
    """A coding table that cannot be used; str() names the file and the entry at fault."""

    def __init__(self, file: str, entry: str, message: str):
        super().__init__(f"billing/scrubber/tables/{file}: {entry}: {message}")


@dataclass(frozen=True)
class UnitLimit:
    units: int | None  # None: not confirmed, not checked
    basis: str
    bilateral_with_modifier_50: bool


@dataclass(frozen=True)
class CodingTables:
    add_on_primaries: Mapping[str, frozenset[str]]
    imaging_guidance_codes: Mapping[str, str]  # code -> what it is
    includes_imaging: frozenset[str]
    third_level_facet_codes: Mapping[str, str]  # code -> region
    second_level_facet_codes: Mapping[str, str]
    facet_limit_text: str
    unit_limits: Mapping[str, UnitLimit]


def _read(directory: Path, file: str) -> dict[str, Any]:
    data = yaml.safe_load((directory / file).read_text(encoding="utf-8"))
    if not isinstance(data, dict):
        raise TableFileError(file, "(top)", "expected a mapping")
    return data


def _code(file: str, entry: str, value: Any) -> str:
    if not isinstance(value, str) or not _CODE.match(value):
        raise TableFileError(file, entry, f"{value!r} is not a CPT/HCPCS code")
    return value


def _mapping(file: str, data: Mapping[str, Any], key: str) -> Mapping[str, Any]:
    value = data.get(key)
    if not isinstance(value, dict) or not value:
        raise TableFileError(file, key, "expected a non-empty mapping")
    return value


def load_tables(directory: Path = TABLES_DIR) -> CodingTables:
    """Read and check every table under ``directory``."""
    file = "add_on_codes.yaml"
    add_ons: dict[str, frozenset[str]] = {}
    for code, entry in _mapping(file, _read(directory, file), "add_on_codes").items():
        primaries = (entry or {}).get("primary")
        if not isinstance(primaries, list) or not primaries:
            raise TableFileError(file, f"add_on_codes.{code}.primary", "expected a non-empty list")
        add_ons[_code(file, f"add_on_codes.{code}", code)] = frozenset(
            _code(file, f"add_on_codes.{code}.primary", p) for p in primaries)

    file = "imaging_guidance.yaml"
    data = _read(directory, file)
    guidance = {_code(file, f"guidance_codes.{c}", c): str(what)
                for c, what in _mapping(file, data, "guidance_codes").items()}
    including = data.get("includes_imaging")
    if not isinstance(including, list) or not including:
        raise TableFileError(file, "includes_imaging", "expected a non-empty list")
    includes_imaging = frozenset(_code(file, "includes_imaging", c) for c in including)

    file = "facet_levels.yaml"
    data = _read(directory, file)
    third = {_code(file, f"third_level_codes.{c}", c): str(r)
             for c, r in _mapping(file, data, "third_level_codes").items()}
    second = {_code(file, f"second_level_codes.{c}", c): str(r)
              for c, r in _mapping(file, data, "second_level_codes").items()}
    limit_text = data.get("sessions_limit_text")
    if not isinstance(limit_text, str) or not limit_text:
        raise TableFileError(file, "sessions_limit_text", "expected the limit in words")

    file = "units.yaml"
    limits: dict[str, UnitLimit] = {}
    for code, entry in _mapping(file, _read(directory, file), "codes").items():
        where = f"codes.{code}"
        _code(file, where, code)
        if not isinstance(entry, dict) or "units" not in entry or not entry.get("basis"):
            raise TableFileError(file, where, "expected units (a number or null) and basis")
        units = entry["units"]
        if units is not None and (isinstance(units, bool) or not isinstance(units, int) or units < 1):
            raise TableFileError(file, f"{where}.units", "expected a whole number of at least 1, or null")
        bilateral = entry.get("bilateral")
        if bilateral not in (None, BILATERAL_MODIFIER_50):
            raise TableFileError(file, f"{where}.bilateral", f"expected {BILATERAL_MODIFIER_50} or null")
        limits[code] = UnitLimit(units=units, basis=str(entry["basis"]),
                                 bilateral_with_modifier_50=bilateral == BILATERAL_MODIFIER_50)

    return CodingTables(add_on_primaries=add_ons, imaging_guidance_codes=guidance,
                        includes_imaging=includes_imaging, third_level_facet_codes=third,
                        second_level_facet_codes=second, facet_limit_text=limit_text, unit_limits=limits)


@lru_cache(maxsize=1)
def coding_tables() -> CodingTables:
    """The built-in tables, read once per process."""
    return load_tables()
