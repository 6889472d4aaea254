"""The coordinator's waitlists in Django admin: per session, the order of the list, the
status of each offer, and "offer a seat now"."""

import re
from datetime import timedelta

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.urls import reverse
from django.utils import timezone

from registration.models import Enrolment, WaitlistEntry
from registration.services.waitlist import waitlist_join, waitlist_offer_next

from .flows import fill, session_of, text

pytestmark = pytest.mark.usefixtures("catalog", "before_season")

CHANGELIST = "admin:registration_waitlistentry_changelist"


def shown_messages(response) -> list[str]:
    return [str(message) for message in response.context["messages"]]


def rows(response) -> list[str]:
    """The text of each row of the changelist, in order."""
    table = response.content.decode().split('id="result_list"', 1)[1].split("</table>", 1)[0]
    return [text(row) for row in re.findall(r"<tr\b.*?</tr>", table, flags=re.S)[1:]]


@pytest.fixture
def june():
    """Module 1 in June, full."""
    session = session_of("module-1", 6)
    fill(session)
    return session


@pytest.fixture
def waiting(june, make_trainee, before_season):
    """Three trainees on June's waitlist, a minute apart."""
    trainees = []
    for _ in range(3):
        trainee = make_trainee()
        waitlist_join(trainee=trainee, session=june, now=timezone.now())
        trainees.append(trainee)
        before_season.shift(timedelta(minutes=1))
    return trainees


def offer(client, *entries):
    return client.post(
        reverse(CHANGELIST),
        {"action": "offer_seat_now", ACTION_CHECKBOX_NAME: [e.pk for e in entries]},
        follow=True,
    )


def test_a_session_waitlist_shows_the_place_in_line_and_each_offer(admin_client, june, waiting):
    first, second, third = waiting
    june.capacity += 1
    june.save(update_fields=["capacity"])
    waitlist_offer_next(session_id=june.pk, now=timezone.now())

    response = admin_client.get(reverse(CHANGELIST), {"session": june.pk})

    def who(trainee) -> str:
        return f"{trainee.trainee_profile.legal_name} <{trainee.email}>"

    first_row, second_row, third_row = rows(response)
    assert first_row.startswith(
        f"{june} — {who(first)} Seat offered until Sun, Jan 17, 2027 10:03 AM PT"
    )
    assert second_row.startswith(f"{june} 1 {who(second)} Waiting")
    assert third_row.startswith(f"{june} 2 {who(third)} Waiting")


def test_an_expired_offer_is_shown_as_such(admin_client, june, waiting, before_season):
    june.capacity += 1
    june.save(update_fields=["capacity"])
    (entry,) = waitlist_offer_next(session_id=june.pk, now=timezone.now())
    before_season.move_to(entry.offer_expires_at + timedelta(minutes=1))

    page = text(admin_client.get(reverse(CHANGELIST), {"session": june.pk}))

    assert "Offer expired" in page and "passing to the next person" in page


def test_offering_a_seat_now_after_raising_the_capacity(
    admin_client, june, waiting, mailoutbox, django_capture_on_commit_callbacks
):
    first, second, third = waiting
    june.capacity += 2
    june.save(update_fields=["capacity"])
    entries = WaitlistEntry.objects.filter(session=june)

    with django_capture_on_commit_callbacks(execute=True):
        response = offer(admin_client, entries.get(trainee=third))

    assert shown_messages(response) == [
        f"Seat offered to 2 trainees: {first.email}, {second.email}."
    ]
    assert dict(entries.values_list("trainee", "status")) == {
        first.pk: "offered",
        second.pk: "offered",
        third.pk: "waiting",
    }
    assert Enrolment.objects.filter(session=june, status="held").count() == 2
    assert sorted(email.to[0] for email in mailoutbox) == sorted([first.email, second.email])


def test_offering_a_seat_now_in_a_full_session_is_refused(admin_client, june, waiting):
    entry = WaitlistEntry.objects.get(trainee=waiting[0])

    response = offer(admin_client, entry)

    assert shown_messages(response) == [
        f"No seat is free in this session ({june}): raise its capacity first."
    ]
    assert set(WaitlistEntry.objects.values_list("status", flat=True)) == {"waiting"}
    assert not Enrolment.objects.filter(session=june, status="held").exists()


def test_the_waitlist_page_queries_do_not_grow_with_the_list(
    admin_client, june, make_trainee, django_assert_max_num_queries
):
    for _ in range(30):
        waitlist_join(trainee=make_trainee(), session=june, now=timezone.now())

    with django_assert_max_num_queries(12):
        response = admin_client.get(reverse(CHANGELIST), {"session": june.pk})

    assert len(rows(response)) == 30


def test_an_entry_page_shows_its_place_in_line(admin_client, waiting):
    entry = WaitlistEntry.objects.get(trainee=waiting[1])

    page = text(
        admin_client.get(reverse("admin:registration_waitlistentry_change", args=[entry.pk]))
    )

    assert "Place in line: 2" in page and "Offer: Waiting" in page
