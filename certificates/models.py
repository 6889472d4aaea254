"""Certificates of Attendance and CE certificates: snapshots of what they certify, kept for
at least four years whatever happens to the order (CE rules), each with a verification code."""

import secrets

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"


def new_verification_code() -> str:
    """16 characters from 32 symbols: 80 bits, not guessable."""
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(16))


class Certificate(models.Model):
    class Kind(models.TextChoices):
        ATTENDANCE = "attendance", _("Certificate of Attendance")
        CE = "ce", _("CE certificate")

    class Status(models.TextChoices):
        VALID = "valid", _("Valid")
        SUPERSEDED = "superseded", _("Superseded by a corrected version")
        REVOKED = "revoked", _("Revoked")

    class Delivery(models.TextChoices):
        QUEUED = "queued", _("Queued")
        RENDERED = "rendered", _("Rendered")
        EMAILED = "emailed", _("Emailed")
        FAILED = "failed", _("Failed")

    enrolment = models.ForeignKey(
        "registration.Enrolment", on_delete=models.PROTECT, related_name="certificates"
    )
    trainee = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="certificates"
    )
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    credit_type = models.ForeignKey(
        "catalog.CreditType", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    credits = models.DecimalField(
        _("credits"), max_digits=4, decimal_places=1, null=True, blank=True
    )
    hours = models.DecimalField(_("hours"), max_digits=5, decimal_places=1, null=True, blank=True)
    legal_name = models.CharField(_("participant"), max_length=200)
    credentials = models.CharField(
        _("credentials"), max_length=80, blank=True, help_text=_("Printed after the name.")
    )
    license_type = models.CharField(_("license type"), max_length=80, blank=True)
    license_number = models.CharField(_("license number"), max_length=40, blank=True)
    license_state = models.CharField(_("license state"), max_length=2, blank=True)
    course_title = models.CharField(_("course"), max_length=300)
    session_dates = models.CharField(_("date(s)"), max_length=200)
    session_times = models.CharField(_("times"), max_length=100, blank=True)
    delivery_format = models.CharField(_("format"), max_length=100, blank=True)
    code = models.CharField(
        _("verification code"), max_length=32, unique=True, default=new_verification_code
    )
    version = models.PositiveSmallIntegerField(_("version"), default=1)
    supersedes = models.OneToOneField(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="superseded_by"
    )
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.VALID
    )
    issued_at = models.DateTimeField(_("issued"))
    pdf = models.FileField(_("PDF"), upload_to="certificates/%Y/", blank=True)
    delivery = models.CharField(
        _("delivery"), max_length=20, choices=Delivery.choices, default=Delivery.QUEUED
    )
    delivery_error = models.TextField(_("delivery error"), blank=True)
    rendered_at = models.DateTimeField(null=True, blank=True)
    emailed_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True)
    revoked_reason = models.TextField(_("reason for revoking"), blank=True)

    class Meta:
        ordering = ("-issued_at", "-pk")
        verbose_name = _("certificate")
        verbose_name_plural = _("certificates")
        constraints = [
            models.UniqueConstraint(
                fields=("enrolment", "kind", "version"), name="certificate_unique_version"
            ),
            models.UniqueConstraint(
                fields=("enrolment", "kind"),
                condition=Q(status="valid"),
                name="certificate_one_valid_per_kind",
            ),
            models.CheckConstraint(
                condition=Q(kind="attendance") | Q(credit_type__isnull=False),
                name="certificate_ce_has_credit_type",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} · {self.legal_name} · {self.course_title}"

    @staticmethod
    def name_of(kind: str, credit: str) -> str:
        """ "Certificate of Attendance", "CE certificate (APA CE)": what emails and the audit
        log call a certificate of this kind and credit type's name."""
        if kind == Certificate.Kind.ATTENDANCE:
            return str(Certificate.Kind.ATTENDANCE.label)
        return gettext("CE certificate (%(credit)s)") % {"credit": credit}

    @property
    def name(self) -> str:
        return self.name_of(self.kind, self.credit_type.name if self.credit_type_id else "")

    @property
    def display_name(self) -> str:
        """The name as printed: "Dana Cho, PsyD"."""
        return f"{self.legal_name}, {self.credentials}" if self.credentials else self.legal_name


# --------------------------------------------------------------------------------------
# Course evaluations: every participant is offered one (BBS 16 CCR §1887.4.0(c), APA
# Standard E); the CE certificate is issued when it is submitted. Kept four years.
# --------------------------------------------------------------------------------------


class Rating(models.IntegerChoices):
    """A 1–5 rating; its labels carry the number, as the form and the admin show it."""

    POOR = 1, _("1 Poor")
    FAIR = 2, _("2 Fair")
    GOOD = 3, _("3 Good")
    VERY_GOOD = 4, _("4 Very good")
    EXCELLENT = 5, _("5 Excellent")


def _rating_in_range(field: str) -> Q:
    return Q(**{f"{field}__gte": Rating.POOR, f"{field}__lte": Rating.EXCELLENT})


class Evaluation(models.Model):
    """A trainee's evaluation of the session they took: requested once, reminded a few
    times, submitted once. Created when it is requested (or submitted, if sooner)."""

    enrolment = models.OneToOneField(
        "registration.Enrolment",
        on_delete=models.PROTECT,
        related_name="evaluation",
        verbose_name=_("enrolment"),
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    requested_at = models.DateTimeField(_("requested"), null=True, blank=True)
    reminders_sent = models.PositiveSmallIntegerField(_("reminders sent"), default=0)
    last_reminded_at = models.DateTimeField(_("last reminded"), null=True, blank=True)
    submitted_at = models.DateTimeField(_("submitted"), null=True, blank=True)
    overall_rating = models.PositiveSmallIntegerField(
        _("overall rating"), choices=Rating.choices, null=True, blank=True
    )
    useful = models.TextField(_("what was useful"), blank=True)
    improve = models.TextField(_("what to improve"), blank=True)
    ce_certificate_held = models.TextField(
        _("CE certificate held back"),
        blank=True,
        help_text=_("Why the CE certificate could not be issued when the evaluation came in."),
    )

    class Meta:
        ordering = ("-submitted_at", "-pk")
        verbose_name = _("evaluation")
        verbose_name_plural = _("evaluations")
        constraints = [
            models.CheckConstraint(
                condition=Q(overall_rating__isnull=True) | _rating_in_range("overall_rating"),
                name="evaluation_overall_rating_1_to_5",
            ),
            models.CheckConstraint(
                condition=Q(submitted_at__isnull=True) | Q(overall_rating__isnull=False),
                name="evaluation_submitted_has_rating",
            ),
        ]
        indexes = [models.Index(fields=("submitted_at", "requested_at"))]

    def __str__(self) -> str:
        return str(_("Evaluation · %(enrolment)s") % {"enrolment": self.enrolment})


class ObjectiveRating(models.Model):
    """How well the session met one learning objective, with the objective's text as it was."""

    evaluation = models.ForeignKey(
        Evaluation, on_delete=models.CASCADE, related_name="objective_ratings"
    )
    objective = models.ForeignKey(
        "catalog.LearningObjective",
        on_delete=models.PROTECT,
        related_name="ratings",
        verbose_name=_("learning objective"),
    )
    objective_text = models.CharField(_("objective"), max_length=400)
    rating = models.PositiveSmallIntegerField(_("rating"), choices=Rating.choices)

    class Meta:
        ordering = ("pk",)
        verbose_name = _("objective rating")
        verbose_name_plural = _("objective ratings")
        constraints = [
            models.UniqueConstraint(
                fields=("evaluation", "objective"), name="objective_rating_unique"
            ),
            models.CheckConstraint(
                condition=_rating_in_range("rating"), name="objective_rating_1_to_5"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.objective_text}: {self.rating}"


class InstructorRating(models.Model):
    """One instructor's rating, with the instructor's name as it was."""

    evaluation = models.ForeignKey(
        Evaluation, on_delete=models.CASCADE, related_name="instructor_ratings"
    )
    instructor = models.ForeignKey(
        "catalog.Instructor",
        on_delete=models.PROTECT,
        related_name="ratings",
        verbose_name=_("instructor"),
    )
    instructor_name = models.CharField(_("instructor"), max_length=200)
    rating = models.PositiveSmallIntegerField(_("rating"), choices=Rating.choices)

    class Meta:
        ordering = ("pk",)
        verbose_name = _("instructor rating")
        verbose_name_plural = _("instructor ratings")
        constraints = [
            models.UniqueConstraint(
                fields=("evaluation", "instructor"), name="instructor_rating_unique"
            ),
            models.CheckConstraint(
                condition=_rating_in_range("rating"), name="instructor_rating_1_to_5"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.instructor_name}: {self.rating}"
