"""A session's roster as the coordinator works it: roster entries (enrolments seen as the
attendance sheet), messages to everyone on it, and printable sign-in sheets."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from .accounts import TraineeProfile
from .enrolments import Enrolment

User = settings.AUTH_USER_MODEL


class RosterEntry(Enrolment):
    """An enrolment as a session's roster shows it: the coordinator's attendance sheet."""

    class Meta:
        proxy = True
        verbose_name = _("roster entry")
        verbose_name_plural = _("roster entries")

    def __str__(self) -> str:
        try:
            name = self.trainee.trainee_profile.legal_name
        except TraineeProfile.DoesNotExist:
            name = self.trainee.email
        return f"{name} · {self.session}"


class RosterMessage(models.Model):
    """What the coordinator wrote to a session's roster; each trainee's copy is an email in
    the outbox. The form's token makes sending the same form twice send it once."""

    session = models.ForeignKey(
        "catalog.Session", on_delete=models.PROTECT, related_name="+", verbose_name=_("session")
    )
    subject = models.CharField(_("subject"), max_length=200)
    message = models.TextField(_("message"))
    sent_by = models.ForeignKey(
        User, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(_("written"), auto_now_add=True)
    token = models.CharField(max_length=64, unique=True)

    class Meta:
        ordering = ("-created_at", "-pk")
        verbose_name = _("roster message")
        verbose_name_plural = _("roster messages")

    def __str__(self) -> str:
        return self.subject


class SignInSheet(models.Model):
    """A printable sign-in sheet, rendered by the worker while the coordinator watches a page
    that refreshes itself, then kept for a while (services/sign_in_sheets.py). What it prints
    is fingerprinted: once the roster changes, the sheet is not served any more."""

    class Status(models.TextChoices):
        PREPARING = "preparing", _("Being prepared")
        READY = "ready", _("Ready")
        FAILED = "failed", _("Failed")

    session = models.ForeignKey(
        "catalog.Session", on_delete=models.CASCADE, related_name="+", verbose_name=_("session")
    )
    # The chosen roster entries; null for the whole roster ("select all"), newcomers included.
    enrolment_ids = models.JSONField(null=True, blank=True)
    fingerprint = models.CharField(max_length=64)
    trainees = models.PositiveIntegerField(default=0)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.PREPARING)
    pdf = models.FileField(_("PDF"), upload_to="sign-in-sheets/%Y/", blank=True)
    error = models.CharField(max_length=500, blank=True)
    requested_by = models.ForeignKey(
        User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    requested_at = models.DateTimeField()
    ready_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField(db_index=True)

    class Meta:
        ordering = ("-requested_at", "-pk")
        verbose_name = _("sign-in sheet")
        verbose_name_plural = _("sign-in sheets")

    def __str__(self) -> str:
        return f"{self._meta.verbose_name} · {self.session_id} · {self.requested_at:%Y-%m-%d %H:%M}"
