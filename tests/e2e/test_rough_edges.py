"""The rough edges trainees met (issue 18), each in a real browser: what a trainee sees on a
phone, after the first profile save, when a seat is gone, in the full-training chooser,
before paying, on the Rainfall page, when cancelling late, and in their calendar."""

import re
from datetime import timedelta

import pytest
from django.utils import timezone
from icalendar import Calendar, Event
from playwright.sync_api import Page, expect

from catalog.models import CreditType
from registration.models import CartItem, Enrolment, Order
from registration.services.cart import cart_add, cart_set_ce
from registration.services.orders import order_mark_paid_offline, order_place
from tests.e2e.conftest import TIMEOUT_MS
from tests.e2e.journeys import audit, fill_profile, sign_in, verified_account
from tests.factories import PASSWORD
from tests.registration.flows import fill, session_of

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("catalog", "before_season"),
]

PHONE_WIDTHS = (320, 375)
LMFT = "Licensed Marriage and Family Therapist (LMFT)"

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


@pytest.fixture
def page_without_js(browser):
    context = browser.new_context(
        viewport={"width": 1280, "height": 900}, java_script_enabled=False
    )
    context.set_default_timeout(TIMEOUT_MS)
    yield context.new_page()
    context.close()


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
        item = cart_add(trainee=trainee, session=session_of(slug, month), now=now)
        cart_set_ce(
            trainee=trainee, item_id=item.pk, credit_type=apa, notice_acknowledged=True, now=now
        )
    paid = order_mark_paid_offline(
        order=order_place(trainee=trainee, payment_method="offline", now=now), by=None, now=now
    )
    cart_add(trainee=trainee, session=session_of("module-3", 8), now=now)
    pending = order_place(trainee=trainee, payment_method="offline", now=now)
    cart_add(trainee=trainee, session=session_of("module-4", 10), now=now)

    signed_in_page(page, live_server, email, "/my/")
    expect(page.get_by_role("heading", level=1)).to_have_text("My trainings")
    fits_at_phone_widths(
        page, f"{live_server.url}/orders/{paid.code}/", ["$858"], "paid order's receipt"
    )
    fits_at_phone_widths(
        page, f"{live_server.url}/orders/{pending.code}/", ["$350"], "unpaid order"
    )
    fits_at_phone_widths(page, f"{live_server.url}/cart/", ["$350"], "cart and checkout")
    fits_at_phone_widths(
        page, f"{live_server.url}/programs/full-training/", ["$2,550"], "full training page"
    )
    fits_at_phone_widths(page, f"{live_server.url}/trainings/module-1/", [], "module 1 page")


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


def test_a_refused_add_says_so_at_the_top_in_the_error_style(live_server, page):
    email = "omar.farouk@example.com"
    trainee = verified_account(email, profession="lmft", license_number="LMFT 11223")
    session = session_of("module-1", 6)
    signed_in_page(page, live_server, email, "/trainings/module-1/")
    register = page.locator(f"#session-{session.pk}").get_by_role("button", name="Register")
    expect(register).to_be_visible()
    fill(session)  # the last seat goes while the trainee reads the page

    register.click()

    expect(page.get_by_role("heading", level=1)).to_have_text(session.offering.title)
    refusal = page.get_by_role("alert").filter(has_text="session is full")
    expect(refusal).to_have_text("This Module 1 session is full. You can join its waitlist.")
    expect(refusal).to_have_class(re.compile(r"\balert-danger\b"))
    assert refusal.bounding_box()["y"] < page.get_by_role("heading", level=1).bounding_box()["y"]
    expect(page.get_by_text("is in your cart")).to_have_count(0)
    expect(page.locator(".alert-success")).to_have_count(0)
    assert not CartItem.objects.filter(trainee=trainee).exists()
    audit(page, "module-1 page after a refused add")


def test_the_rainfall_page_says_once_who_can_register(live_server, page):
    page.goto(f"{live_server.url}/trainings/rainfall-medical-module/")
    who = page.get_by_role("region", name="Who can register")
    expect(who).to_contain_text("Medical providers only: Physician (MD), Physician (DO)")
    expect(page.get_by_role("main")).not_to_contain_text("Open registration")
    expect(page.locator("header .access-badge")).to_have_text("Medical providers only")
    audit(page, "Rainfall page")

    page.goto(f"{live_server.url}/")
    card = page.locator(".card", has=page.locator("#offering-rainfall-medical-module"))
    expect(card).to_contain_text("Medical providers only")
    audit(page, "home page")


def paid_enrolment(email: str, slug: str, month: int):
    """A trainee with a complete profile whose registration for the session is paid."""
    trainee = verified_account(email, profession="lmft", license_number="LMFT 44556")
    now = timezone.now()
    cart_add(trainee=trainee, session=session_of(slug, month), now=now)
    order = order_mark_paid_offline(
        order=order_place(trainee=trainee, payment_method="offline", now=now), by=None, now=now
    )
    return trainee, Enrolment.objects.get(order_line__order=order)


def test_after_the_cancellation_deadline_the_trainee_is_offered_what_they_can_do(
    live_server, page, before_season
):
    email = "lena.berg@example.com"
    _trainee, enrolment = paid_enrolment(email, "module-1", 6)
    before_season.move_to(enrolment.session.starts_at - timedelta(days=10))
    signed_in_page(page, live_server, email, "/my/")

    expect(page.get_by_role("heading", level=1)).to_have_text("My trainings")
    entry = page.locator("li.training")
    expect(entry.get_by_role("link", name="Cancel")).to_have_count(0)
    expect(entry).to_contain_text("Cancellations closed on Mon, Jun 7, 2027")
    expect(entry.get_by_role("link", name="Change date")).to_be_visible()
    audit(page, "My trainings after the cancellation deadline")

    page.goto(f"{live_server.url}/enrolments/{enrolment.pk}/cancel/")
    main = page.get_by_role("main")
    expect(main).to_contain_text("The cancellation deadline has passed")
    expect(main).not_to_contain_text("ask the training coordinator to move you")
    expect(main).to_contain_text("You can still change to another date of this training.")
    audit(page, "late cancel page")
    page.get_by_role("link", name="Change date").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Change date")
    page.get_by_label(re.compile(r"^Mon, Oct 18, 2027")).check()
    page.get_by_role("button", name="Transfer to this date").click()
    expect(page.get_by_role("status")).to_contain_text("You are now registered for Mon, Oct 18")


def calendar_entry(message) -> tuple[Calendar, Event]:
    """The one calendar file an email carries, and its one event."""
    (calendar,) = [
        Calendar.from_ical(content)
        for _name, content, mimetype in message.attachments
        if mimetype.startswith("text/calendar")
    ]
    (event,) = calendar.walk("VEVENT")
    return calendar, event


def test_a_moved_then_cancelled_registration_updates_and_then_removes_one_calendar_entry(
    live_server, page, mailoutbox
):
    email = "theo.martin@example.com"
    paid_enrolment(email, "module-1", 6)
    june, october = session_of("module-1", 6), session_of("module-1", 10)
    (confirmation,) = [m for m in mailoutbox if "is confirmed" in m.subject]
    calendar, first = calendar_entry(confirmation)
    assert calendar["METHOD"] == "REQUEST"
    assert first.decoded("DTSTART") == june.starts_at
    assert first.get("SEQUENCE", 0) == 0

    signed_in_page(page, live_server, email, "/my/")
    page.get_by_role("link", name="Change date").click()
    page.get_by_label(re.compile(r"^Mon, Oct 18, 2027")).check()
    page.get_by_role("button", name="Transfer to this date").click()
    expect(page.get_by_role("status")).to_contain_text("You are now registered for Mon, Oct 18")

    (moved,) = [m for m in mailoutbox if m.subject.startswith("Your new date")]
    calendar, update = calendar_entry(moved)
    assert calendar["METHOD"] == "REQUEST"
    assert str(update["UID"]) == str(first["UID"])
    assert update["SEQUENCE"] > first.get("SEQUENCE", 0)
    assert update.decoded("DTSTART") == october.starts_at

    page.get_by_role("link", name="Cancel").click()
    page.get_by_role("button", name="Cancel my registration").click()
    expect(page.get_by_role("status")).to_contain_text("is cancelled")

    (cancellation,) = [m for m in mailoutbox if "is cancelled" in m.subject]
    calendar, removal = calendar_entry(cancellation)
    assert calendar["METHOD"] == "CANCEL"
    assert str(removal["UID"]) == str(first["UID"])
    assert removal["SEQUENCE"] > update["SEQUENCE"]
    assert removal["STATUS"] == "CANCELLED"
    assert removal.decoded("DTSTART") == october.starts_at


@pytest.mark.parametrize("scripted", [True, False], ids=["with JavaScript", "without JavaScript"])
def test_a_trainee_without_a_profile_gives_their_legal_name_and_license_before_paying(
    live_server, browser, scripted
):
    context = browser.new_context(
        viewport={"width": 1280, "height": 900}, java_script_enabled=scripted
    )
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    email = "kai.nakamura@example.com"
    trainee = verified_account(email)
    session = session_of("module-1", 6)
    page.goto(f"{live_server.url}/accounts/login/?next=/trainings/module-1/")
    sign_in(page, email, scripted=scripted)
    page.locator(f"#session-{session.pk}").get_by_role("button", name="Register").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Your cart")
    page.get_by_role("button", name="Place order").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Your profile")
    expect(page.get_by_role("status")).to_contain_text(
        "Before you pay: your certificates need your legal name and license"
    )
    assert not Order.objects.filter(trainee=trainee).exists()
    audit(page, "profile asked for at checkout", scripted=scripted)
    fill_profile(page, legal_name="Kai Nakamura", credentials="LMFT", profession=LMFT)
    page.get_by_label("License number").fill("LMFT 86420")
    page.get_by_role("button", name="Save profile").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Your cart")
    page.get_by_role("button", name="Place order").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Order")
    order = Order.objects.get(trainee=trainee)
    assert order.status == Order.Status.PENDING
    context.close()


def note_of(page: Page, choice) -> str:
    return page.locator(f"#{choice.get_attribute('id')}_note").inner_text().strip()


def test_the_full_training_chooser_marks_dates_before_every_module_1_date(live_server, page):
    email = "ada.obi@example.com"
    verified_account(email, profession="lmft", license_number="LMFT 99881")
    signed_in_page(page, live_server, email, "/programs/full-training/choose/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Full KAP Training: Modules 1–7")

    for slug, month in (("module-3", 5), ("module-4", 6), ("module-5", 5), ("module-5", 6)):
        choice = pick(page, slug, month)
        expect(choice).to_be_disabled()
        assert note_of(page, choice) == "Before every Module 1 date: Module 1 is required first."
    expect(pick(page, "module-3", 8)).to_be_enabled()
    audit(page, "full-training chooser")

    # Picking the October Module 1 rules out what comes before it, and says why.
    pick(page, "module-1", 10).check()
    why = "Before your Module 1 date (Mon, Oct 18, 2027): Module 1 is required first."
    for slug, month in (("module-2", 7), ("module-3", 8), ("module-4", 10), ("module-7", 8)):
        choice = pick(page, slug, month)
        expect(choice).to_be_disabled()
        assert note_of(page, choice) == why
    expect(pick(page, "module-6", 12)).to_be_enabled()
    audit(page, "chooser with the October Module 1")

    # The June Module 1 opens them again.
    pick(page, "module-1", 6).check()
    expect(pick(page, "module-2", 7)).to_be_enabled()
    assert note_of(page, pick(page, "module-2", 7)) == ""


def pick(page: Page, slug: str, month: int):
    session = session_of(slug, month)
    dates = page.get_by_role("group", name=session.offering.display_title, exact=True)
    return dates.get_by_label(session.when, exact=True)


def test_without_javascript_an_impossible_date_is_refused_next_to_its_field(
    live_server, page_without_js
):
    page = page_without_js
    email = "bo.lind@example.com"
    trainee = verified_account(email, profession="lmft", license_number="LMFT 77665")
    page.goto(f"{live_server.url}/accounts/login/?next=/programs/full-training/choose/")
    sign_in(page, email, scripted=False)
    expect(pick(page, "module-3", 5)).to_be_disabled()
    dates = {
        "module-1": 10,
        "module-2": 7,
        "module-3": 8,
        "module-4": 10,
        "module-5": 9,
        "module-6": 12,
        "module-7": 8,
    }
    for slug, month in dates.items():
        pick(page, slug, month).check()
    page.get_by_role("button", name="Add to cart").click()

    module_2 = session_of("module-2", 7).offering
    error = page.locator(f"#id_offering_{module_2.pk}_error")
    expect(error).to_have_text(
        "Module 2 on Sat, Jul 31, 2027 starts before your Module 1 date (Mon, Oct 18, 2027) "
        "ends, and Module 1 is required first: choose a later Module 2 date or an earlier "
        "Module 1 date."
    )
    summary = page.locator("[data-error-summary]")
    expect(summary.get_by_role("link")).to_have_count(5)  # Modules 2, 3, 4, 5 and 7
    expect(page.locator(f"#id_offering_{module_2.pk}")).to_have_attribute(
        "aria-describedby", f"id_offering_{module_2.pk}_error"
    )
    assert not CartItem.objects.filter(trainee=trainee).exists()
