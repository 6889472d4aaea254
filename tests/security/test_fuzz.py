"""Every public form, fuzzed (hypothesis): arbitrary text with NULs, other scripts and huge
strings, numbers where text goes and text where numbers go, missing and unknown fields, lists
where one value goes, ids that name nothing, bodies that are not forms at all. The site
answers each without a server error, and a refused input creates no row."""

import itertools
from dataclasses import dataclass, field
from urllib.parse import quote, urlencode

import pytest
from allauth.account.models import EmailAddress
from django.contrib.auth import get_user_model
from django.db import connection
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from certificates.models import Certificate, Evaluation
from registration.models import (
    CartItem,
    Enrolment,
    Inquiry,
    InquiryTopic,
    Intake,
    InterestSignup,
    Order,
    OutboundEmail,
    TraineeProfile,
    WaitlistEntry,
)
from registration.services.cart import cart_add
from tests.factories import PASSWORD, UserFactory
from tests.registration.flows import bundle_choice, session_of
from tests.security.world import World, sign_in

# The profile's count of examples per form (tests/conftest.py: a few locally, 200 in CI).
FUZZ = settings(
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

# Values people never type but requests can carry.
ODD = [
    "",
    " ",
    "\x00",
    "a\x00b",
    "\r\nBcc: victim@example.com",
    "<script>alert(1)</script>",
    "' OR '1'='1' --",
    "-1",
    "0",
    "9" * 40,
    "1e400",
    "NaN",
    "١٢",
    "１",
    "\u202egnp.exe",
    "\ufeff",
    "%00",
    "../../etc/passwd",
    "null",
    "[]",
    "x" * 6000,
    "𝔵" * 150_000,
]
TEXT = st.one_of(
    st.text(max_size=30),
    st.sampled_from(ODD),
    st.integers().map(str),
    st.floats().map(str),
)
VALUE = st.one_of(TEXT, st.lists(TEXT, max_size=3))
RAW_TYPES = [
    "application/x-www-form-urlencoded",
    "multipart/form-data; boundary=fuzz",
    "multipart/form-data",
    "application/json",
    "text/plain",
]

# The tables a form can add rows to; one query counts them all.
TRACKED = (
    TraineeProfile,
    CartItem,
    Order,
    Enrolment,
    WaitlistEntry,
    Inquiry,
    InterestSignup,
    Intake,
    Evaluation,
    Certificate,
    OutboundEmail,
)


def rows() -> tuple[int, ...]:

    tables = [model._meta.db_table for model in (*TRACKED, get_user_model(), EmailAddress)]
    with connection.cursor() as cursor:
        cursor.execute("SELECT " + ", ".join(f"(SELECT count(*) FROM {t})" for t in tables))
        return tuple(cursor.fetchone())


_addresses = itertools.count(1)


def _address() -> str:
    """A new client address each time, so the per-address rate limits never step in."""
    n = next(_addresses)
    return f"10.{n >> 16 & 255}.{n >> 8 & 255}.{n & 255}"


@st.composite
def form_data(draw, valid: dict):
    """The valid answers with some fields dropped, some replaced by fuzz, some added."""
    data = {}
    for name, value in valid.items():
        fate = draw(st.sampled_from(("keep", "keep", "drop", "fuzz", "fuzz")))
        if fate == "keep":
            data[name] = value
        elif fate == "fuzz":
            data[name] = draw(VALUE)
    data.update(draw(st.dictionaries(TEXT, VALUE, max_size=2)))
    return data


@st.composite
def request_body(draw, valid: dict) -> dict:
    """Keyword arguments for Client.post: mostly a form, sometimes raw bytes of some type."""
    if draw(st.integers(0, 9)) == 0:
        return {
            "data": draw(st.binary(max_size=300)),
            "content_type": draw(st.sampled_from(RAW_TYPES)),
        }
    data = draw(form_data(valid))
    if draw(st.booleans()):
        # Django's test client sends multipart by default; browsers mostly send this.
        return {
            "data": urlencode(data, doseq=True),
            "content_type": "application/x-www-form-urlencoded",
        }
    return {"data": data}


def an_id(real: int):
    return st.one_of(st.just(real), st.integers(min_value=0, max_value=10**30))


@dataclass(frozen=True)
class Form:
    """A form: its address (given the world and a key: the id or code in it), the key of a
    real thing, valid answers, who fills it in, and whether a response means "refused"."""

    url: object
    valid: object
    who: str | None = "owner"
    key: object = field(default=lambda world: 0)
    keys: object = field(default=lambda key: st.just(key))
    refused: object = field(default=lambda response: response.status_code >= 400)


def allauth_refused(response) -> bool:
    """allauth shows a refused form again with 200; a success redirects."""
    return response.status_code != 302


FORMS = {
    "signup": Form(
        lambda w, _: reverse("account_signup"),
        lambda w: {
            "email": "new@example.com",
            "password1": "Tangerine-42!",
            "password2": "Tangerine-42!",
        },
        who=None,
        refused=allauth_refused,
    ),
    "login": Form(
        lambda w, _: reverse("account_login"),
        lambda w: {"login": w.owner.email, "password": PASSWORD},
        who=None,
        refused=allauth_refused,
    ),
    "password reset": Form(
        lambda w, _: reverse("account_reset_password"),
        lambda w: {"email": w.owner.email},
        who=None,
        refused=allauth_refused,
    ),
    "profile": Form(
        lambda w, _: reverse("registration:profile"),
        lambda w: {
            "legal_name": "Olivia Owner",
            "credentials": "PhD",
            "profession": "psychologist",
            "license_number": "PSY 12345",
            "license_state": "CA",
        },
        who="other_without_profile",
    ),
    "cart add": Form(
        lambda w, _: reverse("registration:cart_add"),
        lambda w: {"session": session_of("module-4", 6).pk},
    ),
    "cart CE": Form(
        lambda w, item_id: reverse("registration:cart_ce", args=[item_id]),
        lambda w: {
            f"item{w.cart_item.pk}-credit_type": "apa",
            f"item{w.cart_item.pk}-acknowledge_notice": "on",
        },
        key=lambda w: w.cart_item.pk,
        keys=an_id,
    ),
    "checkout": Form(
        lambda w, _: reverse("registration:checkout"),
        lambda w: {"payment_method": "offline"},
    ),
    "contact": Form(
        lambda w, topic: reverse("registration:contact_topic", args=[topic]),
        lambda w: {"name": "Ada", "email": "ada@example.com", "message": "Hello", "website": ""},
        who=None,
        key=lambda w: InquiryTopic.KAP_CONSULTATION.value,
        keys=lambda topic: st.one_of(
            st.sampled_from(InquiryTopic.values),
            st.from_regex(r"[-a-zA-Z0-9_]{1,30}", fullmatch=True),
        ),
    ),
    "interest signup": Form(
        lambda w, _: reverse("registration:interest", args=["residential-level-2"]),
        lambda w: {"name": "Ada", "email": "ada@example.com", "website": ""},
        who=None,
    ),
    "evaluation": Form(
        lambda w, enrolment_id: reverse("evaluations:evaluation", args=[enrolment_id]),
        lambda w: {
            **{f"objective_{o.pk}": 4 for o in w.past_enrolment.session.offering.objectives.all()},
            **{
                f"instructor_{i.pk}": 4 for i in w.past_enrolment.session.offering.instructors.all()
            },
            "overall_rating": 4,
            "useful": "The role plays.",
            "improve": "",
        },
        key=lambda w: w.past_enrolment.pk,
        keys=an_id,
    ),
    "intake": Form(
        lambda w, _: reverse("registration:intake"),
        lambda w: {f"q{w.question.pk}": "None"},
        who="other",
    ),
    "bundle choose": Form(
        lambda w, _: reverse("registration:bundle_choose", args=["full-training"]),
        lambda w: bundle_choice(),
    ),
    "waitlist join": Form(
        lambda w, session_id: reverse("registration:waitlist_join", args=[session_id]),
        lambda w: {},
        key=lambda w: w.open_session.pk,
        keys=an_id,
        refused=lambda response: response.status_code >= 400 or "error" in _flash(response),
    ),
    "enrolment cancel": Form(
        lambda w, pk: reverse("registration:enrolment_cancel", args=[pk]),
        lambda w: {},
        key=lambda w: w.enrolment.pk,
        keys=an_id,
    ),
    "enrolment transfer": Form(
        lambda w, pk: reverse("registration:enrolment_transfer", args=[pk]),
        lambda w: {"session": w.open_session.pk},
        key=lambda w: w.enrolment.pk,
        keys=an_id,
    ),
}


def _flash(response) -> str:
    return " ".join(m.level_tag for m in response.wsgi_request._messages)


@pytest.fixture
def fuzz_client(world):
    """Sign in as the form's user; `other_without_profile` is a trainee with no profile yet."""

    world.other_without_profile = UserFactory(verified_email=True)

    def make(who: str | None) -> Client:
        client = Client(raise_request_exception=True)
        if who:
            sign_in(client, getattr(world, who))
        return client

    return make


def _keep_something_to_act_on(world: World, name: str) -> bool:
    """Valid examples use the cart up by ordering it: put an item back; True if it did."""
    if name == "checkout" and not CartItem.objects.filter(trainee=world.owner).exists():
        world.cart_item = cart_add(
            trainee=world.owner, session=session_of("module-2", 7), now=timezone.now()
        )
        return True
    return False


@pytest.mark.parametrize("name", FORMS)
def test_a_fuzzed_form_never_causes_a_server_error_and_refused_input_creates_nothing(
    name, world, fuzz_client
):
    form = FORMS[name]
    client = fuzz_client(form.who)
    valid = form.valid(world)

    counted = [rows()]

    key = form.key(world)

    @FUZZ
    @given(key=form.keys(key), body=request_body(valid))
    # Every field holding a NUL byte: PostgreSQL cannot store nor compare it.
    @example(key=key, body={"data": dict.fromkeys(valid, "a\x00b")})
    def post(key, body):
        if _keep_something_to_act_on(world, name):
            counted.append(rows())
        response = client.post(form.url(world, key), REMOTE_ADDR=_address(), **body)

        assert response.status_code < 500
        counted.append(rows())
        if form.refused(response):
            assert counted[-1] == counted[-2], (
                f"{name}: refused ({response.status_code}), rows added"
            )

    post()


def _with_key(route: str, key: str) -> str:
    """The route's address with `key` percent-encoded where its code or token goes."""
    return reverse(route, args=["KEY"]).replace("KEY", quote(key, safe="") or "-")


@FUZZ
@given(code=TEXT)
def test_the_fuzzed_verification_lookup_never_causes_a_server_error(client, world, code):
    response = client.get(reverse("certificates:verify_lookup"), {"code": code})

    assert response.status_code < 500


@pytest.fixture
def owner_client(world) -> Client:
    client = Client()
    client.force_login(world.owner)
    return client


# Not a form: fewer examples, to keep the file's run time down.
@settings(FUZZ, max_examples=max(1, settings.default.max_examples // 2))
@given(
    key=TEXT,
    method=st.sampled_from(["get", "post"]),
    route=st.sampled_from(
        [
            "registration:order",
            "registration:order_pay",
            "registration:invitation",
            "registration:interest_confirm",
            "registration:interest_unsubscribe",
            "certificates:verify",
            "certificates:pdf",
        ]
    ),
)
@example(key="a\x00b", method="get", route="registration:order")
def test_fuzzed_codes_and_tokens_in_addresses_never_cause_a_server_error(
    owner_client, key, method, route
):
    response = getattr(owner_client, method)(_with_key(route, key), REMOTE_ADDR=_address())

    assert response.status_code < 500


@pytest.mark.parametrize("url", ["/orders/PT-%00/", "/interest/confirm/a%00b/"])
def test_a_nul_byte_in_a_path_gets_the_bad_request_page(owner_client, url):
    response = owner_client.get(url)

    assert response.status_code == 400
    assert "We couldn’t understand that request" in response.content.decode()


def test_a_nul_byte_in_a_checkout_session_id_matches_no_payment(owner_client):
    assert owner_client.get("/checkout/success/?session_id=cs_%00").status_code == 404


@pytest.mark.parametrize(
    "query", ["status__exact=%00", "q=a%00b", "o=1%00", "session__id__exact=%001"]
)
def test_a_nul_byte_in_an_admin_filter_or_search_is_a_bad_request(admin_client, query):
    response = admin_client.get(f"/admin/registration/order/?{query}")

    assert response.status_code == 400
