"""Closing an account: the trainee is told what goes and what the four-year rule keeps, confirms
with their password, and is signed out for good; their CE records stay, still verifiable,
and the coordinator sees the account flagged as closed."""

import re

import pytest
from allauth.account.models import EmailAddress
from django.contrib import auth
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.urls import reverse
from django.utils import timezone

from certificates.models import Certificate, Evaluation
from registration.models import (
    AccountClosure,
    CartItem,
    Enrolment,
    Intake,
    IntakeAnswer,
    IntakeQuestion,
    InterestSignup,
    Order,
    WaitlistEntry,
)
from registration.roles import CLINICAL_REVIEWER
from registration.services.intake import intake_review, intake_submit
from tests.admin_pages import rows
from tests.factories import PASSWORD, UserFactory
from tests.registration.flows import add_to_cart, error_summary, fill, register, session_of, text
from tests.roster import roster_url

CLOSE_URL = "/account/close/"


def close(client, password: str = PASSWORD):
    return client.post(CLOSE_URL, {"password": password})


def test_the_profile_page_leads_to_closing_the_account(catalog, signed_in):
    page = signed_in.get(reverse("registration:profile"))
    assert f'href="{CLOSE_URL}"' in page.content.decode()
    assert "Close my account" in text(page)


def test_the_page_says_what_goes_and_what_is_kept_before_asking_for_the_password(
    catalog, signed_in
):
    page = signed_in.get(CLOSE_URL)

    assert page.status_code == 200
    shown = text(page)
    assert "What we delete Your email address and password." in shown
    assert "What we keep, and why" in shown and "for four years" in shown
    assert "your certificates: whoever you showed one to can still verify it" in shown
    assert '<input type="password" name="password"' in page.content.decode()
    assert 'autocomplete="current-password"' in page.content.decode()


def test_a_wrong_password_is_refused_next_to_the_field_and_nothing_changes(
    catalog, signed_in, trainee
):
    response = close(signed_in, "not my password")

    assert response.status_code == 400
    assert "Your password: That is not your password." in error_summary(response)
    html = response.content.decode()
    assert re.search(
        r'id="id_password"[^>]*aria-invalid="true"|aria-invalid="true"[^>]*id="id_password"', html
    )
    assert "That is not your password." in text(html.split('id="id_password"', 1)[1])
    trainee.refresh_from_db()
    assert trainee.is_active and trainee.check_password(PASSWORD)
    assert not AccountClosure.objects.exists()
    assert auth.get_user(signed_in).is_authenticated


def test_an_empty_password_is_asked_for(catalog, signed_in):
    response = close(signed_in, "")
    assert response.status_code == 400
    assert "Enter your password to close your account." in error_summary(response)


def test_closing_deletes_every_intake_s_answers_and_review_note_and_keeps_the_decisions(
    catalog, trainee, signed_in
):
    """Both intakes lose their answers and the clinical reviewer's note, the one withdrawn
    before withdrawing deleted notes too; the decisions and their dates stay."""
    reviewer = UserFactory(is_staff=True)
    reviewer.groups.set(Group.objects.filter(name=CLINICAL_REVIEWER))
    question = IntakeQuestion.objects.create(text="Any heart condition?", kind="yes_no")
    notes = ("Declined: unstable blood pressure.", "Approved after cardiology letter.")
    for decision, note in zip(("declined", "approved"), notes, strict=True):
        intake = intake_submit(
            trainee=trainee, answers={question.pk: "Yes"}, questions=[question], now=timezone.now()
        )
        intake_review(intake=intake, decision=decision, note=note, by=reviewer, now=timezone.now())
    Intake.objects.filter(decision="declined").update(status="withdrawn")
    decided = list(Intake.objects.order_by("pk").values_list("decision", "reviewed_at"))

    assert close(signed_in).status_code == 302

    rows = Intake.objects.filter(trainee=trainee).order_by("pk")
    assert list(rows.values_list("status", "review_note")) == [("withdrawn", "")] * 2
    assert list(rows.values_list("decision", "reviewed_at")) == decided
    assert not IntakeAnswer.objects.filter(intake__trainee=trainee).exists()
    assert not Intake.objects.filter(review_note__in=notes).exists()


def test_an_account_with_a_registration_still_to_come_cannot_be_closed_yet(history, signed_in):
    page = signed_in.get(CLOSE_URL)

    blocked = text(page.content.decode().split('id="close-blocked"', 1)[1])
    assert "You cannot close your account yet" in blocked
    assert "Module 6" in blocked and "Sat, Jul 24, 2027" in blocked
    assert 'name="password"' not in page.content.decode()

    response = close(signed_in)
    assert response.status_code == 400
    assert "Sat, Jul 24, 2027" in text(response.content.decode().split('id="close-blocked"')[1])
    assert not AccountClosure.objects.exists()
    assert history.trainee.__class__.objects.get(pk=history.trainee.pk).is_active


@pytest.fixture
def everything_else(history, signed_in, fake_stripe, django_capture_on_commit_callbacks, client):
    """Beside the records: the July registration cancelled by the trainee, an unpaid order
    holding a seat, a cart, a waitlist place, an interest signup and an intake with answers."""
    trainee = history.trainee
    signed_in.post(f"/enrolments/{history.upcoming.pk}/cancel/")
    unpaid = register(signed_in, django_capture_on_commit_callbacks, session_of("module-3", 8))
    add_to_cart(signed_in, session_of("module-4", 10))
    full = session_of("module-7")
    fill(full)
    signed_in.post(f"/sessions/{full.pk}/waitlist/")
    signed_in.post(
        reverse("registration:interest", args=["residential-level-1"]),
        {"name": "Alex", "email": trainee.email},
    )
    question = IntakeQuestion.objects.create(text="Any heart condition?", kind="yes_no")
    intake_submit(
        trainee=trainee, answers={question.pk: "No"}, questions=[question], now=timezone.now()
    )
    assert Order.objects.get(pk=unpaid.pk).status == "pending"
    assert CartItem.objects.filter(trainee=trainee).count() == 1
    assert WaitlistEntry.objects.get(trainee=trainee).status == "waiting"
    assert InterestSignup.objects.filter(email=trainee.email).count() == 1
    return unpaid


def test_closing_signs_out_for_good_deletes_the_rest_and_keeps_the_ce_records(
    history, everything_else, signed_in, coordinator, client, django_capture_on_commit_callbacks
):
    trainee, unpaid = history.trainee, everything_else
    old_email = trainee.email
    legal_name = trainee.trainee_profile.legal_name

    page = signed_in.get(CLOSE_URL)
    shown = text(page)
    assert (
        f"Your orders awaiting payment are cancelled and their seats released: {unpaid.code}."
        in shown
    )
    assert "Download your certificates first" in shown
    for certificate in history.certificates:
        assert f'href="/certificates/{certificate.code}/pdf/"' in page.content.decode()

    with django_capture_on_commit_callbacks(execute=True):
        response = close(signed_in)

    assert response.status_code == 302 and response["Location"] == "/"
    home = text(signed_in.get("/"))
    assert "Your account is closed and you are signed out." in home
    assert not auth.get_user(signed_in).is_authenticated
    assert signed_in.get("/my/").status_code == 302

    # The login is gone; the address is free for a new account.
    trainee.refresh_from_db()
    assert not trainee.is_active and not trainee.has_usable_password()
    assert trainee.email.endswith("@closed.invalid") and old_email not in trainee.email
    assert (trainee.first_name, trainee.last_name) == ("", "")
    assert not EmailAddress.objects.filter(email__iexact=old_email).exists()
    client.post(reverse("account_login"), {"login": old_email, "password": PASSWORD})
    assert not auth.get_user(client).is_authenticated
    signup = client.post(
        reverse("account_signup"),
        {"email": old_email, "password1": PASSWORD, "password2": PASSWORD},
    )
    assert signup.status_code == 302
    assert get_user_model().objects.get(email=old_email).pk != trainee.pk

    # What only served the account is gone.
    unpaid.refresh_from_db()
    assert unpaid.status == "cancelled"
    assert set(
        Enrolment.objects.filter(order_line__order=unpaid).values_list("status", flat=True)
    ) == {"cancelled"}
    assert not CartItem.objects.filter(trainee=trainee).exists()
    assert WaitlistEntry.objects.get(trainee=trainee).status == "left"
    signup_row = InterestSignup.objects.get(offering__slug="residential-level-1")
    assert signup_row.unsubscribed_at is not None
    assert (signup_row.name, old_email in signup_row.email) == ("", False)
    intake = Intake.objects.get(trainee=trainee)
    assert intake.status == "withdrawn" and not intake.answers.exists()

    # The CE records stay, attributed to the legal name and license.
    profile = trainee.trainee_profile
    assert (profile.legal_name, profile.license_number) == (legal_name, "PSY 12345")
    assert Order.objects.get(pk=history.order.pk).status == "paid"
    attended = Enrolment.objects.get(pk=history.attended.pk)
    assert (attended.status, attended.attendance) == ("confirmed", "attended")
    assert Evaluation.objects.get(pk=history.evaluation.pk).submitted_at is not None
    for certificate in Certificate.objects.filter(enrolment=attended):
        assert certificate.status == "valid" and certificate.legal_name == legal_name
        with certificate.pdf.open("rb") as pdf:
            assert pdf.read(5) == b"%PDF-"
        verification = text(client.get(f"/verify/{certificate.code}/"))
        assert "Valid." in verification and legal_name in verification
    roster = rows(coordinator.get(roster_url(attended.session)))
    assert [row for row in roster if legal_name in row and "Attended" in row]

    # The coordinator sees the account flagged as closed.
    order_page = text(
        coordinator.get(reverse("admin:registration_order_change", args=[history.order.pk]))
    )
    assert f"{legal_name} <{trainee.email}> · account closed" in order_page
    assert "The trainee closed their account." in order_page
    closed = coordinator.get(reverse("admin:registration_accountclosure_changelist"))
    assert closed.status_code == 200
    assert [c.user for c in closed.context["cl"].result_list] == [trainee]
    assert legal_name in text(closed) and "PSY 12345 · CA" in text(closed)
