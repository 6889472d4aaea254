"""Trainees' accounts: the profile certificates and CE eligibility read, and closed accounts
(the login gone, the records the CE rules keep still theirs)."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from catalog.professions import Profession

from ..us_states import US_STATES

User = settings.AUTH_USER_MODEL


class TraineeProfile(models.Model):
    """What certificates and CE eligibility need to know about a trainee."""

    user = models.OneToOneField(
        User, on_delete=models.CASCADE, related_name="trainee_profile", verbose_name=_("user")
    )
    legal_name = models.CharField(
        _("legal name"),
        max_length=200,
        help_text=_("Your name exactly as it should appear on certificates."),
    )
    credentials = models.CharField(
        _("credentials"), max_length=80, blank=True, help_text=_("For example: PhD, LMFT.")
    )
    profession = models.CharField(
        _("profession / license type"), max_length=20, choices=Profession.choices
    )
    license_number = models.CharField(_("license number"), max_length=40, blank=True)
    license_state = models.CharField(
        _("license issuing state"), max_length=2, choices=US_STATES, blank=True
    )
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("trainee profile")
        verbose_name_plural = _("trainee profiles")
        permissions = [("view_intake_answers", "Can see intake medical details")]

    def __str__(self) -> str:
        return self.legal_name

    @property
    def is_complete(self) -> bool:
        """CE certificates need the legal name, the license type, number and state."""
        if not (self.legal_name and self.profession):
            return False
        if self.profession == Profession.OTHER:
            return True
        return bool(self.license_number and self.license_state)


class AccountClosure(models.Model):
    """That a trainee closed their account, and when. The user row stays, so that orders,
    rosters, certificates and evaluations kept for four years remain attributed."""

    user = models.OneToOneField(
        User, on_delete=models.PROTECT, related_name="account_closure", verbose_name=_("account")
    )
    closed_at = models.DateTimeField(_("closed"))

    class Meta:
        ordering = ("-closed_at", "-pk")
        verbose_name = _("closed account")
        verbose_name_plural = _("closed accounts")

    def __str__(self) -> str:
        try:
            return self.user.trainee_profile.legal_name
        except TraineeProfile.DoesNotExist:
            return self.user.get_username()
