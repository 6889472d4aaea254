"""factory_boy factories for the test suite: plain, valid rows that each test adjusts."""

from datetime import datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import factory
from django.contrib.auth import get_user_model

from catalog.models import Bundle, CreditType, Instructor, Offering, OfferingCredit, Session
from registration.models import Enrolment

PACIFIC = ZoneInfo("America/Los_Angeles")
FIRST_SESSION_START = datetime(2027, 6, 21, 9, 0, tzinfo=PACIFIC)


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()

    username = factory.Sequence(lambda n: f"trainee{n}")
    email = factory.LazyAttribute(lambda user: f"{user.username}@example.com")
    first_name = "Alex"
    last_name = factory.Sequence(lambda n: f"Trainee{n}")
    password = factory.django.Password("correct horse battery staple")


class InstructorFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Instructor

    name = factory.Sequence(lambda n: f"Instructor {n}")
    slug = factory.Sequence(lambda n: f"instructor-{n}")
    credentials = "PhD"


class CreditTypeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CreditType

    code = factory.Sequence(lambda n: f"ce{n}")
    name = factory.Sequence(lambda n: f"CE type {n}")
    unit = "CE credits"
    provider_name = "Polaris Insight Center"
    statement = "Polaris Insight Center maintains responsibility for this program and its content."
    professions = factory.LazyFunction(lambda: ["psychologist", "lmft", "lcsw", "lpcc", "lep"])


class OfferingFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Offering
        skip_postgeneration_save = True

    slug = factory.Sequence(lambda n: f"offering-{n}")
    kind = Offering.Kind.MODULE
    title = factory.Sequence(lambda n: f"Workshop {n}")
    summary = "A day of ketamine-assisted psychotherapy training."
    hours = Decimal("8")
    delivery = Offering.Delivery.ZOOM
    tuition_cents = 32500
    admin_fee_cents = 2500
    access_rule = Offering.Access.OPEN

    @factory.post_generation
    def instructors(self, create, extracted, **kwargs):
        if create and extracted:
            self.instructors.set(extracted)

    @factory.post_generation
    def prerequisites(self, create, extracted, **kwargs):
        if create and extracted:
            self.prerequisites.set(extracted)


class SessionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Session

    offering = factory.SubFactory(OfferingFactory)
    starts_at = factory.Sequence(lambda n: FIRST_SESSION_START + timedelta(days=n))
    ends_at = factory.LazyAttribute(
        lambda session: session.starts_at + timedelta(hours=8) if session.starts_at else None
    )
    capacity = 40
    location = "Online (Zoom)"
    status = Session.Status.SCHEDULED


class OfferingCreditFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = OfferingCredit

    offering = factory.SubFactory(OfferingFactory)
    credit_type = factory.SubFactory(CreditTypeFactory)
    credits = Decimal("8")
    fee_cents = 7900


class BundleFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Bundle
        skip_postgeneration_save = True

    slug = factory.Sequence(lambda n: f"bundle-{n}")
    title = factory.Sequence(lambda n: f"Training bundle {n}")
    summary = "Several modules together; pick one session of each."
    hours = Decimal("16")
    tuition_cents = 60000
    admin_fee_cents = 5000

    @factory.post_generation
    def offerings(self, create, extracted, **kwargs):
        if create and extracted:
            self.offerings.set(extracted)


class EnrolmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Enrolment

    session = factory.SubFactory(SessionFactory)
    trainee = factory.SubFactory(UserFactory)
    status = Enrolment.Status.CONFIRMED
    hold_expires_at = None
