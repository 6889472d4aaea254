"""Gated offerings in Django admin: practicum invitations (create, revoke, status); intake
questions; intakes, whose status only is shown here (clinical reviewers read the answers on
their own page), every page of them recorded in the intake access log; the log itself, read
only; interest lists; contact inquiries and who receives them."""

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.utils import flatten
from django.db.models import Count, Prefetch
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from catalog.models import Offering
from polaris.admin import ReadOnlyAdminMixin

from ..models import (
    Inquiry,
    InquiryRecipient,
    Intake,
    IntakeAccessLog,
    IntakeQuestion,
    InterestSignup,
    Invitation,
)
from ..services.inquiries import inquiry_mark_answered
from ..services.intake import intake_access_record, may_see_answers
from ..services.invitations import invitation_create, invitation_revoke


class InvitationForm(forms.ModelForm):
    days = forms.IntegerField(
        label=gettext_lazy("link valid for (days)"), min_value=1, max_value=365, initial=30
    )

    class Meta:
        model = Invitation
        fields = ("offering", "email")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["offering"].queryset = Offering.objects.filter(
            access_rule=Offering.Access.INVITATION
        )


@admin.register(Invitation)
class InvitationAdmin(admin.ModelAdmin):
    list_display = ("email", "offering", "status", "trainee", "created_at", "expires_at")
    list_filter = ("offering",)
    list_select_related = ("offering", "trainee")
    search_fields = ("email", "trainee__email")
    actions = ("revoke",)
    readonly_fields = (
        "offering",
        "email",
        "status",
        "trainee",
        "created_by",
        "created_at",
        "expires_at",
        "used_at",
        "revoked_at",
    )

    def get_form(self, request, obj=None, **kwargs):
        if obj is None:
            kwargs["form"] = InvitationForm
        return super().get_form(request, obj, **kwargs)

    def get_readonly_fields(self, request, obj=None):
        return self.readonly_fields if obj else ()

    def get_fields(self, request, obj=None):
        return self.readonly_fields if obj else ("offering", "email", "days")

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description=gettext_lazy("status"))
    def status(self, invitation: Invitation) -> str:
        now = timezone.now()
        if invitation.revoked_at:
            return _("Revoked")
        if invitation.used_at:
            return _("Accepted")
        if invitation.expires_at <= now:
            return _("Expired")
        return _("Sent, not yet accepted")

    def save_model(self, request, obj, form, change):
        if change:
            return
        created = invitation_create(
            offering=form.cleaned_data["offering"],
            email=form.cleaned_data["email"],
            by=request.user,
            now=timezone.now(),
            days=form.cleaned_data["days"],
        )
        obj.pk = created.pk
        obj.token = created.token

    @admin.action(
        description=gettext_lazy("Revoke the selected invitations"), permissions=("change",)
    )
    def revoke(self, request, queryset):
        now = timezone.now()
        count = sum(invitation_revoke(invitation=i, now=now) for i in queryset)
        self.message_user(
            request,
            ngettext("%(n)d invitation revoked.", "%(n)d invitations revoked.", count)
            % {"n": count},
            messages.SUCCESS,
        )


@admin.register(IntakeQuestion)
class IntakeQuestionAdmin(admin.ModelAdmin):
    list_display = ("text", "kind", "required", "active", "position")
    list_editable = ("position", "active")
    list_filter = ("active", "kind")
    fields = ("text", "kind", "choices", "required", "position", "active")

    def has_delete_permission(self, request, obj=None):
        # Answers keep a snapshot of the question; retire it with "asked" instead.
        return False


def _intake_fields(names) -> list[str]:
    """The intake's own fields among an admin page's columns or fields."""
    own = {field.name for field in Intake._meta.concrete_fields}
    return [name for name in names if isinstance(name, str) and name in own]


@admin.register(Intake)
class IntakeAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """The status of each intake, never its answers nor the reviewer's note. Every page that
    shows intakes is recorded in the intake access log."""

    list_display = ("trainee", "status", "submitted_at", "reviewed_at", "approved_until", "review")
    list_filter = ("status",)
    list_select_related = ("trainee",)
    search_fields = ("trainee__email", "trainee__trainee_profile__legal_name")
    fields = (
        "trainee",
        "status",
        "decision",
        "submitted_at",
        "reviewed_by",
        "reviewed_at",
        "approved_until",
        "withdrawn_at",
        "review",
    )
    readonly_fields = fields
    # What a page's title and breadcrumbs show of an intake (its __str__).
    title_fields = ("trainee", "status")

    def get_list_display(self, request):
        if may_see_answers(request.user):
            return self.list_display
        return tuple(name for name in self.list_display if name != "review")

    def get_fields(self, request, obj=None):
        if may_see_answers(request.user):
            return self.fields
        return tuple(name for name in self.fields if name != "review")

    def changelist_view(self, request, extra_context=None):
        response = super().changelist_view(request, extra_context)
        changelist = (getattr(response, "context_data", None) or {}).get("cl")
        if changelist is not None:
            intake_access_record(
                viewer=request.user,
                # The page's own rows, read once: the template reuses them.
                intake_ids=[intake.pk for intake in changelist.result_list],
                page=IntakeAccessLog.Page.ADMIN_LIST,
                fields=_intake_fields(changelist.list_display),
                now=timezone.now(),
            )
        return response

    def change_view(self, request, object_id, form_url="", extra_context=None):
        response = super().change_view(request, object_id, form_url, extra_context)
        intake = (getattr(response, "context_data", None) or {}).get("original")
        if intake is not None:
            fields = flatten(self.get_fields(request, intake))
            self._record(request, intake, _intake_fields(fields))
        return response

    def history_view(self, request, object_id, extra_context=None):
        response = super().history_view(request, object_id, extra_context)
        intake = (getattr(response, "context_data", None) or {}).get("object")
        if intake is not None:
            self._record(request, intake, self.title_fields)
        return response

    def _record(self, request, intake: Intake, fields) -> None:
        intake_access_record(
            viewer=request.user,
            intake_ids=[intake.pk],
            page=IntakeAccessLog.Page.ADMIN_DETAIL,
            fields=fields,
            now=timezone.now(),
        )

    @admin.display(description=gettext_lazy("answers"))
    def review(self, intake: Intake) -> str:
        return format_html(
            '<a href="{}">{}</a>',
            reverse("registration:intake_review", args=[intake.pk]),
            _("Read and review"),
        )


@admin.register(IntakeAccessLog)
class IntakeAccessLogAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Who was shown which intakes, when, on which page, and which of their fields. Read by
    superusers and clinical reviewers (roles.py); nobody adds, changes or deletes an entry.
    The intakes are named by trainee and number only: the log shows no intake's status."""

    list_display = ("viewed_at", "viewer", "page", "intakes_shown", "fields_shown")
    list_filter = ("page",)
    list_select_related = ("viewed_by",)
    search_fields = (
        "viewed_by__email",
        "intakes__trainee__email",
        "intakes__trainee__trainee_profile__legal_name",
    )
    date_hierarchy = "viewed_at"
    fields = ("viewed_at", "viewer", "page", "fields_shown", "intakes_shown")
    readonly_fields = fields

    def get_queryset(self, request):
        trainees = Intake.objects.select_related("trainee__trainee_profile").order_by("pk")
        return super().get_queryset(request).prefetch_related(Prefetch("intakes", trainees))

    @admin.display(description=gettext_lazy("viewed by"), ordering="viewed_by__email")
    def viewer(self, log: IntakeAccessLog) -> str:
        name = log.viewed_by.get_full_name()
        return f"{name} <{log.viewed_by.email}>" if name else log.viewed_by.email

    @admin.display(description=gettext_lazy("intakes shown"))
    def intakes_shown(self, log: IntakeAccessLog) -> str:
        return format_html_join(
            "; ",
            "{} {} ({})",
            (
                (_("intake"), intake.pk, _trainee_label(intake.trainee))
                for intake in log.intakes.all()
            ),
        )

    @admin.display(description=gettext_lazy("fields shown"))
    def fields_shown(self, log: IntakeAccessLog) -> str:
        names = {field.name: field.verbose_name for field in Intake._meta.concrete_fields}
        names[IntakeAccessLog.ANSWERS] = _("answers")
        return ", ".join(str(names.get(name, name)) for name in log.fields)


def _trainee_label(trainee) -> str:
    profile = getattr(trainee, "trainee_profile", None)
    return f"{profile.legal_name} <{trainee.email}>" if profile else trainee.email


@admin.register(InterestSignup)
class InterestSignupAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Who is on each offering's interest list; visitors sign up and leave by themselves."""

    list_display = ("email", "name", "offering", "status", "created_at", "notified")
    list_filter = ("offering",)
    list_select_related = ("offering",)
    search_fields = ("email", "name")
    fields = (
        "offering",
        "name",
        "email",
        "status",
        "created_at",
        "confirmed_at",
        "unsubscribed_at",
        "notified",
    )
    readonly_fields = fields

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(notification_count=Count("notifications"))

    @admin.display(description=gettext_lazy("status"))
    def status(self, signup: InterestSignup) -> str:
        return signup.status

    @admin.display(description=gettext_lazy("emails about dates"))
    def notified(self, signup: InterestSignup) -> int:
        return signup.notification_count


@admin.register(InquiryRecipient)
class InquiryRecipientAdmin(admin.ModelAdmin):
    """Without one for a topic, its inquiries go to the training coordinator's address."""

    list_display = ("topic", "email")
    fields = ("topic", "email")


@admin.register(Inquiry)
class InquiryAdmin(admin.ModelAdmin):
    list_display = ("created_at", "topic", "name", "email", "status")
    list_filter = ("status", "topic")
    search_fields = ("name", "email", "message")
    date_hierarchy = "created_at"
    actions = ("mark_answered",)
    fields = ("topic", "name", "email", "message", "status", "created_at", "answered_at")
    readonly_fields = fields

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.action(
        description=gettext_lazy("Mark the selected inquiries answered"), permissions=("change",)
    )
    def mark_answered(self, request, queryset):
        now = timezone.now()
        count = sum(inquiry_mark_answered(inquiry=i, now=now) for i in queryset)
        self.message_user(
            request,
            ngettext("%(n)d inquiry marked answered.", "%(n)d inquiries marked answered.", count)
            % {"n": count},
            messages.SUCCESS,
        )
