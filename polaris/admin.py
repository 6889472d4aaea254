"""The admin site: Django's, with the coordinator's dashboard on its index page."""

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
