"""Staff edit the catalog here: offerings with their objectives, CE and sessions; instructors;
credit types; bundles; the center's settings (superusers only)."""

from django import forms
from django.contrib import admin, messages
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from . import selectors
from .formatting import format_cents
from .forms import CentsField, CertificateItemsField, ProfessionsField
from .models import (
    Bundle,
    CreditType,
    Instructor,
    LearningObjective,
    Offering,
    OfferingCredit,
    Session,
    SiteSettings,
)

PROFESSION_FIELDS = {"professions", "notice_professions", "eligible_professions"}


class CatalogFieldsMixin:
    """Money typed in dollars, profession lists as checkboxes."""

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        if db_field.name.endswith("_cents"):
            return CentsField(
                label=db_field.verbose_name.replace(" (cents)", "").capitalize(),
                required=not db_field.blank,
                help_text=db_field.help_text or _("In US dollars."),
            )
        if db_field.name in PROFESSION_FIELDS:
            return ProfessionsField(
                label=db_field.verbose_name.capitalize(), help_text=db_field.help_text
            )
        if db_field.name == "certificate_items":
            return CertificateItemsField(
                label=db_field.verbose_name.capitalize(), help_text=db_field.help_text
            )
        return super().formfield_for_dbfield(db_field, request, **kwargs)


class SessionForm(forms.ModelForm):
    class Meta:
        model = Session
        fields = (
            "offering",
            "starts_at",
            "ends_at",
            "capacity",
            "status",
            "location",
            "zoom_url",
            "registration_opens_at",
            "registration_closes_at",
        )

    def clean(self):
        data = super().clean()
        starts_at, ends_at = data.get("starts_at"), data.get("ends_at")
        if starts_at and ends_at and ends_at <= starts_at:
            self.add_error("ends_at", _("A session must end after it starts."))
        capacity = data.get("capacity")
        if self.instance.pk and capacity is not None:
            taken = Session.objects.seats_taken(session_id=self.instance.pk, now=timezone.now())
            if capacity < taken:
                self.add_error(
                    "capacity",
                    _("%(taken)s seats are already taken: the capacity cannot be lower.")
                    % {"taken": taken},
                )
        return data


class LearningObjectiveInline(admin.TabularInline):
    model = LearningObjective
    extra = 0


class OfferingCreditInline(CatalogFieldsMixin, admin.TabularInline):
    model = OfferingCredit
    extra = 0


class SessionInline(admin.TabularInline):
    model = Session
    form = SessionForm
    extra = 0
    fields = ("starts_at", "ends_at", "capacity", "status", "location")
    show_change_link = True


@admin.register(Offering)
class OfferingAdmin(CatalogFieldsMixin, admin.ModelAdmin):
    list_display = ("display_title", "kind", "delivery", "price", "access_rule", "is_published")
    list_filter = ("kind", "delivery", "access_rule", "is_published")
    search_fields = ("title", "summary", "slug")
    prepopulated_fields = {"slug": ("title",)}
    filter_horizontal = ("instructors", "prerequisites")
    inlines = (LearningObjectiveInline, OfferingCreditInline, SessionInline)
    fieldsets = (
        (None, {"fields": ("kind", "number", "title", "slug", "summary", "description")}),
        (_("Audience"), {"fields": ("audience", "level", "eligible_professions")}),
        (_("Format"), {"fields": ("hours", "delivery", "zoom_minimum_percent", "instructors")}),
        (_("Price"), {"fields": ("tuition_cents", "admin_fee_cents")}),
        (_("Access"), {"fields": ("access_rule", "prerequisites", "no_credit_note")}),
        (_("Listing"), {"fields": ("sort_order", "is_published")}),
    )

    @admin.display(description=_("price"))
    def price(self, offering: Offering) -> str:
        if offering.total_cents is None:
            return _("not set")
        return f"{format_cents(offering.total_cents)}"


class WhenFilter(admin.SimpleListFilter):
    title = _("when")
    parameter_name = "when"

    def lookups(self, request, model_admin):
        return (("upcoming", _("Upcoming")), ("past", _("Past")), ("tba", _("To be announced")))

    def queryset(self, request, queryset):
        now = timezone.now()
        if self.value() == "upcoming":
            return queryset.filter(starts_at__gt=now)
        if self.value() == "past":
            return queryset.filter(starts_at__lte=now)
        if self.value() == "tba":
            return queryset.filter(starts_at__isnull=True)
        return queryset


@admin.register(Session)
class SessionAdmin(admin.ModelAdmin):
    """The sessions list; registration extends it with each roster's figures."""

    form = SessionForm
    list_display = ("offering_and_date", "status", "seats")
    list_filter = (WhenFilter, "offering__delivery", "status", "offering")
    list_select_related = ("offering",)
    search_fields = ("offering__title", "offering__slug", "location")
    date_hierarchy = "starts_at"
    autocomplete_fields = ("offering",)
    list_per_page = 50

    def get_queryset(self, request):
        return self.with_counts(super().get_queryset(request), now=timezone.now())

    def with_counts(self, sessions, *, now):
        """What the list's columns read; an admin that adds columns extends this."""
        return sessions.with_seats_taken(now)

    @admin.display(description=_("offering and date (PT)"), ordering="starts_at")
    def offering_and_date(self, session: Session) -> str:
        return f"{session.offering.label} · {session.when}"

    @admin.display(description=_("seats taken / capacity"), ordering="seats_taken")
    def seats(self, session: Session) -> str:
        return f"{session.seats_taken} / {session.capacity}"


@admin.register(Instructor)
class InstructorAdmin(admin.ModelAdmin):
    list_display = ("name", "credentials", "sort_order")
    search_fields = ("name", "credentials")
    prepopulated_fields = {"slug": ("name",)}


@admin.register(CreditType)
class CreditTypeAdmin(CatalogFieldsMixin, admin.ModelAdmin):
    list_display = ("name", "provider_name", "provider_number", "certificates", "expired")
    list_filter = ("expired",)
    readonly_fields = ("certificates",)
    fieldsets = (
        (None, {"fields": ("code", "name", "unit", "sort_order")}),
        (
            _("Approved provider"),
            {
                "fields": (
                    "provider_name",
                    "provider_address",
                    "provider_number",
                    "expired",
                    "statement",
                )
            },
        ),
        (
            _("Who may buy it"),
            {
                "fields": (
                    "professions",
                    "board_state",
                    "notice_professions",
                    "out_of_state_notice",
                    "board_note",
                )
            },
        ),
        (
            _("Certificates"),
            {
                "fields": (
                    "certificates",
                    "certificate_layout",
                    "certificate_items",
                    "retention_statement",
                    "signatory",
                    "signature",
                )
            },
        ),
    )

    @admin.display(description=_("certificates"))
    def certificates(self, credit_type: CreditType) -> str:
        if not credit_type.pk:
            return "—"
        reasons = selectors.credit_type_blocks(credit_type)
        if reasons:
            return _("Blocked: %(reasons)s") % {"reasons": ", ".join(reasons)}
        return _("Ready: every required item is filled in")


@admin.register(Bundle)
class BundleAdmin(CatalogFieldsMixin, admin.ModelAdmin):
    list_display = ("title", "bundle_price", "a_la_carte_price", "is_published")
    prepopulated_fields = {"slug": ("title",)}
    filter_horizontal = ("offerings",)
    readonly_fields = ("a_la_carte_price",)

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("offerings")

    @admin.display(description=_("bundle price"))
    def bundle_price(self, bundle: Bundle) -> str:
        return format_cents(bundle.total_cents)

    @admin.display(description=_("à-la-carte total of its offerings"))
    def a_la_carte_price(self, bundle: Bundle) -> str:
        if not bundle.pk:
            return "—"
        cents = selectors.bundle_a_la_carte_cents(bundle)
        return _("not every offering has a price") if cents is None else format_cents(cents)

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        self._warn_if_dearer(request, form.instance)

    def change_view(self, request, object_id, form_url="", extra_context=None):
        if request.method == "GET":
            bundle = self.get_object(request, object_id)
            if bundle is not None:
                self._warn_if_dearer(request, bundle)
        return super().change_view(request, object_id, form_url, extra_context)

    @staticmethod
    def _warn_if_dearer(request, bundle: Bundle) -> None:
        a_la_carte = selectors.bundle_a_la_carte_cents(bundle)
        if a_la_carte is not None and bundle.total_cents > a_la_carte:
            messages.warning(
                request,
                _(
                    "“%(bundle)s” costs %(bundle_price)s, more than its offerings bought one "
                    "by one (%(a_la_carte)s). Trainees are shown both totals."
                )
                % {
                    "bundle": bundle.title,
                    "bundle_price": format_cents(bundle.total_cents),
                    "a_la_carte": format_cents(a_la_carte),
                },
            )


@admin.register(SiteSettings)
class SiteSettingsAdmin(admin.ModelAdmin):
    """One row of the center's settings, for superusers only."""

    def has_module_permission(self, request):
        return request.user.is_active and request.user.is_superuser

    def has_view_permission(self, request, obj=None):
        return request.user.is_active and request.user.is_superuser

    def has_change_permission(self, request, obj=None):
        return request.user.is_active and request.user.is_superuser

    def has_add_permission(self, request):
        return request.user.is_superuser and not SiteSettings.objects.exists()

    def has_delete_permission(self, request, obj=None):
        return False
