"""Every form is protected against cross-site request forgery: a POST without the token is
refused and changes nothing, and every form we render carries the token. Stripe's webhook is
the one exception, and it is refused without Stripe's signature."""

from collections.abc import Callable
from dataclasses import dataclass

import pytest
from django.test import Client
from django.urls import reverse

from catalog.models import Offering
from registration.models import InquiryTopic
from registration.tokens import waitlist_offer_token
from tests.factories import PASSWORD, totp_code
from tests.registration.flows import bundle_choice, session_of
from tests.security.world import World, database_state, post_forms, sign_in

NEW_PASSWORD = "Tangerine-Lighthouse-42"


@dataclass(frozen=True)
class Post:
    """A form's POST as its page sends it, by `who` (an attribute of World; None: a visitor)."""

    url: Callable[[World], str]
    data: Callable[[World], dict]
    who: str | None = "owner"


def _evaluation(world: World) -> dict:
    offering = world.past_enrolment.session.offering
    data = {f"objective_{o.pk}": 4 for o in offering.objectives.all()}
    data |= {f"instructor_{i.pk}": 4 for i in offering.instructors.all()}
    return data | {"overall_rating": 4, "useful": "The role plays.", "improve": ""}


def _profile(world: World) -> dict:
    return {
        "legal_name": "Someone Else",
        "credentials": "MD",
        "profession": "md",
        "license_number": "A 1",
        "license_state": "NV",
    }


FORMS = {
    "signup": Post(
        lambda w: reverse("account_signup"),
        lambda w: {
            "email": "new@example.com",
            "password1": NEW_PASSWORD,
            "password2": NEW_PASSWORD,
        },
        who=None,
    ),
    "login": Post(
        lambda w: reverse("account_login"),
        lambda w: {"login": w.owner.email, "password": PASSWORD},
        who=None,
    ),
    "logout": Post(lambda w: reverse("account_logout"), lambda w: {}),
    "password reset": Post(
        lambda w: reverse("account_reset_password"), lambda w: {"email": w.owner.email}, who=None
    ),
    "password change": Post(
        lambda w: reverse("account_change_password"),
        lambda w: {"oldpassword": PASSWORD, "password1": NEW_PASSWORD, "password2": NEW_PASSWORD},
    ),
    "email address add": Post(
        lambda w: reverse("account_email"),
        lambda w: {"email": "second@example.com", "action_add": ""},
    ),
    "profile": Post(lambda w: reverse("registration:profile"), _profile),
    "cart add": Post(
        lambda w: reverse("registration:cart_add"),
        lambda w: {"session": session_of("module-4", 6).pk},
    ),
    "cart CE": Post(
        lambda w: reverse("registration:cart_ce", args=[w.cart_item.pk]),
        lambda w: {f"item{w.cart_item.pk}-credit_type": "apa"},
    ),
    "cart remove": Post(
        lambda w: reverse("registration:cart_remove", args=[w.cart_item.pk]), lambda w: {}
    ),
    "checkout": Post(
        lambda w: reverse("registration:checkout"), lambda w: {"payment_method": "offline"}
    ),
    "order pay": Post(
        lambda w: reverse("registration:order_pay", args=[w.order.code]), lambda w: {}
    ),
    "order cancel": Post(
        lambda w: reverse("registration:order_cancel", args=[w.order.code]), lambda w: {}
    ),
    "order to cart": Post(
        lambda w: reverse("registration:order_to_cart", args=[w.order.code]), lambda w: {}
    ),
    "enrolment cancel": Post(
        lambda w: reverse("registration:enrolment_cancel", args=[w.enrolment.pk]), lambda w: {}
    ),
    "enrolment transfer": Post(
        lambda w: reverse("registration:enrolment_transfer", args=[w.enrolment.pk]),
        lambda w: {"session": w.open_session.pk},
    ),
    "bundle choose": Post(
        lambda w: reverse("registration:bundle_choose", args=["full-training"]),
        lambda w: bundle_choice(),
    ),
    "waitlist join": Post(
        lambda w: reverse("registration:waitlist_join", args=[session_of("module-5", 9).pk]),
        lambda w: {},
    ),
    "waitlist accept": Post(
        lambda w: reverse("registration:waitlist_accept", args=[w.waitlist_entry.pk]),
        lambda w: {},
    ),
    "waitlist take by link": Post(
        lambda w: reverse(
            "registration:waitlist_take", args=[waitlist_offer_token(entry=w.waitlist_entry)]
        ),
        lambda w: {},
    ),
    "waitlist leave": Post(
        lambda w: reverse("registration:waitlist_leave", args=[w.waitlist_entry.pk]),
        lambda w: {},
    ),
    "evaluation": Post(
        lambda w: reverse("evaluations:evaluation", args=[w.past_enrolment.pk]), _evaluation
    ),
    "contact": Post(
        lambda w: reverse("registration:contact_topic", args=[InquiryTopic.KAP_CONSULTATION]),
        lambda w: {"name": "Ada", "email": "ada@example.com", "message": "Hello", "website": ""},
        who=None,
    ),
    "interest signup": Post(
        lambda w: reverse("registration:interest", args=["residential-level-2"]),
        lambda w: {"name": "Ada", "email": "ada@example.com", "website": ""},
        who=None,
    ),
    "interest confirm": Post(
        lambda w: reverse("registration:interest_confirm", args=[w.interest.token]),
        lambda w: {},
        who=None,
    ),
    "interest unsubscribe": Post(
        lambda w: reverse("registration:interest_unsubscribe", args=[w.interest.token]),
        lambda w: {},
        who=None,
    ),
    "intake": Post(
        lambda w: reverse("registration:intake"),
        lambda w: {f"q{w.question.pk}": "None"},
        who="other",
    ),
    "intake withdraw": Post(lambda w: reverse("registration:intake_withdraw"), lambda w: {}),
    "intake review": Post(
        lambda w: reverse("registration:intake_review", args=[w.intake.pk]),
        lambda w: {"decision": "approved", "note": ""},
        who="reviewer",
    ),
    "invitation accept": Post(
        lambda w: reverse("registration:invitation", args=[w.invitation.token]), lambda w: {}
    ),
    "admin login": Post(
        lambda w: reverse("admin:login"),
        lambda w: {"username": w.superuser.username, "password": PASSWORD},
        who=None,
    ),
    "authenticator app set up": Post(
        lambda w: reverse("mfa_activate_totp"), lambda w: {"code": "123456"}
    ),
    "authenticator code again": Post(
        lambda w: reverse("mfa_reauthenticate"),
        lambda w: {"code": totp_code(w.superuser)},
        who="superuser",
    ),
    "authenticator app removed": Post(
        lambda w: reverse("mfa_deactivate_totp"), lambda w: {}, who="superuser"
    ),
    "new recovery codes": Post(
        lambda w: reverse("mfa_generate_recovery_codes"), lambda w: {}, who="superuser"
    ),
    "admin order action": Post(
        lambda w: reverse("admin:registration_order_changelist"),
        lambda w: {"action": "cancel_orders", "_selected_action": [w.order.pk], "post": "yes"},
        who="superuser",
    ),
    "admin order cancel": Post(
        lambda w: reverse("admin:registration_order_cancel", args=[w.order.pk]),
        lambda w: {"reason": "Forged", "refund": "on"},
        who="superuser",
    ),
    "admin roster action": Post(
        lambda w: (
            reverse("admin:registration_rosterentry_changelist")
            + f"?session__id__exact={w.past_enrolment.session_id}"
        ),
        lambda w: {"action": "mark_absent", "_selected_action": [w.past_enrolment.pk]},
        who="superuser",
    ),
    "admin change form": Post(
        lambda w: reverse(
            "admin:catalog_offering_change",
            args=[Offering.objects.get(slug="module-1").pk],
        ),
        lambda w: {"title": "Forged", "_save": "Save"},
        who="superuser",
    ),
}


def _client(world: World, who: str | None) -> Client:
    client = Client(enforce_csrf_checks=True)
    if who:
        sign_in(client, getattr(world, who))
    return client


@pytest.mark.parametrize("name", FORMS)
def test_a_post_without_the_csrf_token_is_refused_and_changes_nothing(name, world, mailoutbox):
    form = FORMS[name]
    client = _client(world, form.who)
    before = database_state()

    response = client.post(form.url(world), form.data(world))

    assert response.status_code == 403
    assert "CSRF verification failed" in response.content.decode()
    assert database_state() == before
    assert mailoutbox == []
    if form.who:
        assert client.session.get("_auth_user_id") == str(getattr(world, form.who).pk)


# Every page that shows a form, by who sees it.
PAGES = {
    None: (
        lambda w: reverse("account_signup"),
        lambda w: reverse("account_login"),
        lambda w: reverse("account_reset_password"),
        lambda w: reverse("registration:contact_topic", args=[InquiryTopic.KAP_CONSULTATION]),
        lambda w: reverse("registration:interest", args=["residential-level-2"]),
        lambda w: reverse("registration:interest_confirm", args=[w.interest.token]),
        lambda w: reverse("registration:interest_unsubscribe", args=[w.interest.token]),
        lambda w: reverse("admin:login"),
    ),
    "owner": (
        lambda w: reverse("registration:profile"),
        lambda w: reverse("registration:cart"),
        lambda w: reverse("registration:my_trainings"),
        lambda w: reverse("catalog:offering", args=["module-4"]),
        lambda w: reverse("registration:order", args=[w.order.code]),
        lambda w: reverse("registration:enrolment_cancel", args=[w.enrolment.pk]),
        lambda w: reverse("registration:enrolment_transfer", args=[w.enrolment.pk]),
        lambda w: reverse("registration:bundle_choose", args=["full-training"]),
        lambda w: reverse("evaluations:evaluation", args=[w.past_enrolment.pk]),
        lambda w: reverse("registration:intake"),
        lambda w: reverse("registration:invitation", args=[w.invitation.token]),
        lambda w: reverse("account_change_password"),
        lambda w: reverse("account_email"),
        lambda w: reverse("account_logout"),
        lambda w: reverse("account_reauthenticate"),
        lambda w: reverse("mfa_index"),
    ),
    "other": (lambda w: reverse("registration:intake"),),
    "reviewer": (lambda w: reverse("registration:intake_review", args=[w.intake.pk]),),
    "superuser": (
        lambda w: reverse("mfa_reauthenticate"),
        lambda w: reverse("admin:index"),
        lambda w: reverse("admin:registration_order_changelist"),
        lambda w: reverse("admin:registration_order_change", args=[w.order.pk]),
        lambda w: reverse("admin:registration_order_cancel", args=[w.order.pk]),
        lambda w: reverse("admin:registration_order_refund", args=[w.order.pk]),
        lambda w: (
            reverse("admin:registration_rosterentry_changelist")
            + f"?session__id__exact={w.past_enrolment.session_id}"
        ),
        lambda w: reverse("admin:catalog_offering_change", args=[w.order.lines.get().offering_id]),
    ),
}


@pytest.mark.parametrize("who", PAGES)
def test_every_form_on_our_pages_carries_the_csrf_token(who, world):
    client = Client()
    if who:
        sign_in(client, getattr(world, who))
    missing, formless = [], []
    for url in (page(world) for page in PAGES[who]):
        response = client.get(url)
        assert response.status_code == 200, f"{url}: {response.status_code}"
        forms = post_forms(response.content.decode())
        if not forms:
            formless.append(url)
        missing += [f"{url}: form to {form['action']!r}" for form in forms if not form["token"]]

    assert not formless, f"pages expected to show a form show none: {formless}"
    assert not missing, "\n".join(missing)


def test_the_stripe_webhook_is_refused_without_stripes_signature(world, fake_stripe):
    """The one view without CSRF protection: Stripe signs its events instead."""
    event = fake_stripe.event("customer.created", {"id": "cus_unknown", "object": "customer"})
    payload, header = fake_stripe.signed(event)
    _, forged_header = fake_stripe.signed(event, secret="whsec_guessed")
    client = Client(enforce_csrf_checks=True)

    def deliver(body: bytes, **headers):
        return client.post("/stripe/webhook/", body, content_type="application/json", **headers)

    before = database_state()
    refused = [
        deliver(payload),
        deliver(payload, HTTP_STRIPE_SIGNATURE=forged_header),
        deliver(payload.replace(b"cus_unknown", b"cus_altered"), HTTP_STRIPE_SIGNATURE=header),
    ]
    assert [response.status_code for response in refused] == [400, 400, 400]
    assert database_state() == before

    assert deliver(payload, HTTP_STRIPE_SIGNATURE=header).status_code == 200
