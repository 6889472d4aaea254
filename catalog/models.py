"""The training catalog: offerings, their sessions, instructors, CE credit types and bundles."""

from django.core.cache import cache
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Count, F, Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from .certificate_items import CertificateItem, default_items
from .formatting import format_session_when
from .images import CertificateImageField
from .professions import MEDICAL_PROVIDERS, profession_labels


class Instructor(models.Model):
    name = models.CharField(_("name"), max_length=120)
    slug = models.SlugField(_("slug"), max_length=120, unique=True)
    credentials = models.CharField(_("credentials"), max_length=60, blank=True)
    bio = models.TextField(_("bio"), blank=True)
    sort_order = models.PositiveSmallIntegerField(_("sort order"), default=100)

    class Meta:
        ordering = ("sort_order", "name")
        verbose_name = _("instructor")
        verbose_name_plural = _("instructors")

    def __str__(self) -> str:
        return self.display_name

    def get_absolute_url(self) -> str:
        return reverse("catalog:instructor", kwargs={"slug": self.slug})

    @property
    def display_name(self) -> str:
        return f"{self.name}, {self.credentials}" if self.credentials else self.name


class CertificateLayout(models.TextChoices):
    """How a CE certificate presents who stands behind the credit."""

    SPONSOR = "sponsor", _("The center is the approved sponsor: headed with the center")
    PROVIDER = (
        "provider",
        _("Another approved provider: headed with the provider, the center as co-sponsor"),
    )


class CreditType(models.Model):
    """A kind of continuing-education credit (APA CE, California BRN CE): data, not code,
    down to what its certificates must carry and how they are laid out."""

    code = models.SlugField(_("code"), max_length=20, unique=True)
    name = models.CharField(_("name"), max_length=80)
    unit = models.CharField(_("unit"), max_length=40, default="CE credits")
    provider_name = models.CharField(_("provider name"), max_length=160)
    provider_address = models.TextField(_("provider address"), blank=True)
    provider_number = models.CharField(_("provider number"), max_length=40, blank=True)
    statement = models.TextField(_("sponsor statement"))
    board_note = models.TextField(
        _("board note"), blank=True, help_text=_("Which boards accept this credit.")
    )
    professions = models.JSONField(
        _("professions served"), default=list, help_text=_("License types that may buy it.")
    )
    board_state = models.CharField(
        _("board state"),
        max_length=2,
        blank=True,
        help_text=_("Two-letter state whose board accepts this credit for the professions below."),
    )
    notice_professions = models.JSONField(
        _("professions told to check with their board"),
        default=list,
        blank=True,
        help_text=_("Licensed outside the board state, they see the notice before buying."),
    )
    out_of_state_notice = models.TextField(_("out-of-state notice"), blank=True)
    retention_statement = models.TextField(
        _("retention sentence"),
        blank=True,
        help_text=_(
            "How long the licensee must keep the certificate, printed on it and in its email "
            "when the board asks for it."
        ),
    )
    signature = CertificateImageField(
        _("signature"),
        upload_to="signatures/",
        blank=True,
        help_text=_(
            "Signature image of the provider or its designee, printed on certificates: a PNG "
            "or JPEG image."
        ),
    )
    signatory = models.CharField(
        _("signatory"),
        max_length=160,
        blank=True,
        help_text=_("Name and title printed under the signature."),
    )
    certificate_layout = models.CharField(
        _("certificate layout"),
        max_length=20,
        choices=CertificateLayout.choices,
        default=CertificateLayout.SPONSOR,
    )
    certificate_items = models.JSONField(
        _("required certificate items"),
        default=default_items,
        blank=True,
        help_text=_(
            "What a certificate of this credit type must carry: none is issued while one of "
            "them is empty."
        ),
    )
    expired = models.BooleanField(
        _("provider number expired"),
        default=False,
        help_text=_("While set, no certificate of this credit type may be issued."),
    )
    sort_order = models.PositiveSmallIntegerField(_("sort order"), default=100)

    class Meta:
        ordering = ("sort_order", "name")
        verbose_name = _("credit type")
        verbose_name_plural = _("credit types")

    def __str__(self) -> str:
        return self.name

    @property
    def profession_labels(self) -> list[str]:
        return profession_labels(self.professions)

    @property
    def short_name(self) -> str:
        """ "BRN", "APA": how refusals and the dashboard name its certificates."""
        return self.code.upper()

    @property
    def required_items(self) -> list[CertificateItem]:
        return [CertificateItem(item) for item in self.certificate_items]


class Offering(models.Model):
    """Something a trainee registers for: a module, a workshop, a residential training."""

    class Kind(models.TextChoices):
        MODULE = "module", _("Didactic module")
        MUSIC = "music", _("Music Module")
        MEDICAL = "medical", _("Medical module")
        EXPERIENTIAL = "experiential", _("Experiential workshop")
        PRACTICUM = "practicum", _("Practicum")
        RESIDENTIAL = "residential", _("Residential training")

    class Delivery(models.TextChoices):
        IN_PERSON = "in_person", _("In person")
        ZOOM = "zoom", _("Live on Zoom")
        HYBRID = "hybrid", _("Hybrid: in person or on Zoom")

    class Access(models.TextChoices):
        OPEN = "open", _("Open registration")
        INTAKE = "intake", _("Medical and psychological intake required")
        INVITATION = "invitation", _("By invitation only")
        ANNOUNCE = "announce", _("Dates to be announced")

    slug = models.SlugField(_("slug"), max_length=80, unique=True)
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    number = models.PositiveSmallIntegerField(
        _("number"), null=True, blank=True, help_text=_("Module or level number.")
    )
    title = models.CharField(_("title"), max_length=200)
    summary = models.TextField(_("summary"))
    description = models.TextField(_("description"), blank=True)
    audience = models.CharField(_("audience"), max_length=300, blank=True)
    level = models.CharField(_("level"), max_length=40, blank=True)
    hours = models.DecimalField(
        _("training hours"), max_digits=5, decimal_places=1, null=True, blank=True
    )
    delivery = models.CharField(_("delivery"), max_length=20, choices=Delivery.choices)
    zoom_minimum_percent = models.PositiveSmallIntegerField(
        _("Zoom time for full attendance (% of each session)"),
        default=95,
        validators=[MinValueValidator(50), MaxValueValidator(100)],
        help_text=_(
            "A trainee whose Zoom participant report shows less of a session connected is "
            "flagged on the roster: partial attendance earns no credit. 95% leaves 24 minutes "
            "of an 8-hour day for dropped connections."
        ),
    )
    tuition_cents = models.PositiveIntegerField(
        _("tuition (cents)"),
        null=True,
        blank=True,
        help_text=_("Empty while the price is not yet set."),
    )
    admin_fee_cents = models.PositiveIntegerField(_("administrative fee (cents)"), default=0)
    access_rule = models.CharField(
        _("access rule"), max_length=20, choices=Access.choices, default=Access.OPEN
    )
    prerequisites = models.ManyToManyField(
        "self",
        symmetrical=False,
        blank=True,
        related_name="required_by",
        verbose_name=_("prerequisites"),
    )
    eligible_professions = models.JSONField(
        _("eligible professions"),
        default=list,
        blank=True,
        help_text=_("Empty means every profession may register."),
    )
    instructors = models.ManyToManyField(
        Instructor, blank=True, related_name="offerings", verbose_name=_("instructors")
    )
    no_credit_note = models.TextField(
        _("what carries no credit"),
        blank=True,
        help_text=_("Shown on the offering page, e.g. 'CEs are not offered at this time.'"),
    )
    sort_order = models.PositiveSmallIntegerField(_("sort order"), default=100)
    is_published = models.BooleanField(_("published"), default=True)

    class Meta:
        ordering = ("sort_order", "kind", "number", "title")
        verbose_name = _("offering")
        verbose_name_plural = _("offerings")
        constraints = [
            models.UniqueConstraint(
                fields=("kind", "number"),
                condition=Q(number__isnull=False),
                name="offering_unique_kind_number",
                violation_error_message=_("Another offering of this kind has this number."),
            ),
            models.CheckConstraint(
                condition=Q(tuition_cents__isnull=True) | Q(tuition_cents__gte=0),
                name="offering_tuition_not_negative",
            ),
            models.CheckConstraint(
                condition=Q(admin_fee_cents__gte=0), name="offering_admin_fee_not_negative"
            ),
            models.CheckConstraint(
                condition=Q(hours__isnull=True) | Q(hours__gt=0), name="offering_hours_positive"
            ),
        ]

    def __str__(self) -> str:
        return self.display_title

    def get_absolute_url(self) -> str:
        return reverse("catalog:offering", kwargs={"slug": self.slug})

    @property
    def label(self) -> str:
        """The short name people use: "Module 1", "Residential Level 2", "Music Module"."""
        if self.kind == self.Kind.MODULE and self.number:
            return _("Module %(number)s") % {"number": self.number}
        if self.kind == self.Kind.RESIDENTIAL and self.number:
            return _("Residential Level %(number)s") % {"number": self.number}
        return self.title

    @property
    def display_title(self) -> str:
        label = str(self.label)
        return f"{label}: {self.title}" if label != self.title else self.title

    @property
    def has_price(self) -> bool:
        return self.tuition_cents is not None

    @property
    def total_cents(self) -> int | None:
        if self.tuition_cents is None:
            return None
        return self.tuition_cents + self.admin_fee_cents

    @property
    def eligible_profession_labels(self) -> list[str]:
        return profession_labels(self.eligible_professions)

    @property
    def access_label(self) -> str:
        """Who may register, in a few words: open registration limited to some professions is
        not open to all, so it is not called open."""
        if self.access_rule == self.Access.OPEN and self.eligible_professions:
            if set(self.eligible_professions) <= MEDICAL_PROVIDERS:
                return str(_("Medical providers only"))
            return str(_("Some professions only"))
        return str(self.get_access_rule_display())


class LearningObjective(models.Model):
    offering = models.ForeignKey(
        Offering, on_delete=models.CASCADE, related_name="objectives", verbose_name=_("offering")
    )
    position = models.PositiveSmallIntegerField(_("position"))
    text = models.CharField(_("objective"), max_length=400)

    class Meta:
        ordering = ("offering", "position")
        verbose_name = _("learning objective")
        verbose_name_plural = _("learning objectives")
        constraints = [
            models.UniqueConstraint(
                fields=("offering", "position"), name="objective_unique_position"
            ),
        ]

    def __str__(self) -> str:
        return self.text


class OfferingCredit(models.Model):
    """The CE an offering carries for one credit type: credits and the add-on fee."""

    offering = models.ForeignKey(
        Offering, on_delete=models.CASCADE, related_name="credits", verbose_name=_("offering")
    )
    credit_type = models.ForeignKey(
        CreditType,
        on_delete=models.PROTECT,
        related_name="offerings",
        verbose_name=_("credit type"),
    )
    credits = models.DecimalField(_("credits"), max_digits=4, decimal_places=1)
    fee_cents = models.PositiveIntegerField(_("CE fee (cents)"))

    class Meta:
        ordering = ("offering", "credit_type__sort_order")
        verbose_name = _("CE option")
        verbose_name_plural = _("CE options")
        constraints = [
            models.UniqueConstraint(
                fields=("offering", "credit_type"),
                name="offering_credit_unique_type",
                violation_error_message=_("This offering already has CE of this credit type."),
            ),
            models.CheckConstraint(condition=Q(credits__gt=0), name="offering_credit_positive"),
            models.CheckConstraint(
                condition=Q(fee_cents__gte=0), name="offering_credit_fee_not_negative"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.credit_type}: {self.credits}"


# A seat is taken by what registration records against a session (the `enrolments` that
# point at it): confirmed, or held until the hold expires. Registration's enrolment statuses
# take these values, so the catalog counts seats without importing registration.
SEAT_CONFIRMED = "confirmed"
SEAT_HELD = "held"


def seats_taken_q(now, prefix: str = "enrolments__") -> Q:
    """The enrolments that occupy a seat at `now`; `prefix=""` filters enrolments directly."""
    return Q(**{f"{prefix}status": SEAT_CONFIRMED}) | Q(
        **{f"{prefix}status": SEAT_HELD, f"{prefix}hold_expires_at__gt": now}
    )


class SessionQuerySet(models.QuerySet):
    def with_seats_taken(self, now) -> "SessionQuerySet":
        """Each session's `seats_taken` at `now` (what `Session.seats_left` reads)."""
        return self.annotate(seats_taken=Count("enrolments", filter=seats_taken_q(now)))

    def seats_taken(self, *, session_id: int, now) -> int:
        return self.seats_taken_by_id(session_ids=[session_id], now=now).get(session_id, 0)

    def seats_taken_by_id(self, *, session_ids, now) -> dict[int, int]:
        """`{session id: seats taken at now}` for these sessions, in one query."""
        return dict(
            self.filter(pk__in=list(session_ids))
            .with_seats_taken(now)
            .values_list("pk", "seats_taken")
        )


class Session(models.Model):
    """One dated run of an offering."""

    class Status(models.TextChoices):
        SCHEDULED = "scheduled", _("Scheduled")
        CANCELLED = "cancelled", _("Cancelled")
        TBA = "tba", _("To be announced")

    offering = models.ForeignKey(
        Offering, on_delete=models.PROTECT, related_name="sessions", verbose_name=_("offering")
    )
    starts_at = models.DateTimeField(_("starts"), null=True, blank=True)
    ends_at = models.DateTimeField(_("ends"), null=True, blank=True)
    capacity = models.PositiveIntegerField(_("capacity"))
    location = models.CharField(_("location"), max_length=300, blank=True)
    zoom_url = models.URLField(
        _("Zoom link"), blank=True, help_text=_("Shown only to enrolled trainees.")
    )
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.SCHEDULED
    )
    registration_opens_at = models.DateTimeField(_("registration opens"), null=True, blank=True)
    registration_closes_at = models.DateTimeField(
        _("registration closes"),
        null=True,
        blank=True,
        help_text=_("Empty: registration stays open until the session starts."),
    )

    objects = SessionQuerySet.as_manager()

    class Meta:
        ordering = ("starts_at", "pk")
        verbose_name = _("session")
        verbose_name_plural = _("sessions")
        constraints = [
            models.CheckConstraint(
                condition=Q(starts_at__isnull=True)
                | Q(ends_at__isnull=True)
                | Q(ends_at__gt=F("starts_at")),
                name="session_ends_after_start",
                violation_error_message=_("A session must end after it starts."),
            ),
            models.CheckConstraint(
                condition=Q(status="tba") | Q(starts_at__isnull=False, ends_at__isnull=False),
                name="session_dated_unless_tba",
                violation_error_message=_(
                    "A session needs a start and an end unless it is to be announced."
                ),
            ),
            models.CheckConstraint(
                condition=Q(registration_opens_at__isnull=True)
                | Q(registration_closes_at__isnull=True)
                | Q(registration_closes_at__gt=F("registration_opens_at")),
                name="session_registration_window_ordered",
                violation_error_message=_("Registration must close after it opens."),
            ),
            models.CheckConstraint(
                condition=Q(capacity__gte=0), name="session_capacity_not_negative"
            ),
        ]
        indexes = [models.Index(fields=("status", "starts_at"))]

    def __str__(self) -> str:
        return f"{self.offering.label} · {self.when}"

    def get_absolute_url(self) -> str:
        return f"{self.offering.get_absolute_url()}#session-{self.pk}"

    @property
    def is_dated(self) -> bool:
        return self.starts_at is not None and self.status != self.Status.TBA

    @property
    def seats_left(self) -> int:
        """Needs the `seats_taken` annotation (`Session.objects.with_seats_taken(now)`)."""
        return max(self.capacity - self.seats_taken, 0)

    @property
    def when(self) -> str:
        return format_session_when(self.starts_at, self.ends_at)


class Bundle(models.Model):
    """Several offerings sold together, the trainee picking one session of each."""

    slug = models.SlugField(_("slug"), max_length=80, unique=True)
    title = models.CharField(_("title"), max_length=200)
    summary = models.TextField(_("summary"))
    offerings = models.ManyToManyField(
        Offering, related_name="bundles", verbose_name=_("offerings")
    )
    hours = models.DecimalField(_("training hours"), max_digits=5, decimal_places=1)
    tuition_cents = models.PositiveIntegerField(_("tuition (cents)"))
    admin_fee_cents = models.PositiveIntegerField(_("administrative fee (cents)"), default=0)
    is_published = models.BooleanField(_("published"), default=True)

    class Meta:
        ordering = ("title",)
        verbose_name = _("bundle")
        verbose_name_plural = _("bundles")
        constraints = [
            models.CheckConstraint(
                condition=Q(tuition_cents__gte=0), name="bundle_tuition_not_negative"
            ),
            models.CheckConstraint(
                condition=Q(admin_fee_cents__gte=0), name="bundle_admin_fee_not_negative"
            ),
        ]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("catalog:bundle", kwargs={"slug": self.slug})

    @property
    def total_cents(self) -> int:
        return self.tuition_cents + self.admin_fee_cents


class SiteSettings(models.Model):
    """The center's own settings: names, contacts and policy numbers (one row)."""

    center_name = models.CharField(
        _("center name"), max_length=120, default="Polaris Insight Center"
    )
    center_address = models.TextField(_("center address"), blank=True)
    coordinator_name = models.CharField(_("training coordinator"), max_length=120, blank=True)
    coordinator_email = models.EmailField(_("training coordinator email"), blank=True)
    nurse_ce_contact = models.CharField(_("contact for nurses' CE"), max_length=120, blank=True)
    nurse_ce_contact_email = models.EmailField(_("email for nurses' CE"), blank=True)
    refund_deadline_days = models.PositiveSmallIntegerField(
        _("refund deadline (days before the session)"), default=14
    )
    checkout_hold_minutes = models.PositiveSmallIntegerField(
        _("seat hold while paying by card (minutes)"), default=30
    )
    offline_hold_days = models.PositiveSmallIntegerField(
        _("seat hold while paying by invoice or check (days)"), default=7
    )
    waitlist_offer_hours = models.PositiveSmallIntegerField(
        _("waitlist offer holds a seat for (hours)"), default=48
    )
    attendance_grace_minutes = models.PositiveSmallIntegerField(
        _("late/early grace (minutes)"),
        default=10,
        help_text=_(
            "The roster flags a sign-in later than the start, or a sign-out earlier than "
            "the end, by more than this."
        ),
    )
    logo = CertificateImageField(
        _("logo"),
        upload_to="logos/",
        blank=True,
        help_text=_(
            "Printed at the top of certificates: a PNG or JPEG image. Without one, the "
            "center's name is set as a text mark."
        ),
    )
    certificate_signatory = models.CharField(
        _("signatory of Certificates of Attendance"),
        max_length=160,
        blank=True,
        help_text=_(
            "Name and title printed under the signature, e.g. “Jana Adamova, Training "
            "Coordinator”. Empty: the training coordinator."
        ),
    )
    certificate_signature = CertificateImageField(
        _("signature on Certificates of Attendance"),
        upload_to="signatures/",
        blank=True,
        help_text=_("The signatory's signature: a PNG or JPEG image."),
    )
    issue_certificates_on_attendance = models.BooleanField(
        _("issue certificates when attendance is marked"),
        default=False,
        help_text=_(
            "Marking trainees attended issues their Certificate of Attendance, and their CE "
            "certificate when the evaluation is already in. Otherwise the coordinator issues "
            "them from the roster."
        ),
    )

    CACHE_KEY = "catalog:site-settings"

    class Meta:
        verbose_name = _("site settings")
        verbose_name_plural = _("site settings")

    def __str__(self) -> str:
        return str(_("Site settings"))

    @classmethod
    def current(cls) -> "SiteSettings":
        settings = cache.get(cls.CACHE_KEY)
        if settings is None:
            settings = cls.objects.order_by("pk").first() or cls()
            cache.set(cls.CACHE_KEY, settings, 3600)
        return settings
