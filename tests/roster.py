"""A session's roster as the roster, certificate and fault tests set it up: Module 1's June
session, trainees with licenses, seats bought through orders, and the roster's admin page
and its actions."""

import re
from datetime import datetime, timedelta

from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.urls import reverse

from catalog.models import CreditType, Session, SiteSettings
from registration.models import Enrolment, Order, OrderLine, TraineeProfile
from tests.admin_forms import admin_form_data
from tests.factories import (
    PACIFIC,
    EnrolmentFactory,
    OrderFactory,
    OrderLineFactory,
    TraineeFactory,
)

# Module 1 runs Mon, Jun 21, 2027, 9:00 AM – 5:00 PM PT.
SESSION_START = datetime(2027, 6, 21, 9, 0, tzinfo=PACIFIC)
SESSION_END = datetime(2027, 6, 21, 17, 0, tzinfo=PACIFIC)
EVENING_AFTER = datetime(2027, 6, 21, 18, 30, tzinfo=PACIFIC)


def at(hour: int, minute: int = 0, second: int = 0) -> datetime:
    """A time on the session's day, Pacific time."""
    return SESSION_START.replace(hour=hour, minute=minute, second=second)


def trainee(
    legal_name: str,
    *,
    profession: str = "lmft",
    credentials: str = "LMFT",
    license_number: str = "LMFT 100",
    state: str = "CA",
    email: str = "",
):
    """A trainee with a profile (TraineeFactory), an LMFT licensed in California unless told."""
    return TraineeFactory(
        legal_name=legal_name,
        profession=profession,
        credentials=credentials,
        license_number=license_number,
        state=state,
        **({"email": email} if email else {}),
    )


def enrol(
    session: Session,
    user,
    *,
    status: str = "confirmed",
    method: str = "stripe",
    credit: str | None = None,
    **fields,
) -> Enrolment:
    """A trainee's seat, bought through an order as checkout leaves it: paid if confirmed,
    otherwise pending with the seat held for three days."""
    credit_type = CreditType.objects.get(code=credit) if credit else None
    paid = status == "confirmed"
    free = method == "complimentary"
    line = OrderLineFactory(
        order=OrderFactory(
            trainee=user,
            status=Order.Status.PAID if paid else Order.Status.PENDING,
            payment_method=method,
            total_cents=0 if free else 35000,
            expires_at=None if paid else EVENING_AFTER + timedelta(days=3),
        ),
        session=session,
        tuition_cents=0 if free else 32500,
        admin_fee_cents=0 if free else 2500,
        credit_type=credit_type,
    )
    return EnrolmentFactory(
        session=session,
        trainee=user,
        status=status,
        hold_expires_at=None if paid else EVENING_AFTER + timedelta(days=3),
        order_line=line,
        credit_type=credit_type,
        **fields,
    )


def grow_roster(session: Session, count: int) -> None:
    """Seat-holding enrolments with profiles, orders and CE, in bulk (factories would save
    them one by one)."""
    user_model = get_user_model()
    start = Enrolment.objects.filter(session=session).count()
    users = user_model.objects.bulk_create(
        user_model(username=f"bulk{session.pk}-{n}", email=f"bulk{session.pk}-{n}@example.com")
        for n in range(start, start + count)
    )
    TraineeProfile.objects.bulk_create(
        TraineeProfile(
            user=u, legal_name=f"Bulk Trainee {u.pk}", profession="lcsw", license_number="1"
        )
        for u in users
    )
    orders = Order.objects.bulk_create(
        Order(trainee=u, status="paid", payment_method="stripe", total_cents=35000) for u in users
    )
    lines = OrderLine.objects.bulk_create(
        OrderLine(
            order=o,
            session=session,
            offering=session.offering,
            description="Module 1",
            tuition_cents=32500,
            admin_fee_cents=2500,
        )
        for o in orders
    )
    apa = CreditType.objects.get(code="apa")
    Enrolment.objects.bulk_create(
        Enrolment(
            session=session,
            trainee=u,
            status="confirmed",
            order_line=line,
            credit_type=apa,
            signed_in_at=at(9, n % 40),
            signed_out_at=at(16, n % 60),
        )
        for n, (u, line) in enumerate(zip(users, lines, strict=True))
    )


def roster_url(session: Session) -> str:
    return (
        reverse("admin:registration_rosterentry_changelist") + f"?session__id__exact={session.pk}"
    )


def run_action(client, session: Session, action: str, *entries, **data):
    """One of the roster's bulk actions on those entries, as the coordinator runs it."""
    return client.post(
        roster_url(session),
        {"action": action, "index": 0, ACTION_CHECKBOX_NAME: [e.pk for e in entries], **data},
        follow=True,
    )


def ask_for_the_sheet(client, session: Session, entries=(), *, everyone=False):
    """The roster's "Print the sign-in sheet" action, as the coordinator runs it; the page it
    leads to (the sheet's own page, refreshing itself until the sheet is ready)."""
    data = {"action": "sign_in_sheet", "index": 0}
    if everyone:
        data |= {"select_across": "1", ACTION_CHECKBOX_NAME: [session.enrolments.first().pk]}
    else:
        data[ACTION_CHECKBOX_NAME] = [e.pk for e in entries]
    response = client.post(roster_url(session), data, follow=True)
    assert response.status_code == 200
    return response


def download_link(page) -> str | None:
    """The sign-in sheet's download link on its page, once the sheet is ready."""
    found = re.search(r'id="sign-in-sheet-download" href="([^"]+)"', page.content.decode())
    return found.group(1) if found else None


def auto_issue(on: bool) -> None:
    """The site setting that issues certificates as soon as attendance is marked."""
    settings = SiteSettings.objects.get()
    settings.issue_certificates_on_attendance = on
    settings.save()
    cache.delete(SiteSettings.CACHE_KEY)


def on_roster(roster: dict[str, Enrolment]) -> list[Enrolment]:
    """The seat holders of the registration tests' `roster` fixture (not the cancelled one,
    nor the one on another date)."""
    return [roster[key] for key in ("abara", "bell", "cho", "diaz")]


def inline_form(client, session: Session, entry: Enrolment) -> tuple[dict, str]:
    """The roster's form data, and the prefix of the entry's row in it."""
    data = admin_form_data(client, roster_url(session))
    index = next(
        key.split("-")[1]
        for key, value in data.items()
        if key.endswith("-id") and value == str(entry.pk)
    )
    return data, f"form-{index}"


def email_the_roster(client, session, entries, *, subject: str, message: str):
    """The roster's "Email the roster…" action: the form, then "Send"."""
    form = client.post(
        roster_url(session),
        {"action": "email_roster", "index": 0, ACTION_CHECKBOX_NAME: [e.pk for e in entries]},
    )
    assert form.status_code == 200
    token = re.search(r'name="token" value="([0-9a-f]+)"', form.content.decode())
    return client.post(
        roster_url(session),
        {
            "action": "email_roster",
            ACTION_CHECKBOX_NAME: [e.pk for e in entries],
            "subject": subject,
            "message": message,
            "token": token[1] if token else "",
            "send": "Send",
        },
        follow=True,
    )
