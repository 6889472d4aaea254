"""Emails greet a trainee by name, and the site says who is signed in by name: the legal name
of the profile, else the account's name, never the part of the address before the @."""

import pytest
from django.utils import timezone

from registration.models import TraineeProfile
from registration.services.enrolments import enrolment_cancel

from .flows import paid_order, session_of, text

pytestmark = pytest.mark.usefixtures("catalog", "before_season")


def test_the_cancellation_email_greets_the_trainee_by_legal_name(
    trainee, mailoutbox, django_capture_on_commit_callbacks
):
    trainee.trainee_profile.legal_name = "Dana Q. Cho"
    trainee.trainee_profile.save()
    order = paid_order(trainee, session_of("module-1", 6))
    enrolment = order.lines.get().enrolments.get()
    mailoutbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        enrolment_cancel(enrolment=enrolment, by=trainee, now=timezone.now())

    (email,) = mailoutbox
    assert email.body.startswith("Hello Dana Q. Cho,\n")


def test_an_email_to_a_trainee_without_a_name_says_hello_without_one(
    make_trainee, mailoutbox, django_capture_on_commit_callbacks
):
    nameless = make_trainee(first_name="", last_name="")
    order = paid_order(nameless, session_of("module-1", 6))
    enrolment = order.lines.get().enrolments.get()
    # Paying asks for the legal name; a registration made by staff (or before that rule)
    # can still belong to a trainee without a profile.
    TraineeProfile.objects.filter(user=nameless).delete()
    mailoutbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        enrolment_cancel(enrolment=enrolment, by=nameless, now=timezone.now())

    (email,) = mailoutbox
    assert email.body.startswith("Hello,\n")
    assert nameless.email.split("@")[0] not in email.body.splitlines()[0]


@pytest.mark.parametrize(
    ("legal_name", "shown"),
    [("Dana Q. Cho", "Successfully signed in as Dana Q. Cho."), ("", None)],
)
def test_the_sign_in_message_names_the_trainee(client, make_trainee, legal_name, shown):
    user = make_trainee(username="qa.lmft1", password="correct horse battery", verified_email=True)
    if legal_name:
        user.trainee_profile.legal_name = legal_name
        user.trainee_profile.save()
    else:
        user.trainee_profile.delete()
        user.first_name, user.last_name = "", ""
        user.save()
        shown = "Successfully signed in as qa.lmft1@example.com."

    response = client.post(
        "/accounts/login/",
        {"login": user.email, "password": "correct horse battery"},
        follow=True,
    )

    page = text(response)
    assert shown in page
    assert "signed in as qa.lmft1." not in page
