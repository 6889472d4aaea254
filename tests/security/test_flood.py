"""No form sends a flood of email to an address someone typed: at most one email per address
a day from each form while the address is unconfirmed, limits per client besides, no typed
name in an email to an unconfirmed address, and the same neutral page whatever happened.

Each burst comes from 30 different client addresses, so that only the per-address limit can
hold it; the per-client limits have their own tests."""

from datetime import timedelta

import pytest
from allauth.account.models import EmailAddress
from django.urls import reverse

from registration.models import AddressEmail, InquiryTopic, InterestSignup, OutboundEmail
from registration.tasks import address_emails_prune
from tests.factories import PASSWORD, UserFactory
from tests.registration.flows import text

pytestmark = pytest.mark.usefixtures("catalog", "before_season")

VICTIM = "victim@example.com"
SPAM_NAME = "Visit http://spam.example now"
BURST = 30


def client_address(n: int) -> str:
    return f"198.51.100.{n + 1}"


def sent_to(mailoutbox, address: str) -> list:
    return [message for message in mailoutbox if address in message.to]


@pytest.fixture
def post(client, django_capture_on_commit_callbacks):
    """A POST from the client address `n`, its outbox emails sent at once (Celery runs
    inline in tests)."""

    def send(path: str, data: dict, *, n: int = 0):
        with django_capture_on_commit_callbacks(execute=True):
            return client.post(path, data, REMOTE_ADDR=client_address(n))

    return send


# --------------------------------------------------------------------------------------
# Interest lists
# --------------------------------------------------------------------------------------

INTEREST = "/trainings/residential-level-1/interest/"


def test_thirty_interest_signups_for_someone_else_send_one_email_without_the_typed_name(
    post, mailoutbox
):
    pages = [
        post(INTEREST, {"name": SPAM_NAME, "email": VICTIM, "website": ""}, n=n)
        for n in range(BURST)
    ]

    assert {page.status_code for page in pages} == {200}
    assert {"Check your email" in text(page) for page in pages} == {True}
    (confirmation,) = sent_to(mailoutbox, VICTIM)
    assert OutboundEmail.objects.filter(to=VICTIM).count() == 1
    assert "spam.example" not in confirmation.body + confirmation.subject
    assert "Visit" not in confirmation.body
    assert confirmation.body.startswith("Hello,\n")


def test_one_confirmation_a_day_covers_every_list_the_address_joined(client, post, mailoutbox):
    post(INTEREST, {"name": "Ada", "email": VICTIM, "website": ""})
    post("/trainings/residential-level-2/interest/", {"name": "Ada", "email": VICTIM})
    (confirmation,) = sent_to(mailoutbox, VICTIM)

    link = next(word for word in confirmation.body.split() if "/interest/confirm/" in word)
    page = client.post(link)

    assert "Residential Level 1" in text(page) and "Residential Level 2" in text(page)
    assert InterestSignup.objects.filter(email=VICTIM, confirmed_at__isnull=True).count() == 0


def test_an_unconfirmed_address_gets_the_link_again_a_day_later(post, mailoutbox, before_season):
    post(INTEREST, {"name": "Ada", "email": VICTIM})
    before_season.shift(timedelta(hours=23, minutes=59))
    post(INTEREST, {"name": "Ada", "email": VICTIM}, n=1)
    assert len(sent_to(mailoutbox, VICTIM)) == 1

    before_season.shift(timedelta(minutes=2))
    post(INTEREST, {"name": "Ada", "email": VICTIM}, n=2)
    assert len(sent_to(mailoutbox, VICTIM)) == 2
    assert InterestSignup.objects.filter(email=VICTIM).count() == 1


def test_one_client_signing_up_many_addresses_is_stopped(post, mailoutbox):
    pages = [
        post(INTEREST, {"name": "Ada", "email": f"person{i}@example.com"}, n=0)
        for i in range(BURST)
    ]

    assert [page.status_code for page in pages].count(200) == 10
    assert pages[-1].status_code == 429
    assert "Too many signups" in text(pages[-1])
    assert len(mailoutbox) == 10
    assert post(INTEREST, {"name": "Ada", "email": "other@example.com"}, n=1).status_code == 200


# --------------------------------------------------------------------------------------
# Contact forms
# --------------------------------------------------------------------------------------


def test_thirty_inquiries_in_someone_elses_name_send_them_one_acknowledgement(post, mailoutbox):
    path = reverse("registration:contact_topic", args=[InquiryTopic.CERTIFICATE])
    pages = [
        post(
            path,
            {"name": SPAM_NAME, "email": VICTIM, "message": "When?", "website": ""},
            n=n,
        )
        for n in range(BURST)
    ]

    assert {page.status_code for page in pages} == {200}
    assert {"Thank you for your message" in text(page) for page in pages} == {True}
    (ack,) = sent_to(mailoutbox, VICTIM)
    assert "spam.example" not in ack.body + ack.subject
    assert ack.body.startswith("Hello,\n")
    # The center still receives every message.
    assert len(mailoutbox) == BURST + 1


# --------------------------------------------------------------------------------------
# Accounts: sign-up, password reset, adding and confirming an address
# --------------------------------------------------------------------------------------


def test_thirty_signups_with_someone_elses_address_send_one_email(post, mailoutbox, before_season):
    pages = []
    for n in range(BURST):
        before_season.shift(timedelta(minutes=10))
        pages.append(
            post(
                reverse("account_signup"),
                {"email": VICTIM, "password1": f"{PASSWORD} {n}", "password2": f"{PASSWORD} {n}"},
                n=n,
            )
        )

    assert {page.status_code for page in pages} == {302}
    assert {page["Location"] for page in pages} == {reverse("account_email_verification_sent")}
    assert len(sent_to(mailoutbox, VICTIM)) == 1


@pytest.mark.parametrize("existing", [True, False], ids=["account", "no account"])
def test_thirty_password_resets_for_one_address_send_one_email(post, mailoutbox, existing):
    if existing:
        UserFactory(email=VICTIM, verified_email=True)
    pages = [post(reverse("account_reset_password"), {"email": VICTIM}, n=n) for n in range(BURST)]

    assert {page.status_code for page in pages} == {302}
    assert len(sent_to(mailoutbox, VICTIM)) == 1


def test_a_second_reset_is_sent_once_the_first_link_was_used(client, post, mailoutbox):
    UserFactory(email=VICTIM, verified_email=True)
    post(reverse("account_reset_password"), {"email": VICTIM})
    (first,) = sent_to(mailoutbox, VICTIM)
    link = next(word for word in first.body.split() if "/accounts/password/reset/key/" in word)
    form = client.get(link, follow=True)
    client.post(
        form.redirect_chain[-1][0],
        {"password1": "a new horse battery staple", "password2": "a new horse battery staple"},
    )
    client.logout()

    post(reverse("account_reset_password"), {"email": VICTIM}, n=1)

    assert len(sent_to(mailoutbox, VICTIM)) == 2


def test_resending_a_confirmation_to_an_added_address_sends_one_a_day(
    client, post, mailoutbox, before_season
):
    attacker = UserFactory(verified_email=True)
    client.force_login(attacker)
    post(reverse("account_email"), {"action_add": "", "email": VICTIM})
    for n in range(BURST):
        before_season.shift(timedelta(minutes=10))
        post(reverse("account_email"), {"action_send": "", "email": VICTIM}, n=n)

    assert len(sent_to(mailoutbox, VICTIM)) == 1
    assert not EmailAddress.objects.get(email=VICTIM).verified


def test_signing_in_with_an_unconfirmed_address_resends_its_link_once_a_day(
    client, post, mailoutbox, before_season
):
    UserFactory(email=VICTIM)
    EmailAddress.objects.create(
        user=UserFactory._meta.model.objects.get(email=VICTIM), email=VICTIM, verified=False
    )
    for n in range(BURST):
        before_season.shift(timedelta(minutes=10))
        post(reverse("account_login"), {"login": VICTIM, "password": PASSWORD}, n=n)
        client.logout()

    assert len(sent_to(mailoutbox, VICTIM)) == 1


def test_typed_addresses_are_forgotten_once_their_day_is_over(post, before_season):
    post(INTEREST, {"name": "Ada", "email": VICTIM})
    post(reverse("account_reset_password"), {"email": "someone@example.com"}, n=1)
    assert AddressEmail.objects.count() == 2

    before_season.shift(timedelta(hours=23))
    assert address_emails_prune.delay().get() == 0
    before_season.shift(timedelta(hours=1))
    assert address_emails_prune.delay().get() == 2
    assert not AddressEmail.objects.exists()


def test_a_confirmed_address_may_be_told_again_within_the_day(
    client, post, mailoutbox, before_season
):
    data = {"email": VICTIM, "password1": PASSWORD + "!", "password2": PASSWORD + "!"}
    post(reverse("account_signup"), data)
    (confirmation,) = sent_to(mailoutbox, VICTIM)
    link = next(word for word in confirmation.body.split() if "/accounts/confirm-email/" in word)
    client.post(link)
    assert EmailAddress.objects.get(email=VICTIM).verified
    client.logout()
    before_season.shift(timedelta(minutes=5))  # past allauth's own 3-minute limit

    post(reverse("account_signup"), data, n=1)  # someone signs up with it again

    assert len(sent_to(mailoutbox, VICTIM)) == 2
    assert "already exists" in sent_to(mailoutbox, VICTIM)[-1].body
