"""`manage.py check` warns about what would break in production without an error: a credit type
whose certificates would be refused, Stripe without its webhook secret, SITE_URL left at its
default outside debug."""

import io

import pytest
from django.core.files.base import ContentFile
from django.core.management import call_command

from catalog.models import CreditType
from polaris import checks
from tests.pdfs import png_image


def check_output() -> str:
    """What `manage.py check` prints, warnings included."""
    out, err = io.StringIO(), io.StringIO()
    call_command("check", stdout=out, stderr=err)
    return out.getvalue() + err.getvalue()


@pytest.fixture
def production_urls(settings):
    settings.DEBUG = False
    settings.SITE_URL = "https://trainings.polarisinsight.example"
    settings.STRIPE_SECRET_KEY = ""
    settings.STRIPE_WEBHOOK_SECRET = ""
    # Production gives every host the same key and Redis (see the polaris.W004/W005 tests).
    settings.SECRET_KEY = "a-key-from-the-environment-" + "x" * 40
    settings.REDIS_URL = "redis://redis.internal:6379/0"


@pytest.mark.django_db
def test_a_credit_type_missing_required_items_is_reported(production_urls):
    output = check_output()

    assert "catalog.W001" in output
    assert (
        "BRN certificates would be refused: provider address missing, signature missing" in output
    )
    assert "APA certificates" not in output


@pytest.mark.django_db
def test_a_complete_credit_type_is_not_reported(production_urls):

    brn = CreditType.objects.get(code="brn")
    brn.provider_address = "2201 Broadway, Oakland, CA 94612"
    brn.signature.save("signature.png", ContentFile(png_image()))

    assert "System check identified no issues" in check_output()


@pytest.mark.django_db
def test_a_stripe_key_without_a_webhook_secret_is_reported(production_urls, settings):
    settings.STRIPE_SECRET_KEY = "sk_live_example"

    output = check_output()

    assert "polaris.W001" in output
    assert "STRIPE_WEBHOOK_SECRET" in output

    settings.STRIPE_WEBHOOK_SECRET = "whsec_example"
    assert "polaris.W001" not in check_output()


@pytest.mark.django_db
def test_site_url_left_at_its_default_without_debug_is_reported(production_urls, settings):
    settings.SITE_URL = "http://127.0.0.1:8000"

    output = check_output()

    assert "polaris.W002" in output
    assert "SITE_URL" in output

    settings.DEBUG = True
    assert "polaris.W002" not in check_output()


@pytest.fixture
def on_a_database_server(monkeypatch):
    """As with DATABASE_URL=postgres://…, whatever database the tests run on."""

    monkeypatch.setattr(checks, "_shared_database", lambda: True)


@pytest.mark.django_db
def test_a_key_generated_by_this_host_is_reported_when_hosts_share_a_database(
    production_urls, on_a_database_server, settings, tmp_path
):
    settings.VAR_DIR = tmp_path
    (tmp_path / "secret_key").write_text("generated-on-this-machine\n")
    settings.SECRET_KEY = "generated-on-this-machine"

    output = check_output()

    assert "polaris.W004" in output
    assert "SECRET_KEY is not set: this host signs with a key of its own" in output
    settings.SECRET_KEY = "the-same-on-every-host"
    assert "polaris.W004" not in check_output()


@pytest.mark.django_db
def test_a_database_server_without_redis_is_reported(
    production_urls, on_a_database_server, settings
):
    settings.REDIS_URL = ""

    output = check_output()

    assert "polaris.W005" in output
    assert "run only by a worker on this host" in output
    settings.DEBUG = True  # a developer's machine
    assert "polaris.W005" not in check_output()


@pytest.mark.django_db
def test_files_left_under_media_root_are_reported_until_imported(
    production_urls, settings, tmp_path
):
    settings.MEDIA_ROOT = str(tmp_path)
    (tmp_path / "signatures").mkdir()
    (tmp_path / "signatures" / "scrc.png").write_bytes(b"an image")

    output = check_output()

    assert "polaris.W006" in output
    assert "holds 1 files" in output and "media_import" in output
    call_command("media_import", stdout=io.StringIO())
    assert "polaris.W006" not in check_output()
