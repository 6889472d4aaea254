"""Evaluation responses in Django admin: the list, filterable by session, each response
read-only, and a session's summary (averages per objective and instructor, the comments).

Trainees' answers are records kept four years: nobody adds, changes or deletes them here.
"""

from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.db.models import F
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from catalog.models import Session
from polaris.admin import ReadOnlyInline, id_param
from registration.selectors import trainee_name

from ..models import Evaluation, InstructorRating, ObjectiveRating, Rating
from ..services import evaluations

SESSION_PARAM = "session"


class SessionFilter(admin.SimpleListFilter):
    """Sessions that have evaluations, most recent first."""

    title = _("session")
    parameter_name = SESSION_PARAM

    def lookups(self, request, model_admin):
        sessions = (
            Session.objects.filter(enrolments__evaluation__isnull=False)
            .select_related("offering")
            .distinct()
            .order_by("-starts_at", "-pk")
        )
        return [(str(s.pk), f"{s.offering.label} · {s.when}") for s in sessions]

    def queryset(self, request, queryset):
        session_id = id_param(self.value())
        if session_id is not None:
            return queryset.filter(enrolment__session_id=session_id)
        return queryset


class SubmittedFilter(admin.SimpleListFilter):
    title = _("status")
    parameter_name = "submitted"

    def lookups(self, request, model_admin):
        return [
            ("yes", _("Submitted")),
            ("no", _("Not submitted yet")),
            ("ce_held", _("Submitted, CE certificate not issued")),
        ]

    def queryset(self, request, queryset):
        match self.value():
            case "yes":
                return queryset.filter(submitted_at__isnull=False)
            case "no":
                return queryset.filter(submitted_at__isnull=True)
            case "ce_held":
                return queryset.filter(
                    submitted_at__isnull=False,
                    enrolment__credit_type__isnull=False,
                    ce_issued=False,
                )
        return queryset


class _ReadOnlyInline(ReadOnlyInline):
    def has_view_permission(self, request, obj=None):
        # Part of the evaluation: whoever may read the evaluation reads its ratings.
        return request.user.has_perm("certificates.view_evaluation")


class ObjectiveRatingInline(_ReadOnlyInline):
    model = ObjectiveRating
    fields = ("objective_text", "rating")
    readonly_fields = fields


class InstructorRatingInline(_ReadOnlyInline):
    model = InstructorRating
    fields = ("instructor_name", "rating")
    readonly_fields = fields


@admin.register(Evaluation)
class EvaluationAdmin(admin.ModelAdmin):
    list_display = (
        "trainee",
        "session",
        "submitted",
        "overall_rating",
        "reminders_sent",
        "ce_certificate",
    )
    list_filter = (SessionFilter, SubmittedFilter)
    search_fields = (
        "enrolment__trainee__trainee_profile__legal_name",
        "enrolment__trainee__email",
    )
    list_select_related = (
        "enrolment__trainee__trainee_profile",
        "enrolment__session__offering",
        "enrolment__credit_type",
    )
    ordering = ("-enrolment__session__starts_at", F("submitted_at").desc(nulls_last=True), "-pk")
    inlines = (ObjectiveRatingInline, InstructorRatingInline)
    fields = (
        "trainee",
        "session",
        "requested_at",
        "reminders_sent",
        "last_reminded_at",
        "submitted_at",
        "overall_rating",
        "useful",
        "improve",
        "ce_certificate",
    )
    readonly_fields = fields
    change_list_template = "admin/certificates/evaluation/change_list.html"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(ce_issued=evaluations.ce_certificate_issued())

    def get_urls(self):
        return [
            path(
                "session/<int:session_id>/summary/",
                self.admin_site.admin_view(self.summary_view),
                name=f"{self.opts.app_label}_{self.opts.model_name}_summary",
            ),
            *super().get_urls(),
        ]

    def summary_url(self, session_id: int) -> str:
        return reverse(
            f"admin:{self.opts.app_label}_{self.opts.model_name}_summary", args=[session_id]
        )

    def changelist_url(self, session_id: int) -> str:
        url = reverse(f"admin:{self.opts.app_label}_{self.opts.model_name}_changelist")
        return f"{url}?{SESSION_PARAM}={session_id}"

    def changelist_view(self, request, extra_context=None):
        session_id = id_param(request.GET.get(SESSION_PARAM))
        context = dict(extra_context or {})
        if session_id is not None:
            context["summary_url"] = self.summary_url(session_id)
        return super().changelist_view(request, context)

    def summary_view(self, request, session_id: int):
        if not self.has_view_permission(request):
            raise PermissionDenied
        session = get_object_or_404(Session.objects.select_related("offering"), pk=session_id)
        summary = evaluations.session_evaluation_summary(session=session)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": _("Evaluations: %(offering)s") % {"offering": session.offering.display_title},
            "subtitle": session.when,
            "summary": summary,
            "rating_labels": Rating.labels,
            "responses_url": self.changelist_url(session.pk),
        }
        return TemplateResponse(request, "admin/certificates/evaluation/summary.html", context)

    # -- columns ------------------------------------------------------------------------

    @admin.display(
        description=_("trainee"), ordering="enrolment__trainee__trainee_profile__legal_name"
    )
    def trainee(self, evaluation: Evaluation) -> str:
        return trainee_name(evaluation.enrolment)

    @admin.display(description=_("session"), ordering="enrolment__session__starts_at")
    def session(self, evaluation: Evaluation) -> str:
        session = evaluation.enrolment.session
        return format_html(
            '{} · {}<br><a href="{}">{}</a>',
            session.offering.label,
            session.when,
            self.summary_url(session.pk),
            _("Summary of this session"),
        )

    @admin.display(description=_("submitted"), ordering="submitted_at")
    def submitted(self, evaluation: Evaluation) -> str:
        if evaluation.submitted_at is None:
            return _("Not yet")
        return timezone.localtime(evaluation.submitted_at).strftime("%b %-d, %Y")

    @admin.display(description=_("CE certificate"))
    def ce_certificate(self, evaluation: Evaluation) -> str:
        enrolment = evaluation.enrolment
        if not enrolment.credit_type_id:
            return _("No CE")
        if getattr(evaluation, "ce_issued", False):
            return _("Issued")
        if evaluation.submitted_at is None:
            return _("Waits for the evaluation")
        return format_html(
            "<strong>{}</strong> {}",
            _("Not issued:"),
            evaluation.ce_certificate_held or _("issue it from the roster."),
        )
