"""The roster's certificates: registration's roster admin, with the action that issues the
chosen trainees' certificates, the session's certificate progress page (N of M rendered and
emailed, failures, "Retry") and the roster's link to it. Registered in place of
registration's roster admin, which knows nothing of certificates.

Every change goes through certificates.services.sessions.
"""

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from catalog.models import Session, SiteSettings
from registration import selectors
from registration.admin.roster import RosterAdmin
from registration.models import Enrolment, RosterEntry

from ..services.sessions import (
    session_certificates_issue,
    session_certificates_progress,
    session_certificates_retry,
    session_partial_attendance,
)
from .certificates import SESSION_LOOKUP


def _clause(reason: str) -> str:
    """A refusal's sentence as a clause of the report: "the CE certificate is issued …"."""
    reason = reason.strip().rstrip(".")
    if reason[1:2].islower():
        reason = reason[:1].lower() + reason[1:]
    return reason


def _after(actions: tuple[str, ...], name: str, *added: str) -> tuple[str, ...]:
    position = actions.index(name) + 1
    return (*actions[:position], *added, *actions[position:])


class CertificatesRosterAdmin(RosterAdmin):
    actions = _after(RosterAdmin.actions, "mark_absent", "issue_certificates")

    def get_urls(self):
        return [
            path(
                "session/<int:session_id>/certificates/",
                self.admin_site.admin_view(self.certificates_progress_view),
                name=f"{self.opts.app_label}_{self.opts.model_name}_certificates",
            ),
            *super().get_urls(),
        ]

    def certificates_url(self, session_id: int) -> str:
        return reverse(
            f"admin:{self.opts.app_label}_{self.opts.model_name}_certificates", args=[session_id]
        )

    def changelist_view(self, request, extra_context=None):
        session = (
            self.requested_session(request) if self.has_view_or_change_permission(request) else None
        )
        context = {"certificates_url": self.certificates_url(session.pk)} if session else {}
        return super().changelist_view(request, {**context, **(extra_context or {})})

    def _mark(self, request, queryset, *, value: str):
        """Marking attended in full says, with the site setting on, that their certificates
        are being issued (see certificates.receivers), and links to their progress."""
        marked = super()._mark(request, queryset, value=value)
        attended = value == Enrolment.Attendance.ATTENDED
        if (
            attended
            and marked is not None
            and marked.count
            and SiteSettings.current().issue_certificates_on_attendance
        ):
            note = _("Their certificates are being issued.")
            session = self._one_session(request, queryset, quiet=True)
            if session is not None:
                note = format_html(
                    '{} <a href="{}">{}</a>',
                    note,
                    self.certificates_url(session.pk),
                    _("See their progress."),
                )
            self.message_user(request, note, messages.INFO)
        return marked

    @admin.action(description=_("Issue certificates"), permissions=["change"])
    def issue_certificates(self, request, queryset):
        """The chosen trainees' certificates; "select all" means everyone marked attended."""
        session = self._one_session(request, queryset)
        if session is None:
            return None
        everyone = request.POST.get("select_across") == "1"
        report = session_certificates_issue(
            session=session,
            enrolment_ids=None if everyone else list(queryset.values_list("pk", flat=True)),
            by=request.user,
            now=timezone.now(),
        )
        text = ngettext(
            "%(count)d certificate queued.", "%(count)d certificates queued.", len(report.issued)
        ) % {"count": len(report.issued)}
        if report.already:
            text += " " + ngettext(
                "%(count)d was already issued.",
                "%(count)d were already issued.",
                len(report.already),
            ) % {"count": len(report.already)}
        if report.refused:
            text += " " + ngettext(
                "%(count)d refused: %(who)s.", "%(count)d refused: %(who)s.", len(report.refused)
            ) % {
                "count": len(report.refused),
                "who": "; ".join(
                    f"{selectors.trainee_name(enrolment)} — {_clause(reason)}"
                    for enrolment, reason in report.refused
                ),
            }
        level = messages.WARNING if report.refused else messages.SUCCESS
        self.message_user(request, text, level)
        return HttpResponseRedirect(self.certificates_url(session.pk))

    def certificates_progress_view(self, request, session_id: int):
        """How the session's certificates are getting on: N of M rendered and emailed, each
        failure with its reason, those stuck on their way, and "Retry"; the trainees marked
        partial, with why they get no certificate. Refreshes itself while some are on their
        way."""
        if not self.has_view_or_change_permission(request):
            raise PermissionDenied
        session = get_object_or_404(Session.objects.select_related("offering"), pk=session_id)
        here = self.certificates_url(session.pk)
        if request.method == "POST":
            if not self.has_change_permission(request):
                raise PermissionDenied
            if "retry" in request.POST:
                count = session_certificates_retry(session=session, now=timezone.now())
                self.message_user(
                    request,
                    ngettext(
                        "%(count)d certificate queued again.",
                        "%(count)d certificates queued again.",
                        count,
                    )
                    % {"count": count},
                    messages.SUCCESS if count else messages.INFO,
                )
            return HttpResponseRedirect(here)
        progress = session_certificates_progress(session=session, now=timezone.now())
        certificates_list = reverse("admin:certificates_certificate_changelist")
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": _("Certificates: %(session)s") % {"session": session.offering.display_title},
            "subtitle": session.when,
            "session": session,
            "progress": progress,
            "partial": [
                (selectors.trainee_name(enrolment), reason)
                for enrolment, reason in session_partial_attendance(
                    session=session, now=timezone.now()
                )
            ],
            "refresh_seconds": 5 if progress.in_flight else None,
            "can_retry": progress.retryable and self.has_change_permission(request),
            "roster_url": self.roster_url(session.pk),
            "certificates_list_url": f"{certificates_list}?{SESSION_LOOKUP}={session.pk}",
        }
        return TemplateResponse(
            request, "admin/registration/roster/certificates_progress.html", context
        )


admin.site.unregister(RosterEntry)
admin.site.register(RosterEntry, CertificatesRosterAdmin)
