"""The PAS adapter over real HTTP against a small payer written here (the sandbox payer's test is
tests/priorauth/payers/pas/test_sandbox.py)."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from pracops.outbound import PermanentError, TransientError
from priorauth.payers.base import PayerEndpoint, adapter_for
from priorauth.payers.pas import PasAdapter
from tests.priorauth.payers.conftest import REQUEST_ID, make_request

SD = "http://hl7.org/fhir/us/davinci-pas/StructureDefinition"


def answer(claim: dict, code: str) -> dict:
    """A PAS response Bundle deciding every item of ``claim`` with ``code``."""
    items = [{"itemSequence": item["sequence"], "adjudication": [{
        "extension": [{"url": f"{SD}/extension-reviewAction", "extension": [
            {"url": f"{SD}/extension-reviewActionCode",
             "valueCodeableConcept": {"coding": [{"system": "https://codesystem.x12.org/005010/306", "code": code}]}}]}],
        "category": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/adjudication", "code": "submitted"}]},
    }]} for item in claim["item"]]
    claim_response = {
        "resourceType": "ClaimResponse", "id": "TRK-1",
        "identifier": [{"system": "https://payer.example/tracking", "value": "TRK-1"}],
        "status": "active", "type": claim["type"], "use": "preauthorization", "patient": claim["patient"],
        "created": "2026-12-02T10:00:00+00:00", "insurer": claim["insurer"], "requestor": claim["provider"],
        "request": {"identifier": claim["identifier"][0]}, "outcome": "queued" if code == "A4" else "complete",
        "item": items,
    }
    if code == "A1":
        claim_response |= {"preAuthRef": "AUTH-77", "preAuthPeriod": {"start": "2026-12-02", "end": "2027-03-02"}}
    return {"resourceType": "Bundle", "type": "collection", "timestamp": "2026-12-02T10:00:00+00:00",
            "identifier": {"system": "https://payer.example/tx", "value": "tx-1"},
            "entry": [{"fullUrl": "https://payer.example/fhir/ClaimResponse/TRK-1", "resource": claim_response}]}


class Payer(BaseHTTPRequestHandler):
    mode = "approve"
    received: list[tuple[str, str, dict]] = []
    known: dict[str, dict] = {}

    def log_message(self, *args) -> None:
        pass

    def _reply(self, status: int, body: dict | bytes) -> None:
        data = body if isinstance(body, bytes) else json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/fhir+json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_POST(self) -> None:
        bundle = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        Payer.received.append((self.path, self.headers["Content-Type"], bundle))
        claim = bundle["entry"][0]["resource"]
        key = claim["identifier"][0]["value"]
        if Payer.mode == "outage":
            return self._reply(503, b"")
        if Payer.mode == "reject":
            return self._reply(400, {"resourceType": "OperationOutcome", "issue": [
                {"severity": "error", "code": "required", "expression": ["Claim.insurance"]}]})
        if self.path == "/fhir/Claim/$submit":
            Payer.known[key] = claim
            return self._reply(200, answer(claim, "A4" if Payer.mode == "pend" else "A1"))
        if self.path == "/fhir/Claim/$inquire":
            if key not in Payer.known:
                return self._reply(404, {"resourceType": "OperationOutcome", "issue": [
                    {"severity": "error", "code": "not-found"}]})
            return self._reply(200, answer(Payer.known[key], "A1"))
        self._reply(404, b"")


@pytest.fixture(scope="module")
def payer_url():
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Payer)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}/fhir/"
    httpd.shutdown()
    httpd.server_close()


@pytest.fixture
def endpoint(payer_url) -> PayerEndpoint:
    Payer.mode, Payer.received, Payer.known = "approve", [], {}
    return PayerEndpoint(adapter="pas", base_url=payer_url, timeout=5)


def test_submit_posts_the_pas_bundle_once_and_reads_the_decision(endpoint):
    receipt = PasAdapter().submit(make_request(packet_pdf=b"%PDF-1.7"), endpoint)
    [(path, content_type, bundle)] = Payer.received
    assert (path, content_type) == ("/fhir/Claim/$submit", "application/fhir+json")
    assert bundle["entry"][0]["resource"]["identifier"][0]["value"] == REQUEST_ID
    assert (receipt.channel, receipt.reference) == ("pas", "TRK-1")
    decision = receipt.decision
    assert decision.outcome == "approved" and decision.auth_number == "AUTH-77"
    assert decision.approved_codes == ["64483", "64484"] and decision.approved_units == 3
    assert decision.claim == bundle["entry"][0]["resource"]


def test_a_pended_request_is_followed_to_its_decision_by_inquiry(endpoint):
    Payer.mode = "pend"
    adapter = PasAdapter()
    receipt = adapter.submit(make_request(), endpoint)
    assert receipt.decision.outcome == "pended"
    decision = adapter.inquire(make_request(), endpoint, receipt.reference)
    assert decision.outcome == "approved" and decision.payer_reference == "TRK-1"
    path, _, inquiry = Payer.received[-1]
    assert path == "/fhir/Claim/$inquire"
    assert inquiry["meta"]["profile"] == [f"{SD}/profile-pas-inquiry-request-bundle"]


def test_an_inquiry_the_payer_does_not_know_is_none(endpoint):
    assert PasAdapter().inquire(make_request(), endpoint, "TRK-unknown") is None


def test_a_payer_outage_is_transient(endpoint):
    Payer.mode = "outage"
    with pytest.raises(TransientError) as caught:
        PasAdapter().submit(make_request(), endpoint)
    assert caught.value.status == 503


def test_a_refused_request_is_permanent_with_the_payers_issue(endpoint):
    Payer.mode = "reject"
    with pytest.raises(PermanentError, match=r"HTTP 400: OperationOutcome error required at Claim.insurance"):
        PasAdapter().submit(make_request(), endpoint)


def test_a_request_that_cannot_be_built_is_permanent_and_nothing_is_sent(endpoint):
    with pytest.raises(PermanentError, match="needs at least one ICD-10-CM diagnosis"):
        PasAdapter().submit(make_request(diagnoses=[], conditions=[]), endpoint)
    assert Payer.received == []


def test_a_payer_without_an_endpoint_is_permanent():
    with pytest.raises(PermanentError, match="no PAS endpoint"):
        PasAdapter().submit(make_request(), PayerEndpoint(adapter="pas"))


def test_the_registry_finds_the_pas_adapter():
    assert isinstance(adapter_for("pas"), PasAdapter)
