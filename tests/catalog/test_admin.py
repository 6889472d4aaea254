"""Staff edit the catalog in Django admin: every page loads, bad input is refused clearly."""

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse

from catalog.models import Bundle, CreditType, Instructor, Offering, Session, SiteSettings
from tests.admin_forms import admin_form_data
from tests.factories import EnrolmentFactory, StaffFactory, login_staff

pytestmark = pytest.mark.usefixtures("catalog")

CATALOG_MODELS = ("offering", "session", "instructor", "credittype", "bundle", "sitesettings")


@pytest.fixture
def staff(admin_client):
    return admin_client


def change_url(obj) -> str:
    return reverse(f"admin:catalog_{obj._meta.model_name}_change", args=[obj.pk])


@pytest.mark.parametrize("model", CATALOG_MODELS)
def test_changelist_and_add_pages_load(staff, model):
    assert staff.get(reverse(f"admin:catalog_{model}_changelist")).status_code == 200
    add = staff.get(reverse(f"admin:catalog_{model}_add"))
    assert add.status_code == (403 if model == "sitesettings" else 200)


@pytest.mark.parametrize(
    "instance",
    [
        lambda: Offering.objects.get(slug="module-1"),
        lambda: Session.objects.filter(offering__slug="module-1").first(),
        lambda: Instructor.objects.get(slug="harvey-schwartz"),
        lambda: CreditType.objects.get(code="brn"),
        lambda: Bundle.objects.get(slug="full-training"),
        lambda: SiteSettings.objects.get(),
    ],
)
def test_change_pages_load(staff, instance):
    assert staff.get(change_url(instance())).status_code == 200


def test_index_lists_catalog(staff):
    page = staff.get(reverse("admin:index")).content.decode()
    assert "Offerings" in page and "Sessions" in page and "Bundles" in page


def test_unchanged_offering_form_saves(staff):
    offering = Offering.objects.get(slug="module-3")
    data = admin_form_data(staff, change_url(offering))
    response = staff.post(change_url(offering), data)
    assert response.status_code == 302, response.content.decode()[:3000]
    offering.refresh_from_db()
    assert offering.tuition_cents == 32500 and offering.objectives.count() == 6


def test_prices_are_typed_in_dollars(staff):
    offering = Offering.objects.get(slug="module-3")
    data = admin_form_data(staff, change_url(offering))
    assert data["tuition_cents"] == "325.00"
    data["tuition_cents"] = "$340"
    assert staff.post(change_url(offering), data).status_code == 302
    offering.refresh_from_db()
    assert offering.tuition_cents == 34000


def test_negative_price_is_refused(staff):
    offering = Offering.objects.get(slug="module-3")
    data = admin_form_data(staff, change_url(offering))
    data["admin_fee_cents"] = "-25"
    response = staff.post(change_url(offering), data)
    assert response.status_code == 200
    assert "A price cannot be negative." in response.content.decode()
    offering.refresh_from_db()
    assert offering.admin_fee_cents == 2500


def test_duplicate_slug_is_refused(staff):
    offering = Offering.objects.get(slug="module-3")
    data = admin_form_data(staff, change_url(offering))
    data["slug"] = "module-4"
    response = staff.post(change_url(offering), data)
    assert response.status_code == 200
    assert "Offering with this Slug already exists." in response.content.decode()
    assert Offering.objects.filter(slug="module-3").exists()


def test_session_ending_before_it_starts_is_refused(staff):
    session = Session.objects.filter(offering__slug="module-1").first()
    data = admin_form_data(staff, change_url(session))
    data["ends_at_0"], data["ends_at_1"] = data["starts_at_0"], "08:00:00"
    response = staff.post(change_url(session), data)
    assert response.status_code == 200
    assert "A session must end after it starts." in response.content.decode()
    before = session.ends_at
    session.refresh_from_db()
    assert session.ends_at == before


def test_capacity_below_seats_taken_is_refused(staff):
    session = Session.objects.filter(offering__slug="module-1").first()
    EnrolmentFactory.create_batch(5, session=session, status="confirmed")
    data = admin_form_data(staff, change_url(session))
    data["capacity"] = "4"
    response = staff.post(change_url(session), data)
    assert response.status_code == 200
    assert "5 seats are already taken: the capacity cannot be lower." in response.content.decode()
    session.refresh_from_db()
    assert session.capacity == 40
    data["capacity"] = "5"
    assert staff.post(change_url(session), data).status_code == 302


def test_bundle_dearer_than_its_parts_is_flagged(staff):
    bundle = Bundle.objects.get(slug="full-training")
    page = staff.get(change_url(bundle), follow=True).content.decode()
    assert "costs $2,550, more than its offerings bought one by one ($2,400)" in page
    data = admin_form_data(staff, change_url(bundle))
    data["tuition_cents"] = "2000"
    response = staff.post(change_url(bundle), data, follow=True)
    assert "more than its offerings bought one by one" not in response.content.decode()


def test_site_settings_are_for_superusers_only(client, django_user_model):

    staff = StaffFactory()
    staff.user_permissions.set(Permission.objects.filter(codename__endswith="sitesettings"))
    login_staff(client, staff)
    settings_row = SiteSettings.objects.get()
    assert client.get(change_url(settings_row)).status_code == 403


def test_credit_type_page_says_what_blocks_its_certificates_and_saves_unchanged(staff):
    brn = CreditType.objects.get(code="brn")
    page = staff.get(change_url(brn)).content.decode()
    assert "Blocked: provider address missing, signature missing" in page

    items = set(brn.certificate_items)
    data = admin_form_data(staff, change_url(brn))
    assert "provider_address" in data["certificate_items"]
    data["provider_address"] = "2201 Broadway\nOakland, CA 94612"
    response = staff.post(change_url(brn), data)

    assert response.status_code == 302, response.content.decode()[:3000]
    brn.refresh_from_db()
    assert brn.provider_address.splitlines() == ["2201 Broadway", "Oakland, CA 94612"]
    assert set(brn.certificate_items) == items
    assert "Blocked: signature missing" in staff.get(change_url(brn)).content.decode()
