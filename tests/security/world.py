"""The security tests' world (the people, and one of each thing a trainee owns), signing a
person in as they would, every row of the database to compare before and after, and the
POST forms of a page. People themselves come from tests.factories."""

from dataclasses import dataclass
from datetime import datetime
from html.parser import HTMLParser

from django.apps import apps

from catalog.formatting import PACIFIC
from catalog.models import Session
from certificates.models import Certificate
from registration.models import (
    CartItem,
    Enrolment,
    Intake,
    IntakeQuestion,
    InterestSignup,
    Invitation,
    Order,
    WaitlistEntry,
)
from tests.factories import (
    login_staff,
)

# A Module 1 session that ended before the clock of `before_season`.
LAST_NOVEMBER = datetime(2026, 11, 2, 9, 0, tzinfo=PACIFIC)


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
