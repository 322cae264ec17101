"""The one place the clearinghouse turns its answers into file text: the 999, 277CA and 835
writers of billing.x12 (ack999, status277, remit835), under an envelope from the clearinghouse
to the submitter. It writes no X12 of its own.

Until a writer is installed (ImportError), the answer is kept as JSON of the same plain objects
(media type application/json), so the clearinghouse still works end to end and says plainly what
it holds.
"""

from __future__ import annotations

from collections.abc import Sequence
import json
from dataclasses import asdict, dataclass
from datetime import datetime

from billing.x12.envelope import Envelope
from billing.x12.messages import ClaimStatusReport, ImplementationAcknowledgment, RemittanceAdvice

EDI_X12 = "application/edi-x12"

FUNCTIONAL_IDS = {"999": "FA", "277CA": "HN", "835": "HP"}


@dataclass(frozen=True)
class Written:
    text: str
    media_type: str = EDI_X12


def envelope_for(kind: str, *, clearinghouse_id: str, submitter_sender_id: str, control_number: int,
                 created: datetime, usage: str) -> Envelope:
    """The envelope of a response file: from the clearinghouse back to the sender of the file
    (its ISA06), numbered by the response file (ISA13 = GS06)."""
    return Envelope(sender_id=clearinghouse_id, receiver_id=submitter_sender_id or "UNKNOWN",
                    interchange_control=control_number, group_control=control_number,
                    functional_id=FUNCTIONAL_IDS[kind], created=created, usage=usage if usage in ("P", "T") else "P")


def write_999(acknowledgment: ImplementationAcknowledgment, envelope: Envelope) -> Written:
    try:
        from billing.x12.ack999 import write_999 as write
    except ImportError:
        return _as_json([acknowledgment])
    return Written(write([acknowledgment], envelope))


def write_277ca(report: ClaimStatusReport, envelope: Envelope, parties: object) -> Written:
    """A 277CA of ``report``'s claims, all under the billing provider ``parties`` names
    (billing.x12.status277.AcknowledgmentParties)."""
    try:
        from billing.x12.status277 import write_277ca as write
    except ImportError:
        return _as_json([report])
    return Written(write([report], envelope, parties))


def write_835(advices: Sequence[RemittanceAdvice], envelope: Envelope) -> Written:
    try:
        from billing.x12.remit835 import write_835 as write
    except ImportError:
        return _as_json(list(advices))
    return Written(write(list(advices), envelope))


def _as_json(messages: Sequence[object]) -> Written:
    return Written(json.dumps([asdict(m) for m in messages], default=str, indent=1), "application/json")
