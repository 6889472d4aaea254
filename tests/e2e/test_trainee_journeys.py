"""Trainees' journeys in a real browser: sign up and pay, nurse's BRN CE, Module 1 first,
keyboard only, the error summary, and the site with JavaScript off."""

import re

import pytest
from playwright.sync_api import Locator, Page, expect

from registration.models import Order
from tests.e2e.conftest import TIMEOUT_MS
from tests.e2e.journeys import (
    audit,
    cart_item,
    choose_ce,
    confirmation_email,
    fill_profile,
    open_offering,
    pay_by_card,
    quote_total,
    register,
    sign_in,
    verified_account,
)
from tests.factories import PASSWORD
from tests.registration.flows import session_of

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("catalog", "before_season"),
]

MODULE_1_FIRST = (
    "Module 1 is required before Module 3: add a session of Module 1 that ends before this "
    "one starts, or ask the training coordinator about a waiver."
)


def test_new_lmft_signs_up_and_pays_for_modules_1_and_2_with_apa_ce(
    live_server, page, fake_stripe, mailoutbox, screenshot
):
    email = "jordan.lee@example.com"
    page.goto(f"{live_server.url}/accounts/signup/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Create an account")
    audit(page, "sign-up form")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_label("Password (again)").fill(PASSWORD)
    page.get_by_role("button", name="Create account").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Check your email")
    audit(page, "verification sent")

    (verification,) = mailoutbox
    assert verification.to == [email]
    link = re.search(r"https?://\S+/accounts/confirm-email/\S+", verification.body)
    assert link, verification.body
    page.goto(link[0])
    expect(page.get_by_role("heading", level=1)).to_have_text("Confirm your email address")
    expect(page.get_by_role("main")).to_contain_text(email)
    audit(page, "confirm email")
    page.get_by_role("button", name="Confirm email address").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Your profile")
    audit(page, "profile form")
    fill_profile(
        page,
        legal_name="Jordan A. Lee",
        credentials="LMFT",
        profession="Licensed Marriage and Family Therapist (LMFT)",
    )
    page.get_by_label("License number").fill("LMFT 123456")
    page.get_by_role("button", name="Save profile").click()
    expect(page.get_by_role("status")).to_have_text("Your profile was saved.")
    expect(page.get_by_role("heading", level=1)).to_have_text("My trainings")
    audit(page, "my trainings after the profile")

    open_offering(page, "module-1")
    module_1 = register(page, "module-1", 6)
    expect(module_1).to_contain_text("Mon, Jun 21, 2027 · 9:00 AM – 5:00 PM PT")
    choose_ce(page, module_1, "APA CE")
    open_offering(page, "module-2")
    module_2 = register(page, "module-2", 7)
    expect(module_2).to_contain_text("Sat, Jul 31, 2027 · 9:00 AM – 5:00 PM PT")
    choose_ce(page, module_2, "APA CE")
    expect(cart_item(page, "Module 1").get_by_label("APA CE")).to_be_checked()
    expect(page.locator(".cart-item").get_by_text("Cannot register")).to_have_count(0)
    expect(quote_total(page)).to_contain_text("$858")
    screenshot(page, "cart")

    pay_by_card(page, "$858.00")
    receipt = page.get_by_role("table")
    expect(receipt).to_contain_text("Module 1: Introductory Workshop on Ketamine-Assisted")
    expect(receipt).to_contain_text("Module 2: Intermediate Workshop on Focused Clinical Issues")
    expect(receipt.get_by_text("APA CE: 8 CE credits")).to_have_count(2)
    expect(receipt.locator("tfoot")).to_contain_text("$858")
    screenshot(page, "confirmation")

    order = Order.objects.get(trainee__email=email)
    assert order.status == Order.Status.PAID and order.total_cents == 85800
    confirmation = confirmation_email(mailoutbox, order)
    assert confirmation.to == [email]
    assert confirmation.subject == f"Your registration is confirmed ({order.code})"
    body = confirmation.body
    assert "Hello Jordan A. Lee," in body
    assert "Mon, Jun 21, 2027 · 9:00 AM – 5:00 PM PT" in body
    assert "Sat, Jul 31, 2027 · 9:00 AM – 5:00 PM PT" in body
    assert body.count("APA CE: 8 CE credits") == 2
    assert "Total paid: $858" in body
    assert sorted(name for name, _content, _type in confirmation.attachments) == [
        "module-1-2027-06-21.ics",
        "module-2-2027-07-31.ics",
    ]


def test_california_nurse_buys_brn_ce_once_her_profile_is_complete(
    live_server, page, fake_stripe, mailoutbox
):
    email = "maria.santos@example.com"
    verified_account(email)
    page.goto(f"{live_server.url}/trainings/module-1/")
    audit(page, "module-1 page")
    session = session_of("module-1", 6)
    page.locator(f"#session-{session.pk}").get_by_role("link", name="Sign in to register").click()
    sign_in(page, email)
    expect(page.get_by_role("heading", level=1)).to_have_text(session.offering.title)
    audit(page, "module-1 page, signed in")

    item = register(page, "module-1", 6)
    brn = item.get_by_label("California BRN CE")
    expect(brn).to_be_disabled()
    expect(item).to_contain_text("Please complete your profile with your profession")
    page.get_by_role("link", name="Complete your profile").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Your profile")
    audit(page, "profile form")
    fill_profile(
        page, legal_name="Maria Santos", credentials="RN", profession="Registered Nurse (RN)"
    )
    page.get_by_role("button", name="Save profile").click()
    summary = page.locator("[data-error-summary]")
    expect(summary.get_by_role("link")).to_have_text("License number: Enter your license number.")
    expect(page.locator("#id_license_number")).to_have_attribute("aria-invalid", "true")
    audit(page, "profile with a missing license number")
    page.get_by_label("License number").fill("RN 654321")
    page.get_by_role("button", name="Save profile").click()

    expect(page.get_by_role("status")).to_have_text("Your profile was saved.")
    audit(page, "cart after the profile")
    item = cart_item(page, "Module 1")
    expect(item.get_by_label("APA CE")).to_be_disabled()
    expect(item).to_contain_text("Your license (RN) cannot use APA CE.")
    choose_ce(page, item, "California BRN CE")
    expect(quote_total(page)).to_contain_text("$429")

    pay_by_card(page, "$429.00")
    expect(page.get_by_role("table")).to_contain_text("California BRN CE: 8 contact hours")
    order = Order.objects.get(trainee__email=email)
    assert order.status == Order.Status.PAID
    body = confirmation_email(mailoutbox, order).body
    assert "California BRN CE: 8 contact hours" in body
    assert "Total paid: $429" in body


def test_psychologist_is_refused_module_3_without_module_1_and_told_why(live_server, page):
    email = "sam.rivera@example.com"
    verified_account(email, profession="psychologist", license_number="PSY 12345")
    page.goto(f"{live_server.url}/accounts/login/")
    sign_in(page, email)
    expect(page.get_by_role("heading", level=1)).to_have_text("My trainings")
    audit(page, "my trainings")

    open_offering(page, "module-3")
    module_3 = register(page, "module-3", 8)
    refusal = module_3.get_by_role("alert")
    expect(refusal).to_have_text(f"Cannot register: {MODULE_1_FIRST}")
    expect(page.get_by_role("button", name="Place order")).to_have_count(0)
    expect(page.get_by_text("Resolve the problems shown next to your items")).to_be_visible()

    # Doing what the message says lifts the refusal.
    open_offering(page, "module-1")
    register(page, "module-1", 6)
    expect(cart_item(page, "Module 3").get_by_role("alert")).to_have_count(0)
    expect(page.get_by_role("button", name="Place order")).to_be_visible()


# A focus indicator is an outline or a box shadow (Bootstrap draws some focus rings as one).
FOCUS_STATE = """() => {
  const el = document.activeElement;
  const style = getComputedStyle(el);
  const outlined = style.outlineStyle !== "none" && parseFloat(style.outlineWidth) > 0;
  return {
    name: `${el.tagName.toLowerCase()} ${(el.innerText || el.id || el.name || "").trim()}`,
    control: el.matches("a[href], button, input, select, textarea"),
    visible: outlined || style.boxShadow !== "none",
  };
}"""


class Keyboard:
    """Tab through a page as a keyboard user does, noting every control whose focus is unseen."""

    def __init__(self, page: Page):
        self.page = page
        self.controls_seen = 0
        self.unseen: list[str] = []

    def tab(self) -> None:
        self.page.keyboard.press("Tab")
        state = self.page.evaluate(FOCUS_STATE)
        if state["control"]:
            self.controls_seen += 1
            if not state["visible"]:
                self.unseen.append(f"{self.page.url}: {state['name']}")

    def tab_to(self, target: Locator, *, limit: int = 80) -> None:
        target.wait_for()
        for _ in range(limit):
            self.tab()
            if target.evaluate("el => el === document.activeElement"):
                return
        pytest.fail(f"{limit} presses of Tab never reached {target}")


def test_keyboard_only_sign_in_register_and_choose_ce(live_server, page):
    email = "ana.cho@example.com"
    verified_account(email, profession="psychologist", license_number="PSY 67890")
    session = session_of("module-1", 6)
    row = page.locator(f"#session-{session.pk}")
    keys = Keyboard(page)
    page.goto(f"{live_server.url}/trainings/module-1/")
    audit(page, "module-1 page")

    keys.tab()
    expect(page.get_by_role("link", name="Skip to main content")).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.get_by_role("main")).to_be_focused()
    keys.tab_to(row.get_by_role("link", name="Sign in to register"))
    page.keyboard.press("Enter")

    expect(page.get_by_role("heading", level=1)).to_have_text("Sign in")
    audit(page, "sign-in form")
    keys.tab_to(page.get_by_label("Email"))
    page.keyboard.type(email)
    keys.tab()
    expect(page.get_by_label("Password", exact=True)).to_be_focused()
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Enter")

    expect(page.get_by_role("heading", level=1)).to_have_text(session.offering.title)
    audit(page, "module-1 page, signed in")
    keys.tab_to(row.get_by_role("button", name="Register"))
    page.keyboard.press("Enter")

    expect(page.get_by_role("heading", level=1)).to_have_text("Your cart")
    audit(page, "cart with module-1")
    item = cart_item(page, "Module 1")
    keys.tab_to(item.get_by_label("No CE: Certificate of Attendance only"))
    page.keyboard.press("ArrowDown")  # arrows move the choice within a radio group
    expect(item.get_by_label("APA CE")).to_be_focused()
    expect(item.get_by_label("APA CE")).to_be_checked()
    keys.tab_to(item.get_by_role("button", name="Update CE"))
    page.keyboard.press("Space")

    expect(item.get_by_label("APA CE")).to_be_checked()
    expect(quote_total(page)).to_contain_text("$429")
    audit(page, "cart with APA CE")
    assert keys.controls_seen >= 5
    assert not keys.unseen, "focus not visible on:\n" + "\n".join(keys.unseen)


def test_signup_errors_are_summarised_at_the_top_and_link_to_their_fields(live_server, page):
    page.goto(f"{live_server.url}/accounts/signup/")
    page.get_by_label("Email").fill("kim.ng@example.com")
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_label("Password (again)").fill(PASSWORD + "!")
    page.get_by_role("button", name="Create account").click()

    summary = page.locator("[data-error-summary]")
    expect(summary).to_be_focused()
    assert page.evaluate(FOCUS_STATE)["visible"], "the focused error summary shows no focus"
    expect(summary.get_by_role("heading")).to_have_text("There is a problem")
    link = summary.get_by_role("link")
    expect(link).to_have_text(
        re.compile(r"^Password \(again\): You must type the same password each time\.$")
    )
    expect(link).to_have_attribute("href", "#id_password2")
    field = page.get_by_label("Password (again)")
    expect(field).to_have_id("id_password2")
    expect(field).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#id_password2_error")).to_contain_text(
        "You must type the same password each time."
    )
    first_field = page.get_by_label("Email").bounding_box()
    assert summary.bounding_box()["y"] < first_field["y"]
    audit(page, "sign-up with mismatched passwords")

    link.click()
    expect(field).to_be_focused()


@pytest.fixture
def page_without_js(browser):
    context = browser.new_context(
        viewport={"width": 1280, "height": 900}, java_script_enabled=False
    )
    context.set_default_timeout(TIMEOUT_MS)
    context.set_default_navigation_timeout(TIMEOUT_MS)
    yield context.new_page()
    context.close()


def test_without_javascript_a_trainee_browses_signs_in_and_fills_the_cart(
    live_server, page_without_js
):
    page = page_without_js
    email = "lee.park@example.com"
    verified_account(email, profession="lmft", license_number="LMFT 24680")
    page.goto(f"{live_server.url}/")
    open_offering(page, "module-1", scripted=False)
    session = session_of("module-1", 6)
    page.locator(f"#session-{session.pk}").get_by_role("link", name="Sign in to register").click()
    sign_in(page, email, scripted=False)
    expect(page.get_by_role("heading", level=1)).to_have_text(session.offering.title)

    item = register(page, "module-1", 6, scripted=False)
    expect(item).to_contain_text("Mon, Jun 21, 2027 · 9:00 AM – 5:00 PM PT")
    expect(quote_total(page)).to_contain_text("$350")
    expect(page.get_by_role("button", name="Place order")).to_be_visible()
