"""pyx12 as the independent reader the project's own is checked against: its validation errors,
and the loops and segments its walk of a file finds."""

from __future__ import annotations

import atexit
import io
import json
import logging
import os
from collections import Counter
from dataclasses import dataclass, field
from functools import cache
from importlib.resources import files
from pathlib import Path
from shutil import rmtree
from tempfile import mkdtemp

import pyx12.error_handler
import pyx12.params
import pyx12.x12context
import pyx12.x12file
import pyx12.x12n_document

logging.getLogger("pyx12").setLevel(logging.CRITICAL)

# pyx12 4.0 ships the 277 claim status response map (005010X212) but leaves it out of its index.
_X212 = '<map vriic="005010X212" fic="HN" abbr="277">277.5010.X212.xml</map>'


@cache
def map_path() -> str:
    """pyx12's own maps, with the 005010X212 map indexed."""
    source = Path(str(files("pyx12") / "map"))
    target = Path(mkdtemp(prefix="pyx12-maps-"))
    atexit.register(rmtree, target, ignore_errors=True)
    for entry in source.iterdir():
        if entry.name != "maps.xml":
            os.symlink(entry, target / entry.name)
    index = (source / "maps.xml").read_text(encoding="utf-8")
    anchor = '<map vriic="005010X214"'
    assert anchor in index
    (target / "maps.xml").write_text(index.replace(anchor, f"{_X212}\n    {anchor}", 1), encoding="utf-8")
    return str(target)


def validation_errors(text: str) -> list[tuple[str, str]]:
    """Every error pyx12's validation reports, as (error code, its description)."""
    report = io.StringIO()
    pyx12.x12n_document.x12n_document(pyx12.params.params(), io.StringIO(text), None, None, None, report,
                                      map_path=map_path())
    return _errors(json.loads(report.getvalue()), [])


def _errors(node: object, found: list[tuple[str, str]]) -> list[tuple[str, str]]:
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "errors":
                found += [(error["err_cde"], error["err_str"]) for error in value]
            else:
                _errors(value, found)
    elif isinstance(node, list):
        for item in node:
            _errors(item, found)
    return found


@dataclass
class Walk:
    """What pyx12 found: segments by their map path's last two parts (``2110/SVC``), and the
    values of the elements asked for."""

    paths: Counter = field(default_factory=Counter)
    values: list[tuple[str, dict[str, str]]] = field(default_factory=list)

    def count(self, path: str) -> int:
        return self.paths[path]


def walk(text: str, elements: dict[str, tuple[str, ...]] | None = None) -> Walk:
    """Walk ``text`` with pyx12's context reader; for segment ids in ``elements``, keep the
    values of the named element references (e.g. ``{"CAS": ("CAS02", "CAS05")}``)."""
    result = Walk()
    reader = pyx12.x12context.X12ContextReader(pyx12.params.params(), pyx12.error_handler.err_handler(),
                                               io.StringIO(text), map_path=map_path())
    for node in reader.iter_segments():
        path = node.cur_path.split("/")
        where = "/".join(p.split("[")[0] for p in path[-2:])
        result.paths[where] += 1
        if elements and node.id in elements:
            result.values.append((where, {ref: node.get_value(ref) or "" for ref in elements[node.id]}))
    return result


def segment_ids(text: str) -> list[str]:
    """The segment ids pyx12's raw reader finds in ``text``, in order."""
    return [segment.get_seg_id() for segment in pyx12.x12file.X12Reader(io.StringIO(text))]
