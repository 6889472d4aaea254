"""The coordinator's sessions list, with how many Certificates of Attendance each session's
trainees hold, over registration's list of rosters' figures."""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from catalog.models import Session
from registration.admin.sessions import SessionAdmin as RosterSessionAdmin

from ..selectors import certificates_issued_count


class SessionAdmin(RosterSessionAdmin):
    list_display = (*RosterSessionAdmin.list_display[:-1], "certificates", "roster")

    def with_counts(self, sessions, *, now):
        return (
            super()
            .with_counts(sessions, now=now)
            .annotate(certificates_issued=certificates_issued_count())
        )

    @admin.display(description=_("certificates issued"), ordering="certificates_issued")
    def certificates(self, session: Session) -> int:
        return session.certificates_issued


admin.site.unregister(Session)
admin.site.register(Session, SessionAdmin)
