"""Object-level authorization: every address that names a thing by its id, code or token
shows it only to whom it belongs (and to the staff the design lets see it); everyone else
gets the sign-in page, a 404 or a refusal, and changes nothing.

Trainee-facing pages show the signed-in trainee's own things only, staff included: staff
work on other people's orders, enrolments and intakes in the admin. Certificates are the
exception: staff with the view permission may download any certificate's PDF.
"""

from collections.abc import Callable
from dataclasses import dataclass, field

import pytest
from allauth.account.forms import default_token_generator
from allauth.account.models import EmailAddress, EmailConfirmationHMAC
from allauth.account.utils import user_pk_to_url_str
from django.test import Client
from django.urls import NoReverseMatch, URLPattern, URLResolver, get_resolver, reverse

from registration.models import InquiryTopic
from registration.tokens import waitlist_offer_token
from tests.security.world import World, database_state, sign_in

LOGIN = "the sign-in page"
PEOPLE = ("anonymous", "other", "coordinator", "reviewer", "owner")


@dataclass(frozen=True)
class Access:
    """Who gets what at one address: `expect` maps each of PEOPLE to a status or LOGIN
    (people left out are not tried); `missing` is what the owner gets for an id or code that
    names nothing. POSTs by anyone but the owner must change nothing."""

    url: Callable[[World, str], str]
    expect: dict[str, int | str]
    method: str = "GET"
    data: Callable[[World], dict] = field(default=lambda world: {})
    missing: int | str = 404


def owned(status: int = 200, *, anonymous: int | str = LOGIN, staff: int = 404) -> dict:
    """A trainee's own thing: only they reach it."""
    return {
        "anonymous": anonymous,
        "other": 404,
        "coordinator": staff,
        "reviewer": staff,
        "owner": status,
    }


def everyone(status: int = 200, *, anonymous: int | str | None = None) -> dict:
    """A public thing (the catalog's, or one reached through a link that is its own key)."""
    return {who: status for who in PEOPLE} | {"anonymous": anonymous or status}


def _args(*values):
    """The URL of a named route, for the real object's key or for one that names nothing."""

    def url(name):
        def build(world: World, key: str) -> str:
            real = [value(world) for value in values]
            if key == "missing":
                real[-1] = 999_999_999 if isinstance(real[-1], int) else "NOSUCHKEY2345678"
            return reverse(name, args=real)

        return build

    return url


def _reset_key_url(world: World, key: str) -> str:
    token = default_token_generator.make_token(world.owner)
    if key == "missing":
        token = "bad-token"
    return reverse(
        "account_reset_password_from_key",
        kwargs={"uidb36": user_pk_to_url_str(world.owner), "key": token},
    )


def _confirm_email_url(world: World, key: str) -> str:
    address, _ = EmailAddress.objects.get_or_create(user=world.owner, email="second@example.com")
    confirmation = EmailConfirmationHMAC(address).key
    return reverse("account_confirm_email", args=[confirmation if key == "real" else "bad:key"])


ACCESS = {
    # A trainee's own things.
    "registration:order": Access(
        _args(lambda w: w.order.code)("registration:order"), owned(), missing=404
    ),
    "registration:order_pay": Access(
        _args(lambda w: w.order.code)("registration:order_pay"), owned(302), method="POST"
    ),
    "registration:order_cancel": Access(
        _args(lambda w: w.order.code)("registration:order_cancel"), owned(302), method="POST"
    ),
    "registration:order_to_cart": Access(
        _args(lambda w: w.order.code)("registration:order_to_cart"), owned(302), method="POST"
    ),
    "registration:enrolment_cancel": Access(
        _args(lambda w: w.enrolment.pk)("registration:enrolment_cancel"), owned()
    ),
    "registration:enrolment_transfer": Access(
        _args(lambda w: w.enrolment.pk)("registration:enrolment_transfer"), owned()
    ),
    "registration:cart_ce": Access(
        _args(lambda w: w.cart_item.pk)("registration:cart_ce"),
        owned(302),
        method="POST",
        data=lambda w: {f"item{w.cart_item.pk}-credit_type": ""},
    ),
    # Removing an item that is not in your cart (gone, or someone else's) changes nothing and
    # shows your own cart, the same answer as after a double click on "Remove".
    "registration:cart_remove": Access(
        _args(lambda w: w.cart_item.pk)("registration:cart_remove"),
        owned(302) | {"other": 302, "coordinator": 302, "reviewer": 302},
        method="POST",
        missing=302,
    ),
    "registration:waitlist_leave": Access(
        _args(lambda w: w.waitlist_entry.pk)("registration:waitlist_leave"),
        owned(302),
        method="POST",
    ),
    "registration:waitlist_accept": Access(
        _args(lambda w: w.waitlist_entry.pk)("registration:waitlist_accept"),
        owned(302),
        method="POST",
    ),
    # The waitlist offer email's signed link: the trainee it was sent to only (this entry's
    # offer is over, so even they are told the link is dead).
    "registration:waitlist_take": Access(
        _args(lambda w: waitlist_offer_token(entry=w.waitlist_entry))("registration:waitlist_take"),
        owned(410),
    ),
    "evaluations:evaluation": Access(
        _args(lambda w: w.past_enrolment.pk)("evaluations:evaluation"), owned()
    ),
    # Staff with the view permission may download any certificate; a visitor gets a 404,
    # not the sign-in page, so that codes cannot be told apart.
    "certificates:pdf": Access(
        _args(lambda w: w.certificate.code)("certificates:pdf"),
        owned(anonymous=404) | {"coordinator": 200},
    ),
    # The invitation link works for the account it was sent to; others are told why not.
    "registration:invitation": Access(
        _args(lambda w: w.invitation.token)("registration:invitation"),
        owned() | {"other": 403, "coordinator": 403, "reviewer": 403},
        missing=403,
    ),
    # Intake answers: clinical reviewers only, not even the trainee through this page.
    "registration:intake_review": Access(
        _args(lambda w: w.intake.pk)("registration:intake_review"),
        {"anonymous": LOGIN, "other": 403, "coordinator": 403, "owner": 403, "reviewer": 200},
    ),
    # Public things: the catalog's, and the verification page of a certificate.
    "catalog:session_ics": Access(
        _args(lambda w: w.open_session.pk)("catalog:session_ics"), everyone()
    ),
    "catalog:offering": Access(_args(lambda w: "module-1")("catalog:offering"), everyone()),
    "catalog:bundle": Access(_args(lambda w: "full-training")("catalog:bundle"), everyone()),
    "catalog:instructor": Access(
        _args(lambda w: "harvey-schwartz")("catalog:instructor"), everyone()
    ),
    "registration:interest": Access(
        _args(lambda w: "residential-level-2")("registration:interest"), everyone()
    ),
    "registration:contact_topic": Access(
        _args(lambda w: InquiryTopic.KAP_CONSULTATION.value)("registration:contact_topic"),
        everyone(),
    ),
    "registration:bundle_choose": Access(
        _args(lambda w: "full-training")("registration:bundle_choose"),
        everyone(anonymous=LOGIN),
    ),
    "registration:waitlist_join": Access(
        _args(lambda w: w.open_session.pk)("registration:waitlist_join"),
        {"anonymous": LOGIN, "owner": 302},
        method="POST",
    ),
    "certificates:verify": Access(
        _args(lambda w: w.certificate.code)("certificates:verify"), everyone()
    ),
    # Links that are their own key: whoever holds the link may use it; a made-up one, no one.
    "registration:interest_confirm": Access(
        _args(lambda w: w.interest.token)("registration:interest_confirm"), everyone()
    ),
    "registration:interest_unsubscribe": Access(
        _args(lambda w: w.interest.token)("registration:interest_unsubscribe"), everyone()
    ),
    "account_reset_password_from_key": Access(_reset_key_url, {"anonymous": 302}, missing=200),
    "account_confirm_email": Access(_confirm_email_url, everyone(), missing=200),
}


def _route_name(namespace: str, name: str | None) -> str | None:
    return f"{namespace}:{name}" if namespace and name else name


def _patterns(patterns, namespace: str = "", prefix: str = ""):
    for pattern in patterns:
        route = prefix + str(pattern.pattern)
        if isinstance(pattern, URLResolver):
            inner = ":".join(n for n in (namespace, pattern.namespace) if n)
            yield from _patterns(pattern.url_patterns, inner, route)
        elif isinstance(pattern, URLPattern):
            yield route, _route_name(namespace, pattern.name), pattern


def _takes_a_key(pattern: URLPattern) -> bool:
    return bool(getattr(pattern.pattern, "converters", None) or pattern.pattern.regex.groupindex)


def test_every_address_with_an_id_code_or_token_is_covered():
    discovered = {
        name
        for route, name, pattern in _patterns(get_resolver().url_patterns)
        if not route.startswith("admin/") and _takes_a_key(pattern)
    }

    assert discovered == set(ACCESS)


def _outcome(response) -> int | str:
    location = response.get("Location", "")
    if response.status_code == 302 and location.startswith(
        (reverse("account_login"), reverse("admin:login"))
    ):
        return LOGIN
    return response.status_code


def _send(client: Client, access: Access, world: World, url: str):
    if access.method == "POST":
        return client.post(url, access.data(world))
    return client.get(url)


@pytest.mark.parametrize("name", ACCESS)
def test_only_those_allowed_reach_the_object(name, world):
    access = ACCESS[name]
    client = Client()
    for who in PEOPLE:
        if who not in access.expect:
            continue
        client.logout()
        if who != "anonymous":
            sign_in(client, getattr(world, who))
        url = access.url(world, "real")
        before = database_state()

        response = _send(client, access, world, url)

        expected = access.expect[who]
        assert _outcome(response) == expected, f"{name}, {who}: {response.status_code}"
        if who != "owner" and expected != 200:
            page = response.content.decode(errors="replace")
            assert world.owner.email not in page and "Olivia Owner" not in page, (name, who)
            if access.method == "POST":
                assert database_state() == before, f"{name}: {who} changed something"


@pytest.mark.parametrize(
    "name", [name for name, access in ACCESS.items() if access.expect.get("owner")]
)
def test_a_key_that_names_nothing_reaches_nothing(name, world):
    access = ACCESS[name]
    client = Client()
    sign_in(client, world.owner if name != "registration:intake_review" else world.reviewer)
    url = access.url(world, "missing")
    before = database_state()

    response = _send(client, access, world, url)

    assert _outcome(response) == access.missing
    page = response.content.decode(errors="replace")
    assert world.owner.email not in page and "Olivia Owner" not in page
    assert database_state() == before


def _admin_urls():
    """Every named admin address, with a placeholder for each of its parameters."""
    for route, name, pattern in _patterns(get_resolver().url_patterns):
        if not route.startswith("admin/") or not name:
            continue
        groups = list(getattr(pattern.pattern, "converters", {})) or list(
            pattern.pattern.regex.groupindex
        )
        for placeholder in ("1", "registration"):
            try:
                yield name, reverse(name, kwargs=dict.fromkeys(groups, placeholder))
                break
            except NoReverseMatch:
                continue
        else:
            raise AssertionError(f"cannot build an address for {name} ({route})")


def test_the_admin_sends_visitors_and_trainees_to_its_sign_in_page(client, world):
    urls = [(name, url) for name, url in _admin_urls() if name != "admin:login"]
    urls.append(("an address the admin does not know", "/admin/no-such-page/"))
    assert len(urls) > 50
    login = reverse("admin:login")

    for who in ("anonymous", "owner"):
        if who == "owner":
            client.force_login(world.owner)
        let_in = [
            f"{name} {url}: ends at {response.request['PATH_INFO']}"
            for name, url in urls
            if (response := client.get(url, follow=True)).request["PATH_INFO"] != login
        ]
        assert not let_in, f"{who}:\n" + "\n".join(let_in)
