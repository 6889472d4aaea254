"""factory_boy factories for the test suite: plain, valid rows that each test adjusts.

People: `UserFactory` (no profile), `TraineeFactory` (a user with a complete trainee profile:
legal name, profession, license), `StaffFactory`. Catalog: offerings, sessions, credits,
bundles. Registration: `OrderFactory` with `OrderLineFactory`, `EnrolmentFactory`
(`EnrolmentFactory(order_line=...)` for a seat bought through an order, see
`tests.roster.enrol`). Certificates: `CertificateFactory` (copied from its enrolment)."""

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

from catalog.models import CreditType, Offering, Session
from certificates.models import Certificate
from registration.models import Enrolment, Order, OrderLine, TraineeProfile

PACIFIC = ZoneInfo("America/Los_Angeles")
# Everyone's password (UserFactory), to sign in through the pages.
PASSWORD = "correct horse battery staple"
FIRST_SESSION_START = datetime(2027, 6, 21, 9, 0, tzinfo=PACIFIC)

# The license number a trainee of each profession has unless a test gives one.
LICENSES = {
    "psychologist": "PSY 12345",
    "lmft": "LMFT 104233",
    "lcsw": "LCSW 88120",
    "rn": "RN 95512344",
    "md": "A 155201",
    "other": "",
}


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"trainee{n}")
    email = factory.LazyAttribute(lambda user: f"{user.username}@example.com")
    first_name = "Alex"
    last_name = factory.Sequence(lambda n: f"Trainee{n}")
    password = factory.django.Password(PASSWORD)

    @factory.post_generation
    def verified_email(self, create, extracted, **kwargs):
        """`verified_email=True`: allauth lets them sign in with their password."""
        if create and extracted:
            email_verify(self)


def email_verify(user) -> None:
    """The user's email address, confirmed (as after following the link allauth sends)."""
    EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=True)


class TraineeProfileFactory(factory.django.DjangoModelFactory):
    """A complete profile: a psychologist licensed in California unless told otherwise."""

    class Meta:
        model = TraineeProfile

    user = factory.SubFactory(UserFactory)
    legal_name = factory.LazyAttribute(lambda p: f"{p.user.first_name} {p.user.last_name}")
    profession = "psychologist"
    credentials = factory.LazyAttribute(lambda p: "PhD" if p.profession == "psychologist" else "")
    license_number = factory.LazyAttribute(lambda p: LICENSES.get(p.profession, "X 1"))
    license_state = factory.LazyAttribute(lambda p: "" if p.profession == "other" else "CA")


class TraineeFactory(UserFactory):
    """A user with a complete trainee profile, as after the profile page; the profile's
    fields are given directly: `TraineeFactory(legal_name="Dana Cho", profession="lmft",
    license_number="LMFT 100", state="NV")` (an `other` profession has no license). A user
    without a profile is a `UserFactory`."""

    class Meta:
        skip_postgeneration_save = True

    class Params:
        legal_name = factory.LazyAttribute(lambda u: f"{u.first_name} {u.last_name}")
        profession = "psychologist"
        credentials = factory.LazyAttribute(
            lambda u: "PhD" if u.profession == "psychologist" else ""
        )
        license_number = factory.LazyAttribute(lambda u: LICENSES.get(u.profession, "X 1"))
        state = factory.LazyAttribute(lambda u: "" if u.profession == "other" else "CA")

    profile = factory.RelatedFactory(
        TraineeProfileFactory,
        factory_related_name="user",
        legal_name=factory.SelfAttribute("..legal_name"),
        profession=factory.SelfAttribute("..profession"),
        credentials=factory.SelfAttribute("..credentials"),
        license_number=factory.SelfAttribute("..license_number"),
        license_state=factory.SelfAttribute("..state"),
    )


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
        """Staff have one unless `verified_email=False`."""
        if create and extracted is not False:
            email_verify(self)

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


class OrderFactory(factory.django.DjangoModelFactory):
    """A paid order (by card unless `payment_method` says otherwise); its lines are
    `OrderLineFactory(order=order, session=...)`."""

    class Meta:
        model = Order

    trainee = factory.SubFactory(TraineeFactory)
    status = Order.Status.PAID
    payment_method = Order.Method.STRIPE
    total_cents = 35000


class OrderLineFactory(factory.django.DjangoModelFactory):
    """A session bought in an order, at the catalog's usual tuition and fee."""

    class Meta:
        model = OrderLine

    order = factory.SubFactory(OrderFactory)
    session = factory.SubFactory(SessionFactory)
    offering = factory.SelfAttribute("session.offering")
    description = factory.LazyAttribute(lambda line: str(line.session))
    tuition_cents = 32500
    admin_fee_cents = 2500


class EnrolmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Enrolment

    session = factory.SubFactory(SessionFactory)
    trainee = factory.SubFactory(UserFactory)
    status = Enrolment.Status.CONFIRMED
    hold_expires_at = None


class CertificateFactory(factory.django.DjangoModelFactory):
    """A certificate of attendance as issuing leaves it (not yet rendered), its participant
    and course copied from the enrolment; a CE one carries the enrolment's credit type."""

    class Meta:
        model = Certificate

    enrolment = factory.SubFactory(EnrolmentFactory, trainee=factory.SubFactory(TraineeFactory))
    trainee = factory.SelfAttribute("enrolment.trainee")
    kind = Certificate.Kind.ATTENDANCE
    credit_type = factory.LazyAttribute(
        lambda c: c.enrolment.credit_type if c.kind == Certificate.Kind.CE else None
    )
    legal_name = factory.LazyAttribute(lambda c: c.enrolment.trainee.trainee_profile.legal_name)
    course_title = factory.LazyAttribute(lambda c: c.enrolment.session.offering.display_title)
    session_dates = "Mon, Jun 21, 2027"
    # The evening after the session, as the coordinator issues them.
    issued_at = factory.LazyAttribute(lambda c: c.enrolment.session.ends_at + timedelta(minutes=90))
