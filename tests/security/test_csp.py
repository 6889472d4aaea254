"""Every page is served with the Content Security Policy: our own scripts, styles, fonts and
images only, nothing inline, no framing; forms post here or to Stripe Checkout."""

import re
from pathlib import Path

import pytest
from django.conf import settings

from tests.factories import StaffFactory, TraineeProfileFactory, login_staff

POLICY = {
    "default-src": ["'self'"],
    "script-src": ["'self'"],
    "style-src": ["'self'"],
    "img-src": ["'self'", "data:"],
    "font-src": ["'self'"],
    "connect-src": ["'self'"],
    "form-action": ["'self'", "https://checkout.stripe.com"],
    "frame-ancestors": ["'none'"],
    "base-uri": ["'self'"],
    "object-src": ["'none'"],
}


def policy_of(response) -> dict[str, list[str]]:
    header = response["Content-Security-Policy"]
    directives = (part.split() for part in header.split(";") if part.strip())
    return {name: sources for name, *sources in directives}


@pytest.mark.parametrize(
    "path", ["/", "/trainings/module-1/", "/accounts/login/", "/no-such-page/", "/admin/login/"]
)
def test_pages_carry_the_policy_with_nothing_inline(client, catalog, path):
    response = client.get(path)

    assert policy_of(response) == POLICY
    assert "unsafe" not in response["Content-Security-Policy"]


def test_signed_in_and_admin_pages_carry_the_policy(client, catalog):
    admin = StaffFactory(is_superuser=True)
    TraineeProfileFactory(user=admin, legal_name="Ada Admin")
    login_staff(client, admin)

    for path in ("/my/", "/cart/", "/admin/", "/admin/registration/order/"):
        assert policy_of(client.get(path)) == POLICY, path


def test_forms_may_lead_to_the_stripe_the_app_is_configured_with(client, catalog, fake_stripe):
    """In tests Stripe is a local fake: its Checkout page must be allowed as well."""
    response = client.get("/cart/")

    assert policy_of(response)["form-action"] == [*POLICY["form-action"], fake_stripe.url]


INLINE = {
    "style attribute": re.compile(r"\sstyle\s*=", re.I),
    "<style> element": re.compile(r"<style\b", re.I),
    "inline <script>": re.compile(
        r"<script\b(?![^>]*\bsrc=)(?![^>]*application/(ld\+)?json)", re.I
    ),
    "event handler attribute": re.compile(r"\son[a-z]+\s*=\s*[\"']", re.I),
    "javascript: URL": re.compile(r"javascript:", re.I),
}


def test_no_template_served_to_browsers_has_inline_styles_or_scripts():
    """The policy would block them. PDF templates are for WeasyPrint, and emails' HTML for
    mail clients (which keep styles only inline), not browsers."""
    templates = Path(settings.BASE_DIR) / "templates"
    found = [
        f"{path.relative_to(templates)}: {what}"
        for path in sorted(templates.rglob("*.html"))
        if not {"pdf", "emails"} & set(path.relative_to(templates).parts)
        for what, pattern in INLINE.items()
        if pattern.search(path.read_text())
    ]

    assert not found, "\n".join(found)
