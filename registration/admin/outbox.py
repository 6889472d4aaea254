"""The outbox in Django admin: every email the center sends, with its state, attempts and
last error; "Retry sending" for failed ones and for ones stuck on their way. Rows are
written only by registration.services.emails."""

from django.contrib import admin, messages
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from polaris.admin import ActionsOnlyAdminMixin

from ..models import OutboundEmail
from ..services.account_emails import KIND as ACCOUNT
from ..services.emails import emails_retry, stuck_before

Status = OutboundEmail.Status


class AttentionFilter(admin.SimpleListFilter):
    """What staff have to look at: failed emails, and emails stuck on their way."""

    title = gettext_lazy("needs attention")
    parameter_name = "attention"

    def lookups(self, request, model_admin):
        return (("failed", _("Failed")), ("stuck", _("Stuck on its way")))

    def queryset(self, request, queryset):
        if self.value() == "failed":
            return queryset.filter(status=Status.FAILED)
        if self.value() == "stuck":
            return queryset.filter(
                status=Status.PENDING, queued_at__lt=stuck_before(timezone.now())
            )
        return queryset


def _when(moment) -> str:
    return date_format(timezone.localtime(moment), "M j, g:i A")


@admin.register(OutboundEmail)
class OutboundEmailAdmin(ActionsOnlyAdminMixin, admin.ModelAdmin):
    list_display = (
        "created_at",
        "kind_display",
        "to",
        "state",
        "attempts",
        "error",
        "sent_at",
    )
    list_filter = (AttentionFilter, "status", "kind")
    search_fields = ("to", "=key")
    date_hierarchy = "created_at"
    ordering = ("-created_at", "-pk")
    actions = ("retry",)
    fields = (
        "kind",
        "to",
        "status",
        "attempts",
        "last_error",
        "created_at",
        "queued_at",
        "next_attempt_at",
        "sent_at",
        "key",
    )
    readonly_fields = fields

    @admin.display(description=gettext_lazy("kind"), ordering="kind")
    def kind_display(self, email: OutboundEmail) -> str:
        """The kind; for an account email (django-allauth's), which one: its body, with a
        one-time link, is never shown."""
        if email.kind == ACCOUNT and email.payload.get("template"):
            which = email.payload["template"].rsplit("/", 1)[-1].replace("_", " ")
            return _("Account: %(which)s") % {"which": which}
        return email.kind.replace("_", " ").capitalize()

    @admin.display(description=gettext_lazy("status"), ordering="status")
    def state(self, email: OutboundEmail) -> str:
        """The status, and for an unsent email what happens next."""
        if email.status != Status.PENDING:
            return email.get_status_display()
        now = timezone.now()
        if email.queued_at is None:
            return _("Waiting to retry at %(when)s") % {"when": _when(email.next_attempt_at)}
        if email.queued_at < stuck_before(now):
            return format_html(
                '<strong class="errornote-inline">{}</strong>',
                _("Stuck: queued %(when)s") % {"when": _when(email.queued_at)},
            )
        return _("Queued")

    @admin.display(description=gettext_lazy("last error"))
    def error(self, email: OutboundEmail) -> str:
        return email.last_error[:200]

    @admin.action(description=gettext_lazy("Retry sending"), permissions=["change"])
    def retry(self, request, queryset):
        chosen = list(queryset.values_list("pk", flat=True))
        count = emails_retry(email_ids=chosen, now=timezone.now())
        text = ngettext(
            "%(count)d email queued again.", "%(count)d emails queued again.", count
        ) % {"count": count}
        if len(chosen) > count:
            left = len(chosen) - count
            text += " " + ngettext(
                "%(count)d was sent already (or is no longer needed), so was left alone.",
                "%(count)d were sent already (or are no longer needed), so were left alone.",
                left,
            ) % {"count": left}
        self.message_user(request, text, messages.SUCCESS if count else messages.WARNING)
