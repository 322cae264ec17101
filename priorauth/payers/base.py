"""What every payer adapter takes and gives back, and the registry that picks one by name.

An adapter sends one prior authorization request over one channel (Da Vinci PAS, fax, ...)
and reads the payer's answer. It holds no state and touches no database: the workflow
(priorauth.services) decides when to send, records every attempt and moves the request
through its lifecycle. Adapters raise pracops.outbound.TransientError (try again later) or
PermanentError (a person must look); nothing else escapes them for a payer's bad answer.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from functools import cache
from typing import Protocol, runtime_checkable

from django.conf import settings
from django.utils.module_loading import import_string

URGENCIES = ("standard", "expedited")
# The lifecycle states a payer's answer can lead to (priorauth.lifecycle).
OUTCOMES = ("approved", "partially_approved", "denied", "pended")


@dataclass(frozen=True)
class RequestedItem:
    """One service asked for: the CPT code, how many units, and when (None: not yet scheduled)."""

    sequence: int
    cpt: str
    units: int
    service_date: date | None


@dataclass(frozen=True)
class SubmissionRequest:
    """Everything a payer needs to decide, as plain data (FHIR resources as PracOps serves them).

    ``request_id`` is the PriorAuthorization's public id: it becomes the Claim's identifier and
    is the idempotency key of every channel (the same request id is never a second request).
    ``diagnoses`` are ICD-10-CM codes, the first the primary one.
    """

    request_id: str
    patient: dict
    coverage: dict
    payer: dict
    requester: dict | None
    performer: dict | None
    facility: dict | None
    service_request: dict
    conditions: list[dict]
    diagnoses: list[str]
    items: list[RequestedItem]
    urgency: str  # "standard" | "expedited"
    packet_pdf: bytes | None
    packet_title: str
    created: datetime

    def __post_init__(self) -> None:
        if self.urgency not in URGENCIES:
            raise ValueError(f"urgency must be one of {', '.join(URGENCIES)}, not {self.urgency!r}")
        if not self.items:
            raise ValueError("a submission needs at least one requested item")

    def __repr__(self) -> str:  # the default would print the patient into any traceback or log line
        return f"SubmissionRequest(request_id={self.request_id!r}, items={len(self.items)})"


@dataclass(frozen=True)
class PayerEndpoint:
    """Where and how one payer is reached (from its PayerProfile)."""

    adapter: str
    base_url: str = ""
    fax_number: str = ""
    timeout: float = 10


@dataclass(frozen=True)
class ItemDecision:
    """The payer's answer for one requested item (matched by ``sequence``).

    ``review_action`` is the X12 306 code: A1 certified in total, A2 certified partial,
    A3 not certified, A4 pended, A6 modified, C cancelled, CT contact payer, NA no action required.
    """

    sequence: int
    cpt: str
    review_action: str
    reason_codes: list[str]
    units: int | None
    period_start: date | None
    period_end: date | None
    auth_number: str | None


@dataclass(frozen=True)
class PayerDecision:
    """The payer's answer to the whole request.

    ``outcome``: approved (every item certified), partially_approved (some certified or
    modified, others not), denied (none certified), pended (any item still under review).
    ``reason`` is the payer's own explanation in plain words with its codes (a denial's
    specific reason). ``payer_reference`` is the payer's tracking id, sent back on inquiries.
    ``claim`` / ``claim_response`` are the FHIR pair, kept with the request's records.
    """

    outcome: str
    items: list[ItemDecision]
    auth_number: str | None
    period_start: date | None
    period_end: date | None
    approved_codes: list[str]
    approved_units: int | None
    reason: str
    payer_reference: str
    claim: dict | None = field(default=None, repr=False)
    claim_response: dict | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        if self.outcome not in OUTCOMES:
            raise ValueError(f"outcome must be one of {', '.join(OUTCOMES)}, not {self.outcome!r}")


@dataclass(frozen=True)
class SubmissionReceipt:
    """What sending gave back: the channel, its reference (a payer id or a fax job) and the decision.

    ``decision`` is None when the channel answers later or not at all (fax: staff record it).
    """

    channel: str
    reference: str
    decision: PayerDecision | None


@runtime_checkable
class PayerAdapter(Protocol):
    """One way of sending prior authorization requests to payers."""

    name: str

    def submit(self, request: SubmissionRequest, endpoint: PayerEndpoint) -> SubmissionReceipt:
        """Send the request once; the receipt, or TransientError / PermanentError."""
        ...

    def inquire(self, request: SubmissionRequest, endpoint: PayerEndpoint,
                payer_reference: str) -> PayerDecision | None:
        """Ask the payer where the request stands; None when this channel cannot be asked
        or the payer does not know the request."""
        ...


class UnknownAdapter(LookupError):
    """No adapter of that name in settings.PRIORAUTH_PAYER_ADAPTERS."""


def adapter_for(name: str) -> PayerAdapter:
    """The adapter registered under ``name`` in settings.PRIORAUTH_PAYER_ADAPTERS ({name: dotted path})."""
    paths: dict[str, str] = settings.PRIORAUTH_PAYER_ADAPTERS
    if name not in paths:
        raise UnknownAdapter(f"no payer adapter named {name!r} (known: {', '.join(sorted(paths)) or 'none'})")
    return _load(paths[name])


@cache
def _load(path: str) -> PayerAdapter:
    adapter = import_string(path)()
    if not isinstance(adapter, PayerAdapter):
        raise TypeError(f"{path} is not a payer adapter (it needs name, submit and inquire)")
    return adapter
