"""Patient identifiers never reach the logs (pracops/logging.py and the LOGGING setting)."""

import io
import logging

import pytest

from tests.factories import PatientFactory

MRN = "MRN-ZQX-8675309"


@pytest.fixture
def log_output():
    """What the configured console handler writes, whichever logger it serves."""
    handler = next(h for h in logging.getLogger("django.request").handlers if isinstance(h, logging.StreamHandler))
    assert any(type(f).__name__ == "RedactPhiFilter" for f in handler.filters)
    buffer = io.StringIO()
    # Swapped in place, not with setStream(): that flushes the old stream, which may be a
    # capture of an earlier test and closed by now.
    with handler.lock:
        previous, handler.stream = handler.stream, buffer
    try:
        yield buffer
    finally:
        with handler.lock:
            handler.stream = previous


@pytest.mark.django_db
def test_an_identifier_searched_for_in_a_refused_search_is_not_logged(api, log_output):
    PatientFactory(mrn=MRN)

    response = api.get("/fhir/Patient", {"identifier": MRN, "shoe-size": "44"},
                       Prefer="handling=strict")  # 400: unknown parameter

    assert response.status_code == 400
    assert "Bad Request: /fhir/Patient" in log_output.getvalue()  # the request was logged...
    assert MRN not in log_output.getvalue()  # ...without its query string


@pytest.mark.django_db
def test_an_identifier_in_a_failed_read_path_query_is_not_logged(api, log_output):
    response = api.get("/fhir/Patient/nobody", {"identifier": MRN})

    assert response.status_code == 404
    assert "Not Found: /fhir/Patient/nobody" in log_output.getvalue()
    assert MRN not in log_output.getvalue()


def test_the_request_line_of_the_http_server_is_logged_without_its_query(log_output):
    # How django.core.servers.basehttp logs each request.
    logging.getLogger("django.server").info(
        '"%s" %s %s', f"GET /fhir/Patient?identifier=http://clinic.example/mrn|{MRN}&name=Ada HTTP/1.1", "400", "312"
    )

    logged = log_output.getvalue()
    assert '"GET /fhir/Patient?[redacted] HTTP/1.1" 400 312' in logged
    assert MRN not in logged and "Ada" not in logged


def test_an_identifier_in_an_application_log_message_is_redacted(log_output):
    logging.getLogger("pracops.records").warning("slow search %s took %sms", f"/fhir/Patient?identifier={MRN}", 900)

    logged = log_output.getvalue()
    assert "slow search /fhir/Patient?[redacted] took 900ms" in logged
    assert MRN not in logged


def test_the_request_attached_to_a_log_record_is_dropped(log_output):
    class Request:
        def __repr__(self):
            return f"<WSGIRequest: GET '/fhir/Patient?identifier={MRN}'>"

    record = logging.LogRecord("django.request", logging.WARNING, __file__, 1, "Bad Request: %s", ("/fhir/Patient",),
                               None)
    record.request = Request()
    handler = next(h for h in logging.getLogger("django.request").handlers if isinstance(h, logging.StreamHandler))
    formatter = handler.formatter
    handler.setFormatter(logging.Formatter("%(message)s %(request)s"))  # a format that shows the request
    try:
        handler.handle(record)
    finally:
        handler.setFormatter(formatter)

    assert log_output.getvalue().strip() == "Bad Request: /fhir/Patient None"
