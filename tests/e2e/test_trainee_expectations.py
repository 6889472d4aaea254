"""What trainees expect, in a real browser: their name when signed in, full dates marked on
the home page with a way onto the waitlist, the refund policy and CE for every module in the
cart, My trainings in Upcoming and Past, the waitlist offer's link, evaluation pages that
fit the module; and the emails as HTML read on a 375 px phone (screenshots under
artifacts/screenshots/, copied to docs/screenshots/ for the README)."""

import re
from datetime import datetime, timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from catalog.formatting import PACIFIC
from catalog.models import Session
from certificates.models import Certificate, Evaluation
from certificates.services.delivery import certificate_message
from certificates.services.issuing import certificate_issue
from certificates.tasks import evaluation_requests_send
from registration.models import Enrolment, WaitlistEntry
from registration.services.cart import cart_choose_bundle
from registration.services.enrolments import enrolment_cancel
from registration.services.waitlist import waitlist_join
from tests.e2e.a11y import assert_accessible
from tests.e2e.conftest import TIMEOUT_MS
from tests.e2e.journeys import sign_in, signed_in_as, verified_account
from tests.factories import EnrolmentFactory
from tests.registration.flows import bundle_choice, paid_order, session_of

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("catalog", "before_season"),
]

PHONE = {"width": 375, "height": 812}


# The trainees here confirmed their email earlier and hold a California license.
PSYCHOLOGIST = {"profession": "psychologist", "credentials": "PhD", "license_number": "PSY 31415"}


def no_sideways_scroll(page: Page, what: str) -> None:
    scroll_width, inner_width = page.evaluate(
        "[document.documentElement.scrollWidth, window.innerWidth]"
    )
    assert scroll_width <= inner_width, f"{what} scrolls sideways at {inner_width} px"


def show_email(browser, message, name: str, screenshot) -> Page:
    """The email's HTML part as a mail app on a 375 px phone shows it; saved as a screenshot."""
    ((html, mimetype),) = message.alternatives
    assert mimetype == "text/html"
    context = browser.new_context(viewport=PHONE, java_script_enabled=False)
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    page.set_content(html)
    no_sideways_scroll(page, name)
    # Text a phone shows at a readable size: nothing under 13 px.
    smallest = page.evaluate(
        "Math.min(...[...document.querySelectorAll('body *')]"
        ".filter(e => e.childNodes.length && [...e.childNodes].some(n => n.nodeType === 3 && n.textContent.trim()))"
        ".map(e => parseFloat(getComputedStyle(e).fontSize)))"
    )
    assert smallest >= 13, f"{name}: text of {smallest} px"
    screenshot(page, name)
    return page


# --------------------------------------------------------------------------------------


def test_the_sign_in_message_names_the_trainee(live_server, page):
    verified_account("qa.lmft1@example.com", legal_name="Quinn A. Morales", **PSYCHOLOGIST)
    page.goto(f"{live_server.url}/accounts/login/")
    sign_in(page, "qa.lmft1@example.com")

    expect(page.get_by_text("Successfully signed in as Quinn A. Morales.")).to_be_visible()
    expect(page.get_by_text("signed in as qa.lmft1.")).to_have_count(0)


def test_a_full_date_on_the_home_page_leads_onto_its_waitlist(live_server, page):
    music = Session.objects.filter(offering__slug="music-module").order_by("starts_at")[0]
    music.capacity = 1
    music.save()
    EnrolmentFactory(session=music, status="confirmed")
    user = verified_account("waiting.one@example.com", legal_name="Rosa M. Alvarez", **PSYCHOLOGIST)
    signed_in_as(page, live_server, user)

    page.goto(f"{live_server.url}/")
    card = page.locator("article", has=page.locator("#offering-music-module"))
    expect(card).to_contain_text(f"{music.when} · Full")
    assert_accessible(page, "home page with a full date")
    card.get_by_role("button", name=re.compile("^Join waitlist for Music Module")).click()

    expect(page.get_by_text("You are on the waitlist for")).to_be_visible()
    assert WaitlistEntry.objects.get(trainee=user).session == music


def test_the_cart_states_the_refund_policy_and_adds_ce_to_every_module_at_once(live_server, page):
    user = verified_account(
        "full.training@example.com", legal_name="Rosa M. Alvarez", **PSYCHOLOGIST
    )
    cart_choose_bundle(
        trainee=user,
        bundle=session_of("module-1", 6).offering.bundles.get(),
        sessions=list(Session.objects.filter(pk__in=bundle_choice().values())),
        now=timezone.now(),
    )
    signed_in_as(page, live_server, user)
    page.goto(f"{live_server.url}/cart/")

    policy = page.get_by_role("region", name="Refund and cancellation policy")
    expect(policy).to_contain_text("The administrative fee is not refundable.")
    every = page.get_by_role("region", name="CE for every module")
    expect(every).to_contain_text("7 trainings, $553 in all")
    assert_accessible(page, "cart of the full training")
    every.get_by_role("button", name="Add APA CE to every module").click()

    expect(page.get_by_text("APA CE is added to each of your 7 trainings.")).to_be_visible()
    expect(page.locator(".cart-item input[value=apa]:checked")).to_have_count(7)
    expect(page.get_by_role("region", name="Your quote")).to_contain_text("$3,103")
    assert_accessible(page, "cart with CE for every module")


def test_my_trainings_shows_upcoming_and_past_with_their_states(
    live_server, page, before_season, screenshot
):
    user = verified_account(
        "rosa.alvarez@example.com", legal_name="Rosa M. Alvarez", **PSYCHOLOGIST
    )
    june, july = session_of("module-1", 6), session_of("module-2", 7)
    music, august = session_of("music-module", 7), session_of("module-7", 8)
    Session.objects.filter(pk=august.pk).update(zoom_url="https://zoom.us/j/81234567890")
    Session.objects.filter(pk=music.pk).update(zoom_url="https://zoom.us/j/81234567891")
    order = paid_order(user, june, july, music, august)
    enrolment = {e.session_id: e for e in Enrolment.objects.filter(order_line__order=order)}
    before_season.move_to(datetime(2027, 8, 19, 10, 0, tzinfo=PACIFIC))
    Enrolment.objects.filter(pk=enrolment[june.pk].pk).update(attendance="attended")
    Enrolment.objects.filter(pk=enrolment[july.pk].pk).update(attendance="partial")
    Enrolment.objects.filter(pk=enrolment[music.pk].pk).update(attendance="attended")
    Evaluation.objects.create(
        enrolment=enrolment[june.pk],
        requested_at=timezone.now(),
        submitted_at=timezone.now(),
        overall_rating=5,
    )
    certificate_issue(
        enrolment=Enrolment.objects.get(pk=enrolment[june.pk].pk),
        kind=Certificate.Kind.ATTENDANCE,
        now=timezone.now(),
    )
    signed_in_as(page, live_server, user)

    page.goto(f"{live_server.url}/my/")
    upcoming = page.get_by_role("region", name="Upcoming")
    past = page.get_by_role("region", name="Past")
    expect(upcoming).to_contain_text("Module 7")
    expect(upcoming).to_contain_text("Confirmed")
    expect(upcoming.get_by_role("link", name=re.compile("^Join on Zoom"))).to_have_attribute(
        "href", "https://zoom.us/j/81234567890"
    )
    june_row = past.locator(f"#training-{enrolment[june.pk].pk}")
    expect(june_row).to_contain_text("Attended")
    expect(june_row).to_contain_text("Certificate ready")
    expect(june_row.get_by_role("link", name="Certificate of Attendance (PDF)")).to_be_visible()
    july_row = past.locator(f"#training-{enrolment[july.pk].pk}")
    expect(july_row).to_contain_text("Partial attendance")
    expect(july_row).to_contain_text("partial attendance earns no certificate")
    music_row = past.locator(f"#training-{enrolment[music.pk].pk}")
    expect(music_row).to_contain_text("Evaluation due")
    expect(page.get_by_text("Confirmed", exact=True)).to_have_count(1)  # Module 7 only
    assert_accessible(page, "My trainings")
    screenshot(page, "my-trainings")

    music_row.get_by_role("link", name=re.compile("^Evaluate this course")).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Course evaluation")
    expect(
        page.get_by_text("Please rate each instructor, and tell us what was useful")
    ).to_be_visible()
    expect(page.get_by_text(re.compile("objective", re.I))).to_have_count(0)
    assert_accessible(page, "Music Module evaluation")


def test_the_waitlist_offer_email_takes_the_seat_in_one_click(
    live_server, page, browser, mailoutbox, screenshot
):
    june = session_of("module-1", 6)
    Session.objects.filter(pk=june.pk).update(capacity=1)
    june.refresh_from_db()
    holder = verified_account("holder@example.com", legal_name="Holder Person", **PSYCHOLOGIST)
    paid_order(holder, june)
    waiter = verified_account("sam.okafor@example.com", legal_name="Sam Okafor", **PSYCHOLOGIST)
    waitlist_join(trainee=waiter, session=june, now=timezone.now())
    mailoutbox.clear()
    enrolment_cancel(
        enrolment=Enrolment.objects.get(session=june, trainee=holder),
        by=holder,
        now=timezone.now(),
    )
    (offer,) = [m for m in mailoutbox if m.subject.startswith("A seat opened")]
    email_page = show_email(browser, offer, "email-waitlist-offer", screenshot)
    link = email_page.get_by_role("link", name="Take the seat").get_attribute("href")
    email_page.context.close()

    signed_in_as(page, live_server, waiter)
    page.goto(link.replace("http://127.0.0.1:8000", live_server.url))
    expect(page.get_by_role("heading", level=1)).to_have_text("Take the seat")
    expect(page.get_by_text("held for you until Sunday, January 17, 10:00 AM PT")).to_be_visible()
    assert_accessible(page, "take the seat")
    page.get_by_role("button", name="Take the seat").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Your cart")
    expect(page.get_by_text("The seat is in your cart")).to_be_visible()
    page.goto(link.replace("http://127.0.0.1:8000", live_server.url))
    expect(page.get_by_text("This link was used already")).to_be_visible()
    assert_accessible(page, "a used offer link")


def test_the_emails_read_on_a_phone(live_server, browser, before_season, mailoutbox, screenshot):
    user = verified_account("ana.reyes@example.com", legal_name="Ana Reyes", **PSYCHOLOGIST)
    june = session_of("module-1", 6)
    Session.objects.filter(pk=june.pk).update(zoom_url="https://zoom.us/j/81234567890")
    order = paid_order(user, june, session_of("music-module", 7), method="offline")
    confirmation = next(m for m in mailoutbox if m.subject.endswith(f"({order.code})"))
    show_email(browser, confirmation, "email-confirmation", screenshot).context.close()

    enrolment = Enrolment.objects.get(session=june, trainee=user)
    Enrolment.objects.filter(pk=enrolment.pk).update(attendance="attended")
    mailoutbox.clear()
    before_season.move_to(june.ends_at + timedelta(minutes=10))
    evaluation_requests_send()
    request = next(m for m in mailoutbox if "Your course evaluation" in m.subject)
    show_email(browser, request, "email-evaluation-request", screenshot).context.close()

    certificate = certificate_issue(
        enrolment=Enrolment.objects.get(pk=enrolment.pk),
        kind=Certificate.Kind.ATTENDANCE,
        now=timezone.now(),
    )
    message = certificate_message(certificate, pdf=b"%PDF-1.7 sample")
    page = show_email(browser, message, "email-certificate", screenshot)
    expect(page.get_by_text("Dear Ana Reyes,")).to_be_visible()
    expect(page.get_by_role("link", name="My trainings and certificates")).to_be_visible()
    page.context.close()


def test_the_receipt_on_a_phone(live_server, browser, screenshot):
    user = verified_account("phone.receipt@example.com", legal_name="Phone Reader", **PSYCHOLOGIST)
    order = paid_order(user, session_of("module-1", 6), session_of("music-module", 7))
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    signed_in_as(page, live_server, user)

    page.goto(f"{live_server.url}/orders/{order.code}/")
    expect(page.get_by_role("heading", level=1)).to_contain_text(order.code)
    expect(page.get_by_role("region", name="Refund and cancellation policy")).to_be_visible()
    assert_accessible(page, "receipt with the refund policy")
    # The receipt's own layout at phone width is the phone receipt's fix (issue 18, defect 1).
    page.set_viewport_size(PHONE)
    screenshot(page, "receipt-phone")
    context.close()


@pytest.fixture
def page_without_js(browser):
    context = browser.new_context(
        viewport={"width": 1280, "height": 900}, java_script_enabled=False
    )
    context.set_default_timeout(TIMEOUT_MS)
    yield context.new_page()
    context.close()


def test_without_javascript_ce_for_every_module_and_the_offer_link_work(
    live_server, page_without_js, mailoutbox
):
    page = page_without_js
    user = verified_account("no.script@example.com", legal_name="Rosa M. Alvarez", **PSYCHOLOGIST)
    cart_choose_bundle(
        trainee=user,
        bundle=session_of("module-1", 6).offering.bundles.get(),
        sessions=list(Session.objects.filter(pk__in=bundle_choice().values())),
        now=timezone.now(),
    )
    page.goto(f"{live_server.url}/accounts/login/")
    sign_in(page, user.email, scripted=False)
    page.goto(f"{live_server.url}/cart/")
    page.get_by_role("button", name="Add APA CE to every module").click()
    expect(page.get_by_text("APA CE is added to each of your 7 trainings.")).to_be_visible()

    music = session_of("music-module", 7)
    Session.objects.filter(pk=music.pk).update(capacity=1)
    music.refresh_from_db()
    holder = verified_account("holder.two@example.com", legal_name="Holder Two", **PSYCHOLOGIST)
    paid_order(holder, music)
    waitlist_join(trainee=user, session=music, now=timezone.now())
    enrolment_cancel(
        enrolment=Enrolment.objects.get(session=music, trainee=holder),
        by=holder,
        now=timezone.now(),
    )
    (offer,) = [m for m in mailoutbox if m.subject.startswith("A seat opened")]
    path = re.search(r"/waitlist/take/\S+/", offer.body)[0]
    page.goto(f"{live_server.url}{path}")
    page.get_by_role("button", name="Take the seat").click()
    expect(page.get_by_text("The seat is in your cart")).to_be_visible()
