"""Validating X12 files with pyx12, an independent reader, before they leave (and in the tests).

``validate_x12`` runs pyx12 4.0 over the text against its maps (005010X222A1 837P, 005010X221A1
835, 005010X214 277CA, 005010X231A1 999) and returns what it found as plain ``X12Issue`` objects;
to those it adds the guide's rules pyx12's maps leave out (``billing.x12.guide_rules``). A clean
file gives ``[]``; the send task sends nothing that gives anything else.

pyx12 logs every finding at ERROR with the offending value quoted, and values are patient data:
its loggers are kept out of ours (below), and an issue's message has the value taken out.
Each call builds its own pyx12 reader and error tree, so calls share nothing but the loaded code.
"""

from __future__ import annotations

import io
import json
import logging
import re
from dataclasses import dataclass
from typing import Any

import pyx12.errors
import pyx12.params
import pyx12.x12n_document

from billing.x12.guide_rules import NINE_DIGIT_ZIP_LOOPS, is_nine_digit_zip, is_po_box, is_valid_npi

# pyx12's loggers ("pyx12", "pyx12.error_handler", ...) write findings with the element's value;
# nothing of theirs reaches the project's handlers. The findings come back as X12Issues instead.
_PYX12_LOG = logging.getLogger("pyx12")
_PYX12_LOG.addHandler(logging.NullHandler())
_PYX12_LOG.propagate = False

ERROR = "error"  # the file breaks the guide: pyx12 or a guide rule says where
FATAL = "fatal"  # the file could not be read as X12 at all, or no map fits it

PYX12 = "pyx12"
GUIDE_RULES = "guide_rules"

# The 999's codes for what our guide rules find (IK403): I12 implementation pattern match failure.
PATTERN_MISMATCH = "I12"


@dataclass(frozen=True)
class X12Issue:
    """One finding in a file: where (segment id, line in the file, position in its transaction
    set, element) and what (the 999's error code and a message with no data from the file)."""

    severity: str  # ERROR or FATAL
    segment_id: str  # e.g. "NM1"; the missing segment's id when one is missing; "" when unknown
    line: int  # the segment's number in the file (ISA is 1); pyx12 places an envelope error
    # (ISA/GS/ST codes) at its loop's trailer once the loop is closed; 0 when unknown
    code: str  # the X12 999 code pyx12 or the rule gives (IK304 segment, IK403 element, IK502/AK905 ...)
    message: str
    position: int | None = None  # the segment's position in its transaction set (ST is 1)
    element: str = ""  # e.g. "NM109", "SV101-2"
    name: str = ""  # the guide's name of the segment, e.g. "Billing Provider Name"
    source: str = PYX12  # PYX12 or GUIDE_RULES

    def __str__(self) -> str:
        where = f"line {self.line} {self.segment_id}" + (f" {self.element}" if self.element else "")
        return f"{self.severity} {self.code} at {where}: {self.message}"


def validate_x12(text: str) -> list[X12Issue]:
    """Every issue pyx12 and the guide rules find in an X12 interchange, in file order; [] when
    the file is clean. Never raises for bad input: a file pyx12 cannot read gives one FATAL issue."""
    rules = _GuideRules()
    report = io.StringIO()
    try:
        pyx12.x12n_document.x12n_document(pyx12.params.params(), io.StringIO(text), None, None,
                                          fd_json=report, callback=rules)
    except pyx12.errors.EngineError as error:
        # pyx12 raises EngineError when no map fits GS01/GS08; its text names only those codes.
        message = "no pyx12 map for this functional group and guide (GS01/GS08)" \
            if "Map not found" in str(error) else "pyx12 could not walk the file"
        return [X12Issue(FATAL, "GS", 0, "map", message)]
    except pyx12.errors.X12Error:
        return [X12Issue(FATAL, "ISA", 1, "isa", "not a readable X12 interchange (ISA)")]
    except Exception as error:  # pyx12 meets malformed input with assorted exceptions
        return [X12Issue(FATAL, "", 0, "pyx12", f"pyx12 failed on the file ({type(error).__name__})")]
    found = report.getvalue()
    if not found:  # pyx12 returns early, before its report, when the text does not begin with an ISA
        return [X12Issue(FATAL, "ISA", 1, "isa", "not an X12 interchange: the text does not begin with ISA")]
    issues = _from_report(json.loads(found)) + rules.issues
    return sorted(issues, key=lambda issue: issue.line)


# --- pyx12's report ------------------------------------------------------------------------


def _from_report(report: dict[str, Any]) -> list[X12Issue]:
    """X12Issues from pyx12's JSON error tree (interchange > group > transaction > segment > element)."""
    issues: list[X12Issue] = []
    for interchange in report["interchanges"]:
        for error in interchange["errors"]:
            issues.append(_control_issue(error, "ISA", "IEA", ("001", "025"), interchange["cur_line"]))
        for group in interchange["groups"]:
            for error in group["errors"]:
                issues.append(_control_issue(error, "GS", "GE", ("6",), group["cur_line"]))
            for transaction in group["transactions"]:
                for error in transaction["errors"]:
                    # pyx12 puts codes 1, 6, 7 and 23 on the ST, the rest on the SE
                    issues.append(_control_issue(error, "ST", "SE", ("1", "6", "7", "23"), transaction["cur_line"]))
                for segment in transaction["segments"]:
                    issues += _segment_issues(segment)
    return issues


def _control_issue(error: dict[str, Any], header: str, trailer: str, header_codes: tuple[str, ...],
                   line: int) -> X12Issue:
    segment_id = header if error["err_cde"] in header_codes else trailer
    return X12Issue(ERROR, segment_id, line or 0, str(error["err_cde"]), _scrubbed(error["err_str"], None))


def _segment_issues(segment: dict[str, Any]) -> list[X12Issue]:
    where = {"segment_id": segment["seg_id"] or "", "line": segment["cur_line"] or 0,
             "position": segment["seg_count"], "name": segment["name"] or ""}
    issues = [X12Issue(ERROR, code=str(error["err_cde"]), message=_scrubbed(error["err_str"], error["err_val"]),
                       **where)
              for error in segment["errors"]]
    for element in segment["elements"]:
        reference = f"{where['segment_id']}{element['ele_pos']:02d}"
        if element["subele_pos"]:
            reference += f"-{element['subele_pos']}"
        issues += [X12Issue(ERROR, code=str(error["err_cde"]), element=reference,
                            message=_scrubbed(error["err_str"], error["err_val"]), **where)
                   for error in element["errors"]]
    return issues


_SEGMENT_NOT_FOUND = re.compile(r"Segment (\w+)\*(.*?) not found\.")
_QUALIFIER = re.compile(r"[A-Z0-9]{1,3}")


def _scrubbed(message: str, value: str | None) -> str:
    """pyx12's message with the file's value taken out: it quotes the offending element, and the
    first element of a segment it did not expect (an N3's street, an NM1's qualifier)."""
    if value:
        for quoted in (f'("{value}")', f"({value})", f'"{value}"'):
            message = message.replace(quoted, "(…)")
        if len(value) > 2:
            message = message.replace(value, "…")
    return _SEGMENT_NOT_FOUND.sub(_keep_qualifier, message)


def _keep_qualifier(match: re.Match[str]) -> str:
    first = match.group(2)
    shown = f"{match.group(1)}*{first}" if _QUALIFIER.fullmatch(first) else match.group(1)
    return f"Segment {shown} not found."


# --- the guide's rules pyx12's maps leave out ------------------------------------------------


class _GuideRules:
    """pyx12's per-segment callback: checks the segments the guide rules cover, with the loop
    pyx12 placed them in, and keeps what it finds (never the values)."""

    def __init__(self) -> None:
        self.issues: list[X12Issue] = []

    def __call__(self, segment: Any, source: Any, node: Any, valid: bool) -> None:
        # pyx12 swallows a callback's exception (logging "callback failed"): a rule that breaks
        # must still stop the file, so it becomes an issue of its own.
        try:
            self._check(segment, source, node)
        except Exception as error:
            self.issues.append(X12Issue(FATAL, "", source.get_cur_line(), "rules",
                                        f"the guide rules failed on this segment ({type(error).__name__})",
                                        source=GUIDE_RULES))

    def _check(self, segment: Any, source: Any, node: Any) -> None:
        seg_id = segment.get_seg_id()
        if seg_id not in ("NM1", "N3", "N4"):
            return
        loop = _loop_id(node)
        found: tuple[str, str] | None = None
        if seg_id == "NM1" and segment.get_value("NM108") == "XX":
            if not is_valid_npi(segment.get_value("NM109") or ""):
                found = ("NM109", "the NPI is not ten digits with a valid check digit")
        elif seg_id == "N3" and loop == "2010AA":
            if is_po_box(segment.get_value("N301") or "") or is_po_box(segment.get_value("N302") or ""):
                found = ("N301", "the billing provider's address must be a street address, not a PO or lock box")
        elif seg_id == "N4" and loop in NINE_DIGIT_ZIP_LOOPS and not segment.get_value("N404"):
            if not is_nine_digit_zip(segment.get_value("N403") or ""):
                found = ("N403", f"loop {loop} needs the full nine-digit ZIP code")
        if found is not None:
            self.issues.append(X12Issue(ERROR, seg_id, source.get_cur_line(), PATTERN_MISMATCH, found[1],
                                        position=source.get_seg_count(), element=found[0],
                                        name=getattr(node, "name", "") or "", source=GUIDE_RULES))


def _loop_id(node: Any) -> str:
    parent = node.get_parent() if node is not None and hasattr(node, "get_parent") else None
    return getattr(parent, "id", "") or ""
