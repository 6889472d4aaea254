"""Each catalog page runs a fixed number of queries, whatever the size of the catalog."""

from datetime import timedelta

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext

from catalog.cache import catalog_changed
from catalog.models import (
    Bundle,
    CreditType,
    Instructor,
    LearningObjective,
    Offering,
    OfferingCredit,
    Session,
    SiteSettings,
)
from registration.models import Enrolment
from tests.browser import Browser
from tests.factories import FIRST_SESSION_START, UserFactory

pytestmark = pytest.mark.usefixtures("catalog", "before_season")

# Bounds per page on a cold cache (a warm cache needs none).
PAGES = {
    "/": 6,
    "/trainings/module-2/": 10,
    "/programs/full-training/": 4,
    "/instructors/": 3,
    "/instructors/harvey-schwartz/": 3,
    "/calendar/": 3,
}


def grow_catalog_tenfold() -> None:
    """Nine more of every offering, each with sessions, objectives, CE, instructors, seats taken."""
    credit_types = list(CreditType.objects.all())
    bundle = Bundle.objects.get(slug="full-training")
    module_1 = Offering.objects.get(slug="module-1")
    instructors = Instructor.objects.bulk_create(
        Instructor(name=f"Instructor {n}", slug=f"instructor-{n}") for n in range(160)
    )
    trainee = UserFactory()
    for index, original in enumerate(list(Offering.objects.all())):
        offerings = Offering.objects.bulk_create(
            Offering(
                slug=f"{original.slug}-{copy}",
                kind=original.kind,
                title=f"{original.title} ({copy})",
                summary=original.summary,
                delivery=original.delivery,
                tuition_cents=original.tuition_cents,
                admin_fee_cents=original.admin_fee_cents,
            )
            for copy in range(9)
        )
        for copy, offering in enumerate(offerings):
            offering.instructors.set(
                [*original.instructors.all(), instructors[(index * 9 + copy) % 160]]
            )
            offering.prerequisites.set([module_1])
            bundle.offerings.add(offering)
        LearningObjective.objects.bulk_create(
            LearningObjective(offering=o, position=p, text="Do")
            for o in offerings
            for p in range(1, 7)
        )
        OfferingCredit.objects.bulk_create(
            OfferingCredit(offering=o, credit_type=t, credits=8, fee_cents=7900)
            for o in offerings
            for t in credit_types
        )
        sessions = Session.objects.bulk_create(
            Session(
                offering=o,
                starts_at=FIRST_SESSION_START + timedelta(days=day),
                ends_at=FIRST_SESSION_START + timedelta(days=day, hours=8),
                capacity=40,
            )
            for o in offerings
            for day in (1, 30, 60)
        )
        Enrolment.objects.bulk_create(
            Enrolment(session=session, trainee=trainee, status="confirmed") for session in sessions
        )
    module_2 = Offering.objects.get(slug="module-2")
    Session.objects.bulk_create(
        Session(
            offering=module_2,
            starts_at=FIRST_SESSION_START + timedelta(days=day),
            ends_at=FIRST_SESSION_START + timedelta(days=day, hours=8),
            capacity=40,
        )
        for day in range(2, 22)
    )
    catalog_changed()


def queries(client, url: str) -> int:
    """Queries for one visit on a cold cache."""
    cache.delete(SiteSettings.CACHE_KEY)
    catalog_changed()
    with CaptureQueriesContext(connection) as context:
        assert client.get(url).status_code == 200
    return len(context)


def test_query_counts_do_not_grow_with_the_catalog(client, django_assert_max_num_queries):
    def measure() -> dict[str, int]:
        counts = {}
        for url, bound in PAGES.items():
            with django_assert_max_num_queries(bound):
                counts[url] = queries(client, url)
        return counts

    seed = measure()
    grow_catalog_tenfold()
    assert Offering.objects.count() == 130
    assert measure() == seed


def test_a_cached_page_needs_no_query(django_assert_num_queries):
    visitor = Browser()
    for url in PAGES:
        visitor.get(url)
        with django_assert_num_queries(0):
            assert visitor.get(url).status_code == 200
