"""Journeys 5–8 in a real browser: the full training, a waitlist offer, the coordinator's roster
and certificates, and the evaluation that issues a CE certificate anyone can verify."""

import re
from datetime import datetime

import pytest
from django.conf import settings as django_settings
from django.core import mail
from django.utils import timezone
from playwright.sync_api import expect

from catalog.models import CreditType
from certificates.models import Certificate
from certificates.services import rendering
from certificates.tasks import evaluation_requests_send
from polaris.pdf import static_roots
from registration.models import Enrolment, Order
from registration.roles import COORDINATOR
from registration.services.attendance import attendance_mark, sign_times_set
from registration.services.cart import cart_add, cart_set_ce
from registration.services.enrolments import enrolment_cancel
from tests.e2e.a11y import assert_accessible
from tests.e2e.journeys import sign_in, signed_in_as
from tests.factories import PASSWORD, StaffFactory, TraineeFactory, totp_code
from tests.pdfs import pdf_text
from tests.registration.flows import FULL_TRAINING, paid_order, session_of
from tests.roster import EVENING_AFTER, at, enrol, roster_url, trainee

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.django_db(transaction=True),
    # The certificates' PDFs go to the test's tmp_path.
    pytest.mark.usefixtures("catalog", "before_season", "media_in_tmp"),
]

# Module 1 runs Mon, Jun 21, 2027, 9 AM – 5 PM PT; the roster is done that evening
# (tests.roster.EVENING_AFTER).
MODULE_1 = "Module 1: Introductory Workshop on Ketamine-Assisted Psychotherapy"


@pytest.fixture(autouse=True)
def _links_to_live_server(settings, live_server):
    """Emails and certificates link to the site under test, so the browser can follow them."""
    settings.SITE_URL = live_server.url


def paid_with_apa_ce(trainee, session) -> Order:
    """The trainee bought the session with APA CE credit, paid offline earlier."""
    item = cart_add(trainee=trainee, session=session, now=timezone.now())
    cart_set_ce(
        trainee=trainee,
        item_id=item.pk,
        credit_type=CreditType.objects.get(code="apa"),
        notice_acknowledged=False,
        now=timezone.now(),
    )
    return paid_order(trainee)


def in_pacific_time(page, moment: datetime) -> None:
    """The browser's clock and time zone are the coordinator's, in California, at `moment`
    (the server's frozen clock): the admin then adds no "you are N hours ahead of the server"
    notes to its time inputs."""
    page.context.new_cdp_session(page).send(
        "Emulation.setTimezoneOverride", {"timezoneId": "America/Los_Angeles"}
    )
    page.clock.set_fixed_time(moment)


def link_in(message, start: str) -> str:
    """The first address in the email's body that starts with `start`."""
    found = re.search(rf"{re.escape(start)}\S*", message.body)
    assert found, f"no link to {start} in:\n{message.body}"
    return found[0]


def messages(page):
    """The messages the site shows at the top of the page after an action."""
    return page.locator("main > [role=status]")


def emails_about(subject: str) -> list:
    return [message for message in mail.outbox if subject in message.subject]


# --------------------------------------------------------------------------------------
# 5. The full training
# --------------------------------------------------------------------------------------


def test_trainee_buys_the_full_training_at_the_bundle_price(live_server, page, settings):
    settings.STRIPE_SECRET_KEY = ""  # paid by invoice or check
    trainee = TraineeFactory(verified_email=True, legal_name="Robin Vale")

    page.goto(f"{live_server.url}/programs/full-training/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Full KAP Training: Modules 1–7")
    expect(page.locator(".price-card tr.table-total")).to_contain_text("$2,550")
    assert_accessible(page, "full training page")

    page.get_by_role("link", name="Sign in to choose your dates").click()
    sign_in(page, trainee.email)

    expect(page).to_have_url(f"{live_server.url}/programs/full-training/choose/")
    expect(page.locator("fieldset")).to_have_count(7)
    assert_accessible(page, "choose the dates")
    for slug, month in FULL_TRAINING.items():
        session = session_of(slug, month)
        dates = page.get_by_role("group", name=session.offering.display_title, exact=True)
        dates.get_by_label(session.when, exact=True).check()
    page.get_by_role("button", name="Add to cart").click()

    expect(page).to_have_url(f"{live_server.url}/cart/")
    expect(messages(page)).to_have_text("Full KAP Training: Modules 1–7 is in your cart.")
    expect(page.locator("section.cart-item")).to_have_count(7)
    quote = page.locator(".price-card table")
    expect(quote.get_by_role("row", name="Full KAP Training: Modules 1–7")).to_contain_text(
        "$2,550"
    )
    expect(quote.get_by_role("row", name="Total")).to_contain_text("$2,550")
    expect(page.get_by_text("Cannot register")).to_have_count(0)
    assert_accessible(page, "cart with the full training")

    page.get_by_role("button", name="Place order").click()

    expect(page.get_by_role("heading", level=1)).to_contain_text("Awaiting payment")
    expect(page.locator("tfoot")).to_contain_text("$2,550")
    expect(page.locator("tbody tr")).to_have_count(7)
    expect(messages(page)).to_contain_text("is placed. Your seats are held until Jan 22, 2027")
    assert_accessible(page, "order placed")
    order = Order.objects.get(trainee=trainee)
    assert (order.total_cents, order.lines.count(), order.status) == (255000, 7, "pending")


# --------------------------------------------------------------------------------------
# 6. A waitlist offer
# --------------------------------------------------------------------------------------


def test_waitlisted_trainee_takes_the_freed_seat_and_pays(live_server, page, fake_stripe):
    june = session_of("module-1", 6)
    june.capacity = 1
    june.save(update_fields=["capacity"])
    holder = TraineeFactory(verified_email=True, legal_name="Sam Holder")
    paid_order(holder, june)
    waiter = TraineeFactory(verified_email=True, legal_name="Wren Waite")
    signed_in_as(page, live_server, waiter)

    page.goto(f"{live_server.url}/trainings/module-1/")
    row = page.locator(f"#session-{june.pk}")
    expect(row).to_contain_text("Full")
    assert_accessible(page, "offering page, session full")
    row.get_by_role("button", name="Join waitlist").click()

    expect(messages(page)).to_contain_text("You are on the waitlist for Module 1")
    assert_accessible(page, "joined the waitlist")

    enrolment_cancel(
        enrolment=Enrolment.objects.get(session=june, trainee=holder),
        by=holder,
        now=timezone.now(),
    )

    [offer] = emails_about("A seat opened in Module 1")
    assert offer.to == [waiter.email]
    assert "We hold it for you until Sunday, January 17, 10:00 AM PT." in offer.body
    page.goto(link_in(offer, f"{live_server.url}/my/"))
    expect(
        page.get_by_text("A seat is held for you until Sun, Jan 17, 10:00 AM PT.")
    ).to_be_visible()
    assert_accessible(page, "my trainings, seat offered")
    page.get_by_role("button", name="Take the seat").click()

    expect(page).to_have_url(f"{live_server.url}/cart/")
    expect(messages(page)).to_contain_text("The seat is in your cart")
    expect(page.locator("section.cart-item")).to_contain_text("Mon, Jun 21, 2027")
    expect(page.get_by_text("Cannot register")).to_have_count(0)
    assert_accessible(page, "cart with the offered seat")
    page.get_by_role("button", name="Place order").click()

    # Stripe's hosted page (faked): not ours, so not checked for accessibility.
    expect(page.get_by_text("Total due: $350.00")).to_be_visible()
    page.get_by_role("button", name=re.compile(r"^Pay ")).click()

    expect(page.get_by_text("Your registration is confirmed.")).to_be_visible()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Paid")
    assert_accessible(page, "order paid")
    page.get_by_role("link", name="Back to My trainings").click()
    expect(page.get_by_role("region", name="Upcoming")).to_contain_text("Mon, Jun 21, 2027")
    expect(page.get_by_role("region", name="Upcoming")).to_contain_text("Confirmed")
    expect(page.get_by_role("heading", name="Waitlists")).to_have_count(0)
    assert_accessible(page, "my trainings, registered")
    assert Enrolment.objects.get(session=june, trainee=waiter).status == "confirmed"


# --------------------------------------------------------------------------------------
# 7. The coordinator's roster and certificates
# --------------------------------------------------------------------------------------


def test_coordinator_marks_attendance_and_issues_the_sessions_certificates(
    live_server, page, before_season, screenshot
):
    june = session_of("module-1", 6)
    trainees = {
        name: TraineeFactory(verified_email=True, legal_name=name, profession=profession)
        for name, profession in (
            ("Ada Abara", "lmft"),
            ("Ben Bell", "lmft"),
            ("Dana Cho", "psychologist"),
        )
    }
    for name, user in trainees.items():
        if name == "Dana Cho":
            paid_with_apa_ce(user, june)
        else:
            paid_order(user, june)
    coordinator = StaffFactory(
        username="jana", first_name="Jana", last_name="Adamova", roles=[COORDINATOR]
    )
    before_season.move_to(EVENING_AFTER)
    mail.outbox.clear()
    in_pacific_time(page, EVENING_AFTER)

    page.goto(f"{live_server.url}/admin/")
    expect(page.get_by_role("button", name="Log in")).to_be_visible()
    assert_accessible(page, "admin sign-in")
    page.get_by_label("Username").fill("jana")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()

    # Staff sign in with two factors: the code from Jana's authenticator app.
    expect(page.get_by_role("heading", name="Two-factor authentication")).to_be_visible()
    assert_accessible(page, "two-factor sign-in")
    page.get_by_label("Code").fill(totp_code(coordinator))
    page.get_by_role("button", name="Sign in", exact=True).click()

    expect(page.get_by_role("heading", name="Training coordination")).to_be_visible()
    assert_accessible(page, "admin dashboard")
    catalog_models = page.get_by_role("table", name="Catalog")
    catalog_models.get_by_role("link", name="Sessions", exact=True).click()

    session_row = page.locator("#result_list tr", has_text="Module 1 · Mon, Jun 21, 2027")
    expect(session_row).to_contain_text("3 / 40")
    assert_accessible(page, "admin sessions")
    session_row.get_by_role("link", name="Roster").click()

    expect(page.get_by_role("heading", level=1)).to_contain_text("Roster: " + MODULE_1)
    # The sidebar folded away, the sign-in and sign-out columns fit beside the names.
    page.get_by_role("button", name="Toggle navigation").click()
    rows = page.locator("#result_list tbody tr")
    expect(rows).to_have_count(3)
    assert_accessible(page, "roster")
    for index, (signed_in, signed_out) in enumerate(
        (("8:55:00", "17:02:00"), ("9:31:00", "17:00:00"), ("8:58:00", "16:59:00"))
    ):
        row = rows.nth(index)
        row.locator("input[name$='signed_in_at_0']").fill("2027-06-21")
        row.locator("input[name$='signed_in_at_1']").fill(signed_in)
        row.locator("input[name$='signed_out_at_0']").fill("2027-06-21")
        row.locator("input[name$='signed_out_at_1']").fill(signed_out)
    page.get_by_role("button", name="Save").click()

    expect(page.locator(".messagelist")).to_contain_text("changed successfully")
    expect(rows.nth(1)).to_contain_text("late")
    assert_accessible(page, "roster, times saved")
    page.locator("#action-toggle").check()
    page.get_by_label("Action:").select_option(label="Mark attended in full")
    page.get_by_role("button", name="Go").click()

    # Ben Bell signed in late: left out, and said why.
    expect(page.locator(".messagelist")).to_contain_text("2 trainees marked attended in full.")
    expect(page.locator(".messagelist")).to_contain_text(
        "1 flagged trainee left out: Ben Bell — arrived late at 9:31 AM (session starts 9:00 AM)."
    )
    ben = rows.nth(1)
    expect(ben.get_by_label("Attendance: Ben Bell")).to_have_value("unmarked")
    assert_accessible(page, "roster, one trainee left out")

    # The coordinator knows why: Ben counts in full, with the reason written on his row.
    ben.get_by_label("Attendance: Ben Bell").select_option(label="Attended in full")
    ben.get_by_label("Reason to count Ben Bell in full").fill(
        "At the front desk from 8:50; the sign-in sheet reached him at 9:31."
    )
    page.get_by_role("button", name="Save").click()

    expect(page.locator(".messagelist")).to_contain_text("changed successfully")
    expect(ben).to_contain_text("Counted in full: At the front desk from 8:50;")
    for index in range(3):
        expect(rows.nth(index).locator("select[name$='-attendance']")).to_have_value("attended")
    assert_accessible(page, "roster, attendance marked")
    scroll_width, inner_width = page.evaluate(
        "[document.documentElement.scrollWidth, window.innerWidth]"
    )
    assert scroll_width <= inner_width, "the roster scrolls sideways at 1280 px"
    screenshot(page, "roster")

    page.locator("#action-toggle").check()
    page.get_by_label("Action:").select_option(label="Issue certificates")
    page.get_by_role("button", name="Go").click()

    expect(page.get_by_role("heading", level=1)).to_contain_text("Certificates: " + MODULE_1)
    expect(page.locator("#certificates-progress")).to_contain_text("3 of 3 rendered and emailed")
    expect(page.locator(".messagelist")).to_contain_text(
        "3 certificates queued. 1 refused: Dana Cho — the CE certificate is issued once the "
        "trainee submits the course evaluation."
    )
    assert_accessible(page, "certificates progress")

    sent = emails_about("Your Certificate of Attendance")
    assert sorted(message.to[0] for message in sent) == sorted(t.email for t in trainees.values())
    for message in sent:
        [(filename, content, mimetype)] = message.attachments
        assert mimetype == "application/pdf" and filename.endswith(".pdf")
        text = pdf_text(content)
        name = next(name for name, t in trainees.items() if t.email == message.to[0])
        assert name in text and "Certificate of Attendance" in text
        assert "Introductory Workshop on Ketamine-Assisted Psychotherapy" in text


def test_a_roster_of_forty_fits_1280_px_with_its_flagged_rows_marked(
    live_server, page, before_season, screenshot
):

    june = session_of("module-1", 6)
    times = [(at(8, 55), at(17, 1))] * 30 + [(at(9, 40), at(17))] * 4 + [(at(9), at(13))] * 3
    for n in range(40):
        signed_in, signed_out = times[n] if n < len(times) else (None, None)
        enrol(
            june,
            trainee(f"Trainee Number{n:02d}", credentials="LMFT, LCSW"),
            credit="apa" if n % 2 else None,
            signed_in_at=signed_in,
            signed_out_at=signed_out,
        )
    coordinator = StaffFactory(roles=[COORDINATOR])
    before_season.move_to(EVENING_AFTER)
    signed_in_as(page, live_server, coordinator)
    in_pacific_time(page, EVENING_AFTER)

    page.goto(f"{live_server.url}{roster_url(june)}")
    page.get_by_role("button", name="Toggle navigation").click()
    rows = page.locator("#result_list tbody tr")
    expect(rows).to_have_count(40)
    flagged = rows.filter(has=page.locator(".roster-flag"))
    expect(flagged).to_have_count(10)  # 4 late, 3 left early, 3 with no record
    expect(page.locator("#result_list .roster-reason")).to_have_count(10)
    tinted = "rgb(255, 251, 230)"
    expect(flagged.nth(0).locator("td").nth(1)).to_have_css("background-color", tinted)
    expect(rows.nth(0).locator("td").nth(1)).not_to_have_css("background-color", tinted)
    scroll_width, inner_width = page.evaluate(
        "[document.documentElement.scrollWidth, window.innerWidth]"
    )
    assert scroll_width <= inner_width, "a roster of forty scrolls sideways at 1280 px"
    assert_accessible(page, "roster of forty")
    screenshot(page, "roster-forty")


def show_certificate(page, live_server, certificate: Certificate) -> None:
    """The certificate as its PDF is drawn, from the same HTML, in the browser.

    No PDF rasteriser is installed (no poppler's pdftoppm) and headless Chromium shows PDFs
    in a viewer that screenshots blank, so the HTML WeasyPrint reads is opened instead, at an
    address under the live server's static files so that its stylesheet and fonts load from
    there rather than from the file system.
    """
    static_url = f"{live_server.url}{django_settings.STATIC_URL}"
    html = rendering.certificate_html(certificate)
    for root in static_roots():
        html = html.replace(f"{root.as_uri()}/", static_url)
    address = f"{static_url}certificate-preview.html"
    page.route(address, lambda route: route.fulfill(body=html, content_type="text/html"))
    # Letter landscape at 96 px to the inch, the PDF's page margins around the frame.
    page.set_viewport_size({"width": 1056, "height": 816})
    page.goto(address)
    page.add_style_tag(content="body { padding: 0.4in; }")


# --------------------------------------------------------------------------------------
# 8. The evaluation, the CE certificate and its verification
# --------------------------------------------------------------------------------------


def test_trainee_evaluates_the_course_and_downloads_a_verifiable_ce_certificate(
    live_server, page, before_season, screenshot
):
    june = session_of("module-1", 6)
    trainee = TraineeFactory(verified_email=True, legal_name="Dana Cho")
    paid_with_apa_ce(trainee, june)
    before_season.move_to(EVENING_AFTER)
    enrolment = Enrolment.objects.get(trainee=trainee)
    sign_times_set(
        enrolment_id=enrolment.pk,
        signed_in_at=june.starts_at,
        signed_out_at=june.ends_at,
        by=None,
        now=timezone.now(),
    )
    attendance_mark(
        enrolment_ids=[enrolment.pk], attendance="attended", by=None, now=timezone.now()
    )
    mail.outbox.clear()

    evaluation_requests_send.delay()

    [request] = emails_about("How was Module 1? Your course evaluation")
    assert request.to == [trainee.email]
    page.goto(link_in(request, f"{live_server.url}/evaluations/"))
    sign_in(page, trainee.email)

    expect(page.get_by_role("heading", name="Course evaluation")).to_be_visible()
    assert_accessible(page, "evaluation form")
    offering = june.offering
    for objective in offering.objectives.all():
        page.get_by_role("group", name=objective.text, exact=True).get_by_label(
            "5 Excellent"
        ).check()
    for instructor in offering.instructors.all():
        group = page.get_by_role("group", name=instructor.display_name, exact=True)
        group.get_by_label("4 Very good").check()
    page.get_by_role("group", name="Overall, how would you rate this course?").get_by_label(
        "5 Excellent"
    ).check()
    page.get_by_label("What was most useful to you?").fill("The dosing strategies.")
    page.get_by_label("What should we improve?").fill("More time for questions.")
    page.get_by_role("button", name="Submit the evaluation and issue my CE certificate").click()

    expect(messages(page)).to_contain_text("Thank you: your evaluation was submitted.")
    expect(messages(page)).to_contain_text(
        "Your APA CE certificate is issued: it is on its way to you by email."
    )
    assert_accessible(page, "evaluation submitted")
    page.get_by_role("link", name="Back to My trainings").click()

    certificate_link = page.get_by_role("link", name="CE certificate (PDF, APA CE)")
    expect(certificate_link).to_be_visible()
    expect(page.get_by_role("link", name=re.compile("^Evaluate this course"))).to_have_count(0)
    assert_accessible(page, "my trainings with certificates")
    with page.expect_download() as download_info:
        certificate_link.click()
    download = download_info.value

    certificate = Certificate.objects.get(trainee=trainee, kind="ce")
    assert download.suggested_filename == f"polaris-certificate-{certificate.code}.pdf"
    text = pdf_text(download.path().read_bytes())
    assert "Dana Cho" in text
    assert "Introductory Workshop on Ketamine-Assisted Psychotherapy" in text
    assert "APA CE credits 8" in text
    verify_url = f"{live_server.url}/verify/{certificate.code}/"
    assert verify_url in text

    page.goto(verify_url)
    expect(page.locator("#verify-status")).to_contain_text("Valid.")
    facts = page.locator("#verify-facts")
    for shown in (
        "Dana Cho",
        "Introductory Workshop on Ketamine-Assisted Psychotherapy",
        "Mon, Jun 21, 2027",
        "8 CE credits · APA CE",
    ):
        expect(facts).to_contain_text(shown)
    assert_accessible(page, "certificate verification")

    show_certificate(page, live_server, certificate)
    expect(page.get_by_text("Continuing Education Certificate")).to_be_visible()
    screenshot(page, "certificate")
