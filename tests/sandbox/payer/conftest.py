import copy
import json
from functools import lru_cache
from pathlib import Path

import pytest
from django.test import Client

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "pas"
FHIR_JSON = "application/fhir+json"
BASE = "/sandbox/payer/fhir/"

CONFORMANT_REQUESTS = [
    "conformant_pas_bundle_v110.json",
    "conformant_pas_bundle_v110_multiple_items.json",
    "conformant_pas_bundle_v110_uuid.json",
]


@lru_cache(maxsize=None)
def _read(name: str) -> str:
    return (FIXTURES / name).read_text()


def pas_fixture(name: str) -> dict:
    """A fresh copy of a PAS fixture file (tests change them freely)."""
    return json.loads(_read(name))


def with_identifier(bundle: dict, value: str) -> dict:
    """``bundle`` as another request: its Claim.identifier value replaced."""
    bundle = copy.deepcopy(bundle)
    bundle["entry"][0]["resource"]["identifier"][0]["value"] = value
    return bundle


def with_service(bundle: dict, code: str, *, units: int | None = None, item: int = 0) -> dict:
    """``bundle`` asking for CPT ``code`` (and ``units``) on its item ``item``."""
    bundle = copy.deepcopy(bundle)
    claim_item = bundle["entry"][0]["resource"]["item"][item]
    claim_item["productOrService"] = {"coding": [{"system": "http://www.ama-assn.org/go/cpt", "code": code}]}
    if units is not None:
        claim_item["quantity"] = {"value": units}
    return bundle


class Payer:
    """The sandbox payer over Django's test client (no token: it is the payer's server)."""

    def __init__(self):
        self.client = Client()

    def post(self, path: str, body, content_type: str = FHIR_JSON):
        data = body if isinstance(body, (str, bytes)) else json.dumps(body)
        return self.client.post(BASE + path, data, content_type=content_type)

    def submit(self, bundle):
        return self.post("Claim/$submit", bundle)

    def inquire(self, bundle):
        return self.post("Claim/$inquire", bundle)

    def get(self, path: str):
        return self.client.get(BASE + path)

    def delete(self, path: str):
        return self.client.delete(BASE + path)


@pytest.fixture
def payer(db):
    return Payer()


def claim_response_of(bundle: dict) -> dict:
    assert bundle["resourceType"] == "Bundle" and bundle["type"] == "collection"
    first = bundle["entry"][0]["resource"]
    assert first["resourceType"] == "ClaimResponse"
    return first


def review_action(item: dict) -> dict:
    """An item's review action: {"code", "number", "reasons"}."""
    found = {"reasons": []}
    for adjudication in item["adjudication"]:
        for extension in adjudication.get("extension", []):
            if extension["url"] != "http://hl7.org/fhir/us/davinci-pas/StructureDefinition/extension-reviewAction":
                continue
            for part in extension["extension"]:
                if part["url"].endswith("extension-reviewActionCode"):
                    coding = part["valueCodeableConcept"]["coding"][0]
                    assert coding["system"] == "https://codesystem.x12.org/005010/306"
                    found["code"] = coding["code"]
                elif part["url"] == "number":
                    found["number"] = part["valueString"]
                elif part["url"] == "reasonCode":
                    found["reasons"].append(part["valueCodeableConcept"]["coding"][0]["code"])
    return found


class Receiver:
    """A small local HTTP server standing for the provider's rest-hook endpoint."""

    def __init__(self, status: int = 200):
        import http.server
        import threading

        self.received: list[dict] = []
        self.status = status
        receiver = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                length = int(self.headers.get("Content-Length") or 0)
                receiver.received.append({"path": self.path, "headers": dict(self.headers),
                                          "body": json.loads(self.rfile.read(length) or b"null")})
                self.send_response(receiver.status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver():
    server = Receiver()
    yield server
    server.close()


def subscription_for(endpoint: str, name: str = "PAS_Subscription_example_v221_good.json", **channel) -> dict:
    subscription = pas_fixture(name)
    subscription["channel"]["endpoint"] = endpoint
    subscription["channel"].update(channel)
    return subscription
