"""Waitlists: join a full session, and a freed seat offered in turn, each offer holding it."""

import re
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from catalog.models import Session
from registration.models import CartItem, Enrolment, Order, WaitlistEntry
from registration.services.enrolments import enrolment_cancel
from registration.tasks import holds_expire

from .flows import (
    add_to_cart,
    cart_item,
    cart_page,
    element,
    offering_page,
    paid_order,
    pay,
    place_order,
    register,
    seats_left_shown,
    session_of,
    text,
)

pytestmark = pytest.mark.usefixtures("catalog", "before_season")


@pytest.fixture
def full_session(make_trainee):
    """Module 1 in June with one seat, taken and paid for by someone else."""
    module_1 = session_of("module-1", 6)
    module_1.capacity = 1
    module_1.save(update_fields=["capacity"])
    holder = make_trainee()
    paid_order(holder, module_1)
    module_1.holder = holder
    return module_1


def signed_in_as(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def join(client, session):
    return client.post(f"/sessions/{session.pk}/waitlist/", follow=True)


def free_the_seat(session, capture) -> None:
    """The trainee holding the seat cancels their registration."""
    with capture(execute=True):
        enrolment_cancel(
            enrolment=Enrolment.objects.get(session=session, trainee=session.holder),
            by=session.holder,
            now=timezone.now(),
        )


def test_a_full_session_offers_to_join_its_waitlist(signed_in, full_session):
    row = element(offering_page(signed_in, "module-1"), f"session-{full_session.pk}")

    assert "Full" in text(row)
    assert "Join waitlist" in text(row) and "Register" not in text(row)


def test_joining_and_leaving_the_waitlist(signed_in, trainee, full_session):
    response = join(signed_in, full_session)

    assert "You are on the waitlist for Module 1" in text(response)
    page = text(signed_in.get("/my/"))
    assert "Waitlists" in page and "waiting for a seat" in page

    entry = WaitlistEntry.objects.get(trainee=trainee)
    response = signed_in.post(f"/waitlist/{entry.pk}/leave/", follow=True)

    assert "You have left the waitlist." in text(response)
    assert "waiting for a seat" not in text(signed_in.get("/my/"))
    entry.refresh_from_db()
    assert entry.status == "left"


def test_joining_twice_is_refused(signed_in, full_session):
    join(signed_in, full_session)

    assert "You are already on this waitlist." in text(join(signed_in, full_session))
    assert WaitlistEntry.objects.count() == 1


def test_a_session_with_seats_has_no_waitlist(signed_in):
    response = join(signed_in, session_of("module-1", 10))

    assert "This session still has seats: add it to your cart instead." in text(response)
    assert not WaitlistEntry.objects.exists()


def test_a_cancellation_offers_the_seat_to_the_first_on_the_list_for_48_hours(
    make_trainee, full_session, mailoutbox, django_capture_on_commit_callbacks
):
    first, second = make_trainee(), make_trainee()
    join(signed_in_as(first), full_session)
    join(signed_in_as(second), full_session)
    mailoutbox.clear()

    free_the_seat(full_session, django_capture_on_commit_callbacks)

    offers = [m for m in mailoutbox if "A seat opened" in m.subject]
    assert [m.to for m in offers] == [[first.email]]
    assert "We hold it for you until Sunday, January 17, 10:00 AM PT." in offers[0].body
    hold = Enrolment.objects.get(session=full_session, trainee=first)
    assert hold.status == "held"
    assert hold.hold_expires_at == timezone.now() + timedelta(hours=48)
    assert WaitlistEntry.objects.get(trainee=second).status == "waiting"
    page = text(signed_in_as(first).get("/my/"))
    assert "A seat is held for you until Sun, Jan 17, 10:00 AM PT." in page


def test_an_accepted_offer_is_ordered_with_the_held_seat_while_others_see_the_session_full(
    client,
    make_trainee,
    full_session,
    fake_stripe,
    mailoutbox,
    django_capture_on_commit_callbacks,
):
    waiter, latecomer = make_trainee(), make_trainee()
    client.force_login(waiter)
    join(client, full_session)
    free_the_seat(full_session, django_capture_on_commit_callbacks)
    entry = WaitlistEntry.objects.get(trainee=waiter)

    response = client.post(f"/waitlist/{entry.pk}/accept/", follow=True)

    assert "The seat is in your cart" in text(response)
    assert "Cannot register" not in text(cart_page(client))
    stranger = signed_in_as(latecomer)
    assert seats_left_shown(stranger, full_session) == "Full"
    add_to_cart(stranger, full_session)
    assert "This Module 1 session is full" in text(cart_page(stranger))

    response = place_order(client, django_capture_on_commit_callbacks)

    order = Order.objects.get(trainee=waiter)
    assert response["Location"].startswith(fake_stripe.url)
    hold = Enrolment.objects.get(session=full_session, trainee=waiter)
    assert hold.order_line.order == order

    pay(client, fake_stripe, django_capture_on_commit_callbacks, order)
    assert order.status == "paid"
    hold.refresh_from_db()
    assert hold.status == "confirmed"
    assert Session.objects.seats_taken(session_id=full_session.pk, now=timezone.now()) == 1
    entry.refresh_from_db()
    assert entry.status == "accepted"


def test_an_offer_not_taken_in_time_passes_to_the_next_person(
    make_trainee, full_session, before_season, mailoutbox, django_capture_on_commit_callbacks
):
    first, second = make_trainee(), make_trainee()
    join(signed_in_as(first), full_session)
    join(signed_in_as(second), full_session)
    free_the_seat(full_session, django_capture_on_commit_callbacks)
    mailoutbox.clear()

    before_season.move_to(timezone.now() + timedelta(hours=48, minutes=1))
    with django_capture_on_commit_callbacks(execute=True):
        holds_expire.delay()

    assert WaitlistEntry.objects.get(trainee=first).status == "expired"
    assert Enrolment.objects.get(session=full_session, trainee=first).status == "expired"
    assert [m.to for m in mailoutbox] == [[second.email]]
    assert Enrolment.objects.get(session=full_session, trainee=second).status == "held"
    client = signed_in_as(first)
    assert "Take the seat" not in text(client.get("/my/"))
    assert WaitlistEntry.objects.get(trainee=second).status == "offered"


def test_an_expired_offer_cannot_be_accepted(
    make_trainee, full_session, before_season, django_capture_on_commit_callbacks
):
    waiter = make_trainee()
    join(signed_in_as(waiter), full_session)
    free_the_seat(full_session, django_capture_on_commit_callbacks)
    entry = WaitlistEntry.objects.get(trainee=waiter)

    before_season.move_to(timezone.now() + timedelta(hours=49))
    response = signed_in_as(waiter).post(f"/waitlist/{entry.pk}/accept/", follow=True)

    assert "This offer has expired or was already used." in text(response)
    assert not CartItem.objects.filter(trainee=waiter).exists()


def test_leaving_with_an_offer_passes_the_seat_on(
    make_trainee, full_session, mailoutbox, django_capture_on_commit_callbacks
):
    first, second = make_trainee(), make_trainee()
    join(signed_in_as(first), full_session)
    join(signed_in_as(second), full_session)
    free_the_seat(full_session, django_capture_on_commit_callbacks)
    mailoutbox.clear()
    entry = WaitlistEntry.objects.get(trainee=first)

    with django_capture_on_commit_callbacks(execute=True):
        signed_in_as(first).post(f"/waitlist/{entry.pk}/leave/")

    assert Enrolment.objects.get(session=full_session, trainee=first).status == "expired"
    assert [m.to for m in mailoutbox] == [[second.email]]


def test_an_unpaid_order_expiring_offers_its_seat_to_the_waitlist(
    client, make_trainee, before_season, mailoutbox, django_capture_on_commit_callbacks
):
    module_1 = session_of("module-1", 6)
    module_1.capacity = 1
    module_1.save(update_fields=["capacity"])
    holder, waiter = make_trainee(), make_trainee()
    client.force_login(holder)
    order = register(client, django_capture_on_commit_callbacks, module_1, method="offline")
    join(signed_in_as(waiter), module_1)
    mailoutbox.clear()

    before_season.move_to(order.expires_at + timedelta(minutes=1))
    with django_capture_on_commit_callbacks(execute=True):
        holds_expire.delay()

    order.refresh_from_db()
    assert order.status == "expired"
    assert [m.to for m in mailoutbox] == [[waiter.email]]
    assert Enrolment.objects.get(session=module_1, trainee=waiter).status == "held"


def test_the_waitlist_offer_in_the_cart_is_not_refused_as_already_held(
    client, make_trainee, full_session, django_capture_on_commit_callbacks
):
    waiter = make_trainee()
    client.force_login(waiter)
    join(client, full_session)
    free_the_seat(full_session, django_capture_on_commit_callbacks)
    client.post(f"/waitlist/{WaitlistEntry.objects.get(trainee=waiter).pk}/accept/")

    section = text(element(cart_page(client), f"item-{cart_item(waiter, full_session).pk}"))

    assert "Cannot register" not in section


def test_a_waitlist_offer_survives_stripe_being_unreachable_at_checkout(
    client, make_trainee, full_session, fake_stripe, settings, django_capture_on_commit_callbacks
):
    waiter, next_in_line = make_trainee(), make_trainee()
    client.force_login(waiter)
    join(client, full_session)
    join(signed_in_as(next_in_line), full_session)
    free_the_seat(full_session, django_capture_on_commit_callbacks)
    client.post(f"/waitlist/{WaitlistEntry.objects.get(trainee=waiter).pk}/accept/")
    settings.STRIPE_TIMEOUT_SECONDS = 0.5
    fake_stripe.fail_next("POST", "/v1/checkout/sessions", delay=5)

    place_order(client, django_capture_on_commit_callbacks)

    assert "We could not reach our card payment provider" in text(cart_page(client))
    assert WaitlistEntry.objects.get(trainee=waiter).status == "offered"
    assert WaitlistEntry.objects.get(trainee=next_in_line).status == "waiting"
    response = place_order(client, django_capture_on_commit_callbacks)
    assert response["Location"].startswith(fake_stripe.url)


def test_an_abandoned_payment_page_keeps_the_waitlist_offer_until_it_ends(
    client,
    make_trainee,
    full_session,
    fake_stripe,
    before_season,
    mailoutbox,
    django_capture_on_commit_callbacks,
):
    waiter, next_in_line = make_trainee(), make_trainee()
    client.force_login(waiter)
    join(client, full_session)
    join(signed_in_as(next_in_line), full_session)
    free_the_seat(full_session, django_capture_on_commit_callbacks)
    client.post(f"/waitlist/{WaitlistEntry.objects.get(trainee=waiter).pk}/accept/")
    abandoned = register(client, django_capture_on_commit_callbacks)
    mailoutbox.clear()

    before_season.move_to(abandoned.expires_at + timedelta(minutes=1))
    with django_capture_on_commit_callbacks(execute=True):
        holds_expire.delay()

    abandoned.refresh_from_db()
    assert abandoned.status == "expired"
    entry = WaitlistEntry.objects.get(trainee=waiter)
    assert entry.status == "offered" and entry.hold.status == "held"
    assert not mailoutbox  # nobody else is offered the seat
    client.force_login(waiter)
    assert "A seat is held for you until Sun, Jan 17, 10:00 AM PT." in text(client.get("/my/"))


# --------------------------------------------------------------------------------------
# The offer email's "Take the seat" link: signed, for the trainee it was sent to, working
# once, and dead when the offer ends. Opening it changes nothing; its button does.
# --------------------------------------------------------------------------------------

LINK = re.compile(r"http://\S+(/waitlist/take/[^/\s]+/)")


@pytest.fixture
def offer(make_trainee, full_session, mailoutbox, django_capture_on_commit_callbacks):
    """The first person waiting, their offer email, and the link in it."""
    waiter = make_trainee()
    join(signed_in_as(waiter), full_session)
    mailoutbox.clear()
    free_the_seat(full_session, django_capture_on_commit_callbacks)
    (email,) = [m for m in mailoutbox if "A seat opened" in m.subject]
    path = LINK.search(email.body)[1]
    return waiter, email, path


def test_the_offer_email_has_a_take_the_seat_link_in_both_parts(offer):
    _waiter, email, path = offer

    assert "Take the seat (the link works once, until the offer ends):" in email.body
    ((html, _mimetype),) = email.alternatives
    assert re.search(rf'<a href="http://[^"]+{re.escape(path)}"[^>]*>Take the seat</a>', html)
    assert "We hold the seat for you until Sunday, January 17, 10:00 AM PT." in text(html)


def test_the_link_shows_the_offer_and_its_button_puts_the_seat_in_the_cart_once(offer):
    waiter, _email, path = offer
    client = signed_in_as(waiter)

    page = client.get(path)
    assert page.status_code == 200
    assert "A seat opened from the waitlist and is held for you until Sunday, January 17" in (
        text(page)
    )
    assert not CartItem.objects.filter(trainee=waiter).exists()  # opening it changes nothing

    response = client.post(path, follow=True)
    assert "The seat is in your cart" in text(response)
    assert CartItem.objects.get(trainee=waiter).session.pk == (
        WaitlistEntry.objects.get(trainee=waiter).session_id
    )
    assert "Cannot register" not in text(response)

    again = client.get(path)
    assert again.status_code == 410
    assert "This link was used already: the seat is in your cart or your order." in text(again)
    assert "This link was used already" in text(client.post(path, follow=True))
    assert CartItem.objects.filter(trainee=waiter).count() == 1


def test_the_link_is_dead_once_the_offer_ends(
    offer, before_season, django_capture_on_commit_callbacks
):
    waiter, _email, path = offer
    before_season.move_to(timezone.now() + timedelta(hours=48, minutes=1))
    with django_capture_on_commit_callbacks(execute=True):
        holds_expire.delay()
    client = signed_in_as(waiter)

    page = client.get(path)
    response = client.post(path, follow=True)

    assert page.status_code == 410
    assert "This offer has ended: the seat went to the next person on the waitlist." in text(page)
    assert "This offer has ended" in text(response)
    assert not CartItem.objects.filter(trainee=waiter).exists()


def test_someone_else_or_a_tampered_link_takes_nothing(offer, make_trainee, client):
    waiter, _email, path = offer
    other = signed_in_as(make_trainee())

    assert other.get(path).status_code == 404
    assert other.post(path).status_code == 404
    tampered = path[:-3] + ("A" if path[-3] != "A" else "B") + path[-2:]
    assert signed_in_as(waiter).get(tampered).status_code == 404
    assert "This link is not valid" in text(signed_in_as(waiter).get(tampered))
    assert not CartItem.objects.exists()
    # A visitor who is not signed in signs in first, then comes back to the link.
    response = client.get(path)
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/?next=/waitlist/take/")
