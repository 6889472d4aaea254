"""The Content Security Policy in Chromium: no page of ours, nor the admin pages coordinators
use, is refused a script, a style or a form submission by it."""

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from tests.e2e.pages import PUBLIC_PAGES
from tests.factories import PASSWORD, StaffFactory, TraineeFactory, totp_code
from tests.registration.flows import paid_order, session_of

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("catalog", "before_season"),
]

# Runs in every document before its own scripts (injected by the browser, not by the page, so
# the policy under test does not apply to it).
LISTEN = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", (event) => {
  window.__cspViolations.push(
    `${event.effectiveDirective} refused ${event.blockedURI || "inline"}`
    + ` (${event.sourceFile || "document"}:${event.lineNumber})`
  );
});
"""


class Violations:
    """Every CSP violation the browser reports while the page visits our pages: the
    `securitypolicyviolation` events and the console's "Refused to ..." errors."""

    def __init__(self, page, base_url: str):
        self.page = page
        self.base_url = base_url
        self.found: list[str] = []
        page.add_init_script(LISTEN)
        page.on("console", self._console)

    def _console(self, message) -> None:
        text = message.text
        if "Content Security Policy" in text or text.startswith("Refused to"):
            self.found.append(f"{self.page.url}: console: {text}")

    def collect(self) -> None:
        for violation in self.page.evaluate("window.__cspViolations || []"):
            self.found.append(f"{self.page.url}: {violation}")

    def visit(self, path: str) -> None:
        response = self.page.goto(f"{self.base_url}{path}", wait_until="load")
        assert response is not None and response.status == 200, f"{path}: {response.status}"
        self.collect()


def _sign_in(page, violations: Violations, user) -> None:
    """Through the sign-in form, so that its POST is under the policy too."""
    violations.visit("/accounts/login/")
    page.locator("input[name=login]").fill(user.email)
    page.locator("input[name=password]").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("My trainings")
    violations.collect()


def _admin_sign_in(page, violations: Violations, user) -> None:
    violations.visit("/admin/login/")
    page.locator("input[name=username]").fill(user.username)
    page.locator("input[name=password]").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", name="Two-factor authentication")).to_be_visible()
    violations.collect()
    page.get_by_label("Code").fill(totp_code(user))
    page.get_by_role("button", name="Sign in", exact=True).click()
    expect(page.locator("#dashboard")).to_be_visible()
    violations.collect()


@pytest.fixture
def violations(page, live_server):
    return Violations(page, live_server.url)


def test_the_watch_reports_an_inline_style_the_policy_refuses(page, violations):
    """The check below can fail: an inline style set on one of our pages is reported."""
    violations.visit("/")
    page.evaluate("document.body.setAttribute('style', 'background: red')")
    page.evaluate("document.body.innerHTML += '<p style=\"color: red\">inline</p>'")
    violations.visit("/calendar/")

    assert any("style-src" in found for found in violations.found), violations.found


def test_public_pages_break_no_rule_of_the_policy(violations):
    for path in PUBLIC_PAGES:
        violations.visit(path)

    assert not violations.found, "\n".join(violations.found)


def test_trainee_pages_and_checkout_to_stripe_break_no_rule_of_the_policy(
    page, violations, fake_stripe
):
    trainee = TraineeFactory(legal_name="Ada Trainee", verified_email=True)
    paid_order(trainee, session_of("module-1", 6))
    _sign_in(page, violations, trainee)

    violations.visit("/my/")
    violations.visit("/account/profile/")
    violations.visit("/trainings/module-2/")
    page.locator(f"#session-{session_of('module-2', 7).pk}").get_by_role(
        "button", name="Register"
    ).click()
    expect(page).to_have_url(f"{violations.base_url}/cart/")
    violations.collect()
    violations.visit("/cart/")
    page.get_by_label("Card, on Stripe's secure payment page").check()
    page.get_by_role("button", name="Place order").click()
    # The POST redirects to the Checkout page of Stripe's fake: form-action allows it.
    page.wait_for_url(f"{fake_stripe.url}/pay/**")

    assert not violations.found, "\n".join(violations.found)


def test_setting_up_two_factors_shows_the_qr_code_and_breaks_no_rule(page, violations):
    superuser = StaffFactory(is_superuser=True, second_factor=False)
    violations.visit("/admin/login/")
    page.locator("input[name=username]").fill(superuser.username)
    page.locator("input[name=password]").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    # Sent to set up an authenticator, after confirming the password.
    expect(page.get_by_role("heading", name="Confirm it is you")).to_be_visible()
    expect(page.get_by_text("Staff pages need two-factor authentication")).to_be_visible()
    violations.collect()
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Confirm").click()

    expect(page.get_by_role("heading", name="Set up an authenticator app")).to_be_visible()
    qr_code = page.get_by_role("img", name="QR code for your authenticator app")
    assert qr_code.evaluate("img => img.complete && img.naturalWidth > 100")
    violations.collect()
    secret = page.get_by_label("Key, to type in by hand").input_value()
    page.get_by_label("Authenticator code").fill(totp_code(secret))
    page.get_by_role("button", name="Activate").click()

    expect(page.get_by_role("heading", name="Recovery codes")).to_be_visible()
    violations.collect()
    page.get_by_role("link", name="Continue to the admin").click()
    expect(page.locator("#dashboard")).to_be_visible()
    violations.visit("/accounts/2fa/")

    assert not violations.found, "\n".join(violations.found)


def test_admin_pages_break_no_rule_of_the_policy(page, violations):
    superuser = StaffFactory(is_superuser=True)
    trainee = TraineeFactory(legal_name="Ada Trainee", verified_email=True)
    session = session_of("module-1", 6)
    order = paid_order(trainee, session)
    _admin_sign_in(page, violations, superuser)

    for path in (
        reverse("admin:index"),
        reverse("admin:catalog_session_changelist"),
        reverse("admin:catalog_session_change", args=[session.pk]),
        reverse("admin:registration_rosterentry_changelist") + f"?session__id__exact={session.pk}",
        reverse("admin:registration_rosterentry_certificates", args=[session.pk]),
        reverse("admin:registration_order_change", args=[order.pk]),
        reverse("admin:registration_order_changelist"),
        reverse("admin:certificates_evaluation_changelist"),
        reverse("admin:certificates_evaluation_summary", args=[session.pk]),
        reverse("admin:catalog_offering_change", args=[session.offering_id]),
    ):
        violations.visit(path)

    assert not violations.found, "\n".join(violations.found)
