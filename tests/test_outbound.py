"""The outbound HTTP seam (pracops/outbound.py) against a real HTTP server on the loopback."""

from __future__ import annotations

import json
import logging
import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx
import pytest

from pracops import outbound
from pracops.outbound import OutboundError, PermanentError, TransientError

# Sentinels standing for patient data: they must never reach a message or a log line.
MEMBER_ID = "MBR-QZX-4471"
PATIENT_NAME = "Quillfeather"


class Handler(BaseHTTPRequestHandler):
    """Answers by path; remembers what it was sent."""

    received: list[tuple[str, str, dict, bytes]] = []

    def log_message(self, *args) -> None:  # keep the test output quiet
        pass

    def _reply(self, status: int, body: bytes, content_type: str = "application/fhir+json",
               headers: dict | None = None) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self) -> None:
        self._route(b"")

    def do_POST(self) -> None:
        self._route(self.rfile.read(int(self.headers.get("Content-Length") or 0)))

    def _route(self, body: bytes) -> None:
        Handler.received.append((self.command, self.path, dict(self.headers), body))
        path = self.path.split("?")[0]
        outcome = {"resourceType": "OperationOutcome", "issue": [{
            "severity": "error", "code": "invalid", "expression": ["Bundle.entry[4].resource.identifier"],
            "details": {"coding": [{"code": "MSG_BAD_ID"}]},
            "diagnostics": f"member id {MEMBER_ID} of {PATIENT_NAME} is not on file"}]}
        if path.startswith("/echo"):
            self._reply(200, json.dumps({"resourceType": "Bundle", "echo": json.loads(body or b"null")}).encode())
        elif path == "/slow":
            time.sleep(1.5)
            self._reply(200, b"{}")
        elif path == "/unavailable":
            self._reply(503, b"<html>down</html>", "text/html", {"Retry-After": "120"})
        elif path == "/busy":
            self._reply(429, b"{}", headers={"Retry-After": "Wed, 21 Oct 2015 07:28:00 GMT"})
        elif path == "/request-timeout":
            self._reply(408, b"")
        elif path == "/broken":
            self._reply(500, json.dumps(outcome).encode())
        elif path == "/rejected":
            self._reply(422, json.dumps(outcome).encode())
        elif path == "/not-found":
            self._reply(404, b"no such endpoint", "text/plain")
        elif path == "/html":
            self._reply(200, f"<html>{PATIENT_NAME}</html>".encode(), "text/html")
        elif path == "/array":
            self._reply(200, b"[1, 2]")
        elif path == "/moved":
            self._reply(302, b"", headers={"Location": "/echo"})
        elif path == "/hang-up":
            # Read the request, then close without a word.
            self.close_connection = True
            self.connection.shutdown(socket.SHUT_RDWR)
        else:
            self._reply(400, b"{}")


class Server(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request, client_address) -> None:
        pass  # a client that gave up (the timeout tests) is expected


@pytest.fixture(scope="module")
def server():
    httpd = Server(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


@pytest.fixture
def host(server) -> str:
    return server.removeprefix("http://")


def closed_port() -> int:
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()
    return port


def test_post_json_sends_the_body_as_json_and_returns_the_answer(server):
    answer = outbound.post_json(f"{server}/echo", {"resourceType": "Bundle", "total": 2}, timeout=5,
                                headers={"Content-Type": "application/fhir+json"})
    assert answer == {"resourceType": "Bundle", "echo": {"resourceType": "Bundle", "total": 2}}
    method, path, headers, _ = Handler.received[-1]
    assert (method, path, headers["Content-Type"]) == ("POST", "/echo", "application/fhir+json")
    assert headers["Accept"] == "application/json"


def test_get_json_returns_the_answer(server):
    assert outbound.get_json(f"{server}/echo", timeout=5) == {"resourceType": "Bundle", "echo": None}


def test_post_bytes_sends_the_bytes_with_their_content_type(server):
    outbound.post_bytes(f"{server}/echo-bytes", b'{"pdf": false}', content_type="application/json", timeout=5)
    _, _, headers, body = Handler.received[-1]
    assert body == b'{"pdf": false}' and headers["Content-Type"] == "application/json"


def test_a_timeout_is_transient_and_may_have_been_delivered(server, host):
    with pytest.raises(TransientError) as caught:
        outbound.post_json(f"{server}/slow", {}, timeout=0.3)
    assert caught.value.status is None and caught.value.maybe_delivered
    assert str(caught.value) == f"{host} did not answer within 0.3s"


def test_a_refused_connection_is_transient_and_was_not_delivered():
    port = closed_port()
    with pytest.raises(TransientError) as caught:
        outbound.post_json(f"http://127.0.0.1:{port}/Claim/$submit", {}, timeout=2)
    assert caught.value.maybe_delivered is False
    assert caught.value.host == f"127.0.0.1:{port}"


def test_a_dropped_connection_is_transient(server):
    with pytest.raises(TransientError) as caught:
        outbound.post_json(f"{server}/hang-up", {"a": 1}, timeout=5)
    assert caught.value.maybe_delivered and caught.value.status is None


@pytest.mark.parametrize(("path", "status", "retry_after"), [
    ("/unavailable", 503, 120.0),
    ("/busy", 429, 0.0),  # an HTTP date in the past: retry now
    ("/request-timeout", 408, None),
    ("/broken", 500, None),
])
def test_server_failures_and_rate_limits_are_transient_with_their_retry_after(server, host, path, status,
                                                                               retry_after):
    with pytest.raises(TransientError) as caught:
        outbound.post_json(f"{server}{path}", {}, timeout=5)
    assert caught.value.status == status and caught.value.retry_after == retry_after
    assert str(caught.value).startswith(f"{host} answered HTTP {status}")


@pytest.mark.parametrize(("path", "status"), [("/rejected", 422), ("/not-found", 404), ("/moved", 302)])
def test_other_client_errors_are_permanent(server, path, status):
    with pytest.raises(PermanentError) as caught:
        outbound.post_json(f"{server}{path}", {}, timeout=5)
    assert caught.value.status == status


def test_an_operation_outcome_is_summarised_without_its_free_text(server, host):
    with pytest.raises(PermanentError) as caught:
        outbound.post_json(f"{server}/rejected", {}, timeout=5)
    message = str(caught.value)
    assert message == (f"{host} answered HTTP 422: OperationOutcome error invalid (MSG_BAD_ID) "
                       "at Bundle.entry[4].resource.identifier")
    # The payer's own words stay available for a staff screen, apart from the message.
    assert caught.value.diagnostics == (f"member id {MEMBER_ID} of {PATIENT_NAME} is not on file",)


@pytest.mark.parametrize("path", ["/html", "/array"])
def test_an_answer_that_is_not_a_json_object_is_permanent_and_not_quoted(server, host, path):
    with pytest.raises(PermanentError) as caught:
        outbound.get_json(f"{server}{path}", timeout=5)
    assert str(caught.value) == f"{host} answered HTTP 200 with a body that is not a JSON object"


def test_a_url_that_is_not_http_is_permanent():
    with pytest.raises(PermanentError):
        outbound.post_json("ftp://payer.example/Claim/$submit", {}, timeout=1)


def test_both_errors_are_outbound_errors():
    assert issubclass(TransientError, OutboundError) and issubclass(PermanentError, OutboundError)


def test_log_lines_name_host_status_and_time_but_no_path_or_body(server, host, caplog):
    caplog.set_level(logging.INFO, logger="pracops.outbound")
    patient_path = f"{server}/rejected/Patient/{MEMBER_ID}?name={PATIENT_NAME}"
    with pytest.raises(PermanentError) as caught:
        outbound.post_json(patient_path, {"name": PATIENT_NAME, "member": MEMBER_ID}, timeout=5)
    assert MEMBER_ID not in str(caught.value) and PATIENT_NAME not in str(caught.value)
    lines = [r.getMessage() for r in caplog.records if r.name == "pracops.outbound"]
    assert len(lines) == 1
    assert lines[0].startswith(f"outbound POST {host} 400 ") and lines[0].endswith("ms")
    assert MEMBER_ID not in caplog.text and PATIENT_NAME not in caplog.text and "/rejected" not in caplog.text


def test_the_transport_seam_replaces_the_network_for_every_call():
    seen = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append((request.method, str(request.url), json.loads(request.content)))
        return httpx.Response(200, json={"resourceType": "Bundle", "type": "collection"})

    with outbound.use_transport(httpx.MockTransport(handler)):
        answer = outbound.post_json("https://payer.invalid/fhir/Claim/$submit", {"a": 1}, timeout=1)
    assert answer == {"resourceType": "Bundle", "type": "collection"}
    assert seen == [("POST", "https://payer.invalid/fhir/Claim/$submit", {"a": 1})]
    # Outside the block the network is back: that host does not exist.
    with pytest.raises(TransientError):
        outbound.post_json("https://payer.invalid/fhir/Claim/$submit", {"a": 1}, timeout=1)


def test_a_file_is_fetched_as_text_and_an_empty_answer_is_accepted_where_expected():
    def answer(request):
        if request.method == "GET":
            return httpx.Response(200, content="ISA*00~".encode(), headers={"Content-Type": "application/edi-x12"})
        return httpx.Response(204)

    with outbound.use_transport(httpx.MockTransport(answer)):
        assert outbound.get_text("http://ch.example/files/1", timeout=1) == "ISA*00~"
        assert outbound.post_empty("http://ch.example/files/1/acknowledge", timeout=1) is None


def test_a_file_download_keeps_the_error_rules():
    with outbound.use_transport(httpx.MockTransport(lambda request: httpx.Response(404))):
        with pytest.raises(outbound.PermanentError, match="HTTP 404"):
            outbound.get_text("http://ch.example/files/1", timeout=1)
    with outbound.use_transport(httpx.MockTransport(lambda request: httpx.Response(503))):
        with pytest.raises(outbound.TransientError, match="HTTP 503"):
            outbound.post_empty("http://ch.example/files/1/acknowledge", timeout=1)
    with outbound.use_transport(httpx.MockTransport(lambda request: httpx.Response(200, content=b"\xff\xfe"))):
        with pytest.raises(outbound.PermanentError, match="not UTF-8"):
            outbound.get_text("http://ch.example/files/1", timeout=1)
