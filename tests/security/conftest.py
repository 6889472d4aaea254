"""Fixtures for the security tests: the people (a trainee, another trainee, a coordinator, a
clinical reviewer, a superuser), one of each thing a trainee owns, and what changed."""

from dataclasses import dataclass
from datetime import datetime
from html.parser import HTMLParser

import pytest
from allauth.account.models import EmailAddress
from django.apps import apps
from django.contrib.auth.models import Group
from django.utils import timezone

from catalog.formatting import PACIFIC
from catalog.models import Offering, Session
from certificates.models import Certificate
from certificates.services.issuing import certificate_issue
from registration.models import (
    CartItem,
    Enrolment,
    Intake,
    IntakeQuestion,
    InterestSignup,
    Invitation,
    Order,
    TraineeProfile,
    WaitlistEntry,
)
from registration.roles import CLINICAL_REVIEWER, COORDINATOR
from registration.services.cart import cart_add
from registration.services.intake import intake_submit
from registration.services.interest import interest_signup
from registration.services.invitations import invitation_create
from tests.factories import (
    EnrolmentFactory,
    SessionFactory,
    UserFactory,
    login_staff,
    second_factor_enrol,
)
from tests.registration.flows import paid_order, session_of

# The password UserFactory gives everyone.
PASSWORD = "correct horse battery staple"
# A Module 1 session that ended before the clock of `before_season`.
LAST_NOVEMBER = datetime(2026, 11, 2, 9, 0, tzinfo=PACIFIC)


def make_user(*, legal_name: str = "", groups: tuple[str, ...] = (), **fields):
    """A user with a verified email address (so allauth lets them sign in) and, with a
    legal name, a psychologist's trainee profile. Staff (with `groups`, or is_staff) have an
    authenticator app set up, as they must (tests.factories.StaffFactory)."""
    user = UserFactory(**fields)
    EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=True)
    if legal_name:
        TraineeProfile.objects.create(
            user=user,
            legal_name=legal_name,
            credentials="PhD",
            profession="psychologist",
            license_number="PSY 12345",
            license_state="CA",
        )
    if groups:
        user.is_staff = True
        user.save(update_fields=["is_staff"])
        user.groups.set(Group.objects.filter(name__in=groups))
    if user.is_staff or user.is_superuser:
        second_factor_enrol(user)
    return user


def sign_in(client, user):
    """Staff with password and authenticator code (login_staff), trainees with a password."""
    if user.is_staff or user.is_superuser:
        return login_staff(client, user)
    client.force_login(user)
    return client


@dataclass
class World:
    owner: object
    other: object
    coordinator: object
    reviewer: object
    superuser: object
    order: Order
    enrolment: Enrolment
    cart_item: CartItem
    waitlist_entry: WaitlistEntry
    past_enrolment: Enrolment
    certificate: Certificate
    intake: Intake
    question: IntakeQuestion
    invitation: Invitation
    interest: InterestSignup
    open_session: Session


@pytest.fixture
def world(catalog, before_season, settings, tmp_path) -> World:
    """The owner has one of everything: a paid order and its enrolment, a cart item, a
    waitlist entry, an intake, an invitation, an interest signup, and an attended session
    of last November with its evaluation to give and its certificate."""
    settings.MEDIA_ROOT = str(tmp_path / "media")
    now = timezone.now()
    owner = make_user(legal_name="Olivia Owner")
    order = paid_order(owner, session_of("module-1", 6))
    cart_add(trainee=owner, session=session_of("module-2", 7), now=now)
    past = EnrolmentFactory(
        trainee=owner,
        session=SessionFactory(
            offering=Offering.objects.get(slug="module-1"), starts_at=LAST_NOVEMBER
        ),
        attendance=Enrolment.Attendance.ATTENDED,
    )
    question = IntakeQuestion.objects.create(text="Current medications", kind="text", position=1)
    return World(
        owner=owner,
        other=make_user(legal_name="Oscar Other"),
        coordinator=make_user(groups=(COORDINATOR,)),
        reviewer=make_user(groups=(CLINICAL_REVIEWER,)),
        superuser=make_user(is_staff=True, is_superuser=True),
        order=order,
        enrolment=Enrolment.objects.get(order_line__order=order),
        cart_item=CartItem.objects.get(trainee=owner),
        waitlist_entry=WaitlistEntry.objects.create(
            session=session_of("module-3", 8), trainee=owner
        ),
        past_enrolment=past,
        certificate=certificate_issue(enrolment=past, kind=Certificate.Kind.ATTENDANCE, now=now),
        intake=intake_submit(
            trainee=owner, answers={question.pk: "None"}, questions=[question], now=now
        ),
        question=question,
        invitation=invitation_create(
            offering=Offering.objects.get(slug="practicum"), email=owner.email, by=None, now=now
        ),
        interest=interest_signup(
            offering=Offering.objects.get(slug="residential-level-1"),
            name="Olivia Owner",
            email=owner.email,
            now=now,
        ),
        open_session=session_of("module-1", 10),
    )


# Tables that change with every request whatever it does (sessions), or never (permissions).
_UNTRACKED = {"sessions.Session", "auth.Permission", "contenttypes.ContentType"}


def database_state() -> dict[str, list[tuple]]:
    """Every row of every table but the untracked ones, to compare before and after."""
    return {
        model._meta.label: list(model.objects.order_by("pk").values_list())
        for model in apps.get_models()
        if model._meta.label not in _UNTRACKED and model._meta.managed
    }


class _PostForms(HTMLParser):
    def __init__(self):
        super().__init__()
        self.forms: list[dict] = []
        self._open: dict | None = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form" and (attrs.get("method") or "get").lower() == "post":
            self._open = {"action": attrs.get("action") or "", "token": False}
            self.forms.append(self._open)
        elif (
            tag == "input"
            and self._open is not None
            and attrs.get("name") == "csrfmiddlewaretoken"
            and attrs.get("value")
        ):
            self._open["token"] = True

    def handle_endtag(self, tag):
        if tag == "form":
            self._open = None


def post_forms(html: str) -> list[dict]:
    """Each <form method="post"> of the page: its action, and whether it carries a CSRF token."""
    parser = _PostForms()
    parser.feed(html)
    return parser.forms


# Stripe, faked at the HTTP level, as the registration tests have it.
from tests.registration.conftest import fake_stripe  # noqa: E402, F401
