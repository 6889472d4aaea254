"""The experiential intake: health answers only the trainee and clinical reviewers see, every
staff view recorded, never emailed nor logged; approval opens registration; withdrawal deletes
the answers and keeps the decision."""

import logging
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from catalog.models import Offering, Session
from registration.models import Intake, IntakeAccessLog, IntakeAnswer, IntakeQuestion
from registration.roles import CLINICAL_REVIEWER, COORDINATOR
from registration.selectors import trainee_facts
from tests.factories import FIRST_SESSION_START, StaffFactory, UserFactory, login_staff

from .flows import add_to_cart, cart_page, error_summary, paid_order, place_order, text

pytestmark = pytest.mark.usefixtures("catalog", "before_season")

SECRET = "Takes lithium 300mg since 2019"


@pytest.fixture
def questions():
    return [
        IntakeQuestion.objects.create(text="Current medications", kind="text", position=1),
        IntakeQuestion.objects.create(text="History of psychosis?", kind="yes_no", position=2),
        IntakeQuestion.objects.create(
            text="Blood pressure", kind="choice", choices="Normal\nHigh\nUnknown", position=3
        ),
        IntakeQuestion.objects.create(
            text="Last physical exam", kind="date", required=False, position=4
        ),
        IntakeQuestion.objects.create(text="Retired question", kind="text", active=False),
    ]


def answers(questions, medications: str = SECRET) -> dict[str, str]:
    meds, psychosis, pressure, exam, _retired = questions
    return {
        f"q{meds.pk}": medications,
        f"q{psychosis.pk}": "No",
        f"q{pressure.pk}": "Normal",
        f"q{exam.pk}": "2026-11-02",
    }


def staff(*groups):
    return StaffFactory(roles=groups)


@pytest.fixture
def submitted(client, make_trainee, questions):
    """Trainee A's intake, submitted through the form."""
    trainee_a = make_trainee()
    client.force_login(trainee_a)
    response = client.post("/intake/", answers(questions))
    assert response.status_code == 302, text(response)
    client.logout()
    return Intake.objects.get(trainee=trainee_a)


def review(client, intake, decision, capture, note="Cleared by Dr. Reyes"):
    login_staff(client, staff(CLINICAL_REVIEWER))
    with capture(execute=True):
        response = client.post(
            reverse("registration:intake_review", args=[intake.pk]),
            {"decision": decision, "note": note},
        )
    assert response.status_code == 302, text(response)
    client.logout()
    intake.refresh_from_db()


def test_trainee_submits_and_sees_own_answers(signed_in, questions):
    form = signed_in.get("/intake/")
    assert "Current medications" in text(form)
    assert "Retired question" not in text(form)

    response = signed_in.post("/intake/", answers(questions), follow=True)

    assert "Your intake is submitted" in text(response)
    assert "Submitted, awaiting review" in text(response)
    assert SECRET in text(response)
    intake = Intake.objects.get()
    assert [a.question_text for a in intake.answers.all()] == [
        "Current medications",
        "History of psychosis?",
        "Blood pressure",
        "Last physical exam",
    ]
    assert IntakeAnswer.objects.get(question=questions[3]).answer == "2026-11-02"


def test_missing_and_oversized_answers_are_refused_and_nothing_stored(signed_in, questions):
    meds, psychosis, *_ = questions
    data = answers(questions)
    data[f"q{meds.pk}"] = "x" * 2001
    del data[f"q{psychosis.pk}"]

    response = signed_in.post("/intake/", data)

    assert response.status_code == 400
    summary = error_summary(response)
    assert "Current medications: Keep this answer under 2000 characters" in summary
    assert "History of psychosis?: This field is required." in summary
    assert not Intake.objects.exists() and not IntakeAnswer.objects.exists()


def test_html_in_answers_is_escaped_wherever_shown(client, signed_in, trainee, questions):
    script = "<script>alert('x')</script>"
    signed_in.post("/intake/", answers(questions, medications=script))
    own = signed_in.get("/intake/").content.decode()
    assert script not in own and "&lt;script&gt;" in own

    login_staff(client, staff(CLINICAL_REVIEWER))
    page = client.get(reverse("registration:intake_review", args=[Intake.objects.get().pk]))
    assert script not in page.content.decode() and "&lt;script&gt;" in page.content.decode()


def test_permission_matrix_for_intake_answers(client, submitted, make_trainee):
    review_page = reverse("registration:intake_review", args=[submitted.pk])
    admin_page = reverse("admin:registration_intake_change", args=[submitted.pk])

    # Trainee A sees their own answers.
    client.force_login(submitted.trainee)
    assert SECRET in text(client.get("/intake/"))
    assert client.get(review_page).status_code == 403

    # Trainee B sees nothing of A's.
    client.force_login(make_trainee())
    assert SECRET not in text(client.get("/intake/"))
    assert client.get(review_page).status_code == 403
    assert client.get(reverse("registration:intake_review_list")).status_code == 403

    # The coordinator sees the status in admin, never the answers.
    coordinator = staff(COORDINATOR)
    login_staff(client, coordinator)
    admin = client.get(admin_page)
    assert admin.status_code == 200
    assert "Submitted, awaiting review" in text(admin)
    assert SECRET not in text(admin) and "Read and review" not in text(admin)
    listing = client.get(reverse("admin:registration_intake_changelist"))
    assert listing.status_code == 200 and SECRET not in text(listing)
    assert client.get(review_page).status_code == 403
    seen = IntakeAccessLog.objects.filter(viewed_by=coordinator)
    assert {field for log in seen for field in log.fields}.isdisjoint({"answers", "review_note"})

    # The clinical reviewer reads them, and the reading is recorded.
    reviewer = staff(CLINICAL_REVIEWER)
    login_staff(client, reviewer)
    listing = text(client.get(reverse("registration:intake_review_list")))
    assert submitted.trainee.trainee_profile.legal_name in listing
    assert SECRET in text(client.get(review_page))
    assert SECRET in text(client.get(review_page))
    readings = IntakeAccessLog.objects.filter(intakes=submitted, viewed_by=reviewer, page="review")
    assert readings.count() == 2

    # Anonymous visitors are sent to sign in.
    client.logout()
    for page in ("/intake/", review_page):
        response = client.get(page)
        assert response.status_code == 302 and "login" in response["Location"]
    assert client.get(admin_page).status_code == 302


def test_no_email_or_log_ever_contains_answers(
    client, submitted, mailoutbox, caplog, django_capture_on_commit_callbacks
):
    caplog.set_level(logging.DEBUG)
    review(client, submitted, "declined", django_capture_on_commit_callbacks)
    client.force_login(submitted.trainee)
    client.post("/intake/withdraw/")

    (message,) = mailoutbox
    assert message.to == [submitted.trainee.email]
    assert message.subject == "Your intake was reviewed"
    assert "/intake/" in message.body
    for sent in mailoutbox:
        assert SECRET not in sent.subject + sent.body
        assert "Cleared by Dr. Reyes" not in sent.body
    assert SECRET not in caplog.text


def test_approval_lets_the_trainee_register_and_pay_for_the_experiential(
    client, submitted, mailoutbox, django_capture_on_commit_callbacks
):
    experiential = Offering.objects.get(slug="experiential-workshop")
    session = experiential.sessions.get()
    session.status = Session.Status.SCHEDULED
    session.starts_at = FIRST_SESSION_START + timedelta(days=60)
    session.ends_at = session.starts_at + timedelta(hours=5)
    session.location = "Polaris Insight Center"
    session.save()
    trainee = submitted.trainee
    client.force_login(trainee)

    add_to_cart(client, session)
    assert "needs an approved medical and psychological intake" in text(cart_page(client))
    place_order(client, django_capture_on_commit_callbacks, "offline")
    assert not trainee.orders.exists()

    review(client, submitted, "approved", django_capture_on_commit_callbacks)
    assert submitted.status == "approved"
    assert submitted.approved_until - timezone.now() == timedelta(days=365)
    client.force_login(trainee)
    assert "valid until" in text(client.get("/intake/"))

    order = paid_order(trainee, session)
    assert order.status == "paid" and order.total_cents == 65000


def test_a_declined_intake_does_not_open_registration(
    client, submitted, django_capture_on_commit_callbacks
):
    review(client, submitted, "declined", django_capture_on_commit_callbacks)
    facts = trainee_facts(trainee=submitted.trainee, now=timezone.now())
    assert facts.intake_approved_until is None


def test_withdrawal_deletes_the_answers_and_the_note_and_keeps_the_decision(
    client, submitted, django_capture_on_commit_callbacks
):
    review(client, submitted, "approved", django_capture_on_commit_callbacks)
    reviewed_at = submitted.reviewed_at
    client.force_login(submitted.trainee)
    assert "Cleared by Dr. Reyes" in text(client.get("/intake/"))

    response = client.post("/intake/withdraw/", follow=True)

    assert "Your intake is withdrawn" in text(response)
    assert SECRET not in text(response) and "Cleared by Dr. Reyes" not in text(response)
    row = Intake.objects.filter(pk=submitted.pk).values(
        "status", "decision", "reviewed_at", "review_note"
    )
    assert row.get() == {
        "status": "withdrawn",
        "decision": "approved",
        "reviewed_at": reviewed_at,
        "review_note": "",
    }
    assert not IntakeAnswer.objects.filter(intake=submitted).exists()
    facts = trainee_facts(trainee=submitted.trainee, now=timezone.now())
    assert facts.intake_approved_until is None


def test_a_second_intake_waits_for_the_first_review(client, submitted, questions):
    client.force_login(submitted.trainee)
    page = client.get("/intake/")
    assert "Submit a new intake" not in text(page)
    client.post("/intake/", answers(questions))
    assert Intake.objects.filter(trainee=submitted.trainee).count() == 1


def test_only_clinical_reviewers_can_decide(client, submitted):
    login_staff(client, staff(COORDINATOR))
    response = client.post(
        reverse("registration:intake_review", args=[submitted.pk]), {"decision": "approved"}
    )
    assert response.status_code == 403
    submitted.refresh_from_db()
    assert submitted.status == "submitted"


# -- the intake access log ------------------------------------------------------------------

ADMIN_LIST_FIELDS = ["trainee", "status", "submitted_at", "reviewed_at", "approved_until"]
ADMIN_DETAIL_FIELDS = [
    "trainee",
    "status",
    "decision",
    "submitted_at",
    "reviewed_by",
    "reviewed_at",
    "approved_until",
    "withdrawn_at",
]
REVIEW_FIELDS = [
    "trainee",
    "status",
    "submitted_at",
    "decision",
    "reviewed_at",
    "review_note",
    "answers",
]


def last_access() -> tuple:
    log = IntakeAccessLog.objects.order_by("-pk").first()
    intakes = sorted(log.intakes.values_list("pk", flat=True))
    return log.viewed_by, log.viewed_at, log.page, intakes, log.fields


def test_every_staff_page_showing_an_intake_is_recorded(client, submitted):
    coordinator, reviewer = staff(COORDINATOR), staff(CLINICAL_REVIEWER)
    now, ids = timezone.now(), [submitted.pk]
    pages = [
        (
            coordinator,
            reverse("admin:registration_intake_changelist"),
            "admin_list",
            ADMIN_LIST_FIELDS,
        ),
        (
            coordinator,
            reverse("admin:registration_intake_change", args=[submitted.pk]),
            "admin_detail",
            ADMIN_DETAIL_FIELDS,
        ),
        (
            coordinator,
            reverse("admin:registration_intake_history", args=[submitted.pk]),
            "admin_detail",
            ["trainee", "status"],
        ),
        (
            reviewer,
            reverse("registration:intake_review_list"),
            "review_list",
            ["trainee", "status", "submitted_at"],
        ),
        (
            reviewer,
            reverse("registration:intake_review", args=[submitted.pk]),
            "review",
            REVIEW_FIELDS,
        ),
    ]
    for viewer, url, page, fields in pages:
        login_staff(client, viewer)
        assert client.get(url).status_code == 200
        assert last_access() == (viewer, now, page, ids, fields), url
    assert IntakeAccessLog.objects.count() == len(pages)


def test_pages_that_show_no_intake_record_nothing(client, submitted):
    login_staff(client, staff(COORDINATOR))
    url = reverse("admin:registration_intake_changelist")

    assert client.get(url, {"status__exact": "approved"}).status_code == 200
    assert client.get(url, {"review_note__icontains": "a"}).status_code == 302
    assert client.get(reverse("registration:intake_review_list")).status_code == 403

    assert not IntakeAccessLog.objects.exists()


def test_a_list_of_30_intakes_is_one_entry_and_costs_the_queries_of_3(client, submitted):

    def more_intakes(count: int) -> None:
        for _ in range(count):
            Intake.objects.create(trainee=UserFactory(), submitted_at=timezone.now())

    login_staff(client, staff(COORDINATOR))
    url = reverse("admin:registration_intake_changelist")
    more_intakes(2)
    with CaptureQueriesContext(connection) as three:
        assert client.get(url).status_code == 200
    more_intakes(27)
    with CaptureQueriesContext(connection) as thirty:
        assert client.get(url).status_code == 200

    assert len(thirty) == len(three)
    assert IntakeAccessLog.objects.count() == 2
    assert last_access()[3] == sorted(Intake.objects.values_list("pk", flat=True))
    assert len(last_access()[3]) == 30


def test_the_access_log_is_read_by_superusers_and_reviewers_and_changed_by_nobody(
    client, submitted
):
    reviewer = staff(CLINICAL_REVIEWER)
    login_staff(client, reviewer)
    client.get(reverse("registration:intake_review", args=[submitted.pk]))
    log = IntakeAccessLog.objects.get()
    listing = reverse("admin:registration_intakeaccesslog_changelist")
    change = reverse("admin:registration_intakeaccesslog_change", args=[log.pk])
    delete = reverse("admin:registration_intakeaccesslog_delete", args=[log.pk])
    superuser = StaffFactory(is_superuser=True)
    name = submitted.trainee.trainee_profile.legal_name

    for reader in (superuser, reviewer):
        login_staff(client, reader)
        page = text(client.get(listing))
        assert name in page and reviewer.email in page and "Review of an intake" in page
        detail = client.get(change)
        assert detail.status_code == 200
        assert "review note, answers" in text(detail)
        assert 'name="_save"' not in detail.content.decode()
        assert SECRET not in page + text(detail)
        assert client.post(change, {"page": "admin_list"}).status_code == 403
        assert client.post(delete, {"post": "yes"}).status_code == 403
        assert client.get(reverse("admin:registration_intakeaccesslog_add")).status_code == 403
    login_staff(client, staff(COORDINATOR))
    assert client.get(listing).status_code == 403
    assert client.get(change).status_code == 403

    log.refresh_from_db()
    assert (log.page, log.viewed_by, list(log.intakes.all())) == ("review", reviewer, [submitted])
