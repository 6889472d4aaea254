"""factory_boy factories for the test suite: plain, valid rows that each test adjusts."""

import time
from datetime import datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import factory
from allauth.account.internal.flows.login import record_authentication
from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator
from allauth.mfa.recovery_codes.internal.auth import RecoveryCodes
from allauth.mfa.totp.internal.auth import (
    TOTP,
    format_hotp_value,
    generate_totp_secret,
    hotp_value,
)
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.http import HttpRequest

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


class StaffFactory(UserFactory):
    """A member of staff with a verified email address and, unless `second_factor=False`, an
    authenticator app set up (its secret kept on `user.totp_secret`, its ten recovery codes on
    `user.recovery_codes`). `roles=[COORDINATOR]` etc. puts them in the staff groups; a
    superuser is `StaffFactory(is_superuser=True)`; a clinical reviewer who is not admin
    staff, `StaffFactory(roles=[CLINICAL_REVIEWER], is_staff=False)`.

    Sign them in with `login_staff(client, user)`.
    """

    class Meta:
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"staff{n}")
    first_name = "Sam"
    last_name = factory.Sequence(lambda n: f"Staff{n}")
    is_staff = True

    @factory.post_generation
    def roles(self, create, extracted, **kwargs):
        if create and extracted:
            self.groups.set(Group.objects.filter(name__in=extracted))

    @factory.post_generation
    def verified_email(self, create, extracted, **kwargs):
        if create and extracted is not False:
            EmailAddress.objects.create(user=self, email=self.email, verified=True, primary=True)

    @factory.post_generation
    def second_factor(self, create, extracted, **kwargs):
        if create and extracted is not False:
            second_factor_enrol(self)


def second_factor_enrol(user) -> None:
    """Sets up an authenticator app and recovery codes for `user`, as its owner would."""
    user.totp_secret = generate_totp_secret()
    TOTP.activate(user, user.totp_secret)
    user.recovery_codes = RecoveryCodes.activate(user).generate_codes()


def totp_code(user_or_secret) -> str:
    """The code the authenticator app of `user` (or with that secret) shows now."""
    secret = getattr(user_or_secret, "totp_secret", user_or_secret)
    return format_hotp_value(hotp_value(secret, int(time.time()) // 30))


def login_staff(client, user):
    """Signs `user` in on the test `client` as a sign-in with password and authenticator code
    leaves the session (allauth's records of both), so that the admin and the staff pages
    open. The one way tests sign staff in: `client.force_login` alone is turned away."""
    authenticator = Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).first()
    assert authenticator is not None, "a staff user needs an authenticator (StaffFactory)"
    client.force_login(user)
    request = HttpRequest()
    request.session = client.session
    record_authentication(request, user, "password", username=user.get_username())
    record_authentication(request, user, "mfa", id=authenticator.pk, type=authenticator.type)
    request.session.save()
    return client


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
