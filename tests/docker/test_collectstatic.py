"""The production image's static files: collected with their manifest, so the admin answers 200.

There is no Docker engine in CI; this runs the image's own build step (docker/collectstatic) and its
server command (gunicorn pracops.wsgi) with production settings on this machine instead.
"""

import os
import secrets
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _get(url: str) -> tuple[int, str]:
    request = urllib.request.Request(url, headers={"X-Forwarded-Proto": "https"})  # as behind the TLS proxy
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, response.read().decode("utf-8", errors="replace")
    except urllib.error.HTTPError as error:
        return error.code, ""


@pytest.fixture
def image_env(tmp_path) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DATABASE_URL", "CELERY_", "DJANGO_", "PRACOPS_"))}
    env.update(PRACOPS_VAR_DIR=str(tmp_path), PYTHON=sys.executable)
    return env


def test_the_image_build_step_collects_a_manifest_and_production_serves_the_admin(image_env, tmp_path):
    # As the Dockerfile runs it: no settings of its own in the environment.
    collected = subprocess.run(["sh", str(ROOT / "docker" / "collectstatic")], env=image_env, cwd=tmp_path,
                               capture_output=True, text=True, timeout=300)
    assert collected.returncode == 0, collected.stderr
    assert (tmp_path / "static" / "staticfiles.json").exists()

    port = _free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "pracops.wsgi", "--bind", f"127.0.0.1:{port}", "--workers", "1"],
        env={**image_env, "PRACOPS_ENV": "production", "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
             "DJANGO_ALLOWED_HOSTS": "127.0.0.1", "DJANGO_TRUST_X_FORWARDED_PROTO": "true"}, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                status, page = _get(f"http://127.0.0.1:{port}/admin/login/")
                break
            except (urllib.error.URLError, ConnectionError):
                assert server.poll() is None, server.stderr.read()
                assert time.monotonic() < deadline, "gunicorn did not start"
                time.sleep(0.3)
        assert status == 200
        # The page links the hashed name the manifest gave the admin's stylesheet, and it is served.
        stylesheet = next(part.split('"')[0] for part in page.split('href="')[1:] if "admin/css/base" in part)
        assert stylesheet.startswith("/static/admin/css/base.") and stylesheet != "/static/admin/css/base.css"
        assert _get(f"http://127.0.0.1:{port}{stylesheet}")[0] == 200
    finally:
        server.terminate()
        server.wait(timeout=30)
