"""The rough edges trainees met (issue 18), each in a real browser: what a trainee sees on a
phone, after the first profile save, when a seat is gone, in the full-training chooser,
before paying, on the Rainfall page, when cancelling late, and in their calendar."""

import re

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from catalog.models import CreditType
from registration.services.cart import cart_add, cart_set_ce
from registration.services.orders import order_mark_paid_offline, order_place
from tests.e2e.test_trainee_journeys import (
    PASSWORD,
    audit,
    fill_profile,
    sign_in,
    verified_account,
)
from tests.registration.flows import session_of

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("catalog", "before_season"),
]

PHONE_WIDTHS = (320, 375)

# Every table of the page, and any scrolling box around one, fits the viewport's width;
# every cell of it ends inside the viewport.
SIDEWAYS = """() => {
  const width = window.innerWidth;
  const found = [];
  const page = document.documentElement.scrollWidth;
  if (page > width) found.push(`the page scrolls sideways (${page} > ${width})`);
  for (const box of document.querySelectorAll("main table, main .table-responsive")) {
    if (box.scrollWidth > box.clientWidth + 1) {
      found.push(`a ${box.tagName.toLowerCase()} scrolls sideways (${box.scrollWidth} > ${box.clientWidth})`);
    }
  }
  for (const cell of document.querySelectorAll("main table th, main table td")) {
    const box = cell.getBoundingClientRect();
    if (box.width > 0 && box.right > width + 0.5) {
      found.push(`"${cell.innerText.trim()}" ends at x=${Math.round(box.right)} > ${width}`);
    }
  }
  return found;
}"""


def signed_in_page(page: Page, live_server, email: str, path: str) -> None:
    page.goto(f"{live_server.url}/accounts/login/?next={path}")
    sign_in(page, email)


def fits_at_phone_widths(page: Page, url: str, totals: list[str], step: str) -> None:
    """At 320 and 375 px the page, its tables and their totals are seen without scrolling."""
    for width in PHONE_WIDTHS:
        page.set_viewport_size({"width": width, "height": 812})
        page.goto(url)
        found = page.evaluate(SIDEWAYS)
        assert not found, f"{step} at {width} px: {found}"
        for total in totals:
            figure = page.locator("main table").get_by_text(total, exact=True).last
            expect(figure).to_be_visible()
            box = figure.bounding_box()
            assert box["x"] >= 0 and box["x"] + box["width"] <= width, (
                f"{step} at {width} px: {total} spans x={box['x']:.0f}..{box['x'] + box['width']:.0f}"
            )
        audit(page, f"{step} at {width} px")


def test_money_tables_show_their_totals_at_320_and_375_px(live_server, page):
    email = "rosa.diaz@example.com"
    trainee = verified_account(email, profession="lmft", license_number="LMFT 13579")
    apa = CreditType.objects.get(code="apa")
    now = timezone.now()
    for slug, month in (("module-1", 6), ("module-2", 7)):
        item = cart_add(trainee=trainee, session=session_of(slug, month))
        cart_set_ce(
            trainee=trainee, item_id=item.pk, credit_type=apa, notice_acknowledged=True, now=now
        )
    paid = order_mark_paid_offline(
        order=order_place(trainee=trainee, payment_method="offline", now=now), by=None, now=now
    )
    cart_add(trainee=trainee, session=session_of("module-3", 8))
    pending = order_place(trainee=trainee, payment_method="offline", now=now)
    cart_add(trainee=trainee, session=session_of("module-4", 10))

    signed_in_page(page, live_server, email, "/my/")
    expect(page.get_by_role("heading", level=1)).to_have_text("My trainings")
    fits_at_phone_widths(
        page, f"{live_server.url}/orders/{paid.code}/", ["$858"], "paid order's receipt"
    )
    fits_at_phone_widths(
        page, f"{live_server.url}/orders/{pending.code}/", ["$350"], "unpaid order"
    )
    fits_at_phone_widths(page, f"{live_server.url}/cart/", ["$350"], "cart and checkout")


def test_after_the_first_profile_save_a_new_trainee_lands_on_my_trainings_without_an_error(
    live_server, page, mailoutbox
):
    email = "noor.haddad@example.com"
    page.goto(f"{live_server.url}/accounts/signup/")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_label("Password (again)").fill(PASSWORD)
    page.get_by_role("button", name="Create account").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Check your email")
    (verification,) = mailoutbox
    link = re.search(r"https?://\S+/accounts/confirm-email/\S+", verification.body)
    page.goto(link[0])
    page.get_by_role("button", name="Confirm email address").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Your profile")
    fill_profile(
        page,
        legal_name="Noor Haddad",
        credentials="LCSW",
        profession="Licensed Clinical Social Worker (LCSW)",
    )
    page.get_by_label("License number").fill("LCSW 97531")
    page.get_by_role("button", name="Save profile").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("My trainings")
    expect(page.get_by_role("status")).to_have_text("Your profile was saved.")
    expect(page.get_by_text("There is a problem")).to_have_count(0)
    expect(page.locator(".alert-danger")).to_have_count(0)
    audit(page, "My trainings after the first profile save")

    # An empty cart is not a problem either.
    page.goto(f"{live_server.url}/cart/")
    expect(page.get_by_text("Your cart is empty.")).to_be_visible()
    expect(page.get_by_text("There is a problem")).to_have_count(0)
    audit(page, "empty cart")


def test_a_visitor_who_signs_up_from_a_session_returns_to_it(live_server, page, mailoutbox):
    session = session_of("module-1", 6)
    page.goto(f"{live_server.url}/trainings/module-1/")
    page.locator(f"#session-{session.pk}").get_by_role("link", name="Sign in to register").click()
    page.get_by_role("link", name="Create an account").click()
    page.get_by_label("Email").fill("ivan.petrov@example.com")
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_label("Password (again)").fill(PASSWORD)
    page.get_by_role("button", name="Create account").click()
    (verification,) = mailoutbox
    link = re.search(r"https?://\S+/accounts/confirm-email/\S+", verification.body)
    page.goto(link[0])
    page.get_by_role("button", name="Confirm email address").click()

    expect(page.get_by_role("heading", level=1)).to_have_text(session.offering.title)
    expect(page.locator(".alert-danger")).to_have_count(0)
    expect(
        page.locator(f"#session-{session.pk}").get_by_role("button", name="Register")
    ).to_be_visible()
