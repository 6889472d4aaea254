"""Catalog pages are cached for visitors, and every change made in the admin shows at once."""

import pytest
from django.urls import reverse

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
from tests.admin_forms import admin_form_data
from tests.browser import Browser

pytestmark = pytest.mark.usefixtures("catalog", "before_season")


@pytest.fixture
def visitor():
    """A second, anonymous browser, served from the cache as gunicorn serves it."""
    return Browser()


@pytest.fixture
def staff(admin_client):
    """A second browser, signed in to the admin."""
    return admin_client


def change_url(obj) -> str:
    return reverse(f"admin:catalog_{obj._meta.model_name}_change", args=[obj.pk])


def edit(staff, obj, **changes) -> None:
    data = admin_form_data(staff, change_url(obj))
    data.update(changes)
    response = staff.post(change_url(obj), data)
    assert response.status_code == 302, response.content.decode()[:2000]


def test_second_visit_is_served_from_cache(visitor, django_assert_max_num_queries):
    visitor.get("/trainings/module-1/")
    with django_assert_max_num_queries(0):
        assert visitor.get("/trainings/module-1/").status_code == 200


def test_offering_edit_shows_at_once(visitor, staff):
    assert "Introductory Workshop" in visitor.get("/").content.decode()
    edit(staff, Offering.objects.get(slug="module-1"), title="Foundations of KAP")
    assert "Foundations of KAP" in visitor.get("/").content.decode()
    assert "Foundations of KAP" in visitor.get("/trainings/module-1/").content.decode()


def test_objective_and_ce_inline_edits_show_at_once(visitor, staff):
    offering = Offering.objects.get(slug="module-5")
    visitor.get("/trainings/module-5/")
    objective = LearningObjective.objects.filter(offering=offering).first()
    credit = OfferingCredit.objects.get(offering=offering, credit_type__code="apa")
    data = admin_form_data(staff, change_url(offering))
    prefix_objective = next(
        k for k, v in data.items() if k.endswith("-id") and v == str(objective.pk)
    )
    data[prefix_objective.replace("-id", "-text")] = "Practise KAP with a partner"
    prefix_credit = next(
        k
        for k, v in data.items()
        if k.startswith("credits-") and k.endswith("-id") and v == str(credit.pk)
    )
    data[prefix_credit.replace("-id", "-fee_cents")] = "85"
    assert staff.post(change_url(offering), data).status_code == 302
    page = visitor.get("/trainings/module-5/").content.decode()
    assert "Practise KAP with a partner" in page and "$85" in page


def test_session_edit_and_cancellation_show_at_once(visitor, staff):
    session = Session.objects.get(offering__slug="module-2")
    visitor.get("/calendar/")
    edit(staff, session, starts_at_1="10:00:00")
    assert "Sat, Jul 31, 2027 · 10:00 AM – 5:00 PM PT" in visitor.get("/calendar/").content.decode()
    edit(staff, session, status="cancelled")
    assert "Jul 31, 2027" not in visitor.get("/calendar/").content.decode()


def test_instructor_edit_shows_at_once(visitor, staff):
    visitor.get("/trainings/module-1/")
    edit(staff, Instructor.objects.get(slug="harvey-schwartz"), credentials="PhD, ABPP")
    assert "Harvey Schwartz, PhD, ABPP" in visitor.get("/trainings/module-1/").content.decode()


def test_credit_type_edit_shows_at_once(visitor, staff):
    visitor.get("/trainings/module-1/")
    edit(staff, CreditType.objects.get(code="brn"), name="BRN contact hours (California)")
    assert "BRN contact hours (California)" in visitor.get("/trainings/module-1/").content.decode()


def test_bundle_edit_shows_at_once(visitor, staff):
    visitor.get("/")
    edit(staff, Bundle.objects.get(slug="full-training"), tuition_cents="2200")
    assert "$2,350" in visitor.get("/").content.decode()


def test_site_settings_edit_shows_at_once(visitor, staff):
    visitor.get("/trainings/module-1/")
    edit(staff, SiteSettings.objects.get(), refund_deadline_days="21")
    assert "Cancel up to 21 days" in visitor.get("/trainings/module-1/").content.decode()


def test_deleting_a_session_shows_at_once(visitor, staff):
    session = Session.objects.get(offering__slug="module-7")
    visitor.get("/trainings/module-7/")
    response = staff.post(
        reverse("admin:catalog_session_delete", args=[session.pk]), {"post": "yes"}
    )
    assert response.status_code == 302
    assert "Fri, Aug 20, 2027" not in visitor.get("/trainings/module-7/").content.decode()
