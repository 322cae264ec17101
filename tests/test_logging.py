"""Patient identifiers never reach the logs (pracops/logging.py and the LOGGING setting)."""

import base64
import logging
import os
import re
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid

import pytest
from django.contrib.auth.models import User
from django.db import IntegrityError, connection, transaction
from django.test import Client

from tests.celery_worker import ROOT, database_url, wait_for
from tests.factories import ApiClientFactory, DocumentReferenceFactory, PatientFactory

MRN = "MRN-ZQX-8675309"
# Sentinels: if any of them is found in a log, patient data leaked.
NAME = "Quixwhistle"
FHIR_ID = "qzx-sentinel-77"
NOTE = "Zorblaxian paresthesia"
SENTINELS = (MRN, NAME, FHIR_ID, NOTE)


def assert_no_sentinel(logged: str) -> None:
    leaked = [s for s in SENTINELS if s in logged]
    assert not leaked, f"{leaked} reached the log:\n{logged[-3000:]}"


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
    assert "Not Found: /fhir/Patient/[id]" in log_output.getvalue()
    assert MRN not in log_output.getvalue() and "nobody" not in log_output.getvalue()


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


def test_a_database_error_is_logged_with_its_frames_but_not_the_values_it_quotes(transactional_db, log_output):
    User.objects.create(username=NAME)
    try:
        with transaction.atomic():
            User.objects.create(username=NAME)  # PostgreSQL quotes the name in its DETAIL
    except IntegrityError:
        logging.getLogger("pracops.records").exception("could not store the user")

    logged = log_output.getvalue()
    assert "could not store the user" in logged and "Traceback (most recent call last)" in logged
    assert "django.db.utils.IntegrityError" in logged and "test_logging.py" in logged
    if connection.vendor == "postgresql":
        assert "SQLSTATE 23505" in logged  # unique_violation: what went wrong, without the row
    assert_no_sentinel(logged)


def test_an_exception_given_as_a_log_argument_is_named_not_quoted(log_output):
    logging.getLogger("pracops.records").warning("import failed: %s", ValueError(f"bad birth date for {NAME}"))

    assert "import failed: ValueError" in log_output.getvalue()
    assert_no_sentinel(log_output.getvalue())


def test_a_celery_retry_line_keeps_the_exception_class_only(log_output):
    from celery.app.trace import LOG_RETRY
    from celery.exceptions import Retry

    reason = Retry(exc=IntegrityError(f"duplicate key value\nDETAIL:  Key (value)=({MRN}) already exists."), when=10)
    logging.getLogger("celery.app.trace").info(LOG_RETRY, {"name": "pracops.records.tasks.process_bundle_submission",
                                                           "id": "42", "exc": str(reason)})

    logged = log_output.getvalue()
    assert "Task pracops.records.tasks.process_bundle_submission[42] retry: Retry in 10s: IntegrityError" in logged
    assert_no_sentinel(logged)


def test_ids_in_fhir_and_admin_paths_are_not_logged(log_output):
    logging.getLogger("django.server").info('"%s" %s %s', f"GET /fhir/Patient/{FHIR_ID}/_history/2 HTTP/1.1", 404, 90)
    logging.getLogger("django.server").info('"%s" %s %s', f"GET /admin/records/patient/{FHIR_ID}/change/ HTTP/1.1",
                                            302, 0)

    logged = log_output.getvalue()
    assert '"GET /fhir/Patient/[id]/_history/2 HTTP/1.1" 404 90' in logged
    assert '"GET /admin/records/patient/[id]/change/ HTTP/1.1" 302 0' in logged
    assert_no_sentinel(logged)


def _failing_requests(send) -> list[int]:
    """Requests carrying the sentinels that the API refuses; their statuses."""
    patient = PatientFactory.build(family=NAME, mrn=MRN)
    nul = PatientFactory.build(family=NAME + "\x00", mrn=MRN)
    long = PatientFactory.build(family=NAME * 30, mrn=MRN)
    note = {"resourceType": "DocumentReference", "status": "current", "subject": {"reference": f"Patient/{FHIR_ID}"},
            "content": [{"attachment": {"contentType": "text/plain",
                                        "data": base64.b64encode(NOTE.encode()).decode()}}]}
    return [
        send("GET", f"/fhir/Patient/{FHIR_ID}?identifier={MRN}", None),  # 404
        send("GET", f"/fhir/Patient?name={NAME}&identifier={MRN}&_count=many", None),  # 400
        send("GET", f"/fhir/Patient?birthdate=9999-12-31&name={NAME}", None),  # 400
        send("POST", "/fhir/Patient", json_bytes(nul)),  # 400: a NUL byte
        send("POST", "/fhir/Patient", json_bytes(long)),  # 422: longer than its column
        send("POST", "/fhir/DocumentReference", json_bytes(note)),  # 422: an unknown patient
        send("PUT", f"/fhir/Patient/{FHIR_ID}", json_bytes({**patient, "id": "other"})),  # 400
        send("DELETE", f"/fhir/Patient/{FHIR_ID}\u0000", None),  # 400: no id holds a NUL
    ]


def json_bytes(body) -> bytes:
    import json

    return json.dumps(body).encode()


@pytest.mark.django_db
def test_failing_requests_carrying_patient_data_leave_none_in_the_log(api, log_output, monkeypatch):
    def send(method, path, body):
        return getattr(api.client, method.lower())(
            path, body or b"", content_type="application/fhir+json", headers=api.headers).status_code

    statuses = _failing_requests(send)
    from pracops.records import selectors

    def broken(resource_type, fhir_id):
        raise RuntimeError("unexpected: " + fhir_id + " " + NAME)

    monkeypatch.setattr(selectors, "read_resource", broken)
    statuses.append(send("GET", f"/fhir/Patient/{FHIR_ID}", None))

    assert statuses == [404, 400, 400, 400, 422, 422, 400, 400, 500]
    logged = log_output.getvalue()
    assert "Internal Server Error: /fhir/Patient/[id]" in logged and "RuntimeError: [message withheld]" in logged
    assert_no_sentinel(logged)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.live
def test_gunicorn_logs_no_patient_data(transactional_db, tmp_path):
    token = ApiClientFactory(role="integration").authorization
    port = _free_port()
    env = dict(os.environ, DATABASE_URL=database_url(), PYTHONPATH=str(ROOT))
    out, err = tmp_path / "gunicorn.out", tmp_path / "gunicorn.err"
    with open(out, "wb") as stdout, open(err, "wb") as stderr:
        proc = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "-c", "pracops/gunicorn.conf.py", "pracops.wsgi",
             "--bind", f"127.0.0.1:{port}", "--workers", "1"],
            cwd=ROOT, env=env, stdout=stdout, stderr=stderr,
        )
    try:
        def send(method, path, body):
            request = urllib.request.Request(f"http://127.0.0.1:{port}{path.replace(chr(0), '%00')}", data=body,
                                             method=method, headers={"Authorization": token,
                                                                     "Content-Type": "application/fhir+json"})
            try:
                with urllib.request.urlopen(request, timeout=30) as response:
                    return response.status
            except urllib.error.HTTPError as exc:
                return exc.code

        def up():
            try:
                return send("GET", "/health/", None) == 200
            except OSError:
                assert proc.poll() is None, err.read_text()
                return False

        wait_for(up, timeout=60, interval=0.3)
        statuses = _failing_requests(send)
    finally:
        proc.terminate()
        proc.wait(timeout=30)

    assert statuses == [404, 400, 400, 400, 422, 422, 400, 400]
    access, errors = out.read_text(), err.read_text()
    assert '"GET /fhir/Patient/[id]" 404' in access and '"POST /fhir/Patient" 422' in access
    assert "Not Found: /fhir/Patient/[id]" in errors  # Django's own warnings, through the same filter
    assert_no_sentinel(access + errors)


@pytest.mark.worker
def test_a_failing_task_leaves_no_patient_data_in_the_worker_log(celery_worker, log_output):
    from pracops.records.tasks import process_bundle_submission

    if celery_worker is None:  # the embedded default: the task runs (and fails) here
        with pytest.raises(Exception):
            process_bundle_submission.delay(f"{FHIR_ID}-{NAME}")
        logged = log_output.getvalue()
    else:
        process_bundle_submission.delay(f"{FHIR_ID}-{NAME}")  # not a submission id: the task fails
        logged = wait_for(lambda: (lambda text: text if "raised unexpected" in text else "")(
            celery_worker.log_path.read_text()))
        assert "ValidationError(...)" in logged and "[message withheld]" in logged
    assert_no_sentinel(logged)


@pytest.mark.worker
def test_a_task_retrying_on_a_database_error_leaves_no_patient_data_in_the_worker_log(celery_worker):
    if celery_worker is None or connection.vendor != "postgresql":
        pytest.skip("needs a real worker and PostgreSQL, whose error DETAIL quotes the failing row")
    from pracops.celery import app

    token = ApiClientFactory(role="integration").authorization
    # PostgreSQL cuts each value in its DETAIL short: the id comes first in the stored JSON.
    bundle = {"resourceType": "Bundle", "id": FHIR_ID, "type": "transaction", "entry": [{
        "resource": PatientFactory.build(family=NAME, mrn=MRN), "request": {"method": "POST", "url": "Patient"}}]}
    # The worker cannot record the outcome: "Failing row contains (..., <the bundle, with the name>, ...)".
    with connection.cursor() as cursor:
        cursor.execute("ALTER TABLE records_bundlesubmission ADD CONSTRAINT test_never_finished "
                       "CHECK (status IN ('queued', 'processing'))")
    # The worker's log is the session's: read only what this test's task writes to it.
    start = len(celery_worker.log_path.read_text())
    try:
        response = Client().post("/fhir", json_bytes(bundle), content_type="application/fhir+json",
                                 headers={"Authorization": token, "Prefer": "respond-async"})
        assert response.status_code == 202, response.content
        # Other tests' tasks may retry meanwhile: wait for this one's (the only IntegrityError).
        logged = wait_for(lambda: (lambda text: text if " retry: Retry in 10s: IntegrityError" in text else "")(
            celery_worker.log_path.read_text()[start:]), timeout=60)
    finally:
        with connection.cursor() as cursor:
            cursor.execute("ALTER TABLE records_bundlesubmission DROP CONSTRAINT test_never_finished")
        for task_id in re.findall(r"process_bundle_submission\[([0-9a-f-]+)\] retry", celery_worker.log_path.read_text()):
            app.control.revoke(task_id)  # its next try must not run during another test

    assert "retry: Retry in 10s: IntegrityError" in logged
    assert_no_sentinel(logged)
