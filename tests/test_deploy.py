"""Production settings pass Django's deployment checks with no warning, and their responses
carry HSTS, the CSP and secure cookies."""

import io
import os
import runpy
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.management import call_command
from django.core.management.base import SystemCheckError

from tests.factories import PASSWORD, UserFactory


def production_env(tmp_path: Path, **extra: str) -> dict[str, str]:
    env = {
        **os.environ,
        "DEBUG": "0",
        "HTTPS": "1",
        "SECRET_KEY": secrets.token_urlsafe(64),
        "ALLOWED_HOSTS": "trainings.polarisinsight.example",
        "SITE_URL": "https://trainings.polarisinsight.example",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'deploy.sqlite3'}",
        **extra,
    }
    for name in ("STRIPE_SECRET_KEY", "STRIPE_WEBHOOK_SECRET", "TRUSTED_PROXY_COUNT"):
        if name not in extra:
            env.pop(name, None)
    return env


def check_deploy(env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=settings.BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_check_deploy_has_no_warnings(tmp_path: Path):
    result = check_deploy(
        production_env(
            tmp_path,
            STRIPE_SECRET_KEY="sk_live_example",
            STRIPE_WEBHOOK_SECRET="whsec_example",
            TRUSTED_PROXY_COUNT="1",
        )
    )

    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_check_deploy_asks_for_the_proxy_count_behind_https(tmp_path: Path):
    result = check_deploy(production_env(tmp_path))
    assert result.returncode != 0
    assert "polaris.W003" in result.stderr and "TRUSTED_PROXY_COUNT" in result.stderr


def test_check_deploy_reports_stripe_without_webhook_secret_and_the_default_site_url(
    tmp_path: Path,
):
    env = production_env(tmp_path, STRIPE_SECRET_KEY="sk_live_example", TRUSTED_PROXY_COUNT="1")
    del env["SITE_URL"]

    result = check_deploy(env)

    output = result.stdout + result.stderr
    assert result.returncode == 1, output
    assert "(polaris.W001) STRIPE_SECRET_KEY is set but STRIPE_WEBHOOK_SECRET is empty" in output
    assert "(polaris.W002) SITE_URL is left at its default" in output
    assert "System check identified 2 issues" in output


@pytest.mark.django_db
def test_check_deploy_on_the_seed_catalog_reports_only_the_brn_items_staff_must_enter(
    settings, monkeypatch
):
    for name, value in _production_security_settings(monkeypatch).items():
        setattr(settings, name, value)
    settings.DEBUG = False
    settings.SECRET_KEY = secrets.token_urlsafe(64)
    settings.ALLOWED_HOSTS = ["trainings.polarisinsight.example"]
    settings.SITE_URL = "https://trainings.polarisinsight.example"
    settings.STRIPE_SECRET_KEY = settings.STRIPE_WEBHOOK_SECRET = ""

    with pytest.raises(SystemCheckError) as reported:
        call_command("check", "--deploy", "--fail-level", "WARNING", stdout=io.StringIO())

    output = str(reported.value)
    assert (
        "(catalog.W001) BRN certificates would be refused: provider address missing, "
        "signature missing." in output
    )
    assert "System check identified 1 issue" in output


def _production_security_settings(monkeypatch) -> dict:
    """The security settings polaris/settings.py gives under DEBUG=0 HTTPS=1, read by running
    the settings file itself in that environment."""
    monkeypatch.setenv("DEBUG", "0")
    monkeypatch.setenv("HTTPS", "1")
    monkeypatch.setenv("SECRET_KEY", secrets.token_urlsafe(64))
    values = runpy.run_path(str(Path(settings.BASE_DIR) / "polaris" / "settings.py"))
    prefixes = ("SECURE_", "SESSION_COOKIE_", "CSRF_COOKIE_", "CONTENT_SECURITY_POLICY")
    return {name: value for name, value in values.items() if name.startswith(prefixes)}


@pytest.mark.django_db
def test_production_responses_carry_hsts_csp_and_secure_cookies(
    client, settings, monkeypatch, catalog
):
    production = _production_security_settings(monkeypatch)
    assert production["SECURE_SSL_REDIRECT"] is True
    for name, value in production.items():
        setattr(settings, name, value)
    user = UserFactory(email="coordinator@example.com", verified_email=True)

    plain = client.get("/accounts/login/")
    assert plain.status_code == 301
    assert plain["Location"] == "https://testserver/accounts/login/"

    page = client.get("/accounts/login/", secure=True)
    assert page.status_code == 200
    assert page["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains; preload"
    assert "default-src 'self'" in page["Content-Security-Policy"]
    csrf_cookie = page.cookies[settings.CSRF_COOKIE_NAME]
    assert csrf_cookie["secure"] is True

    signed_in = client.post(
        "/accounts/login/",
        {"login": user.email, "password": PASSWORD},
        secure=True,
    )
    assert signed_in.status_code == 302
    session_cookie = signed_in.cookies[settings.SESSION_COOKIE_NAME]
    assert session_cookie.value
    assert session_cookie["secure"] is True
    assert session_cookie["httponly"] is True
    assert signed_in.cookies[settings.CSRF_COOKIE_NAME]["secure"] is True


def test_production_refuses_to_start_without_a_secret_key(monkeypatch):
    """Every host must sign with the same key: under HTTPS=1 none is made up per machine."""
    monkeypatch.setenv("DEBUG", "0")
    monkeypatch.setenv("HTTPS", "1")
    monkeypatch.delenv("SECRET_KEY", raising=False)

    with pytest.raises(ImproperlyConfigured, match="HTTPS=1 \\(production\\) needs SECRET_KEY"):
        runpy.run_path(str(Path(settings.BASE_DIR) / "polaris" / "settings.py"))
