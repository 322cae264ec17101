"""The front office works a prior authorization in a real browser (headless Chromium driven by
Playwright): the worklist, a request that needs documentation with its missing items and the
evidence marked in the note, evaluate, submit to the sandbox payer over HTTP, the status change."""

import os
import re
import shutil
import time
from datetime import timedelta
from pathlib import Path

import pytest
from django.contrib.auth.models import Group, User
from django.utils import timezone

from priorauth import services
from priorauth.lifecycle import transition
from priorauth.models import PriorAuthorization
from pracops.access.roles import ensure_roles
from tests.celery_worker import wait_for
from tests.priorauth.workflow import COMPLETE_ESI_NOTE, THIN_ESI_NOTE, add_note, practice_case

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
# Screenshots for people to look at (the brief's /work/screens when it exists, else the test's tmp dir).
SCREENS = Path(os.environ.get("PRACOPS_SCREENS_DIR", "/work/screens"))
S = PriorAuthorization.Status

pytestmark = [
    pytest.mark.live,
    pytest.mark.skipif(CHROMIUM is None, reason="needs Debian's chromium (apt-get install chromium)"),
]


def _status(authorization) -> str:
    return PriorAuthorization.objects.values_list("status", flat=True).get(pk=authorization.pk)


@pytest.fixture
def worklist(live_server, celery_worker):
    """A worklist with one request needing documentation at the sandbox payer, one ready, and one
    overdue at the payer; front office signed in."""
    # The payer's side is the sandbox app (issue 8 point 7): without it there is nobody to submit to.
    sandbox = pytest.importorskip("sandbox.payer.services")
    endpoint = f"{live_server.url}/sandbox/payer/fhir/"
    thin = practice_case(endpoint=endpoint)
    add_note(thin.patient, THIN_ESI_NOTE, date="2026-11-01T10:00:00Z")
    needs_docs = services.create_authorization(service_request=thin.order, user=None)
    assert needs_docs.status == S.NEEDS_DOCUMENTATION

    ready = practice_case(endpoint=endpoint)
    add_note(ready.patient, COMPLETE_ESI_NOTE)
    services.create_authorization(service_request=ready.order, user=None)
    late = practice_case(adapter="fax")
    add_note(late.patient, COMPLETE_ESI_NOTE)
    overdue = services.create_authorization(service_request=late.order, user=None)
    transition(overdue, S.SUBMITTED, agent="system:test", reason="faxed", channel="fax",
               submitted_at=timezone.now() - timedelta(days=8), decision_due_at=timezone.now() - timedelta(hours=5))

    # The payer pends the request, then approves it a second later.
    sandbox.set_rule(action="pend", code="64483", pend_seconds=1, then="approve", approved_units=1)
    ensure_roles()
    user = User.objects.create_user("frontdesk", password="a-long-test-password", is_staff=True)
    user.groups.add(Group.objects.get(name="front_office"))
    return {"needs_docs": needs_docs, "thin": thin}


@pytest.fixture
def page(live_server, worklist):
    from playwright.sync_api import sync_playwright

    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=CHROMIUM, headless=True,
            args=["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync"],
        )
        tab = browser.new_page(viewport={"width": 1400, "height": 900})
        tab.set_default_timeout(20000)
        tab.goto(f"{live_server.url}/admin/login/")
        tab.fill("#id_username", "frontdesk")
        tab.fill("#id_password", "a-long-test-password")
        tab.click("input[type=submit]")
        tab.wait_for_selector("#site-name")
        yield tab
        browser.close()
    os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)


def _shot(page, name: str, tmp_path) -> None:
    folder = SCREENS if SCREENS.is_dir() else tmp_path
    page.screenshot(path=str(folder / name), full_page=True)


def test_front_office_completes_documentation_evaluates_and_submits_to_the_payer(
        page, live_server, worklist, tmp_path):
    authorization = worklist["needs_docs"]
    page.goto(f"{live_server.url}/admin/priorauth/priorauthorization/")
    page.wait_for_selector("#result_list")
    counts = page.inner_text(".pa-counts")
    assert re.search(r"1\s*Needs documentation", counts) and re.search(r"1\s*Ready to submit", counts)
    assert re.search(r"1\s*Overdue", counts)
    overdue_row = page.locator("#result_list tbody tr", has=page.locator(".pa-overdue"))
    assert overdue_row.count() == 1 and "overdue 5 h" in overdue_row.inner_text()
    # The overdue row stands out: its cells are tinted.
    tint = overdue_row.locator("td").first.evaluate("e => getComputedStyle(e).backgroundColor")
    assert tint == "rgb(255, 236, 236)"
    _shot(page, "worklist.png", tmp_path)

    page.click(".pa-counts a:has-text('Needs documentation')")
    page.wait_for_selector("#result_list")
    assert page.locator("#result_list tbody tr").count() == 1
    page.locator("#result_list tbody tr th a").first.click()
    page.wait_for_selector("#pa-checklist")

    checklist = page.inner_text("#pa-checklist")
    assert "Missing:" in checklist and "Not documented" in checklist
    marks = page.locator("#pa-notes mark")
    assert marks.count() >= 1 and marks.first.get_attribute("title")
    assert "{\"" not in page.inner_text("#content-main")  # no raw JSON for staff
    _shot(page, "request-needs-documentation.png", tmp_path)

    # The clinician's fuller note arrives; front office evaluates again.
    add_note(worklist["thin"].patient, COMPLETE_ESI_NOTE, date="2026-11-05T10:00:00Z")
    page.click("button[value=evaluate_requests]")
    page.wait_for_selector(".messagelist")
    wait_for(lambda: _status(authorization) == S.READY, timeout=60)
    page.reload()
    assert "Ready to submit" in page.inner_text("h1")
    assert "Missing:" not in page.inner_text("#pa-checklist")
    _shot(page, "request-ready.png", tmp_path)

    page.click("button[value=submit_requests]")
    page.wait_for_selector(".messagelist")
    wait_for(lambda: _status(authorization) == S.PENDED, timeout=60)
    page.reload()
    assert "Pended by payer" in page.inner_text("h1")
    assert "due in 6 d" in page.inner_text("#pa-summary")
    assert "Sent" in page.inner_text("#pa-attempts")
    timeline = page.inner_text("#pa-timeline")
    assert "Ready to submit\tSubmitted" in timeline and "Submitted\tPended by payer" in timeline

    time.sleep(1.2)  # the sandbox decides once its pend delay has passed
    page.click("button[value=check_statuses]")
    page.wait_for_selector(".messagelist")
    assert "now approved" in page.inner_text(".messagelist")
    assert "Approved" in page.inner_text("h1")
    decision = page.inner_text("#pa-decision")
    assert "1 approved, 0 used, 1 left" in decision
    assert page.locator("#pa-packet a").count() == 1
    _shot(page, "request-approved.png", tmp_path)

    # The order's page answers whether the payer needs an authorization and links the request.
    page.goto(f"{live_server.url}/admin/records/servicerequest/{worklist['thin'].order.pk}/change/")
    panel = page.inner_text(".pa-order")
    assert "Prior authorization required." in panel and "The notes must document:" in panel
    assert "— Approved" in panel  # the request, linked; a new one may be started (a renewal)
    _shot(page, "order.png", tmp_path)
