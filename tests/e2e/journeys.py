"""A trainee's steps in a real browser (Playwright), shared by the e2e journeys: accounts that
can sign in, signing in (or carrying a session), the profile, the catalog, the cart and CE, paying by card."""

import re

from django.conf import settings
from django.test import Client
from playwright.sync_api import Locator, Page, expect

from catalog.models import Offering
from registration.models import Order
from tests.e2e.a11y import assert_accessible
from tests.factories import PASSWORD, TraineeFactory, UserFactory, login_staff
from tests.registration.flows import session_of


def verified_account(
    email: str,
    *,
    profession: str = "",
    license_number: str = "",
    credentials: str = "",
    legal_name: str = "",
):
    """A trainee who confirmed their email earlier, with a California profile if given one."""
    if not profession:
        return UserFactory(email=email, verified_email=True)
    named = {"legal_name": legal_name} if legal_name else {}
    return TraineeFactory(
        email=email,
        verified_email=True,
        profession=profession,
        credentials=credentials,
        license_number=license_number,
        **named,
    )


def signed_in_as(page: Page, live_server, user) -> None:
    """The browser carries the session cookie of the user, signed in now (staff with both
    factors, through login_staff)."""
    client = Client()
    if user.is_staff:
        login_staff(client, user)
    else:
        client.force_login(user)
    cookie = client.cookies[settings.SESSION_COOKIE_NAME]
    page.context.add_cookies([{"name": cookie.key, "value": cookie.value, "url": live_server.url}])


def audit(page: Page, step: str, *, scripted: bool = True) -> None:
    """axe-core on the page as it stands: it runs inside the page, so not where scripts are off."""
    if scripted:
        assert_accessible(page, step)


def sign_in(page: Page, email: str, *, scripted: bool = True) -> None:
    expect(page.get_by_role("heading", level=1)).to_have_text("Sign in")
    audit(page, "sign-in form", scripted=scripted)
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()


def fill_profile(page: Page, *, legal_name: str, credentials: str, profession: str) -> None:
    page.get_by_label("Legal name").fill(legal_name)
    page.get_by_label("Credentials").fill(credentials)
    page.get_by_label("Profession / license type").select_option(label=profession)
    page.get_by_label("License issuing state").select_option(label="California")


def open_offering(page: Page, slug: str, *, scripted: bool = True) -> None:
    """From the catalog on the home page to the offering's own page."""
    page.get_by_role("navigation", name="Main").get_by_role(
        "link", name="Trainings", exact=True
    ).click()
    expect(page.get_by_role("heading", name="Didactic modules")).to_be_visible()
    audit(page, "catalog", scripted=scripted)
    title = Offering.objects.get(slug=slug).title
    page.locator(f"#offering-{slug}").get_by_role("link", name=title).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(title)
    audit(page, f"{slug} page", scripted=scripted)


def register(page: Page, slug: str, month: int, *, scripted: bool = True) -> Locator:
    """Press the session's Register button; returns its item in the cart."""
    session = session_of(slug, month)
    page.locator(f"#session-{session.pk}").get_by_role("button", name="Register").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Your cart")
    expect(page.get_by_role("status")).to_contain_text("is in your cart")
    audit(page, f"cart with {slug}", scripted=scripted)
    return cart_item(page, session.offering.label)


def cart_item(page: Page, label: str) -> Locator:
    return page.get_by_role("region", name=re.compile(rf"^{label}: "))


def choose_ce(page: Page, item: Locator, credit_type: str) -> None:
    item.get_by_label(credit_type).check()
    item.get_by_role("button", name="Update CE").click()
    expect(item.get_by_label(credit_type)).to_be_checked()
    audit(page, f"cart with {credit_type}")


def quote_total(page: Page) -> Locator:
    quote = page.get_by_role("region", name="Your quote")
    return quote.get_by_role("row", name=re.compile(r"^Total "))


def pay_by_card(page: Page, total: str) -> None:
    """Place the order by card, pay on Stripe's hosted page, come back to the order."""
    expect(page.get_by_label("Card, on Stripe's secure payment page")).to_be_checked()
    page.get_by_role("button", name="Place order").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Pay Polaris Insight Center")
    expect(page.get_by_text("Total due:")).to_contain_text(total)
    page.get_by_role("button", name=f"Pay {total}").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Paid")
    expect(page.get_by_text("Your registration is confirmed.")).to_be_visible()
    audit(page, "order confirmation")


def confirmation_email(mailoutbox, order: Order):
    sent = [m for m in mailoutbox if m.subject.endswith(f"({order.code})")]
    assert len(sent) == 1, [m.subject for m in mailoutbox]
    return sent[0]
