"""The admin site: Django's, with the coordinator's dashboard on its index page and lookups
only on what each admin declares; and the read-only pieces shared by the apps' admins."""

from django.contrib import admin
from django.utils import timezone

from .admin_lookups import AllowListedLookups


class PolarisAdminSite(admin.AdminSite):
    site_header = "Polaris Trainings"
    site_title = "Polaris Trainings admin"
    index_title = "Training coordination"
    index_template = "admin/polaris_index.html"

    def register(self, model_or_iterable, admin_class=None, **options):
        """Every admin, ours or another app's, filters only on what it declares."""
        admin_class = admin_class or admin.ModelAdmin
        if not issubclass(admin_class, AllowListedLookups):
            admin_class = type(
                admin_class.__name__,
                (AllowListedLookups, admin_class),
                {"__module__": admin_class.__module__, "__qualname__": admin_class.__qualname__},
            )
        super().register(model_or_iterable, admin_class, **options)

    def index(self, request, extra_context=None):
        from registration.dashboard import dashboard, default_season

        context = dict(extra_context or {})
        if request.user.has_perm("registration.view_order"):
            now = timezone.now()
            try:
                season = int(request.GET.get("season", ""))
            except ValueError:
                season = default_season(now=now)
            if not 2000 <= season <= 2100:
                season = default_season(now=now)
            context["dashboard"] = dashboard(now=now, season=season)
        return super().index(request, context)


# The largest id a PostgreSQL bigint holds.
MAX_ID = 2**63 - 1


def id_param(value: str | None) -> int | None:
    """The id a query parameter names ("12"), or None for anything else ("²", "-1", "1e3",
    twenty-five digits): admin pages that read one ignore a malformed one."""
    if value and value.isascii() and value.isdigit() and int(value) <= MAX_ID:
        return int(value)
    return None


class ReadOnlyAdminMixin:
    """Records kept for the archive: shown in the admin, never added, changed or deleted there."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class ReadOnlyInline(ReadOnlyAdminMixin, admin.TabularInline):
    extra = 0
    can_delete = False
