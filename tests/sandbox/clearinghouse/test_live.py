"""The sandbox clearinghouse over real HTTP (a live server), as PracOps' clearinghouse adapter sees it:
submit, list, download, acknowledge; duplicates, wrong secrets and injected faults."""

import io
from datetime import timedelta

import httpx
import pyx12.params
import pyx12.x12n_document
import pytest
from django.utils import timezone

from billing.x12.ack999 import read_999
from billing.x12.remit835 import read_835
from billing.x12.status277 import read_277
from sandbox.clearinghouse import services
from tests.sandbox.clearinghouse.conftest import (
    CREDENTIALS,
    X12,
    ProfessionalClaimFactory,
    guide_example,
    lines,
    professional_claim_file,
)

pytestmark = [pytest.mark.live, pytest.mark.django_db(transaction=True)]


class Submitter:
    """A submitter's HTTP client for the clearinghouse at ``base``."""

    def __init__(self, base: str, headers: dict[str, str] = CREDENTIALS, timeout: float = 10):
        self.http = httpx.Client(base_url=base, headers=headers, timeout=timeout)

    def submit(self, text: str, content_type: str = X12) -> httpx.Response:
        return self.http.post("submissions", content=text.encode(), headers={"Content-Type": content_type})

    def files(self, after: int = 0) -> list[dict]:
        response = self.http.get("files", params={"after": after})
        assert response.status_code == 200, response.text
        return response.json()["files"]

    def download(self, file_id: int) -> str:
        response = self.http.get(f"files/{file_id}")
        assert response.status_code == 200, response.text
        assert response.headers["content-type"] == X12
        return response.text

    def acknowledge(self, file_id: int) -> httpx.Response:
        return self.http.post(f"files/{file_id}/acknowledge")

    def collect(self, kind: str) -> list[str]:
        """Download and acknowledge every listed file of ``kind``."""
        texts = []
        for listed in self.files():
            if listed["kind"] == kind:
                texts.append(self.download(listed["id"]))
                assert self.acknowledge(listed["id"]).status_code == 204
        return texts


@pytest.fixture
def submitter(live_server):
    client = Submitter(f"{live_server.url}/sandbox/clearinghouse/")
    yield client
    client.http.close()


def pyx12_accepts(text: str) -> bool:
    return pyx12.x12n_document.x12n_document(pyx12.params.params(), io.StringIO(text), None, None, None, None)


def test_a_valid_837p_gets_a_999_then_a_277ca_then_an_835_that_pyx12_validates(submitter):
    services.set_rule(name="epidural", code="64483", requires_authorization=True, fee="410.00",
                      coinsurance_percent="20")
    authorized = ProfessionalClaimFactory(lines=lines(("64483", "900.00")))
    unauthorized = ProfessionalClaimFactory(prior_authorization="", lines=lines(("64483", "900.00")))

    response = submitter.submit(professional_claim_file([authorized, unauthorized]))

    assert response.status_code == 201, response.text
    assert response.json()["status"] == "A" and response.json()["claims"] == {"accepted": 2, "rejected": 0}
    [ack_text] = submitter.collect("999")
    assert read_999(ack_text)[0].status == "A" and pyx12_accepts(ack_text)
    [claim_ack_text] = submitter.collect("277CA")
    assert [(c.claim_id, c.accepted) for c in read_277(claim_ack_text)[0].claims] == [
        (authorized.claim_id, True), (unauthorized.claim_id, True)]
    assert pyx12_accepts(claim_ack_text)
    assert submitter.files() == []  # nothing until the payers answer

    services.remit_due_claims(now=timezone.now() + timedelta(hours=1))

    [remittance_text] = submitter.collect("835")
    assert pyx12_accepts(remittance_text)
    [advice] = read_835(remittance_text)
    paid, denied = advice.claims
    assert (paid.claim_id, paid.paid, denied.claim_id, denied.status_code) == (
        authorized.claim_id, 328, unauthorized.claim_id, "4")
    assert [(a.group, a.reason) for a in denied.services[0].adjustments] == [("CO", "197")]
    assert advice.total_paid == paid.paid + denied.paid


def test_the_guide_example_is_accepted_over_http(submitter):
    response = submitter.submit(guide_example(), content_type="text/plain")

    assert response.status_code == 201 and response.json()["interchange_control"] == "000000907"
    assert read_999(submitter.collect("999")[0])[0].status == "A"


def test_a_broken_837p_gets_a_999_rejecting_it_at_the_segment(submitter):
    text = guide_example().replace("SV1*HC:87070*15.00*UN", "SV1*HC:87070*15.00*ZZ")

    response = submitter.submit(text)

    assert response.status_code == 201 and response.json()["status"] == "R"
    [ack_text] = submitter.collect("999")
    [transaction] = read_999(ack_text)[0].transactions
    assert transaction.status == "R"
    assert [(e.segment_id, e.position, e.element_errors) for e in transaction.errors] == [("SV1", 32, (("3", "7"),))]
    assert "IK3*SV1*32**8~" in ack_text and pyx12_accepts(ack_text)
    assert submitter.files() == []  # no 277CA for a rejected set


def test_the_same_isa13_twice_is_refused_as_a_duplicate(submitter):
    first = submitter.submit(professional_claim_file(control=555))

    again = submitter.submit(professional_claim_file(control=555))

    assert again.status_code == 409
    assert again.json()["submission"] == first.json()["submission"]
    assert len(submitter.files()) == 2  # the first file's 999 and 277CA, nothing for the second


def test_an_acknowledged_file_is_no_longer_listed(submitter):
    submitter.submit(professional_claim_file())
    first, second = submitter.files()

    assert submitter.acknowledge(first["id"]).status_code == 204

    assert [f["id"] for f in submitter.files()] == [second["id"]]
    assert submitter.download(first["id"])  # still there to download
    assert submitter.acknowledge(first["id"]).status_code == 204


def test_the_cursor_lists_only_later_files(submitter):
    submitter.submit(professional_claim_file())
    first, second = submitter.files()

    assert [f["id"] for f in submitter.files(after=first["id"])] == [second["id"]]
    assert submitter.files(after=second["id"]) == []


@pytest.mark.parametrize("headers", [
    {"X-Submitter-Id": "PRACOPS", "X-Submitter-Secret": "wrong"},
    {"X-Submitter-Id": "NOBODY", "X-Submitter-Secret": "sandbox-clearinghouse-secret"},
    {"X-Submitter-Id": "PRACOPS"},
    {},
])
def test_a_wrong_or_missing_secret_is_refused(live_server, headers):
    base = f"{live_server.url}/sandbox/clearinghouse/"
    stranger = Submitter(base, headers=headers)

    assert stranger.submit(professional_claim_file()).status_code == 401
    assert stranger.http.get("files").status_code == 401
    assert stranger.http.get("files/1").status_code == 401
    assert stranger.acknowledge(1).status_code == 401
    assert Submitter(base).files() == []  # nothing was taken


def test_another_submitters_files_are_not_found(live_server, submitter, settings):
    settings.SANDBOX_CLEARINGHOUSE_SUBMITTERS = {**settings.SANDBOX_CLEARINGHOUSE_SUBMITTERS, "OTHER": "other-secret"}
    submitter.submit(professional_claim_file())
    [first, _] = submitter.files()
    other = Submitter(f"{live_server.url}/sandbox/clearinghouse/",
                      headers={"X-Submitter-Id": "OTHER", "X-Submitter-Secret": "other-secret"})

    assert other.files() == []
    assert other.http.get(f"files/{first['id']}").status_code == 404
    assert other.acknowledge(first["id"]).status_code == 404


@pytest.mark.parametrize("kind, status", [("503", 503), ("500", 500)])
def test_an_injected_failure_answers_before_anything_is_taken(submitter, kind, status):
    services.inject_fault("submit", kind)
    text = professional_claim_file()

    failed = submitter.submit(text)

    assert failed.status_code == status
    assert (failed.headers.get("retry-after") == "1") == (status == 503)
    assert submitter.files() == []
    assert submitter.submit(text).status_code == 201  # the retry is taken


def test_an_injected_delay_times_the_client_out_after_the_file_was_taken(live_server, submitter):
    services.inject_fault("submit", "delay", delay_seconds=1.5)
    text = professional_claim_file()
    impatient = Submitter(f"{live_server.url}/sandbox/clearinghouse/", timeout=0.5)

    with pytest.raises(httpx.ReadTimeout):
        impatient.submit(text)

    assert submitter.submit(text).status_code == 409  # the retry finds it delivered
    assert len(submitter.files()) == 2


def test_faults_on_listing_and_download(submitter):
    submitter.submit(professional_claim_file())
    services.inject_fault("list", "503")
    services.inject_fault("download", "500")

    assert submitter.http.get("files").status_code == 503
    [first, _] = submitter.files()
    assert submitter.http.get(f"files/{first['id']}").status_code == 500
    assert submitter.download(first["id"])
