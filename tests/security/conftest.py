"""Fixtures for the security tests: the world (tests.security.world) in which the owner has
one of each thing a trainee owns."""

import pytest
from django.utils import timezone

from catalog.models import Offering
from certificates.models import Certificate
from certificates.services.issuing import certificate_issue
from registration.models import (
    CartItem,
    Enrolment,
    IntakeQuestion,
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
    StaffFactory,
    TraineeFactory,
)
from tests.registration.flows import paid_order, session_of
from tests.security.world import LAST_NOVEMBER, World


@pytest.fixture
def world(catalog, before_season, settings, tmp_path) -> World:
    """The owner has one of everything: a paid order and its enrolment, a cart item, a
    waitlist entry, an intake, an invitation, an interest signup, and an attended session
    of last November with its evaluation to give and its certificate."""
    settings.MEDIA_ROOT = str(tmp_path / "media")
    now = timezone.now()
    owner = TraineeFactory(legal_name="Olivia Owner", verified_email=True)
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
        other=TraineeFactory(legal_name="Oscar Other", verified_email=True),
        coordinator=StaffFactory(roles=[COORDINATOR]),
        reviewer=StaffFactory(roles=[CLINICAL_REVIEWER]),
        superuser=StaffFactory(is_superuser=True),
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
