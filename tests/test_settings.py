"""Settings fail closed: an unknown environment, a public secret key or an untrusted proxy header."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
GOOD_KEY = "k" * 20 + "Zr7Qp2Lx9Vw4Nc6Hb8Jt3Md5Fs1Gy0Ae" + "q" * 10
PRODUCTION = {"PRACOPS_ENV": "production", "DJANGO_SECRET_KEY": GOOD_KEY,
              "DJANGO_ALLOWED_HOSTS": "pracops.example.org"}


def django_with(env: dict[str, str], code: str = "") -> subprocess.CompletedProcess:
    """A fresh interpreter that sets Django up under ``env`` (and runs ``code``)."""
    clean = {k: v for k, v in os.environ.items()
             if not (k.startswith(("DJANGO_", "PRACOPS_")) and k != "DJANGO_SETTINGS_MODULE")}
    return subprocess.run(
        [sys.executable, "-c", f"import django; django.setup()\n{code}"],
        env={**clean, "DJANGO_SETTINGS_MODULE": "pracops.settings", **env},
        cwd=ROOT, capture_output=True, text=True, timeout=60,
    )


@pytest.mark.parametrize("name", ["development", "production", "test"])
def test_each_known_environment_starts(name):
    result = django_with({**PRODUCTION, "PRACOPS_ENV": name})

    assert result.returncode == 0, result.stderr


@pytest.mark.parametrize("name", ["prod", "Production", "staging", ""])
def test_an_unknown_environment_is_an_error(name):
    result = django_with({"PRACOPS_ENV": name})

    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert f"PRACOPS_ENV={name!r} is not one of development, production, test" in result.stderr


@pytest.mark.parametrize("key", [
    None,
    "change-me",  # .env.example's
    "dev-only-not-secret-7c1d0f1e9b2a4c5e8d3f6a7b9c0e1d2f3a4b5c6d7e8f9a0b",  # the development default
    "short-but-random-Zr7Qp2Lx9",
])
def test_production_refuses_a_missing_public_or_short_secret_key(key):
    env = {k: v for k, v in PRODUCTION.items() if k != "DJANGO_SECRET_KEY"}
    if key is not None:
        env["DJANGO_SECRET_KEY"] = key

    result = django_with(env)

    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY" in result.stderr
    assert key is None or key not in result.stderr  # a secret is never echoed


def test_the_example_env_files_key_is_refused():
    example = (ROOT / ".env.example").read_text()
    [key] = [line.split("=", 1)[1] for line in example.splitlines() if line.startswith("DJANGO_SECRET_KEY=")]

    result = django_with({**PRODUCTION, "DJANGO_SECRET_KEY": key})

    assert result.returncode != 0


PROXY_HEADER = "from django.conf import settings; print(getattr(settings, 'SECURE_PROXY_SSL_HEADER', None))"


@pytest.mark.parametrize(("env", "expected"), [
    (PRODUCTION, "None"),
    ({**PRODUCTION, "DJANGO_TRUST_X_FORWARDED_PROTO": "false"}, "None"),
    ({**PRODUCTION, "DJANGO_TRUST_X_FORWARDED_PROTO": "true"}, "('HTTP_X_FORWARDED_PROTO', 'https')"),
    ({"DJANGO_TRUST_X_FORWARDED_PROTO": "true"}, "('HTTP_X_FORWARDED_PROTO', 'https')"),
])
def test_the_proxys_https_header_is_trusted_only_when_configured(env, expected):
    result = django_with(env, PROXY_HEADER)

    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == expected


def test_token_lifetime_comes_from_the_environment():
    result = django_with({"PRACOPS_API_TOKEN_TTL_DAYS": "3"},
                         "from knox.settings import knox_settings; print(knox_settings.TOKEN_TTL.days)")

    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "3"


def test_check_deploy_is_clean_in_production():
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        env={**{k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "PRACOPS_"))},
             **PRODUCTION, "DJANGO_TRUST_X_FORWARDED_PROTO": "true"},
        cwd=ROOT, capture_output=True, text=True, timeout=120,
    )

    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize(("token", "refused"), [("", False), ("demo-notifications", True), ("x" * 31, True),
                                                ("x" * 32, False)])
def test_production_refuses_a_short_notification_secret(token, refused):
    result = django_with({**PRODUCTION, "PRIORAUTH_NOTIFICATION_TOKEN": token})

    assert (result.returncode != 0) == refused, result.stderr
    assert not refused or ("PRIORAUTH_NOTIFICATION_TOKEN" in result.stderr and token not in result.stderr)
