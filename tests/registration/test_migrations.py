"""Migrations keep what is there: rows migrated forward read as they did, in today's words."""

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from audit.services import log_entries
from registration.models import Enrolment, Order, OutboundEmail

BEFORE_PARTIAL = [("registration", "0010_address_email")]


@pytest.mark.django_db(transaction=True)
def test_attendance_marked_before_partial_attendance_existed_stays_attended_in_full(catalog):
    executor = MigrationExecutor(connection)
    latest = executor.loader.graph.leaf_nodes()
    try:
        executor.migrate(BEFORE_PARTIAL)
        old = executor.loader.project_state(BEFORE_PARTIAL).apps
        session = old.get_model("catalog", "Session").objects.filter(starts_at__isnull=False)[0]
        user = old.get_model("auth", "User").objects.create(username="ada", email="ada@x.org")
        marked = {
            value: old.get_model("registration", "Enrolment")
            .objects.create(session=session, trainee=user, status="confirmed", attendance=value)
            .pk
            for value in ("attended", "absent", "unmarked")
        }

        executor = MigrationExecutor(connection)
        executor.migrate(latest)
    finally:
        MigrationExecutor(connection).migrate(latest)

    after = {e.pk: e for e in Enrolment.objects.filter(pk__in=marked.values())}
    assert {value: after[pk].get_attendance_display() for value, pk in marked.items()} == {
        "attended": "Attended in full",
        "absent": "Absent",
        "unmarked": "Not marked",
    }
    assert all(e.override_reason == "" and e.zoom_connected_minutes is None for e in after.values())


BEFORE_AUDIT = [("registration", "0015_outbox_keys_unique"), ("audit", "0001_initial")]


@pytest.mark.django_db(transaction=True)
def test_the_orders_audit_log_moves_into_the_audit_log_word_for_word(catalog):
    executor = MigrationExecutor(connection)
    latest = executor.loader.graph.leaf_nodes()
    try:
        executor.migrate(BEFORE_AUDIT)
        old = executor.loader.project_state(BEFORE_AUDIT).apps
        user = old.get_model("auth", "User").objects.create(username="cora", email="c@x.org")
        order = old.get_model("registration", "Order").objects.create(
            code="AB12CD34",
            trainee=user,
            status="paid",
            payment_method="offline",
            total_cents=35000,
        )
        OrderEvent = old.get_model("registration", "OrderEvent")
        OrderEvent.objects.create(
            order=order, actor=user, action="paid", message="Payment of $350 received (offline)."
        )
        OrderEvent.objects.create(order=order, action="expired", message="Seat hold expired.")

        executor = MigrationExecutor(connection)
        executor.migrate(latest)
    finally:
        MigrationExecutor(connection).migrate(latest)

    entries = list(log_entries(Order.objects.get(code="AB12CD34")))
    assert [(e.text, e.actor.username if e.actor else None) for e in entries] == [
        ("Payment of $350 received (offline).", "cora"),
        ("Seat hold expired.", None),
    ]
    assert [e.data["action"] for e in entries] == ["paid", "expired"]


BEFORE_TRANSFER = [("registration", "0018_waitlist_offer_taken_at")]


@pytest.mark.django_db(transaction=True)
def test_a_registration_moved_before_the_word_was_transfer_reads_as_transferred(catalog):
    executor = MigrationExecutor(connection)
    latest = executor.loader.graph.leaf_nodes()
    try:
        executor.migrate(BEFORE_TRANSFER)
        old = executor.loader.project_state(BEFORE_TRANSFER).apps
        user = old.get_model("auth", "User").objects.create(username="tess", email="t@x.org")
        order = old.get_model("registration", "Order").objects.create(
            code="TR12CD34", trainee=user, status="paid", payment_method="offline", total_cents=0
        )
        old.get_model("audit", "LogEntry").objects.create(
            content_type=old.get_model("contenttypes", "ContentType").objects.get(
                app_label="registration", model="order"
            ),
            object_id=order.pk,
            action="registration.enrolment.moved",
            data={"old": "June", "new": "October"},
        )
        old.get_model("registration", "OutboundEmail").objects.create(
            kind="enrolment_moved", key="enrolment_moved:7", to="t@x.org"
        )

        executor = MigrationExecutor(connection)
        executor.migrate(latest)
    finally:
        MigrationExecutor(connection).migrate(latest)

    (entry,) = log_entries(Order.objects.get(code="TR12CD34"))
    assert entry.text == "Transferred from June to October."
    email = OutboundEmail.objects.get(to="t@x.org")
    assert (email.kind, email.key) == ("enrolment_transferred", "enrolment_transferred:7")
