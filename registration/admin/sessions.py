"""The coordinator's sessions list: the catalog's sessions with their rosters' figures (seats
confirmed and held, the waitlist, attendance marked) and a roster link. Certificates adds its
own column over this one (certificates/admin/sessions.py)."""

from django.contrib import admin
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from catalog.admin import SessionAdmin as CatalogSessionAdmin
from catalog.models import Session

from ..selectors import sessions_with_roster_counts


class SessionAdmin(CatalogSessionAdmin):
    list_display = (
        "offering_and_date",
        "status",
        "seats",
        "held",
        "waitlist",
        "attendance",
        "roster",
    )

    def with_counts(self, sessions, *, now):
        return sessions_with_roster_counts(sessions, now=now)

    @admin.display(description=_("seats taken / capacity"), ordering="seats_confirmed")
    def seats(self, session: Session) -> str:
        return f"{session.seats_confirmed} / {session.capacity}"

    @admin.display(description=_("held"), ordering="seats_held")
    def held(self, session: Session) -> int:
        return session.seats_held

    @admin.display(description=_("waitlist"), ordering="waitlist_length")
    def waitlist(self, session: Session) -> int:
        return session.waitlist_length

    @admin.display(description=_("attendance marked"))
    def attendance(self, session: Session) -> str:
        if not session.seats_confirmed:
            return "—"
        return f"{session.attendance_marked} / {session.seats_confirmed}"

    @admin.display(description=_("roster"))
    def roster(self, session: Session) -> str:
        url = reverse("admin:registration_rosterentry_changelist")
        return format_html(
            '<a href="{}?session__id__exact={}">{}</a>', url, session.pk, _("Roster")
        )


admin.site.unregister(Session)
admin.site.register(Session, SessionAdmin)
