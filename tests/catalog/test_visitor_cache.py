"""Visitors without a session get catalog pages from the cache, before Django's middleware
runs (polaris.wsgi); what they see stays current, and nobody signed in ever gets it."""

import gzip
import re

import pytest
from django.contrib.sessions.models import Session as UserSession
from django.utils import timezone

from catalog.middleware import VisitorPageCache
from catalog.models import Offering, Session
from registration.services.cart import cart_add
from registration.services.orders import order_place
from tests.browser import Browser
from tests.factories import TraineeFactory, UserFactory

pytestmark = pytest.mark.usefixtures("catalog", "before_season")

PAGES = ["/", "/trainings/module-1/", "/instructors/", "/calendar/", "/programs/full-training/"]
ADDED_BY_THE_CACHE = {"etag", "cache-control"}


@pytest.fixture
def visitor():
    return Browser()


@pytest.mark.parametrize("path", PAGES)
def test_a_visitor_gets_the_same_page_and_headers_again_without_a_query(
    visitor, path, django_assert_max_num_queries
):
    first = visitor.get(path)
    assert first.status_code == 200
    with django_assert_max_num_queries(0):
        again = visitor.get(path)
    assert again.status_code == 200
    assert again.content == first.content
    # The security headers are those Django's middleware set on the page.
    assert again.headers == first.headers
    for header in (
        "content-security-policy",
        "x-frame-options",
        "x-content-type-options",
        "referrer-policy",
        "cross-origin-opener-policy",
    ):
        assert header in again.headers, header
    assert again.headers["cache-control"] == "no-cache"


@pytest.mark.parametrize("path", PAGES)
def test_anonymous_browsing_sets_no_cookie_and_makes_no_session(visitor, path):
    for _ in range(2):
        response = visitor.get(path)
        assert response.status_code == 200
        assert response.set_cookies == []
    assert UserSession.objects.count() == 0


def test_an_unchanged_page_revalidates_with_304(visitor):
    etag = visitor.get("/trainings/module-1/").headers["etag"]
    response = visitor.get("/trainings/module-1/", {"If-None-Match": etag})
    assert response.status_code == 304
    assert response.content == b""
    assert response.headers["etag"] == etag
    assert "content-security-policy" in response.headers

    Offering.objects.filter(slug="module-1").update(title="Foundations of KAP")
    Offering.objects.get(slug="module-1").save()  # as the admin saves it
    changed = visitor.get("/trainings/module-1/", {"If-None-Match": etag})
    assert changed.status_code == 200
    assert "Foundations of KAP" in changed.content.decode()
    assert changed.headers["etag"] != etag


def test_a_catalog_edit_shows_at_once_in_every_process(visitor):
    other_process = Browser(app=VisitorPageCache(Browser().app.app))
    for browser in (visitor, other_process):
        assert "Foundations of KAP" not in browser.get("/").content.decode()
    offering = Offering.objects.get(slug="module-1")
    offering.title = "Foundations of KAP"
    offering.save()
    for browser in (visitor, other_process):
        assert "Foundations of KAP" in browser.get("/").content.decode()
        assert "Foundations of KAP" in browser.get("/trainings/module-1/").content.decode()


def test_a_seat_taken_shows_at_once(visitor):
    session = Session.objects.filter(offering__slug="module-1").order_by("starts_at").first()
    left = f"{session.capacity - 1} of {session.capacity}"
    assert left not in visitor.get("/trainings/module-1/").content.decode()
    # Orders need the name certificates carry.
    trainee = TraineeFactory(legal_name="Alex Rivera", profession="other")
    cart_add(trainee=trainee, session=session, now=timezone.now())
    order_place(trainee=trainee, payment_method="offline", now=timezone.now())
    assert left in visitor.get("/trainings/module-1/").content.decode()


def test_a_signed_in_trainee_never_gets_the_visitors_page(visitor):
    anonymous = visitor.get("/trainings/module-1/")
    assert "Sign in" in anonymous.content.decode()
    trainee = Browser()
    trainee.sign_in_as(UserFactory())
    for headers in ({}, {"If-None-Match": anonymous.headers["etag"]}):
        page = trainee.get("/trainings/module-1/", headers)
        assert page.status_code == 200
        assert "Sign out" in page.content.decode()
        assert "Sign in" not in page.content.decode()
        assert "etag" not in page.headers
    # ...and the visitor after them still gets the visitors' page.
    assert visitor.get("/trainings/module-1/").content == anonymous.content


def test_signed_in_trainees_never_get_each_others_page():
    def token(page) -> str:
        return re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)

    first, second = Browser(), Browser()
    first.sign_in_as(UserFactory())
    second.sign_in_as(UserFactory())
    first_page = first.get("/").content.decode()
    second_page = second.get("/").content.decode()
    # Each page carries the CSRF token of its own browser's session, never the other's.
    assert token(first_page) != token(second_page)
    assert first.cookies["csrftoken"] != second.cookies["csrftoken"]
    assert "Sign out" in first_page and "Sign out" in second_page


def test_a_visitor_with_a_message_waiting_gets_it():
    visitor = Browser()
    visitor.get("/")
    visitor.cookies["messages"] = "stale"  # an unreadable message cookie, as Django drops
    response = visitor.get("/")
    assert response.status_code == 200
    assert "etag" not in response.headers


def test_filtered_calendar_is_rendered_for_its_filter(visitor):
    whole = visitor.get("/calendar/").content
    filtered = visitor.get("/calendar/?kind=residential")
    assert filtered.status_code == 200
    assert filtered.content != whole
    assert "etag" not in filtered.headers


def test_a_disallowed_host_is_refused_as_before(visitor):
    visitor.get("/")
    response = visitor.get("/", {"Host": "evil.example"})
    assert response.status_code == 400


def test_a_browser_that_accepts_gzip_gets_the_page_gzipped(visitor):
    plain = visitor.get("/trainings/module-1/")
    zipped = visitor.get("/trainings/module-1/", {"Accept-Encoding": "gzip, deflate, br"})
    assert zipped.headers["content-encoding"] == "gzip"
    assert gzip.decompress(zipped.content) == plain.content
    assert int(zipped.headers["content-length"]) == len(zipped.content) < len(plain.content)
    for response in (plain, zipped):
        assert "Accept-Encoding" in response.headers["vary"]
        assert "Cookie" in response.headers["vary"]
    assert "content-encoding" not in plain.headers
    again = visitor.get(
        "/trainings/module-1/",
        {"Accept-Encoding": "gzip", "If-None-Match": zipped.headers["etag"]},
    )
    assert again.status_code == 304
