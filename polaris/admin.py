"""The admin site: Django's, with the coordinator's dashboard on its index page; and the
read-only pieces shared by the apps' admins."""

from django.contrib import admin
from django.utils import timezone


class PolarisAdminSite(admin.AdminSite):
    site_header = "Polaris Trainings"
    site_title = "Polaris Trainings admin"
    index_title = "Training coordination"
    index_template = "admin/polaris_index.html"

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
