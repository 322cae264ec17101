"""The HTTP contract's edges over the test client: media types, sizes, cursors, query counts, and a
bounded fuzz of every endpoint that must never answer 500."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.sandbox.clearinghouse.conftest import CREDENTIALS, Mailbox, ProfessionalClaimFactory, professional_claim_file

pytestmark = pytest.mark.django_db


def test_another_media_type_is_refused(mailbox):
    response = mailbox.submit(professional_claim_file(), content_type="application/json")

    assert response.status_code == 415 and mailbox.files().json()["files"] == []


def test_a_file_over_the_limit_is_refused(mailbox, settings):
    settings.SANDBOX_CLEARINGHOUSE_MAX_BYTES = 500

    assert mailbox.submit(professional_claim_file()).status_code == 413


@pytest.mark.parametrize("body", ["", "hello", "ISA*00~", b"\xff\xfe ISA"])
def test_a_body_that_is_no_interchange_is_a_400(mailbox, body):
    response = mailbox.submit(body)

    assert response.status_code == 400 and response.json()["error"] == "not x12"


@pytest.mark.parametrize("params", [{"after": "x"}, {"after": "-1"}, {"limit": "0"}, {"limit": "501"},
                                    {"after": str(2**70)}])
def test_a_bad_cursor_is_a_400(mailbox, params):
    assert mailbox.files(**params).status_code == 400


def test_limit_pages_through_the_mailbox(mailbox):
    for _ in range(2):
        mailbox.submit(professional_claim_file())

    first = mailbox.files(limit=3).json()
    rest = mailbox.files(after=first["cursor"], limit=3).json()

    assert len(first["files"]) == 3 and len(rest["files"]) == 1
    assert [f["kind"] for f in first["files"] + rest["files"]] == ["999", "277CA", "999", "277CA"]
    assert all(f["size"] > 100 for f in first["files"])


def test_listing_takes_one_query_however_many_files(mailbox):
    for _ in range(3):
        mailbox.submit(professional_claim_file())

    with CaptureQueriesContext(connection) as queries:
        assert len(mailbox.files().json()["files"]) == 6

    fault_lookup = 1  # the injected-fault check every endpoint makes
    assert len(queries) == 1 + fault_lookup


def test_unknown_ids_are_not_found(mailbox):
    assert mailbox.download(999).status_code == 404
    assert mailbox.acknowledge(2**63).status_code == 404


def test_the_service_description_needs_no_credentials(client):
    assert client.get("/sandbox/clearinghouse/").json()["endpoints"]["submit"] == "submissions"


segment_text = st.text(alphabet="ISAGSTE0123456789*:~^ \nHCNM1PRCLMSV", max_size=300)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(body=st.one_of(segment_text, st.binary(max_size=200).map(lambda b: b.decode("latin-1")),
                      st.builds(lambda cut: professional_claim_file()[:cut], st.integers(0, 2000)),
                      st.builds(lambda i, c: (lambda t: t[:i] + c + t[i + 1:])(professional_claim_file()),
                                st.integers(0, 1500), st.sampled_from(["*", "~", ":", "^", "X", "", "9"]))))
def test_fuzzed_submissions_never_fail_the_server(db, body):
    response = Mailbox().submit(body)

    assert response.status_code in (201, 400, 409), response.content


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(path=st.sampled_from(["files", "files/{}", "files/{}/acknowledge", "submissions", ""]),
       value=st.one_of(st.integers(-5, 2**64), st.text(max_size=20)),
       method=st.sampled_from(["get", "post", "put", "delete"]),
       headers=st.sampled_from([CREDENTIALS, {}, {"X-Submitter-Id": "PRACOPS", "X-Submitter-Secret": "é"}]))
def test_fuzzed_requests_never_fail_the_server(db, path, value, method, headers):
    from django.test import Client

    client = Client()
    url = "/sandbox/clearinghouse/" + path.format(value)
    response = getattr(client, method)(url, {"after": str(value), "limit": str(value)} if method == "get" else None,
                                       headers=headers)

    assert response.status_code < 500, (url, response.status_code)


def test_a_claim_with_many_lines_goes_through(mailbox):
    from tests.sandbox.clearinghouse.conftest import lines

    claim = ProfessionalClaimFactory(lines=lines(*[("64483", "100.00")] * 50))

    assert mailbox.submit(professional_claim_file([claim])).json()["claims"] == {"accepted": 1, "rejected": 0}
