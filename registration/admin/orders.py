"""Orders in Django admin: lines, payments, refunds and audit log; trainee profiles;
prerequisite waivers. State changes go through the services."""

from django.contrib import admin, messages
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from catalog.formatting import format_cents

from ..models import (
    Enrolment,
    Order,
    OrderEvent,
    OrderLine,
    Payment,
    PrerequisiteWaiver,
    Refund,
    TraineeProfile,
    WaitlistEntry,
)
from ..services.orders import OrderStateError, order_mark_paid_offline


class ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class OrderLineInline(ReadOnlyInline):
    model = OrderLine
    fields = (
        "description",
        "tuition_cents",
        "admin_fee_cents",
        "ce_fee_cents",
        "credit_type",
        "refunded_cents",
    )
    readonly_fields = fields


class PaymentInline(ReadOnlyInline):
    model = Payment
    fields = (
        "method",
        "amount_cents",
        "received_at",
        "recorded_by",
        "note",
        "stripe_payment_intent_id",
    )
    readonly_fields = fields


class RefundInline(ReadOnlyInline):
    model = Refund
    fields = ("amount_cents", "status", "reason", "created_by", "created_at", "stripe_refund_id")
    readonly_fields = fields


class OrderEventInline(ReadOnlyInline):
    model = OrderEvent
    fields = ("created_at", "actor", "action", "message")
    readonly_fields = fields
    verbose_name_plural = _("audit log")


@admin.register(Order)
class OrderAdmin(admin.ModelAdmin):
    list_display = ("code", "trainee", "status", "payment_method", "total", "created_at", "flagged")
    list_filter = ("status", "payment_method", ("flagged_reason", admin.EmptyFieldListFilter))
    search_fields = ("code", "trainee__email", "trainee__trainee_profile__legal_name")
    list_select_related = ("trainee",)
    readonly_fields = [f.name for f in Order._meta.fields]
    inlines = (OrderLineInline, PaymentInline, RefundInline, OrderEventInline)
    actions = ("mark_offline_payment_received",)

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description=_("total"))
    def total(self, order: Order) -> str:
        return format_cents(order.total_cents)

    @admin.display(description=_("flagged"), boolean=True)
    def flagged(self, order: Order) -> bool:
        return bool(order.flagged_reason)

    @admin.action(description=_("Mark offline payment received"))
    def mark_offline_payment_received(self, request, queryset):
        done, refused = 0, []
        for order in queryset:
            try:
                order_mark_paid_offline(order=order, by=request.user, now=timezone.now())
                done += 1
            except OrderStateError as error:
                refused.append(str(error))
        if done:
            self.message_user(
                request,
                ngettext("%d order marked paid.", "%d orders marked paid.", done) % done,
                messages.SUCCESS,
            )
        for reason in refused:
            self.message_user(request, reason, messages.ERROR)


@admin.register(Enrolment)
class EnrolmentAdmin(admin.ModelAdmin):
    list_display = ("trainee", "session", "status", "credit_type", "attendance")
    list_filter = ("status", "attendance", "session__offering")
    search_fields = ("trainee__email", "trainee__trainee_profile__legal_name")
    list_select_related = ("trainee", "session__offering", "credit_type")
    readonly_fields = [f.name for f in Enrolment._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(TraineeProfile)
class TraineeProfileAdmin(admin.ModelAdmin):
    list_display = ("legal_name", "user", "profession", "license_number", "license_state")
    list_filter = ("profession", "license_state")
    search_fields = ("legal_name", "user__email", "license_number")
    list_select_related = ("user",)


@admin.register(PrerequisiteWaiver)
class PrerequisiteWaiverAdmin(admin.ModelAdmin):
    list_display = ("trainee", "offering", "granted_by", "granted_at")
    autocomplete_fields = ("offering",)
    raw_id_fields = ("trainee",)
    readonly_fields = ("granted_by", "granted_at")

    def save_model(self, request, obj, form, change):
        if not change:
            obj.granted_by = request.user
        super().save_model(request, obj, form, change)


@admin.register(WaitlistEntry)
class WaitlistEntryAdmin(admin.ModelAdmin):
    list_display = ("session", "trainee", "status", "created_at", "offer_expires_at")
    list_filter = ("status",)
    list_select_related = ("session__offering", "trainee")
    readonly_fields = [f.name for f in WaitlistEntry._meta.fields]

    def has_add_permission(self, request):
        return False
