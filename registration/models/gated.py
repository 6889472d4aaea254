"""Gated offerings: practicum invitations, the experiential intake (with who read whose
answers), and interest lists that hear once when an offering's dates are published."""

import secrets

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

User = settings.AUTH_USER_MODEL


def new_token() -> str:
    """An unguessable token for a link sent by email (256 bits)."""
    return secrets.token_urlsafe(32)


class Invitation(models.Model):
    """Staff invite someone, by email, to register for an invitation-only offering.

    The link is single use: opening it signed in binds the invitation to that trainee
    (`used_at`). From then on the trainee may register for the offering until a paid order
    of theirs contains it, or staff revoke the invitation. `expires_at` bounds the link.
    """

    offering = models.ForeignKey(
        "catalog.Offering",
        on_delete=models.PROTECT,
        related_name="invitations",
        verbose_name=_("offering"),
    )
    email = models.EmailField(_("email"))
    trainee = models.ForeignKey(
        User,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="invitations",
        verbose_name=_("accepted by"),
    )
    token = models.CharField(max_length=64, unique=True, default=new_token, editable=False)
    created_by = models.ForeignKey(
        User, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    expires_at = models.DateTimeField(_("link expires"))
    used_at = models.DateTimeField(_("accepted"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True)

    class Meta:
        ordering = ("-created_at", "-pk")
        verbose_name = _("invitation")
        verbose_name_plural = _("invitations")

    def __str__(self) -> str:
        return f"{self.email} · {self.offering}"

    def get_absolute_url(self) -> str:
        return reverse("registration:invitation", kwargs={"token": self.token})


class IntakeQuestion(models.Model):
    """One question of the experiential intake, as staff configure it."""

    class Kind(models.TextChoices):
        TEXT = "text", _("Text")
        YES_NO = "yes_no", _("Yes or no")
        CHOICE = "choice", _("Choice")
        DATE = "date", _("Date")

    text = models.CharField(_("question"), max_length=500)
    kind = models.CharField(_("kind of answer"), max_length=10, choices=Kind.choices)
    choices = models.TextField(
        _("choices"), blank=True, help_text=_("For a choice question: one choice per line.")
    )
    required = models.BooleanField(_("required"), default=True)
    position = models.PositiveSmallIntegerField(_("position"), default=0)
    active = models.BooleanField(_("asked"), default=True)

    class Meta:
        ordering = ("position", "pk")
        verbose_name = _("intake question")
        verbose_name_plural = _("intake questions")

    def __str__(self) -> str:
        return self.text

    @property
    def choice_list(self) -> list[str]:
        return [line.strip() for line in self.choices.splitlines() if line.strip()]


class Intake(models.Model):
    """A trainee's medical and psychological intake for the experiential, and its review.

    The answers are health information: only the trainee and clinical reviewers see them.
    Withdrawing deletes the answers and keeps the record of the decision.
    """

    class Status(models.TextChoices):
        SUBMITTED = "submitted", _("Submitted, awaiting review")
        APPROVED = "approved", _("Approved")
        DECLINED = "declined", _("Declined")
        WITHDRAWN = "withdrawn", _("Withdrawn")

    class Decision(models.TextChoices):
        APPROVED = "approved", _("Approved")
        DECLINED = "declined", _("Declined")

    trainee = models.ForeignKey(
        User, on_delete=models.PROTECT, related_name="intakes", verbose_name=_("trainee")
    )
    submitted_at = models.DateTimeField(_("submitted"))
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.SUBMITTED
    )
    decision = models.CharField(_("decision"), max_length=20, choices=Decision.choices, blank=True)
    reviewed_by = models.ForeignKey(
        User,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("reviewed by"),
    )
    reviewed_at = models.DateTimeField(_("reviewed"), null=True, blank=True)
    review_note = models.TextField(_("review note"), blank=True)
    approved_until = models.DateTimeField(_("approved until"), null=True, blank=True)
    withdrawn_at = models.DateTimeField(_("withdrawn"), null=True, blank=True)

    class Meta:
        ordering = ("-submitted_at", "-pk")
        verbose_name = _("intake")
        verbose_name_plural = _("intakes")
        constraints = [
            models.UniqueConstraint(
                fields=("trainee",),
                condition=Q(status="submitted"),
                name="intake_one_awaiting_review",
            )
        ]

    def __str__(self) -> str:
        return f"{self.trainee} · {self.get_status_display()}"


class IntakeAnswer(models.Model):
    intake = models.ForeignKey(Intake, on_delete=models.CASCADE, related_name="answers")
    question = models.ForeignKey(
        IntakeQuestion, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    # The question as it was asked, should staff reword it later.
    question_text = models.CharField(max_length=500)
    answer = models.TextField(blank=True)

    class Meta:
        ordering = ("pk",)

    def __str__(self) -> str:
        return self.question_text


class IntakeAccessLog(models.Model):
    """One time a member of staff was shown intake data: who, when, on which page, which
    intakes and which of their fields. Written only by registration.services.intake, one row
    per page shown however many intakes it lists; read in the admin by superusers and
    clinical reviewers, changed or deleted by nobody."""

    class Page(models.TextChoices):
        ADMIN_LIST = "admin_list", _("Intakes in admin")
        ADMIN_DETAIL = "admin_detail", _("An intake in admin")
        REVIEW_LIST = "review_list", _("Intakes to review")
        REVIEW = "review", _("Review of an intake")

    # Shown as "answers" beside the intake's own fields.
    ANSWERS = "answers"

    viewed_by = models.ForeignKey(
        User, on_delete=models.PROTECT, related_name="+", verbose_name=_("viewed by")
    )
    viewed_at = models.DateTimeField(_("viewed"))
    page = models.CharField(_("page"), max_length=20, choices=Page.choices)
    fields = models.JSONField(_("fields shown"), default=list)
    intakes = models.ManyToManyField(
        Intake,
        through="IntakeAccessLogIntake",
        related_name="access_log",
        verbose_name=_("intakes shown"),
    )

    class Meta:
        ordering = ("-viewed_at", "-pk")
        verbose_name = _("intake access")
        verbose_name_plural = _("intake access log")

    def __str__(self) -> str:
        return f"{self.viewed_by} · {self.get_page_display()}"


class IntakeAccessLogIntake(models.Model):
    """One intake shown in one recorded view."""

    log = models.ForeignKey(IntakeAccessLog, on_delete=models.PROTECT, related_name="+")
    intake = models.ForeignKey(Intake, on_delete=models.PROTECT, related_name="+")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=("log", "intake"), name="intake_access_once_per_view")
        ]

    def __str__(self) -> str:
        return f"{self.log_id} · {self.intake_id}"


class InterestSignup(models.Model):
    """A visitor's name and email on an offering's interest list, confirmed by double opt-in.

    The email is stored lowercased; one active (not unsubscribed) signup per offering and email.
    The token makes both the confirmation and the unsubscribe links.
    """

    offering = models.ForeignKey(
        "catalog.Offering",
        on_delete=models.PROTECT,
        related_name="interest_signups",
        verbose_name=_("offering"),
    )
    name = models.CharField(_("name"), max_length=120)
    email = models.EmailField(_("email"))
    token = models.CharField(max_length=64, unique=True, default=new_token, editable=False)
    created_at = models.DateTimeField(_("signed up"))
    confirmed_at = models.DateTimeField(_("confirmed"), null=True, blank=True)
    unsubscribed_at = models.DateTimeField(_("unsubscribed"), null=True, blank=True)

    class Meta:
        ordering = ("-created_at", "-pk")
        verbose_name = _("interest signup")
        verbose_name_plural = _("interest signups")
        constraints = [
            models.UniqueConstraint(
                fields=("offering", "email"),
                condition=Q(unsubscribed_at__isnull=True),
                name="interest_one_active_signup",
            )
        ]

    def __str__(self) -> str:
        return f"{self.email} · {self.offering}"

    @property
    def status(self) -> str:
        if self.unsubscribed_at:
            return str(_("Unsubscribed"))
        if self.confirmed_at:
            return str(_("Confirmed"))
        return str(_("Awaiting confirmation"))


class InterestNotification(models.Model):
    """That a signup was emailed about a published session: at most once per session."""

    signup = models.ForeignKey(
        InterestSignup, on_delete=models.PROTECT, related_name="notifications"
    )
    session = models.ForeignKey(
        "catalog.Session", on_delete=models.PROTECT, related_name="interest_notifications"
    )
    sent_at = models.DateTimeField(_("sent"))

    class Meta:
        ordering = ("-sent_at", "-pk")
        constraints = [
            models.UniqueConstraint(
                fields=("signup", "session"), name="interest_notified_once_per_session"
            )
        ]

    def __str__(self) -> str:
        return f"{self.signup} · {self.session_id}"
