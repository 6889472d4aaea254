"""Certificates in Django admin.

Every certificate issued, kept for four years whatever happens (so never deleted here), read
only: a correction is a reissue with the corrected name (a new version; the old one becomes
"superseded"), a certificate issued in error is revoked with its reason, and a failed
delivery is retried. Every change goes through certificates.services.
"""

from django import forms
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from polaris.admin import ActionsOnlyAdminMixin

from ..models import Certificate
from ..services.delivery import certificates_delivery_retry
from ..services.issuing import CertificateRefused, certificate_reissue, certificate_revoke

# The session's certificates, linked from the roster's certificate progress page.
SESSION_LOOKUP = "enrolment__session__id__exact"


class ReissueForm(forms.Form):
    legal_name = forms.CharField(
        label=_("Corrected legal name"),
        max_length=200,
        help_text=_(
            "As it must read on the certificate. The corrected certificate is a new version "
            "with a new verification code, emailed to the trainee; this one becomes "
            "“superseded”."
        ),
    )

    def clean_legal_name(self) -> str:
        name = " ".join(self.cleaned_data["legal_name"].split())
        if not name:
            raise forms.ValidationError(_("Write the name as it must read."))
        return name


class RevokeForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason"),
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 3, "cols": 80}),
        help_text=_("Kept with the record. The verification page shows it as revoked."),
    )


@admin.register(Certificate)
class CertificateAdmin(ActionsOnlyAdminMixin, admin.ModelAdmin):
    list_display = (
        "participant",
        "kind",
        "credit_type",
        "course",
        "status",
        "delivery_state",
        "version",
        "issued_at",
    )
    list_filter = ("status", "kind", "credit_type", "delivery", "issued_at")
    list_select_related = ("credit_type", "trainee")
    search_fields = ("legal_name", "=code", "trainee__email")
    date_hierarchy = "issued_at"
    allowed_lookups = (SESSION_LOOKUP,)
    ordering = ("-issued_at", "-pk")
    actions = ("reissue", "revoke", "retry_delivery")
    fieldsets = (
        (
            None,
            {
                "fields": (
                    "legal_name",
                    "credentials",
                    "trainee",
                    "kind",
                    "credit_type",
                    "credits",
                    "hours",
                )
            },
        ),
        (
            _("License"),
            {"fields": ("license_type", "license_number", "license_state")},
        ),
        (
            _("Course"),
            {
                "fields": (
                    "course_title",
                    "session_dates",
                    "session_times",
                    "delivery_format",
                    "enrolment",
                )
            },
        ),
        (
            _("Record"),
            {
                "fields": (
                    "code",
                    "status",
                    "version",
                    "supersedes",
                    "superseded_by_link",
                    "issued_at",
                    "revoked_at",
                    "revoked_reason",
                    "links",
                )
            },
        ),
        (
            _("Delivery"),
            {"fields": ("delivery", "delivery_error", "rendered_at", "emailed_at")},
        ),
    )

    def get_readonly_fields(self, request, obj=None):
        return [field for fieldset in self.fieldsets for field in fieldset[1]["fields"]]

    # -- columns --------------------------------------------------------------------------

    @admin.display(description=_("participant"), ordering="legal_name")
    def participant(self, certificate: Certificate) -> str:
        return format_html(
            "{}<br><small>{}</small>", certificate.legal_name, certificate.trainee.email
        )

    @admin.display(description=_("course"), ordering="course_title")
    def course(self, certificate: Certificate) -> str:
        return format_html(
            "{}<br><small>{}</small>", certificate.course_title, certificate.session_dates
        )

    @admin.display(description=_("delivery"), ordering="delivery")
    def delivery_state(self, certificate: Certificate) -> str:
        label = certificate.get_delivery_display()
        if certificate.delivery == Certificate.Delivery.FAILED and certificate.delivery_error:
            return format_html(
                '<strong class="errornote-inline">{}</strong><br><small>{}</small>',
                label,
                certificate.delivery_error[:200],
            )
        return label

    @admin.display(description=_("superseded by"))
    def superseded_by_link(self, certificate: Certificate) -> str:
        newer = Certificate.objects.filter(supersedes=certificate).first()
        if newer is None:
            return "—"
        url = reverse("admin:certificates_certificate_change", args=[newer.pk])
        return format_html('<a href="{}">{}</a>', url, _("version %d") % newer.version)

    @admin.display(description=_("PDF and verification"))
    def links(self, certificate: Certificate) -> str:
        verify = reverse("certificates:verify", kwargs={"code": certificate.code})
        if not certificate.pdf:
            return format_html(
                '{} · <a href="{}">{}</a>', _("Not rendered yet"), verify, _("Verification page")
            )
        pdf = reverse("certificates:pdf", kwargs={"code": certificate.code})
        return format_html(
            '<a href="{}">{}</a> · <a href="{}">{}</a>',
            pdf,
            _("Download the PDF"),
            verify,
            _("Verification page"),
        )

    # -- actions --------------------------------------------------------------------------

    def _form_page(self, request, queryset, *, action: str, title: str, form, intro: str):
        ids = list(queryset.values_list("pk", flat=True))
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": title,
            "intro": intro,
            "certificates": list(queryset.select_related("credit_type", "trainee")),
            "form": form,
            "ids": ids,
            "action": action,
            "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
            "changelist_url": reverse("admin:certificates_certificate_changelist"),
        }
        return TemplateResponse(request, "admin/certificates/certificate/action_form.html", context)

    @admin.action(description=_("Reissue with a corrected name…"), permissions=["change"])
    def reissue(self, request, queryset):
        if queryset.count() != 1:
            self.message_user(
                request, _("Choose one certificate to reissue at a time."), messages.ERROR
            )
            return None
        certificate = queryset.get()
        if certificate.status != Certificate.Status.VALID:
            self.message_user(
                request,
                _("Only a valid certificate can be reissued: this one is %(status)s.")
                % {"status": certificate.get_status_display().lower()},
                messages.ERROR,
            )
            return None
        form = ReissueForm(
            request.POST if "apply" in request.POST else None,
            initial={"legal_name": certificate.legal_name},
        )
        if form.is_valid():
            try:
                newer = certificate_reissue(
                    certificate=certificate,
                    legal_name=form.cleaned_data["legal_name"],
                    by=request.user,
                    now=timezone.now(),
                )
            except CertificateRefused as refusal:
                form.add_error("legal_name", str(refusal.args[0]) if refusal.args else "")
            else:
                self.message_user(
                    request,
                    _(
                        "Reissued as version %(version)d for %(name)s; version %(old)d is "
                        "superseded. The corrected certificate is being emailed."
                    )
                    % {
                        "version": newer.version,
                        "name": newer.legal_name,
                        "old": certificate.version,
                    },
                    messages.SUCCESS,
                )
                return None
        return self._form_page(
            request,
            queryset,
            action="reissue",
            title=_("Reissue with a corrected name"),
            form=form,
            intro=_("The certificate below gets a new version with the corrected name."),
        )

    @admin.action(description=_("Revoke…"), permissions=["change"])
    def revoke(self, request, queryset):
        valid = queryset.filter(status=Certificate.Status.VALID)
        if not valid.exists():
            self.message_user(request, _("None of these certificates is valid."), messages.ERROR)
            return None
        form = RevokeForm(request.POST if "apply" in request.POST else None)
        if form.is_valid():
            revoked, refused = 0, []
            for certificate in valid:
                try:
                    certificate_revoke(
                        certificate=certificate,
                        by=request.user,
                        reason=form.cleaned_data["reason"],
                        now=timezone.now(),
                    )
                except CertificateRefused as refusal:
                    refused.append(f"{certificate.legal_name} — {refusal.args[0]}")
                else:
                    revoked += 1
            text = ngettext(
                "%(count)d certificate revoked.", "%(count)d certificates revoked.", revoked
            ) % {"count": revoked}
            if refused:
                text += " " + _("Refused: %(who)s.") % {"who": "; ".join(refused)}
            self.message_user(request, text, messages.WARNING if refused else messages.SUCCESS)
            return None
        return self._form_page(
            request,
            valid,
            action="revoke",
            title=_("Revoke certificates"),
            form=form,
            intro=_(
                "These certificates will show as revoked on the verification page. The "
                "records are kept."
            ),
        )

    @admin.action(description=_("Retry delivery"), permissions=["change"])
    def retry_delivery(self, request, queryset):
        """Send the chosen certificates again: failed ones, and ones still on their way
        (stuck after their worker stopped, or waiting for their next attempt)."""
        chosen = list(queryset.values_list("pk", flat=True))
        count = certificates_delivery_retry(certificate_ids=chosen, now=timezone.now())
        text = ngettext(
            "%(count)d certificate queued for delivery again.",
            "%(count)d certificates queued for delivery again.",
            count,
        ) % {"count": count}
        skipped = len(chosen) - count
        if skipped:
            text += " " + ngettext(
                "%(count)d was emailed already (or is no longer valid), so was left alone.",
                "%(count)d were emailed already (or are no longer valid), so were left alone.",
                skipped,
            ) % {"count": skipped}
        self.message_user(request, text, messages.SUCCESS if count else messages.INFO)
