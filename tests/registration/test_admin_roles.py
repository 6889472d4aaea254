"""Staff roles: the Coordinator group holds exactly what the coordinator needs; intake medical
details need the clinical reviewer permission; site settings are for superusers."""

import pytest
from django.contrib.auth.models import Group
from django.core.management import call_command
from django.urls import reverse

from catalog.models import SiteSettings
from registration.roles import CLINICAL_REVIEWER, COORDINATOR, roles_sync
from tests.factories import StaffFactory, login_staff

pytestmark = pytest.mark.usefixtures("catalog")


def staff_user(*groups: str, superuser: bool = False):
    return StaffFactory(roles=groups, is_superuser=superuser)


@pytest.fixture
def as_user(client):
    def sign_in(user):
        return login_staff(client, user)

    return sign_in


def test_groups_exist_after_migrate_and_sync_is_idempotent():
    coordinator = Group.objects.get(name=COORDINATOR)
    before = set(coordinator.permissions.values_list("codename", flat=True))
    roles_sync()
    roles_sync()
    assert set(coordinator.permissions.values_list("codename", flat=True)) == before
    assert Group.objects.filter(name=COORDINATOR).count() == 1
    assert {"change_session", "view_order", "change_order", "view_rosterentry"} <= before
    assert "change_sitesettings" not in before and "view_intake_answers" not in before
    assert not any(code.endswith("_user") or code.endswith("_group") for code in before)
    reviewer = Group.objects.get(name=CLINICAL_REVIEWER)
    assert set(reviewer.permissions.values_list("codename", flat=True)) == {
        "view_intake_answers",
        "view_intakeaccesslog",
    }


def test_a_removed_permission_comes_back_on_the_next_migrate():
    coordinator = Group.objects.get(name=COORDINATOR)
    coordinator.permissions.clear()
    call_command("migrate", verbosity=0)
    assert coordinator.permissions.filter(codename="change_session").exists()


ADMIN_PAGES = {
    "index": lambda: reverse("admin:index"),
    "sessions": lambda: reverse("admin:catalog_session_changelist"),
    "orders": lambda: reverse("admin:registration_order_changelist"),
    "offerings": lambda: reverse("admin:catalog_offering_changelist"),
    "site settings": lambda: reverse(
        "admin:catalog_sitesettings_change", args=[SiteSettings.objects.get().pk]
    ),
    "users": lambda: reverse("admin:auth_user_changelist"),
}

# role → pages it may open (others: 403, or the admin index without the module)
MATRIX = {
    "coordinator": {"index", "sessions", "orders", "offerings"},
    "staff without group": {"index"},
    "clinical reviewer": {"index"},
    "superuser": set(ADMIN_PAGES),
}


def user_for(role: str):
    if role == "coordinator":
        return staff_user(COORDINATOR)
    if role == "clinical reviewer":
        return staff_user(CLINICAL_REVIEWER)
    if role == "superuser":
        return staff_user(superuser=True)
    return staff_user()


@pytest.mark.parametrize("role", MATRIX)
@pytest.mark.parametrize("page", ADMIN_PAGES)
def test_permission_matrix(as_user, role, page):
    client = as_user(user_for(role))
    status = client.get(ADMIN_PAGES[page]()).status_code
    assert status == (200 if page in MATRIX[role] else 403), (role, page, status)


def test_clinical_reviewer_permission_is_separate_from_coordinator():
    coordinator = staff_user(COORDINATOR)
    reviewer = staff_user(CLINICAL_REVIEWER)
    assert not coordinator.has_perm("registration.view_intake_answers")
    assert reviewer.has_perm("registration.view_intake_answers")
    both = staff_user(COORDINATOR, CLINICAL_REVIEWER)
    assert both.has_perm("registration.view_intake_answers")


def test_dashboard_is_shown_to_the_coordinator_only(as_user):
    page = as_user(staff_user(COORDINATOR)).get(reverse("admin:index")).content.decode()
    assert "Upcoming sessions" in page and "Offline payments pending" in page
    other = as_user(staff_user()).get(reverse("admin:index")).content.decode()
    assert "Offline payments pending" not in other
