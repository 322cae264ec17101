"""Validating a received 837P against its implementation guide with pyx12: the verdict as a
999 (``ImplementationAcknowledgment``), with an IK3 for each segment at fault and an IK4 for each
element (pure: text in, objects out).

pyx12 checks the envelope, the loops, the segments' order and counts, each element's type, size
and code list, and the guide's situational rules. Its error tree is taken through its JSON
visitor (a public output of ``x12n_document``) and turned into the 999's codes the way pyx12's own
999 writer does, so the verdict is pyx12's; only the text is ours (billing.x12.ack999).

pyx12 maps 005010X222A1. The A2 errata changed no structure the map checks, and clearinghouses
take both, so an A2 file is validated against the A1 map and acknowledged under its own guide.
"""

from __future__ import annotations

import io
import json
import logging
from typing import Any

import pyx12.params
import pyx12.x12n_document

from billing.x12.messages import ImplementationAcknowledgment, Interchange, SegmentError, TransactionAcknowledgment

logger = logging.getLogger(__name__)

PROFESSIONAL_CLAIM_GUIDES = ("005010X222A1", "005010X222A2")
_MAPPED_GUIDE = "005010X222A1"

# What a 999 may carry (X12 codes 620, 621, 716, 715): pyx12 has a few codes of its own besides.
_IK304 = {"1", "2", "3", "4", "5", "6", "7", "8", "I4", "I6", "I7", "I8", "I9"}
_IK403 = {"1", "2", "3", "4", "5", "6", "7", "8", "9", "10", "12", "13", "I10", "I11", "I12", "I13", "I6", "I9"}
_IK5 = {"1", "2", "3", "4", "5", "6", "7", "8", "9", "10", "11", "12", "13", "15", "16", "17", "18", "19",
        "23", "24", "25", "26", "27", "I5", "I6"}


def validate_837(text: str, interchange: Interchange) -> ImplementationAcknowledgment:
    """pyx12's verdict on the professional claim file ``text`` (whose ISA/GS ``interchange`` was
    read): every transaction set accepted (A) or rejected (R) with where the errors are.

    A group that is not an 837P (GS01 HC with an X222 guide) is rejected whole (AK9 R)."""
    if interchange.functional_id != "HC" or interchange.guide not in PROFESSIONAL_CLAIM_GUIDES:
        return _rejected_group(interchange)
    checked = text.replace(interchange.guide, _MAPPED_GUIDE) if interchange.guide != _MAPPED_GUIDE else text
    report = io.StringIO()
    try:
        pyx12.x12n_document.x12n_document(pyx12.params.params(), io.StringIO(checked), None, None, None, report)
        tree = json.loads(report.getvalue())
    except Exception as exc:  # noqa: BLE001 - any failure inside the validator is the file's rejection, never a 500
        logger.info("sandbox clearinghouse: pyx12 could not read a file (%s)", type(exc).__name__)
        return _rejected_group(interchange)
    groups = [group for isa in tree.get("interchanges", []) for group in isa.get("groups", [])]
    if not groups:
        return _rejected_group(interchange)
    return _acknowledgment(groups[0], interchange)


def _acknowledgment(group: dict[str, Any], interchange: Interchange) -> ImplementationAcknowledgment:
    transactions = tuple(_transaction(t) for t in group.get("transactions", []))
    accepted = sum(1 for t in transactions if t.status in ("A", "E"))
    received = len(transactions)
    included = _int(group.get("st_count_orig"), received)
    if received and accepted == received and included == received and not group.get("errors"):
        status = "E" if any(t.status == "E" for t in transactions) else "A"
    elif accepted:
        status = "P"
    else:
        status = "R"
    return ImplementationAcknowledgment(
        interchange=interchange, group_control_number=str(group.get("gs_control_num") or
                                                          interchange.group_control_number),
        functional_id=interchange.functional_id, status=status, transactions=transactions,
        included=included, received=received, accepted=accepted,
    )


def _transaction(st: dict[str, Any]) -> TransactionAcknowledgment:
    errors = []
    for segment in st.get("segments", []):
        codes = {error["err_cde"] for error in segment.get("errors", [])}
        if "SEG1" in codes:
            codes = (codes - {"SEG1"}) | {"8"}
        elements = tuple(
            (_element_position(element), error["err_cde"])
            for element in segment.get("elements", []) for error in element.get("errors", [])
            if error["err_cde"] in _IK403
        )
        segment_codes = sorted(codes & _IK304) or (["8"] if elements else [])
        for code in segment_codes:
            errors.append(SegmentError(segment_id=segment.get("seg_id") or "", position=_int(segment.get("seg_count"), 0),
                                       loop=segment.get("ls_id") or "", code=code,
                                       element_errors=elements if code == "8" else ()))
    syntax = sorted({error["err_cde"] for error in st.get("errors", []) if error["err_cde"] in _IK5})
    if errors and "5" not in syntax:
        syntax.append("5")  # "one or more segments in error", as pyx12's own 999 says
    status = st.get("ack_code") or ("R" if errors or syntax else "A")
    if status not in ("A", "E", "R", "M", "W", "X"):
        status = "R"
    return TransactionAcknowledgment(set_code=st.get("trn_set_id") or "837",
                                     set_control_number=(st.get("trn_set_control_num") or "").strip(),
                                     status=status, errors=tuple(errors), syntax_codes=tuple(syntax[:5]))


def _element_position(element: dict[str, Any]) -> str:
    position = str(element.get("ele_pos") or "")
    if element.get("subele_pos"):
        position += f":{element['subele_pos']}"
        if element.get("repeat_pos"):
            position += f":{element['repeat_pos']}"
    return position


def _rejected_group(interchange: Interchange) -> ImplementationAcknowledgment:
    return ImplementationAcknowledgment(
        interchange=interchange, group_control_number=interchange.group_control_number or "0",
        functional_id=interchange.functional_id or "HC", status="R", transactions=(),
        included=0, received=0, accepted=0,
    )


def _int(value: Any, default: int) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return default
