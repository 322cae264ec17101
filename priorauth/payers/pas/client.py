"""The Da Vinci PAS channel: Claim/$submit and Claim/$inquire on the payer's FHIR endpoint."""

from __future__ import annotations

from django.utils import timezone

from pracops import outbound
from pracops.outbound import PermanentError
from priorauth.payers.base import PayerDecision, PayerEndpoint, SubmissionReceipt, SubmissionRequest
from priorauth.payers.pas.bundle import IncompleteRequest, inquiry_bundle, request_bundle
from priorauth.payers.pas.response import decision_from, first_claim_response, read_response

FHIR_JSON = "application/fhir+json"
HEADERS = {"Content-Type": FHIR_JSON, "Accept": FHIR_JSON}


class PasAdapter:
    """Sends the PAS request Bundle to ``{base_url}/Claim/$submit`` and reads the ClaimResponse."""

    name = "pas"

    def submit(self, request: SubmissionRequest, endpoint: PayerEndpoint) -> SubmissionReceipt:
        """POST the request once; the receipt carries the payer's decision (possibly ``pended``)."""
        bundle = self._bundle(request)
        answer = outbound.post_json(_url(endpoint, "Claim/$submit"), bundle, timeout=endpoint.timeout,
                                    headers=HEADERS)
        decision = read_response(answer, items=request.items, claim=bundle["entry"][0]["resource"])
        return SubmissionReceipt(channel=self.name, reference=decision.payer_reference, decision=decision)

    def inquire(self, request: SubmissionRequest, endpoint: PayerEndpoint,
                payer_reference: str) -> PayerDecision | None:
        """POST an inquiry for the request; its current decision, or None when the payer knows none."""
        try:
            bundle = inquiry_bundle(request, payer_reference=payer_reference, at=timezone.now())
        except IncompleteRequest as exc:
            raise PermanentError(f"the inquiry cannot be built: {exc}") from exc
        try:
            answer = outbound.post_json(_url(endpoint, "Claim/$inquire"), bundle, timeout=endpoint.timeout,
                                        headers=HEADERS)
        except PermanentError as exc:
            if exc.status == 404:  # the payer has no such request
                return None
            raise
        claim_response = first_claim_response(answer)
        if claim_response is None:  # an inquiry response Bundle with no match
            return None
        return decision_from(claim_response, items=request.items)

    def _bundle(self, request: SubmissionRequest) -> dict:
        try:
            return request_bundle(request)
        except IncompleteRequest as exc:
            raise PermanentError(f"the PAS request cannot be built: {exc}") from exc


def _url(endpoint: PayerEndpoint, operation: str) -> str:
    if not endpoint.base_url:
        raise PermanentError("the payer has no PAS endpoint configured")
    return f"{endpoint.base_url.rstrip('/')}/{operation}"
