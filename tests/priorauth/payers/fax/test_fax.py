"""The fax channel: the file outbox writes one fax per request, cover sheet first, atomically."""

from __future__ import annotations

import io
import json
import threading

import pytest
from pypdf import PdfReader
from weasyprint import HTML

from pracops.outbound import PermanentError
from priorauth.payers.base import PayerEndpoint, adapter_for
from priorauth.payers.fax import FaxAdapter
from priorauth.payers.fax.gateway import FileOutbox
from tests.priorauth.payers.conftest import MEMBER_ID, REQUEST_ID, make_request

FAX = PayerEndpoint(adapter="fax", fax_number="+1 (555) 010-2000")


@pytest.fixture(scope="module")
def packet() -> bytes:
    """A two-page packet."""
    return HTML(string="<p>Request form</p><p style='break-before: page'>Letter of medical necessity</p>").write_pdf()


@pytest.fixture
def outbox(tmp_path, settings):
    settings.PRIORAUTH_FAX_OUTBOX = tmp_path / "outbox"
    return tmp_path / "outbox"


def pages_text(pdf: bytes) -> list[str]:
    return [page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages]


def test_submit_writes_the_cover_sheet_and_packet_and_a_manifest(outbox, packet):
    receipt = FaxAdapter().submit(make_request(packet_pdf=packet, urgency="expedited"), FAX)

    assert (receipt.channel, receipt.reference, receipt.decision) == ("fax", REQUEST_ID, None)
    assert sorted(p.name for p in outbox.iterdir()) == [f"{REQUEST_ID}.json", f"{REQUEST_ID}.pdf"]
    pages = pages_text((outbox / f"{REQUEST_ID}.pdf").read_bytes())
    assert len(pages) == 3
    cover = " ".join(pages[0].split())
    assert "FAX" in cover and "Acme Health Plan" in cover and "Riverside Spine & Pain, phone 555-0100" in cover
    assert "3 including this cover sheet" in cover and REQUEST_ID in cover and "EXPEDITED" in cover
    assert "Quillfeather" not in cover and MEMBER_ID not in cover  # nothing about the patient on the cover
    assert "Request form" in pages[1] and "Letter of medical necessity" in pages[2]
    manifest = json.loads((outbox / f"{REQUEST_ID}.json").read_text())
    assert manifest["to"] == "+1 (555) 010-2000" and manifest["pages"] == 3 and manifest["status"] == "queued"


def test_sending_the_same_request_again_returns_the_first_job_and_writes_nothing(outbox, packet):
    adapter = FaxAdapter()
    first = adapter.submit(make_request(packet_pdf=packet), FAX)
    written = {p.name: p.stat().st_mtime_ns for p in outbox.iterdir()}
    again = adapter.submit(make_request(packet_pdf=packet), FAX)
    assert again.reference == first.reference
    assert {p.name: p.stat().st_mtime_ns for p in outbox.iterdir()} == written


def test_workers_racing_on_one_request_leave_one_fax(tmp_path, packet):
    gateway, results, barrier = FileOutbox(tmp_path), [], threading.Barrier(4)
    adapter = FaxAdapter(gateway=gateway)

    def send():
        barrier.wait()
        results.append(adapter.submit(make_request(packet_pdf=packet), FAX).reference)

    threads = [threading.Thread(target=send) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert results == [REQUEST_ID] * 4
    assert sorted(p.name for p in tmp_path.iterdir()) == [f"{REQUEST_ID}.json", f"{REQUEST_ID}.pdf"]
    assert len(PdfReader(tmp_path / f"{REQUEST_ID}.pdf").pages) == 3


def test_different_requests_get_their_own_faxes(outbox, packet):
    adapter = FaxAdapter()
    adapter.submit(make_request(packet_pdf=packet), FAX)
    adapter.submit(make_request(packet_pdf=packet, request_id="second-request"), FAX)
    assert len(list(outbox.glob("*.json"))) == 2


@pytest.mark.parametrize(("changes", "endpoint", "reason"), [
    ({"packet_pdf": None}, FAX, "there is no packet to fax"),
    ({"packet_pdf": b"%PDF-1.7 not really"}, FAX, "not a readable PDF"),
    ({}, PayerEndpoint(adapter="fax"), "no usable fax number"),
    ({}, PayerEndpoint(adapter="fax", fax_number="call us"), "no usable fax number"),
    ({"request_id": "../escape"}, FAX, "plain file name"),
])
def test_what_sending_again_cannot_fix_is_a_permanent_error(outbox, packet, changes, endpoint, reason):
    request = make_request(**{"packet_pdf": packet, **changes})
    with pytest.raises(PermanentError, match=reason):
        FaxAdapter().submit(request, endpoint)
    assert not outbox.exists() or not list(outbox.glob("*.json"))


def test_a_fax_cannot_be_asked_for_its_decision(outbox):
    assert FaxAdapter().inquire(make_request(), FAX, REQUEST_ID) is None


def test_the_registry_finds_the_fax_adapter():
    assert isinstance(adapter_for("fax"), FaxAdapter)
