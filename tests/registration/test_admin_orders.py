"""The coordinator's orders in Django admin: finding orders, what an order shows, and the
actions (mark paid, cancel, refund, transfer, register by hand, waive a prerequisite), each
reporting what it did, refusing bad input with a message and changing nothing then."""

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.urls import reverse
from django.utils import timezone

from audit.services import log_entries
from catalog.models import CreditType, Offering
from registration.models import (
    Enrolment,
    Order,
    Payment,
    PrerequisiteWaiver,
    Refund,
    WaitlistEntry,
)
from registration.services.cart import cart_add
from registration.services.orders import order_place
from registration.services.waitlist import waitlist_join
from tests.admin_forms import admin_form_data
from tests.admin_pages import order_url, shown_messages

from .flows import add_to_cart, fill, paid_order, pay, place_order, register, session_of, text

pytestmark = pytest.mark.usefixtures("catalog", "before_season")

CHANGELIST = "admin:registration_order_changelist"


def run_action(client, action: str, *objects, model: str = "order", **data):
    return client.post(
        reverse(f"admin:registration_{model}_changelist"),
        {"action": action, ACTION_CHECKBOX_NAME: [o.pk for o in objects], **data},
        follow=True,
    )


def pending_order(trainee, *sessions, method: str = "offline") -> Order:
    for session in sessions:
        cart_add(trainee=trainee, session=session, now=timezone.now())
    return order_place(trainee=trainee, payment_method=method, now=timezone.now())


def audit_log(order: Order) -> list[tuple[str, str]]:
    return [
        (event.action, event.actor.username if event.actor else "") for event in log_entries(order)
    ]


@pytest.fixture
def paid_by_card(signed_in, fake_stripe, django_capture_on_commit_callbacks, mailoutbox):
    """Module 1 in June with APA CE, paid by card: $325 + $25 + $79."""
    order = register(
        signed_in, django_capture_on_commit_callbacks, session_of("module-1", 6), ce="apa"
    )
    pay(signed_in, fake_stripe, django_capture_on_commit_callbacks, order)
    mailoutbox.clear()
    return order


# ------------------------------------------------------------------ finding orders


def test_orders_are_found_by_code_email_or_legal_name(admin_client, make_trainee):
    ada, bo = make_trainee(first_name="Ada", last_name="Lovelace"), make_trainee()
    ada_order = paid_order(ada, session_of("module-1", 6))
    paid_order(bo, session_of("module-1", 6))

    for query in (ada_order.code, ada.email.upper(), "lovelace"):
        response = admin_client.get(reverse(CHANGELIST), {"q": query})
        assert list(response.context["cl"].result_list) == [ada_order], query


def test_orders_are_filtered_by_status_method_and_flag(admin_client, make_trainee):
    paid = paid_order(make_trainee(), session_of("module-1", 6))
    pending = pending_order(make_trainee(), session_of("module-1", 6))
    Order.objects.filter(pk=paid.pk).update(flagged_reason="Paid after its hold expired.")

    def listed(**params) -> set[Order]:
        return set(admin_client.get(reverse(CHANGELIST), params).context["cl"].result_list)

    assert listed(status__exact="pending") == {pending}
    assert listed(payment_method__exact="offline") == {paid, pending}
    assert listed(payment_method__exact="stripe") == set()
    assert listed(flagged_reason__isempty="0") == {paid}


def test_order_page_shows_lines_payments_refunds_and_the_audit_log(
    admin_client, admin_user, make_trainee
):
    order = paid_order(make_trainee(), session_of("module-1", 6))
    admin_client.post(
        order_url(order, "refund"),
        {"amount": "25", "reason": "Goodwill", "refunded_cents_seen": "0"},
    )

    page = text(admin_client.get(order_url(order)))

    assert "Module 1" in page and "Mon, Jun 21, 2027" in page  # the line and its registration
    assert "Invoice or check $350" in page  # the payment
    assert "Goodwill" in page and "To be paid back by the center" in page  # the refund
    assert "placed" in page and "paid" in page and "refunded" in page  # the audit log
    assert audit_log(order)[-1] == ("registration.order.refunded", admin_user.username)
    assert "Refund…" in page and "Cancel and free the seats…" in page


# ------------------------------------------------------------------ mark paid


def test_marking_an_offline_payment_received_confirms_the_order(
    admin_client, admin_user, make_trainee
):
    order = pending_order(make_trainee(), session_of("module-1", 6))

    response = run_action(admin_client, "mark_offline_payment_received", order)

    assert shown_messages(response) == ["1 order marked paid."]
    order.refresh_from_db()
    assert order.status == "paid"
    assert Payment.objects.get(order=order).recorded_by == admin_user
    assert audit_log(order)[-1] == ("registration.order.paid", admin_user.username)


def test_marking_an_offline_payment_twice_is_refused_and_changes_nothing(
    admin_client, make_trainee
):
    order = pending_order(make_trainee(), session_of("module-1", 6))
    run_action(admin_client, "mark_offline_payment_received", order)
    events = audit_log(order)

    response = run_action(admin_client, "mark_offline_payment_received", order)

    assert shown_messages(response) == [f"Order {order.code} is already paid."]
    assert Payment.objects.filter(order=order).count() == 1
    assert audit_log(order) == events


# ------------------------------------------------------------------ cancel


def test_cancelling_asks_for_confirmation_first(admin_client, make_trainee):
    order = pending_order(make_trainee(), session_of("module-1", 6))

    response = run_action(admin_client, "cancel_orders", order)

    page = text(response)
    assert "Cancel orders and free their seats" in page
    assert order.code in page and "Mon, Jun 21, 2027" in page
    order.refresh_from_db()
    assert order.status == "pending"


def test_cancelling_a_pending_order_releases_its_seats(admin_client, admin_user, make_trainee):
    order = pending_order(make_trainee(), session_of("module-1", 6), session_of("module-7", 8))

    response = run_action(
        admin_client, "cancel_orders", order, confirm="yes", reason="Asked by phone"
    )

    assert shown_messages(response) == [f"Order {order.code} cancelled: 2 seats freed."]
    order.refresh_from_db()
    assert order.status == "cancelled"
    assert set(
        Enrolment.objects.filter(order_line__order=order).values_list("status", flat=True)
    ) == {"cancelled"}
    assert audit_log(order)[-1] == ("registration.order.cancelled", admin_user.username)
    assert log_entries(order).last().text == "Asked by phone"


def test_cancelling_a_paid_order_frees_its_seats_without_refunding(
    admin_client,
    admin_user,
    make_trainee,
    mailoutbox,
    django_capture_on_commit_callbacks,
):
    june = session_of("module-1", 6)
    trainee, waiting = make_trainee(), make_trainee()
    order = paid_order(trainee, june)
    fill(june)
    waitlist_join(trainee=waiting, session=june, now=timezone.now())

    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(
            order_url(order, "cancel"), {"reason": "Trainee is unwell"}, follow=True
        )

    assert shown_messages(response) == [
        f"Order {order.code} cancelled: 1 seat freed. Nothing was refunded: use Refund on the "
        "order (by default $325, the administrative fees kept)."
    ]
    order.refresh_from_db()
    assert (order.status, order.refunded_cents) == ("paid", 0)
    assert Enrolment.objects.get(order_line__order=order).status == "cancelled"
    assert not Refund.objects.filter(order=order).exists()
    assert audit_log(order)[-1] == ("registration.order.cancelled_by_staff", admin_user.username)
    assert "Trainee is unwell" in log_entries(order).last().text
    # The freed seat went to the waitlist, and both trainees were told.
    assert WaitlistEntry.objects.get(trainee=waiting).status == "offered"
    assert sorted(email.to[0] for email in mailoutbox) == sorted([trainee.email, waiting.email])


def test_cancelling_a_paid_order_twice_is_refused(admin_client, make_trainee):
    order = paid_order(make_trainee(), session_of("module-1", 6))
    run_action(admin_client, "cancel_orders", order, confirm="yes")
    events = audit_log(order)

    response = run_action(admin_client, "cancel_orders", order, confirm="yes")

    assert shown_messages(response) == [
        f"Order {order.code} has no upcoming registration left to cancel."
    ]
    assert audit_log(order) == events


# ------------------------------------------------------------------ refund


def test_refund_page_proposes_what_is_refundable_less_the_administrative_fee(
    admin_client, paid_by_card
):
    page = text(admin_client.get(order_url(paid_by_card, "refund")))
    form = admin_form_data(admin_client, order_url(paid_by_card, "refund"))

    assert "Total paid $429 Refunded so far $0 Can still be refunded $429" in page
    assert (form["amount"], form["refunded_cents_seen"]) == ("404.00", "0")
    assert form["order_line"] == str(paid_by_card.lines.get().pk)  # its only registration


def test_the_refund_action_opens_the_refund_page_of_one_order(admin_client, paid_by_card):
    response = run_action(admin_client, "refund_order", paid_by_card)
    assert response.redirect_chain[-1][0] == order_url(paid_by_card, "refund")

    other = paid_order(paid_by_card.trainee, session_of("module-7", 8))
    response = run_action(admin_client, "refund_order", paid_by_card, other)
    assert shown_messages(response) == ["Refund one order at a time."]


def test_refunding_a_card_order_goes_through_stripe_with_an_idempotency_key(
    admin_client, admin_user, paid_by_card, fake_stripe
):
    response = admin_client.post(
        order_url(paid_by_card, "refund"),
        {"amount": "$404", "reason": "Cancelled within the policy", "refunded_cents_seen": "0"},
        follow=True,
    )

    assert shown_messages(response) == [f"$404 refunded on order {paid_by_card.code} (Refunded)."]
    (refund,) = fake_stripe.refunds.values()
    assert (refund["amount"], refund["payment_intent"]) == (
        40400,
        paid_by_card.stripe_payment_intent_id,
    )
    (request,) = [r for r in fake_stripe.requests if r.path == "/v1/refunds"]
    assert request.idempotency_key
    paid_by_card.refresh_from_db()
    assert paid_by_card.refunded_cents == 40400
    record = Refund.objects.get(order=paid_by_card)
    assert (record.status, record.created_by, record.reason) == (
        "succeeded",
        admin_user,
        "Cancelled within the policy",
    )
    assert audit_log(paid_by_card)[-1] == ("registration.order.refunded", admin_user.username)


def test_a_refund_above_what_is_refundable_is_refused(admin_client, paid_by_card, fake_stripe):
    response = admin_client.post(
        order_url(paid_by_card, "refund"),
        {"amount": "430", "reason": "Too much", "refunded_cents_seen": "0"},
        follow=True,
    )

    assert shown_messages(response) == ["At most $429 can still be refunded."]
    paid_by_card.refresh_from_db()
    assert paid_by_card.refunded_cents == 0
    assert not Refund.objects.exists()
    assert not fake_stripe.refunds


def test_a_refund_stripe_cannot_make_changes_nothing(admin_client, paid_by_card, fake_stripe):
    fake_stripe.fail_next("POST", "/v1/refunds", status=500)

    response = admin_client.post(
        order_url(paid_by_card, "refund"),
        {"amount": "404", "reason": "Cancelled", "refunded_cents_seen": "0"},
        follow=True,
    )

    (message,) = shown_messages(response)
    assert message.startswith("Stripe could not make the refund")
    assert response.redirect_chain[-1][0] == order_url(paid_by_card, "refund")
    paid_by_card.refresh_from_db()
    assert paid_by_card.refunded_cents == 0
    assert not Refund.objects.exists()


def test_a_refund_needs_a_reason(admin_client, paid_by_card, fake_stripe):
    response = admin_client.post(
        order_url(paid_by_card, "refund"),
        {"amount": "404", "reason": "", "refunded_cents_seen": "0"},
    )

    assert response.status_code == 200
    assert "This field is required." in text(response)
    assert not fake_stripe.refunds


def test_a_refund_for_one_registration_is_recorded_on_its_line(admin_client, make_trainee):
    order = paid_order(make_trainee(), session_of("module-1", 6), session_of("music-module", 7))
    june, july = order.lines.order_by("session__starts_at")

    refused = admin_client.post(
        order_url(order, "refund"),
        {"amount": "351", "order_line": june.pk, "reason": "x", "refunded_cents_seen": "0"},
        follow=True,
    )
    done = admin_client.post(
        order_url(order, "refund"),
        {"amount": "325", "order_line": june.pk, "reason": "x", "refunded_cents_seen": "0"},
        follow=True,
    )

    assert shown_messages(refused) == [f"At most $350 of {june.description} can still be refunded."]
    assert shown_messages(done) == [
        f"$325 refunded on order {order.code} (To be paid back by the center)."
    ]
    june.refresh_from_db()
    july.refresh_from_db()
    assert (june.refunded_cents, july.refunded_cents) == (32500, 0)


def test_a_resubmitted_refund_form_refunds_once(admin_client, paid_by_card, fake_stripe):
    form = {"amount": "100", "reason": "Partial", "refunded_cents_seen": "0"}
    admin_client.post(order_url(paid_by_card, "refund"), form, follow=True)

    response = admin_client.post(order_url(paid_by_card, "refund"), form, follow=True)

    assert shown_messages(response) == [
        f"Order {paid_by_card.code} was refunded $100 meanwhile. Check the amounts below and "
        "refund again if more is due."
    ]
    assert len(fake_stripe.refunds) == 1
    paid_by_card.refresh_from_db()
    assert paid_by_card.refunded_cents == 10000


def test_refunding_an_invoice_order_records_the_refund_as_due(
    admin_client, admin_user, make_trainee
):
    order = paid_order(make_trainee(), session_of("module-1", 6))

    response = admin_client.post(
        order_url(order, "refund"),
        {"amount": "325", "reason": "Cancelled", "refunded_cents_seen": "0"},
        follow=True,
    )

    assert shown_messages(response) == [
        f"$325 refunded on order {order.code} (To be paid back by the center)."
    ]
    refund = Refund.objects.get(order=order)
    assert (refund.amount_cents, refund.status, refund.created_by) == (32500, "due", admin_user)


def test_an_unpaid_order_cannot_be_refunded(admin_client, make_trainee):
    order = pending_order(make_trainee(), session_of("module-1", 6))

    response = admin_client.post(
        order_url(order, "refund"),
        {"amount": "10", "reason": "Oops", "refunded_cents_seen": "0"},
        follow=True,
    )

    assert shown_messages(response) == [
        f"Order {order.code} was not paid: there is nothing to refund."
    ]
    assert not Refund.objects.exists()


# ------------------------------------------------------------------ transfer


def transfer_url(enrolment: Enrolment) -> str:
    return reverse("admin:registration_enrolment_transfer", args=[enrolment.pk])


def test_the_order_page_links_each_registration_to_its_transfer_page(admin_client, make_trainee):
    order = paid_order(make_trainee(), session_of("module-1", 6))
    enrolment = Enrolment.objects.get(order_line__order=order)

    assert transfer_url(enrolment) in admin_client.get(order_url(order)).content.decode()
    enrolment_page = reverse("admin:registration_enrolment_change", args=[enrolment.pk])
    assert transfer_url(enrolment) in admin_client.get(enrolment_page).content.decode()
    response = run_action(admin_client, "transfer_to_another_date", enrolment, model="enrolment")
    assert response.redirect_chain[-1][0] == transfer_url(enrolment)


def test_the_transfer_page_lists_the_other_dates_with_seats_left(admin_client, make_trainee):
    enrolment = Enrolment.objects.get(
        order_line__order=paid_order(make_trainee(), session_of("module-1", 6))
    )
    fill(session_of("module-1", 10), leave=2)

    page = text(admin_client.get(transfer_url(enrolment)))

    assert "Mon, Oct 18, 2027 · 9:00 AM – 5:00 PM PT · 2 seats left" in page


def test_transferring_a_registration_to_another_date_of_the_same_offering(
    admin_client, admin_user, make_trainee
):
    trainee = make_trainee()
    order = paid_order(trainee, session_of("module-1", 6))
    enrolment = Enrolment.objects.get(order_line__order=order)
    october = session_of("module-1", 10)

    response = admin_client.post(transfer_url(enrolment), {"session": october.pk}, follow=True)

    assert shown_messages(response) == [
        f"{trainee.email} transferred from Mon, Jun 21, 2027 · 9:00 AM – 5:00 PM PT to "
        "Mon, Oct 18, 2027 · 9:00 AM – 5:00 PM PT."
    ]
    assert response.redirect_chain[-1][0] == order_url(order)
    enrolment.refresh_from_db()
    assert enrolment.status == "transferred"
    assert enrolment.transferred_to.session == october
    assert audit_log(order)[-1] == ("registration.enrolment.transferred", admin_user.username)


def test_transferring_to_a_full_session_is_refused(admin_client, make_trainee):
    enrolment = Enrolment.objects.get(
        order_line__order=paid_order(make_trainee(), session_of("module-1", 6))
    )
    october = session_of("module-1", 10)
    fill(october)

    response = admin_client.post(transfer_url(enrolment), {"session": october.pk}, follow=True)

    assert shown_messages(response) == [
        f"{october} is full: no seat is free. Raise its capacity first, or choose another date."
    ]
    enrolment.refresh_from_db()
    assert (enrolment.status, enrolment.session) == ("confirmed", session_of("module-1", 6))
    assert not Enrolment.objects.filter(session=october, trainee=enrolment.trainee).exists()


def test_transferring_to_a_session_of_another_offering_is_refused(admin_client, make_trainee):
    enrolment = Enrolment.objects.get(
        order_line__order=paid_order(make_trainee(), session_of("module-1", 6))
    )

    response = admin_client.post(
        transfer_url(enrolment), {"session": session_of("module-7", 8).pk}, follow=True
    )

    assert shown_messages(response) == [
        "A registration can only be transferred to another date of the same training."
    ]
    enrolment.refresh_from_db()
    assert (enrolment.status, enrolment.session) == ("confirmed", session_of("module-1", 6))


# ------------------------------------------------------------------ manual registration

MANUAL = "admin:registration_order_manual"


def test_the_orders_list_links_to_the_manual_registration_page(admin_client):
    assert reverse(MANUAL) in admin_client.get(reverse(CHANGELIST)).content.decode()
    assert "Add a manual or complimentary registration" in text(admin_client.get(reverse(MANUAL)))


def test_a_complimentary_registration_confirms_a_seat_at_once(
    admin_client, admin_user, make_trainee, mailoutbox, django_capture_on_commit_callbacks
):
    trainee = make_trainee()
    june = session_of("module-1", 6)

    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(
            reverse(MANUAL), {"email": trainee.email, "session": june.pk, "price": "0"}, follow=True
        )

    order = Order.objects.get(trainee=trainee)
    assert shown_messages(response) == [
        f"{trainee.email} registered for {june}: order {order.code} (Complimentary, $0)."
    ]
    assert (order.status, order.payment_method, order.total_cents) == ("paid", "complimentary", 0)
    line = order.lines.get()
    assert (line.tuition_cents, line.admin_fee_cents, line.ce_fee_cents) == (0, 0, 0)
    assert "Module 1" in line.description
    enrolment = Enrolment.objects.get(order_line=line)
    assert (enrolment.session, enrolment.status) == (june, "confirmed")
    assert audit_log(order) == [("registration.order.registered_by_staff", admin_user.username)]
    (email,) = mailoutbox
    assert email.to == [trainee.email] and "Your registration is confirmed" in email.subject


def test_a_manual_registration_at_a_chosen_price_with_ce(admin_client, admin_user, make_trainee):
    trainee = make_trainee()

    admin_client.post(
        reverse(MANUAL),
        {
            "email": trainee.email,
            "session": session_of("module-1", 6).pk,
            "price": "$150",
            "credit_type": CreditType.objects.get(code="apa").pk,
        },
    )

    order = Order.objects.get(trainee=trainee)
    assert (order.payment_method, order.total_cents) == ("offline", 15000)
    assert order.lines.get().tuition_cents == 15000
    assert Payment.objects.get(order=order).recorded_by == admin_user
    assert Enrolment.objects.get(trainee=trainee).credit_type.code == "apa"


def test_a_manual_registration_on_a_full_session_is_refused(admin_client, make_trainee):
    trainee = make_trainee()
    june = session_of("module-1", 6)
    fill(june)

    response = admin_client.post(
        reverse(MANUAL), {"email": trainee.email, "session": june.pk, "price": "0"}, follow=True
    )

    assert shown_messages(response) == [
        f"{june} is full: no seat is free. Raise its capacity first, or add the trainee to its "
        "waitlist."
    ]
    assert not Order.objects.filter(trainee=trainee).exists()
    assert not Enrolment.objects.filter(trainee=trainee).exists()


def test_a_manual_registration_for_an_unknown_email_is_refused(admin_client):
    response = admin_client.post(
        reverse(MANUAL),
        {"email": "nobody@example.com", "session": session_of("module-1", 6).pk, "price": "0"},
    )

    assert "No account uses this email address." in text(response)
    assert not Order.objects.exists()


def test_a_manual_registration_refuses_ce_the_license_cannot_use(admin_client, make_trainee):
    trainee = make_trainee(profession="rn")

    response = admin_client.post(
        reverse(MANUAL),
        {
            "email": trainee.email,
            "session": session_of("module-1", 6).pk,
            "price": "0",
            "credit_type": CreditType.objects.get(code="apa").pk,
        },
        follow=True,
    )

    (message,) = shown_messages(response)
    assert "cannot have APA CE" in message
    assert not Order.objects.filter(trainee=trainee).exists()


def test_a_trainee_already_registered_is_not_registered_twice(admin_client, make_trainee):
    trainee = make_trainee()
    paid_order(trainee, session_of("module-1", 6))

    response = admin_client.post(
        reverse(MANUAL),
        {"email": trainee.email, "session": session_of("module-1", 10).pk, "price": "0"},
        follow=True,
    )

    assert shown_messages(response) == [
        f"{trainee.trainee_profile.legal_name} is already registered for Module 1."
    ]
    assert Order.objects.filter(trainee=trainee).count() == 1


# ------------------------------------------------------------------ prerequisite waiver


def test_a_waiver_granted_in_admin_lets_the_trainee_take_module3_without_module1(
    admin_client, admin_user, client, make_trainee, django_capture_on_commit_callbacks
):
    trainee = make_trainee()
    module_1 = Offering.objects.get(slug="module-1")

    response = admin_client.post(
        reverse("admin:registration_prerequisitewaiver_add"),
        {"trainee": trainee.pk, "offering": module_1.pk, "reason": "Took it elsewhere."},
    )

    assert response.status_code == 302
    waiver = PrerequisiteWaiver.objects.get(trainee=trainee)
    assert (waiver.offering, waiver.granted_by, waiver.reason) == (
        module_1,
        admin_user,
        "Took it elsewhere.",
    )
    client.force_login(trainee)
    add_to_cart(client, session_of("module-3", 8))
    place_order(client, django_capture_on_commit_callbacks, "offline")
    assert Order.objects.filter(trainee=trainee, status="pending").exists()


def test_a_waiver_without_a_reason_is_refused(admin_client, make_trainee):
    trainee = make_trainee()

    response = admin_client.post(
        reverse("admin:registration_prerequisitewaiver_add"),
        {
            "trainee": trainee.pk,
            "offering": Offering.objects.get(slug="module-1").pk,
            "reason": "   ",
        },
    )

    assert response.status_code == 200
    assert "This field is required." in text(response)
    assert not PrerequisiteWaiver.objects.exists()


def test_a_second_waiver_for_the_same_prerequisite_is_refused(admin_client, make_trainee):
    trainee = make_trainee()
    module_1 = Offering.objects.get(slug="module-1")
    data = {"trainee": trainee.pk, "offering": module_1.pk, "reason": "Took it elsewhere."}
    admin_client.post(reverse("admin:registration_prerequisitewaiver_add"), data)

    response = admin_client.post(reverse("admin:registration_prerequisitewaiver_add"), data)

    assert response.status_code == 200
    assert "already exists" in text(response)
    assert PrerequisiteWaiver.objects.filter(trainee=trainee).count() == 1
