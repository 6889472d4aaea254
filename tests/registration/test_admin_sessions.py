"""The coordinator's sessions list and dashboard: the right figures, in a constant number of
queries however many enrolments there are."""

from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from catalog.models import Session
from registration.models import Enrolment, Order, WaitlistEntry
from tests.factories import (
    CertificateFactory,
    OrderFactory,
    OrderLineFactory,
    UserFactory,
    login_staff,
)

pytestmark = pytest.mark.usefixtures("catalog", "before_season")


def fill(session: Session, *, confirmed: int, held: int = 0, waiting: int = 0) -> list[Enrolment]:
    users = [
        UserFactory.build(username=f"u{session.pk}-{n}", email=f"u{session.pk}-{n}@example.com")
        for n in range(confirmed + held + waiting)
    ]

    users = get_user_model().objects.bulk_create(users)
    now = timezone.now()
    enrolments = Enrolment.objects.bulk_create(
        [Enrolment(session=session, trainee=u, status="confirmed") for u in users[:confirmed]]
        + [
            Enrolment(
                session=session, trainee=u, status="held", hold_expires_at=now + timedelta(hours=1)
            )
            for u in users[confirmed : confirmed + held]
        ]
    )
    WaitlistEntry.objects.bulk_create(
        WaitlistEntry(session=session, trainee=u) for u in users[confirmed + held :]
    )
    return enrolments


def changelist_queries(client) -> tuple[int, str]:
    with CaptureQueriesContext(connection) as context:
        response = client.get(reverse("admin:catalog_session_changelist"))
    assert response.status_code == 200
    return len(context), response.content.decode()


def test_sessions_list_shows_seats_holds_waitlist_attendance_and_certificates(admin_client):
    session = Session.objects.get(offering__slug="module-2")
    session.capacity = 30
    session.save()
    enrolments = fill(session, confirmed=28, held=2, waiting=3)
    Enrolment.objects.filter(pk__in=[e.pk for e in enrolments[:5]]).update(attendance="attended")
    enrolment = enrolments[0]
    # Their users were made in bulk, without a profile: the certificate names them.
    CertificateFactory(enrolment=enrolment, legal_name="A", issued_at=timezone.now())
    _, page = changelist_queries(admin_client)
    row = page[page.index(f"session__id__exact={session.pk}") - 2000 :][:2500]
    assert "28 / 30" in row
    assert ">2<" in row and ">3<" in row
    assert "5 / 28" in row
    assert ">1<" in row


def test_sessions_list_query_count_is_constant(admin_client):
    small, _ = changelist_queries(admin_client)
    for session in Session.objects.filter(status="scheduled")[:10]:
        session.capacity = 60
        session.save()
        fill(session, confirmed=50, held=3, waiting=2)
    assert Enrolment.objects.count() >= 500
    large, _ = changelist_queries(admin_client)
    assert large == small


def test_dashboard_lists_pending_flagged_overdue_and_revenue(admin_client):
    session = Session.objects.get(offering__slug="module-1", starts_at__month=6)
    trainee = UserFactory()
    paid = OrderFactory(trainee=trainee, total_cents=42900)
    OrderLineFactory(order=paid, session=session, description="Module 1", ce_fee_cents=7900)
    pending = OrderFactory(
        trainee=trainee,
        status=Order.Status.PENDING,
        payment_method=Order.Method.OFFLINE,
        expires_at=timezone.now() + timedelta(days=7),
    )
    flagged = OrderFactory(
        trainee=trainee,
        status=Order.Status.EXPIRED,
        flagged_reason="Paid after its seat hold expired",
    )
    page = admin_client.get(reverse("admin:index"), {"season": "2027"}).content.decode()
    assert pending.code in page and flagged.code in page
    assert "Paid after its seat hold expired" in page
    assert "$429" in page
    assert "Season 2027" in page


def test_dashboard_counts_overdue_certificates(admin_client, admin_user, before_season):
    session = Session.objects.get(offering__slug="module-3", starts_at__month=5)
    enrolments = fill(session, confirmed=4)
    Enrolment.objects.filter(pk__in=[e.pk for e in enrolments]).update(attendance="attended")
    before_season.move_to(session.ends_at + timedelta(days=61))
    login_staff(admin_client, admin_user)  # the earlier sign-in has expired by then
    page = admin_client.get(reverse("admin:index")).content.decode()
    assert "Certificates overdue (4)" in page
