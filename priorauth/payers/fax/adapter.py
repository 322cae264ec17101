"""The fax channel: the packet goes to the payer's fax number; staff record the decision."""

from __future__ import annotations

from django.conf import settings

from pracops.outbound import PermanentError
from priorauth.payers.base import PayerDecision, PayerEndpoint, SubmissionReceipt, SubmissionRequest
from priorauth.payers.fax.gateway import FaxCover, FaxGateway, FileOutbox, fax_number_is_valid


class FaxAdapter:
    """Sends the packet behind a cover sheet through a FaxGateway (the file outbox by default)."""

    name = "fax"

    def __init__(self, gateway: FaxGateway | None = None) -> None:
        self._gateway = gateway

    @property
    def gateway(self) -> FaxGateway:
        # Read at use, not at import: tests and deployments set PRIORAUTH_FAX_OUTBOX.
        return self._gateway or FileOutbox(settings.PRIORAUTH_FAX_OUTBOX)

    def submit(self, request: SubmissionRequest, endpoint: PayerEndpoint) -> SubmissionReceipt:
        """Queue the fax once per request id; a receipt without a decision (staff record it)."""
        if not endpoint.fax_number or not fax_number_is_valid(endpoint.fax_number):
            raise PermanentError("the payer has no usable fax number")
        if not request.packet_pdf:
            raise PermanentError("there is no packet to fax: build the packet first")
        facility = request.facility or {}
        cover = FaxCover(
            request_id=request.request_id,
            to_name=str((request.payer or {}).get("name") or ""),
            from_name=str(facility.get("name") or "The requesting practice"),
            from_phone=_phone(facility),
            # Not the packet's title: it may name the patient, and the cover sheet is read by anyone.
            subject="Prior authorization request, documentation attached",
            urgency=request.urgency,
            created=request.created,
        )
        try:
            job_id = self.gateway.send(endpoint.fax_number, request.packet_pdf, cover)
        except ValueError as exc:  # an unreadable packet or a bad request id: sending again will not help
            raise PermanentError(f"the fax could not be queued: {exc}") from exc
        return SubmissionReceipt(channel=self.name, reference=job_id, decision=None)

    def inquire(self, request: SubmissionRequest, endpoint: PayerEndpoint,
                payer_reference: str) -> PayerDecision | None:
        """A fax cannot be asked: staff call the payer and record the decision."""
        return None


def _phone(organization: dict) -> str:
    for telecom in organization.get("telecom") or []:
        if isinstance(telecom, dict) and telecom.get("system") == "phone" and telecom.get("value"):
            return str(telecom["value"])
    return ""
