"""A session's roster in Django admin: who holds a seat, how they paid, sign-in and sign-out
(typed in, or imported from Zoom), attendance with its flags (late, left early, no sign-in or
sign-out, too little time on Zoom), a reason to count a flagged trainee in full, and the
coordinator's bulk actions. Reached from the sessions list as ?session__id__exact=<id>.

Every change goes through registration.services.attendance. Certificates registers its own
roster admin over this one (certificates/admin/roster.py), with the "Issue certificates"
action and the session's certificate progress page.
"""

import uuid

from django import forms
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.contrib.admin.widgets import AdminSplitDateTime
from django.core.exceptions import PermissionDenied
from django.db import models
from django.db.models import Value
from django.forms.utils import flatatt
from django.http import Http404, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.http import content_disposition_header
from django.utils.text import slugify
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from catalog.models import Session, SiteSettings
from polaris.admin import id_param

from .. import selectors
from ..evidence import reasons_text
from ..models import Enrolment, RosterEntry, SignInSheet
from ..services import attendance, sign_in_sheets
from .roster_table import RosterChangeList, RosterFormSet, splice_rows

SESSION_PARAM = "session__id__exact"
SIGN_IN_SHEET_REFRESH_SECONDS = 2


class RosterTimeWidget(AdminSplitDateTime):
    """The admin's date and time inputs (the calendar and clock still attach), rendered in
    Python: a roster has two per row, and template-rendered widgets took most of its time."""

    def render(self, name, value, attrs=None, renderer=None):
        widget = self.get_context(name, value, attrs)["widget"]
        date, time = widget["subwidgets"]
        return format_html(
            '<p class="datetime">{} {}<br>{} {}</p>',
            self._label(date, _("Date:")),
            self._input(date),
            self._label(time, _("Time:")),
            self._input(time),
        )

    @staticmethod
    def _label(widget: dict, text: str) -> str:
        """A real label, so that each of a row's four inputs has a name for screen readers;
        on screen the values, the column and the Today/Now shortcuts say it already."""
        if "id" not in widget["attrs"]:
            return text
        return format_html(
            '<label for="{}" class="roster-field-label">{}</label>', widget["attrs"]["id"], text
        )

    @staticmethod
    def _input(widget: dict) -> str:
        attrs = {"type": widget["type"], "name": widget["name"], **widget["attrs"]}
        if widget["value"] is not None:
            attrs["value"] = str(widget["value"])
        return format_html("<input{}>", flatatt(attrs))


def _reason_field(name: str) -> forms.CharField:
    """The roster row's box for the reason to count the trainee in full."""
    return forms.CharField(
        label=_("Reason to count in full"),
        max_length=Enrolment._meta.get_field("override_reason").max_length,
        required=False,
        widget=forms.TextInput(
            attrs={
                "class": "roster-reason",
                "placeholder": _("why, if in full"),
                "aria-label": _("Reason to count %s in full") % name,
            }
        ),
    )


class RosterRowForm(forms.ModelForm):
    """A roster row: sign-in and sign-out, attendance, and (on a flagged row) the reason to
    count it in full anyway, checked as the services will check them."""

    class Meta:
        model = RosterEntry
        fields = ("signed_in_at", "signed_out_at", "attendance", "override_reason")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        entry = self.instance
        name = selectors.trainee_name(entry) if entry.pk else ""
        if "attendance" in self.fields:
            self.fields["attendance"].widget.attrs.update(
                {"class": "roster-attendance", "aria-label": _("Attendance: %s") % name}
            )
        if "override_reason" not in self.fields:
            return
        # The reason's box is on flagged rows (and rows already counted in full with one):
        # elsewhere the column stays empty, and a roster of 40 stays easy to read.
        wanted = bool(entry.override_reason) or (
            self.is_bound and self.add_prefix("override_reason") in self.data
        )
        if not wanted and entry.pk:
            # The roster's queryset carries the grace on every row (RosterAdmin.get_queryset).
            grace = getattr(entry, "grace_minutes", None)
            if grace is None:
                grace = SiteSettings.current().attendance_grace_minutes
            wanted = selectors.enrolment_flags(
                entry, grace_minutes=grace, now=timezone.now()
            ).flagged
        if wanted:
            self.fields["override_reason"] = _reason_field(name)
        else:
            del self.fields["override_reason"]

    def clean(self):
        data = super().clean()
        if not self.has_changed():
            return data
        entry, now = self.instance, timezone.now()
        signed_in_at = data.get("signed_in_at", entry.signed_in_at)
        signed_out_at = data.get("signed_out_at", entry.signed_out_at)
        problems = attendance.sign_times_problems(
            session=entry.session,
            signed_in_at=signed_in_at,
            signed_out_at=signed_out_at,
            now=now,
        )
        if not problems and "attendance" in data:
            problems = attendance.attendance_problems(
                entry=entry,
                attendance=data["attendance"],
                override_reason=data.get("override_reason", entry.override_reason),
                signed_in_at=signed_in_at,
                signed_out_at=signed_out_at,
                now=now,
            )
        for field, problem in problems.items():
            if field not in self.fields:  # the reason's box, on a row that only now needs it
                self.fields[field] = _reason_field(selectors.trainee_name(entry))
            self.add_error(field, problem)
        return data


class RosterMessageForm(forms.Form):
    subject = forms.CharField(label=_("Subject"), max_length=200)
    message = forms.CharField(
        label=_("Message"),
        max_length=10_000,
        widget=forms.Textarea(attrs={"rows": 12, "cols": 80}),
        help_text=_("Each trainee gets their own email, greeted by name; replies go to you."),
    )
    # One per form shown: sending the same form twice (a double click, a retried request)
    # sends the message once.
    token = forms.CharField(
        widget=forms.HiddenInput,
        initial=lambda: uuid.uuid4().hex,
        max_length=64,
        required=False,
    )


class ZoomReportForm(forms.Form):
    report = forms.FileField(
        label=_("Zoom participant report (CSV)"),
        help_text=_(
            "In Zoom: Reports → Usage → the meeting's participants → Export. Times are read "
            "as Pacific time. Each trainee's sign-in becomes their first join and sign-out "
            "their last leave; the times of trainees it lists are replaced."
        ),
    )

    def clean_report(self) -> list[attendance.ZoomRow]:
        upload = self.cleaned_data["report"]
        if upload.size > attendance.ZOOM_REPORT_MAX_BYTES:
            raise forms.ValidationError(
                _("The file is larger than 2 MB: is it a Zoom participant report?")
            )
        try:
            return attendance.zoom_report_parse(upload.read())
        except attendance.ZoomReportError as error:
            raise forms.ValidationError(str(error)) from None


def _left_out_text(left_out) -> str:
    """ "2 flagged trainees left out: Ann Ames, Bo Birch — no sign-in or sign-out recorded;
    Dana Cho — left early at 12:00 PM (session ends 5:00 PM). …": trainees with the same flags
    named together, in roster order."""
    groups: dict[tuple[str, ...], list[str]] = {}
    for entry, reasons in left_out:
        groups.setdefault(reasons, []).append(selectors.trainee_name(entry))
    who = "; ".join(
        f"{', '.join(names)} — {reasons_text(reasons)}" for reasons, names in groups.items()
    )
    return ngettext(
        "%(count)d flagged trainee left out: %(who)s. Mark them partial, or choose “Attended "
        "in full” on their row and write why.",
        "%(count)d flagged trainees left out: %(who)s. Mark them partial, or choose “Attended "
        "in full” on their row and write why.",
        len(left_out),
    ) % {"count": len(left_out), "who": who}


@admin.register(RosterEntry)
class RosterAdmin(admin.ModelAdmin):
    list_display = (
        "name",
        "license",
        "ce_credit_type",
        "payment",
        "signed_in_at",
        "signed_out_at",
        "attendance",
        "flags",
        "override_reason",
    )
    list_editable = ("signed_in_at", "signed_out_at", "attendance", "override_reason")
    formfield_overrides = {models.DateTimeField: {"widget": RosterTimeWidget}}
    list_display_links = None
    list_filter = ("attendance",)
    allowed_lookups = (SESSION_PARAM,)
    search_fields = (
        "trainee__trainee_profile__legal_name",
        "trainee__email",
        "trainee__trainee_profile__license_number",
    )
    ordering = ("trainee__trainee_profile__legal_name", "trainee__email")
    list_per_page = 100
    list_max_show_all = 1000
    show_full_result_count = False
    actions = (
        "mark_attended",
        "mark_partial",
        "mark_absent",
        "export_csv",
        "sign_in_sheet",
        "email_roster",
    )
    change_list_template = "admin/registration/roster/change_list.html"

    # -- permissions and pages ----------------------------------------------------------

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def get_queryset(self, request):
        # The grace rides along on every row, so the flags column reads the settings once.
        grace = SiteSettings.current().attendance_grace_minutes
        return selectors.roster_entries(now=timezone.now()).annotate(grace_minutes=Value(grace))

    def get_changelist_form(self, request, **kwargs):
        return RosterRowForm

    def get_changelist(self, request, **kwargs):
        return RosterChangeList

    def get_changelist_formset(self, request, **kwargs):
        return super().get_changelist_formset(request, formset=RosterFormSet, **kwargs)

    def get_list_display(self, request):
        # Without the right to change the roster, the reason reads in the flags column.
        if self.has_change_permission(request):
            return self.list_display
        return tuple(name for name in self.list_display if name != "override_reason")

    def get_urls(self):
        return [
            path(
                "session/<int:session_id>/zoom/",
                self.admin_site.admin_view(self.zoom_import_view),
                name=f"{self.opts.app_label}_{self.opts.model_name}_zoom",
            ),
            path(
                "session/<int:session_id>/sign-in-sheet/<int:sheet_id>/",
                self.admin_site.admin_view(self.sign_in_sheet_view),
                name=f"{self.opts.app_label}_{self.opts.model_name}_sign_in_sheet",
            ),
            path(
                "session/<int:session_id>/sign-in-sheet/<int:sheet_id>/download/",
                self.admin_site.admin_view(self.sign_in_sheet_download),
                name=f"{self.opts.app_label}_{self.opts.model_name}_sign_in_sheet_download",
            ),
            *super().get_urls(),
        ]

    def roster_url(self, session_id: int) -> str:
        url = reverse(f"admin:{self.opts.app_label}_{self.opts.model_name}_changelist")
        return f"{url}?{SESSION_PARAM}={session_id}"

    def change_view(self, request, object_id, form_url="", extra_context=None):
        """An entry is edited on its roster row, never on a form of its own."""
        entry = self.get_object(request, object_id)
        if entry is None or not self.has_view_or_change_permission(request, entry):
            raise Http404
        return HttpResponseRedirect(self.roster_url(entry.session_id))

    def changelist_view(self, request, extra_context=None):
        if not self.has_view_or_change_permission(request):
            raise PermissionDenied
        session = self.requested_session(request)
        if session is None:
            return self._choose_session(request)
        context = {
            "session": session,
            "title": _("Roster: %(session)s") % {"session": session.offering.display_title},
            "subtitle": session.when,
            "session_started": session.starts_at is not None
            and session.starts_at <= timezone.now(),
            "grace_minutes": SiteSettings.current().attendance_grace_minutes,
            "zoom_minimum_percent": session.offering.zoom_minimum_percent,
            "zoom_url": (
                reverse(
                    f"admin:{self.opts.app_label}_{self.opts.model_name}_zoom", args=[session.pk]
                )
                if attendance.zoom_import_offered(session) and self.has_change_permission(request)
                else ""
            ),
            "sessions_url": reverse("admin:catalog_session_changelist"),
            **(extra_context or {}),
        }
        response = super().changelist_view(request, context)
        if isinstance(response, TemplateResponse):
            response.add_post_render_callback(splice_rows)
        return response

    def requested_session(self, request) -> Session | None:
        """The session whose roster the page shows (read once per request)."""
        if not hasattr(request, "_roster_session"):
            session_id = id_param(request.GET.get(SESSION_PARAM))
            request._roster_session = (
                None
                if session_id is None
                else Session.objects.select_related("offering").filter(pk=session_id).first()
            )
        return request._roster_session

    def _choose_session(self, request):
        if request.GET.get(SESSION_PARAM):
            messages.error(request, _("That session does not exist."))
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": _("Rosters"),
            "sessions": [
                (session, self.roster_url(session.pk))
                for session in selectors.roster_sessions(now=timezone.now())
            ],
            "sessions_url": reverse("admin:catalog_session_changelist"),
        }
        return TemplateResponse(request, "admin/registration/roster/choose_session.html", context)

    # -- columns ------------------------------------------------------------------------

    @admin.display(description=_("trainee"), ordering="trainee__trainee_profile__legal_name")
    def name(self, entry: RosterEntry) -> str:
        profile = selectors.profile_of(entry.trainee)
        credentials = f", {profile.credentials}" if profile and profile.credentials else ""
        return format_html(
            "{}{}<br><small>{}</small>",
            selectors.trainee_name(entry),
            credentials,
            entry.trainee.email,
        )

    @admin.display(description=_("profession and license"))
    def license(self, entry: RosterEntry) -> str:
        profile = selectors.profile_of(entry.trainee)
        if profile is None:
            return _("No profile yet")
        number = " · ".join(p for p in (profile.license_number, profile.license_state) if p)
        return format_html(
            "{}<br><small>{}</small>", selectors.profession_short(profile.profession), number
        )

    @admin.display(description=_("CE credit type"), ordering="credit_type__name")
    def ce_credit_type(self, entry: RosterEntry) -> str:
        return entry.credit_type.name if entry.credit_type_id else _("Attendance only")

    @admin.display(description=_("payment"))
    def payment(self, entry: RosterEntry) -> str:
        text = selectors.payment_status(entry)
        if entry.status == Enrolment.Status.HELD:
            return format_html('<strong class="roster-unpaid">{}</strong>', text)
        return text

    @admin.display(description=_("flags"))
    def flags(self, entry: RosterEntry) -> str:
        found = selectors.enrolment_flags(
            entry, grace_minutes=entry.grace_minutes, now=timezone.now()
        )
        labels = format_html_join(
            " ",
            '<strong class="roster-flag" title="{}">{}</strong>',
            zip(found.reasons, found.labels, strict=True),
        )
        if entry.override_reason:
            return format_html(
                '{}<br><small class="roster-override">{} {}</small>',
                labels,
                _("Counted in full:"),
                entry.override_reason,
            )
        return labels

    # -- list_editable: sign-in and sign-out ----------------------------------------------

    def save_model(self, request, obj, form, change):
        """A changed row: its times first, then its attendance, judged on the new times."""
        now, changed = timezone.now(), set(form.changed_data)
        if changed & {"signed_in_at", "signed_out_at"}:
            entry = attendance.sign_times_set(
                enrolment_id=obj.pk,
                signed_in_at=obj.signed_in_at,
                signed_out_at=obj.signed_out_at,
                by=request.user,
                now=now,
            )
            if (
                entry.attendance == Enrolment.Attendance.PARTIAL
                and form.initial.get("attendance") == Enrolment.Attendance.ATTENDED
            ):
                self.message_user(
                    request,
                    _("%(name)s is now partial: %(shortfall)s.")
                    % {
                        "name": selectors.trainee_name(entry),
                        "shortfall": selectors.attendance_shortfall(entry, now=now),
                    },
                    messages.WARNING,
                )
        if changed & {"attendance", "override_reason"}:
            attendance.attendance_set(
                enrolment_id=obj.pk,
                attendance=form.cleaned_data["attendance"],
                override_reason=form.cleaned_data.get("override_reason", obj.override_reason),
                by=request.user,
                now=now,
            )

    # -- actions --------------------------------------------------------------------------

    def _one_session(self, request, queryset, *, quiet: bool = False) -> Session | None:
        """The session every selected entry belongs to; None (with a message) otherwise."""
        ids = set(queryset.order_by().values_list("session_id", flat=True).distinct())
        if len(ids) != 1:
            if not quiet:
                self.message_user(
                    request, _("Choose trainees of one session at a time."), messages.ERROR
                )
            return None
        return Session.objects.select_related("offering").get(pk=ids.pop())

    def _mark(self, request, queryset, *, value: str) -> attendance.Marked | None:
        """Mark the chosen trainees and say what was done; what marking did (None if refused)."""
        try:
            marked = attendance.attendance_mark(
                enrolment_ids=list(queryset.values_list("pk", flat=True)),
                attendance=value,
                by=request.user,
                now=timezone.now(),
            )
        except attendance.AttendanceError as error:
            self.message_user(request, str(error), messages.ERROR)
            return None
        texts = {
            Enrolment.Attendance.ATTENDED: ngettext(
                "%(count)d trainee marked attended in full.",
                "%(count)d trainees marked attended in full.",
                marked.count,
            ),
            Enrolment.Attendance.PARTIAL: ngettext(
                "%(count)d trainee marked partial.",
                "%(count)d trainees marked partial.",
                marked.count,
            ),
            Enrolment.Attendance.ABSENT: ngettext(
                "%(count)d trainee marked absent.",
                "%(count)d trainees marked absent.",
                marked.count,
            ),
        }
        self.message_user(request, texts[value] % {"count": marked.count}, messages.SUCCESS)
        if marked.left_out:
            self.message_user(request, _left_out_text(marked.left_out), messages.WARNING)
        return marked

    @admin.action(description=_("Mark attended in full"), permissions=["change"])
    def mark_attended(self, request, queryset):
        self._mark(request, queryset, value=Enrolment.Attendance.ATTENDED)

    @admin.action(description=_("Mark partial attendance (no credit)"), permissions=["change"])
    def mark_partial(self, request, queryset):
        self._mark(request, queryset, value=Enrolment.Attendance.PARTIAL)

    @admin.action(description=_("Mark absent"), permissions=["change"])
    def mark_absent(self, request, queryset):
        self._mark(request, queryset, value=Enrolment.Attendance.ABSENT)

    def _download(
        self, content: bytes, content_type: str, session: Session, kind: str, extension: str
    ) -> HttpResponse:
        """An attachment named after the session, e.g. roster-module-1-2027-06-21.csv."""
        day = timezone.localtime(session.starts_at).date().isoformat() if session.starts_at else ""
        response = HttpResponse(content, content_type=content_type)
        response["Content-Disposition"] = content_disposition_header(
            True, f"{kind}-{slugify(session.offering.label)}-{day}.{extension}"
        )
        return response

    @admin.action(description=_("Export CSV"), permissions=["view"])
    def export_csv(self, request, queryset):
        session = self._one_session(request, queryset)
        if session is None:
            return None
        content = attendance.roster_csv(
            session=session,
            now=timezone.now(),
            enrolment_ids=list(queryset.values_list("pk", flat=True)),
        )
        return self._download(content, "text/csv; charset=utf-8", session, "roster", "csv")

    @admin.action(description=_("Print the sign-in sheet (PDF)"), permissions=["view"])
    def sign_in_sheet(self, request, queryset):
        """Ask the worker for the sheet and show its page, which refreshes itself until the
        PDF is ready to download (a sheet of 500 takes longer than a page should)."""
        session = self._one_session(request, queryset)
        if session is None:
            return None
        now = timezone.now()
        ids = list(queryset.values_list("pk", flat=True))
        whole = (
            request.POST.get("select_across") == "1"
            and len(ids) == selectors.roster_entries(now=now, session_id=session.pk).count()
        )
        sheet = sign_in_sheets.sign_in_sheet_request(
            session=session, enrolment_ids=None if whole else ids, by=request.user, now=now
        )
        return HttpResponseRedirect(self.sign_in_sheet_url(session.pk, sheet.pk))

    def sign_in_sheet_url(self, session_id: int, sheet_id: int, *, download: bool = False) -> str:
        name = "sign_in_sheet_download" if download else "sign_in_sheet"
        return reverse(
            f"admin:{self.opts.app_label}_{self.opts.model_name}_{name}",
            args=[session_id, sheet_id],
        )

    def _sheet(self, request, session_id: int, sheet_id: int) -> SignInSheet:
        if not self.has_view_or_change_permission(request):
            raise PermissionDenied
        return get_object_or_404(
            SignInSheet.objects.select_related("session__offering"),
            pk=sheet_id,
            session_id=session_id,
        )

    def sign_in_sheet_view(self, request, session_id: int, sheet_id: int):
        """Where the sheet stands: being prepared (the page refreshes itself, no script
        needed), ready to download, or not served any more (the roster changed, or it was
        kept its time) with a button to prepare it again."""
        sheet = self._sheet(request, session_id, sheet_id)
        now = timezone.now()
        if request.method == "POST":
            again = sign_in_sheets.sign_in_sheet_request(
                session=sheet.session, enrolment_ids=sheet.enrolment_ids, by=request.user, now=now
            )
            return HttpResponseRedirect(self.sign_in_sheet_url(session_id, again.pk))
        state = sign_in_sheets.sign_in_sheet_state(sheet=sheet, now=now)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": _("Sign-in sheet: %(session)s")
            % {"session": sheet.session.offering.display_title},
            "subtitle": sheet.session.when,
            "sheet": sheet,
            "state": state.state,
            "refresh_seconds": SIGN_IN_SHEET_REFRESH_SECONDS
            if state.state == "preparing"
            else None,
            "download_url": self.sign_in_sheet_url(session_id, sheet.pk, download=True),
            "roster_url": self.roster_url(session_id),
        }
        return TemplateResponse(request, "admin/registration/roster/sign_in_sheet.html", context)

    def sign_in_sheet_download(self, request, session_id: int, sheet_id: int):
        sheet = self._sheet(request, session_id, sheet_id)
        try:
            content = sign_in_sheets.sign_in_sheet_content(sheet=sheet, now=timezone.now())
        except ValueError as error:
            self.message_user(request, str(error), messages.WARNING)
            return HttpResponseRedirect(self.sign_in_sheet_url(session_id, sheet.pk))
        return self._download(content, "application/pdf", sheet.session, "sign-in-sheet", "pdf")

    @admin.action(description=_("Email the roster…"), permissions=["change"])
    def email_roster(self, request, queryset):
        session = self._one_session(request, queryset)
        if session is None:
            return None
        ids = list(queryset.values_list("pk", flat=True))
        form = RosterMessageForm(request.POST if "send" in request.POST else None)
        if form.is_valid():
            try:
                count = attendance.roster_email_queue(
                    session_id=session.pk,
                    enrolment_ids=ids,
                    subject=form.cleaned_data["subject"],
                    message=form.cleaned_data["message"],
                    token=form.cleaned_data["token"],
                    by=request.user,
                    now=timezone.now(),
                )
            except attendance.AttendanceError as error:
                self.message_user(request, str(error), messages.ERROR)
                return None
            self.message_user(
                request,
                ngettext(
                    "Message queued for %(count)d trainee.",
                    "Message queued for %(count)d trainees.",
                    count,
                )
                % {"count": count},
                messages.SUCCESS,
            )
            return None
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": _("Email the roster"),
            "subtitle": f"{session.offering.display_title} · {session.when}",
            "session": session,
            "form": form,
            "ids": ids,
            "count": len(ids),
            "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
            "roster_url": self.roster_url(session.pk),
        }
        return TemplateResponse(request, "admin/registration/roster/email_roster.html", context)

    # -- Zoom report ------------------------------------------------------------------------

    def zoom_import_view(self, request, session_id: int):
        if not self.has_change_permission(request):
            raise PermissionDenied
        session = get_object_or_404(Session.objects.select_related("offering"), pk=session_id)
        form = ZoomReportForm(request.POST or None, request.FILES or None)
        if request.method == "POST" and form.is_valid():
            try:
                result = attendance.zoom_report_import(
                    session=session,
                    rows=form.cleaned_data["report"],
                    by=request.user,
                    now=timezone.now(),
                )
            except attendance.AttendanceError as error:
                form.add_error("report", str(error))
            else:
                flagged = result.unmatched or result.short or result.now_partial
                level = messages.WARNING if flagged else messages.SUCCESS
                self.message_user(request, result.summary(), level)
                return HttpResponseRedirect(self.roster_url(session.pk))
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": _("Import Zoom attendance"),
            "subtitle": f"{session.offering.display_title} · {session.when}",
            "session": session,
            "form": form,
            "roster_url": self.roster_url(session.pk),
        }
        return TemplateResponse(request, "admin/registration/roster/zoom_import.html", context)
