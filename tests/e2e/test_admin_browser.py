"""The front office works the admin in a real browser (headless Chromium driven by Playwright)."""

import os
import shutil

import pytest
from django.contrib.auth.models import User
from django.core.management import call_command

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")

pytestmark = [
    pytest.mark.live,
    pytest.mark.skipif(CHROMIUM is None, reason="needs Debian's chromium (apt-get install chromium)"),
]


@pytest.fixture
def browser_page(live_server, transactional_db, tmp_path):
    from playwright.sync_api import sync_playwright

    call_command("load_demo", "--quiet-logins")
    User.objects.create_superuser("browser-admin", "a@example.org", "a-long-test-password")
    # Playwright runs an event loop in this thread; the ORM work above is done.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=CHROMIUM, headless=True,
            args=["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync"],
        )
        page = browser.new_page()
        page.set_default_timeout(15000)
        page.goto(f"{live_server.url}/admin/login/")
        page.fill("#id_username", "browser-admin")
        page.fill("#id_password", "a-long-test-password")
        page.click("input[type=submit]")
        page.wait_for_selector("#site-name")
        yield page
        browser.close()
    os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)


def test_staff_find_a_patient_by_mrn_and_see_coverage_orders_and_notes(browser_page, live_server, tmp_path):
    page = browser_page
    page.goto(f"{live_server.url}/admin/records/patient/")
    page.fill("#searchbar", "RIP-1000")
    page.press("#searchbar", "Enter")
    page.wait_for_selector("#result_list")
    rows = page.locator("#result_list tbody tr")
    assert rows.count() == 1
    rows.first.locator("th a").click()
    page.wait_for_selector("#patient_form")

    text = page.inner_text("#content")
    assert "Alvarez" in page.input_value("#id_family")
    assert "Acme Health Plan" in text and "AHP123456789" in text  # coverage
    assert "64483" in text and "left" in text  # the ordered transforaminal ESI, left
    assert "Consult note" in text  # the note
    page.screenshot(path=str(tmp_path / "patient.png"), full_page=True)
