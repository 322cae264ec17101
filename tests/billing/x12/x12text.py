"""Reading written X12 text back in the tests: segments as lists of elements, and transaction
sets with their ST/SE, so counts and control numbers are checked from the text itself."""

from __future__ import annotations

from datetime import datetime

from billing.claim_data import Party
from billing.x12.envelope import Envelope

WHEN = datetime(2026, 12, 5, 8, 30)
SUBMITTER = Party("CAPITOL PAIN BILLING", "PRACOPS01", "Billing Office", "5125550100")
RECEIVER = Party("AVAILITY", "030240928")


def envelope(**fields) -> Envelope:
    return Envelope(**{"sender_id": "PRACOPS01", "receiver_id": "030240928", "interchange_control": 1207,
                       "group_control": 88, "functional_id": "HC", "created": WHEN, "usage": "T", **fields})


def segments(text: str) -> list[list[str]]:
    """Every segment of a file as [id, element1, element2, ...], in order."""
    return [raw.strip().split("*") for raw in text.split("~") if raw.strip()]


def transaction_sets(text: str) -> list[list[list[str]]]:
    """The segments of each ST..SE, both included."""
    sets, current = [], None
    for segment in segments(text):
        if segment[0] == "ST":
            current = []
        if current is not None:
            current.append(segment)
        if segment[0] == "SE":
            sets.append(current)
            current = None
    return sets


def with_id(found: list[list[str]], segment_id: str, first: str | None = None) -> list[list[str]]:
    return [s for s in found if s[0] == segment_id and (first is None or s[1] == first)]
