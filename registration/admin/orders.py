"""Orders in Django admin: lines, payments, refunds and audit log, with the coordinator's
actions (mark paid, cancel, refund, transfer a registration, register by hand); trainee profiles;
prerequisite waivers. Every state change goes through a service, with the staff user as actor."""

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.contrib.auth import get_user_model
from django.contrib.contenttypes.admin import GenericTabularInline
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponseRedirect
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from audit.models import LogEntry
from catalog.formatting import format_cents
from catalog.forms import CentsField
from catalog.models import CreditType, Session
from catalog.selectors import upcoming_sessions_q
from polaris.admin import ReadOnlyAdminMixin, ReadOnlyInline

from ..models import (
    Enrolment,
    Order,
    OrderLine,
    Payment,
    PrerequisiteWaiver,
    Refund,
    TraineeProfile,
)
from ..services.enrolments import enrolment_transfer_by_staff, transfer_targets
from ..services.exceptions import OrderStateError, StaffActionRefused
from ..services.orders import (
    OrderCancellation,
    order_cancel_by_staff,
    order_mark_paid_offline,
    refund_default_cents,
    registration_manual,
)
from ..services.payments import (
    PaymentUnavailable,
    order_refund_by_staff,
    payment_mismatch_open,
    payment_mismatch_refund,
)
from ..services.waivers import waiver_grant

TEMPLATES = "admin/registration/order"


def money(field: str, label):
    """A read-only column showing a `_cents` field in dollars."""

    @admin.display(description=label, ordering=field)
    def show(self, obj) -> str:
        return format_cents(getattr(obj, field))

    return show


class OrderLineInline(ReadOnlyInline):
    model = OrderLine
    fields = (
        "description",
        "tuition",
        "admin_fee",
        "ce_fee",
        "credit_type",
        "refunded",
        "registrations",
    )
    readonly_fields = fields
    tuition = money("tuition_cents", gettext_lazy("tuition"))
    admin_fee = money("admin_fee_cents", gettext_lazy("administrative fee"))
    ce_fee = money("ce_fee_cents", gettext_lazy("CE fee"))
    refunded = money("refunded_cents", gettext_lazy("refunded"))

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .select_related("credit_type")
            .prefetch_related("enrolments__session__offering")
        )

    @admin.display(description=gettext_lazy("registrations"))
    def registrations(self, line: OrderLine) -> str:
        rows = []
        for enrolment in line.enrolments.all():
            transfer = ""
            if enrolment.status == Enrolment.Status.CONFIRMED:
                transfer = format_html(
                    ' · <a href="{}">{}</a>',
                    reverse("admin:registration_enrolment_transfer", args=[enrolment.pk]),
                    _("Transfer to another date…"),
                )
            rows.append((enrolment.session.when, enrolment.get_status_display(), transfer))
        return format_html_join(mark_safe("<br>"), "{} · {}{}", rows)


class PaymentInline(ReadOnlyInline):
    model = Payment
    fields = (
        "method",
        "amount",
        "received_at",
        "recorded_by",
        "note",
        "stripe_payment_intent_id",
    )
    readonly_fields = fields
    amount = money("amount_cents", gettext_lazy("amount"))


class RefundInline(ReadOnlyInline):
    model = Refund
    fields = ("amount", "status", "reason", "created_by", "created_at", "stripe_refund_id")
    readonly_fields = fields
    amount = money("amount_cents", gettext_lazy("amount"))


class LogEntryInline(ReadOnlyAdminMixin, GenericTabularInline):
    """The order's audit log, put into words as it is read."""

    model = LogEntry
    extra = 0
    can_delete = False
    fields = ("created_at", "actor", "what_happened")
    readonly_fields = fields
    verbose_name_plural = gettext_lazy("audit log")

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("actor")

    @admin.display(description=gettext_lazy("what happened"))
    def what_happened(self, entry: LogEntry) -> str:
        return entry.text


class CancelForm(forms.Form):
    reason = forms.CharField(
        label=gettext_lazy("Reason"),
        max_length=300,
        required=False,
        help_text=gettext_lazy("Recorded in the order's audit log."),
    )


class RefundForm(forms.Form):
    amount = CentsField(label=gettext_lazy("Amount to refund"))
    order_line = forms.ModelChoiceField(
        label=gettext_lazy("For"),
        queryset=OrderLine.objects.none(),
        required=False,
        empty_label=gettext_lazy("The whole order"),
        help_text=gettext_lazy(
            "Name the registration a refund is for, so that a later cancellation deducts it."
        ),
    )
    reason = forms.CharField(label=gettext_lazy("Reason"), max_length=300)
    refunded_cents_seen = forms.IntegerField(widget=forms.HiddenInput, min_value=0)

    def __init__(self, *args, order: Order, **kwargs):
        super().__init__(*args, **kwargs)
        lines = order.lines.all()
        self.fields["order_line"].queryset = lines
        if len(lines) == 1:
            self.fields["order_line"].initial = lines[0].pk


class ManualRegistrationForm(forms.Form):
    email = forms.EmailField(
        label=gettext_lazy("Trainee's email"),
        help_text=gettext_lazy("The email of the trainee's account."),
    )
    session = forms.ModelChoiceField(label=gettext_lazy("Session"), queryset=Session.objects.none())
    price = CentsField(
        label=gettext_lazy("Price paid"),
        initial=0,
        help_text=gettext_lazy(
            "In US dollars. 0 makes it complimentary; a price is recorded as received by "
            "invoice or check."
        ),
    )
    credit_type = forms.ModelChoiceField(
        label=gettext_lazy("CE credit type"),
        queryset=CreditType.objects.all(),
        required=False,
        empty_label=gettext_lazy("No CE (certificate of attendance)"),
    )

    def __init__(self, *args, now, **kwargs):
        super().__init__(*args, **kwargs)
        field = self.fields["session"]
        field.queryset = (
            Session.objects.filter(upcoming_sessions_q(now))
            .select_related("offering")
            .with_seats_taken(now)
            .order_by("starts_at", "pk")
        )
        field.label_from_instance = lambda session: (
            _("%(session)s · %(left)s of %(capacity)s seats left")
            % {"session": session, "left": session.seats_left, "capacity": session.capacity}
        )

    def clean_email(self):
        email = self.cleaned_data["email"]
        users = list(get_user_model().objects.filter(email__iexact=email)[:2])
        if not users:
            raise forms.ValidationError(_("No account uses this email address."))
        if len(users) > 1:
            raise forms.ValidationError(_("Several accounts use this email address."))
        self.cleaned_data["trainee"] = users[0]
        return email


class TransferForm(forms.Form):
    # Any session: the service, not the form, refuses another offering's or a full one.
    session = forms.ModelChoiceField(
        queryset=Session.objects.all(),
        error_messages={
            "required": gettext_lazy("Choose the new date."),
            "invalid_choice": gettext_lazy("Choose the new date."),
        },
    )


def cancellation_message(cancellation: OrderCancellation) -> str:
    message = ngettext(
        "Order %(code)s cancelled: %(count)d seat freed.",
        "Order %(code)s cancelled: %(count)d seats freed.",
        cancellation.seats_freed,
    ) % {"code": cancellation.order.code, "count": cancellation.seats_freed}
    if cancellation.kept_started:
        message += " " + ngettext(
            "%(count)d registration in a session that has started was kept.",
            "%(count)d registrations in sessions that have started were kept.",
            cancellation.kept_started,
        ) % {"count": cancellation.kept_started}
    if cancellation.order.status == Order.Status.PAID:
        message += " " + _(
            "Nothing was refunded: use Refund on the order (by default %(amount)s, the "
            "administrative fees kept)."
        ) % {"amount": format_cents(cancellation.refund_default_cents)}
    return message


@admin.register(Order)
class OrderAdmin(admin.ModelAdmin):
    list_display = (
        "code",
        "trainee_display",
        "status",
        "payment_method",
        "total",
        "created_at",
        "flagged",
    )
    list_filter = ("status", "payment_method", ("flagged_reason", admin.EmptyFieldListFilter))
    search_fields = ("code", "trainee__email", "trainee__trainee_profile__legal_name")
    list_select_related = ("trainee__trainee_profile", "trainee__account_closure")
    fieldsets = (
        (None, {"fields": ("code", "trainee_display", "status", "payment_method", "bundle")}),
        (gettext_lazy("Money"), {"fields": ("total", "refunded", "refundable")}),
        (
            gettext_lazy("Dates"),
            {"fields": ("created_at", "expires_at", "paid_at", "closed_at")},
        ),
        (None, {"fields": ("flagged_reason",)}),
        (
            gettext_lazy("Stripe"),
            {
                "classes": ("collapse",),
                "fields": (
                    "stripe_checkout_session_id",
                    "stripe_payment_intent_id",
                    "stripe_checkout_url",
                ),
            },
        ),
    )
    readonly_fields = [
        *(f.name for f in Order._meta.fields),
        "trainee_display",
        "total",
        "refunded",
        "refundable",
    ]
    inlines = (OrderLineInline, PaymentInline, RefundInline, LogEntryInline)
    actions = ("mark_offline_payment_received", "cancel_orders", "refund_order")

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def get_urls(self):
        view = self.admin_site.admin_view
        return [
            path("manual/", view(self.manual_registration_view), name="registration_order_manual"),
            path(
                "<path:object_id>/refund/",
                view(self.refund_view),
                name="registration_order_refund",
            ),
            path(
                "<path:object_id>/cancel/",
                view(self.cancel_view),
                name="registration_order_cancel",
            ),
            path(
                "<path:object_id>/payment-mismatch/",
                view(self.payment_mismatch_view),
                name="registration_order_payment_mismatch",
            ),
            *super().get_urls(),
        ]

    def change_view(self, request, object_id, form_url="", extra_context=None):
        # A record, not a form: every change goes through the actions and their services.
        order = self.get_object(request, unquote(object_id))
        extra_context = {
            "show_save": False,
            "show_save_and_continue": False,
            "show_save_and_add_another": False,
            "payment_mismatch": order is not None and payment_mismatch_open(order=order),
            **(extra_context or {}),
        }
        return super().change_view(request, object_id, form_url, extra_context)

    def save_model(self, request, obj, form, change):
        """Every field is read-only: saving the page must not write a stale order back."""

    def changelist_view(self, request, extra_context=None):
        extra_context = {
            "can_register_manually": self.has_change_permission(request),
            **(extra_context or {}),
        }
        return super().changelist_view(request, extra_context)

    @admin.display(description=gettext_lazy("trainee"), ordering="trainee__email")
    def trainee_display(self, order: Order) -> str:
        profile = getattr(order.trainee, "trainee_profile", None)
        shown = order.trainee.email
        if profile is not None:
            shown = f"{profile.legal_name} <{shown}>"
        if hasattr(order.trainee, "account_closure"):
            shown += " · " + _("account closed")
        return shown

    total = money("total_cents", gettext_lazy("total"))
    refunded = money("refunded_cents", gettext_lazy("refunded"))

    @admin.display(description=gettext_lazy("flagged"), boolean=True)
    def flagged(self, order: Order) -> bool:
        return bool(order.flagged_reason)

    @admin.display(description=gettext_lazy("can still be refunded"))
    def refundable(self, order: Order) -> str:
        return format_cents(order.refundable_cents)

    def _order_or_404(self, request, object_id) -> Order:
        order = self.get_object(request, unquote(object_id))
        if order is None:
            raise Http404
        if not self.has_change_permission(request, order):
            raise PermissionDenied
        return order

    def _context(self, request, title: str, **extra) -> dict:
        return {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": title,
            **extra,
        }

    @admin.action(description=gettext_lazy("Mark offline payment received"), permissions=["change"])
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

    @admin.action(description=gettext_lazy("Cancel and free the seats…"), permissions=["change"])
    def cancel_orders(self, request, queryset):
        """Ask for confirmation and a reason first, as Django's "delete selected" does."""
        orders = list(queryset.select_related("trainee"))
        form = CancelForm(request.POST if request.POST.get("confirm") else None)
        if form.is_valid():
            self._cancel(request, orders, form.cleaned_data["reason"])
            return None
        return self._cancel_page(request, orders, form, action="cancel_orders")

    def cancel_view(self, request, object_id):
        order = self._order_or_404(request, object_id)
        form = CancelForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            self._cancel(request, [order], form.cleaned_data["reason"])
            return redirect("admin:registration_order_change", order.pk)
        return self._cancel_page(request, [order], form, action=None)

    def _cancel_page(self, request, orders, form, *, action):
        enrolments = (
            Enrolment.objects.filter(
                order_line__order__in=orders,
                status__in=(Enrolment.Status.HELD, Enrolment.Status.CONFIRMED),
            )
            .select_related("session__offering", "order_line")
            .order_by("pk")
        )
        by_order = {order.pk: [] for order in orders}
        for enrolment in enrolments:
            by_order[enrolment.order_line.order_id].append(enrolment)
        return TemplateResponse(
            request,
            f"{TEMPLATES}/cancel.html",
            self._context(
                request,
                _("Cancel orders and free their seats"),
                rows=[(order, by_order[order.pk]) for order in orders],
                form=form,
                action=action,
                action_checkbox_name=admin.helpers.ACTION_CHECKBOX_NAME,
            ),
        )

    def _cancel(self, request, orders, reason: str) -> None:
        for order in orders:
            try:
                cancellation = order_cancel_by_staff(
                    order=order, by=request.user, now=timezone.now(), reason=reason
                )
            except (StaffActionRefused, OrderStateError) as error:
                self.message_user(request, str(error), messages.ERROR)
            else:
                self.message_user(request, cancellation_message(cancellation), messages.SUCCESS)

    @admin.action(description=gettext_lazy("Refund…"), permissions=["change"])
    def refund_order(self, request, queryset):
        orders = list(queryset[:2])
        if len(orders) != 1:
            self.message_user(request, _("Refund one order at a time."), messages.ERROR)
            return None
        return redirect("admin:registration_order_refund", orders[0].pk)

    def refund_view(self, request, object_id):
        order = self._order_or_404(request, object_id)
        if request.method == "POST":
            form = RefundForm(request.POST, order=order)
            if form.is_valid():
                try:
                    refund = order_refund_by_staff(
                        order=order,
                        order_line=form.cleaned_data["order_line"],
                        amount_cents=form.cleaned_data["amount"],
                        reason=form.cleaned_data["reason"],
                        by=request.user,
                        refunded_cents_seen=form.cleaned_data["refunded_cents_seen"],
                    )
                except (StaffActionRefused, PaymentUnavailable) as error:
                    self.message_user(request, str(error), messages.ERROR)
                    return redirect("admin:registration_order_refund", order.pk)
                self.message_user(
                    request,
                    _("%(amount)s refunded on order %(code)s (%(status)s).")
                    % {
                        "amount": format_cents(refund.amount_cents),
                        "code": order.code,
                        "status": refund.get_status_display(),
                    },
                    messages.SUCCESS,
                )
                return redirect("admin:registration_order_change", order.pk)
        else:
            form = RefundForm(
                order=order,
                initial={
                    "amount": refund_default_cents(order=order),
                    "refunded_cents_seen": order.refunded_cents,
                },
            )
        return TemplateResponse(
            request,
            f"{TEMPLATES}/refund.html",
            self._context(
                request,
                _("Refund order %(code)s") % {"code": order.code},
                order=order,
                original=order,
                lines=order.lines.all(),
                refundable=format_cents(order.refundable_cents),
                form=form,
            ),
        )

    def payment_mismatch_view(self, request, object_id):
        """A card payment that did not match its order: refund it, cancel the order."""
        order = self._order_or_404(request, object_id)
        if request.method == "POST":
            try:
                refund = payment_mismatch_refund(order=order, by=request.user, now=timezone.now())
            except (OrderStateError, PaymentUnavailable) as error:
                self.message_user(request, str(error), messages.ERROR)
            else:
                self.message_user(
                    request,
                    _(
                        "%(amount)s refunded on order %(code)s, which is cancelled; the "
                        "trainee is told by email."
                    )
                    % {"amount": format_cents(refund.amount_cents), "code": order.code},
                    messages.SUCCESS,
                )
            return redirect("admin:registration_order_change", order.pk)
        return TemplateResponse(
            request,
            f"{TEMPLATES}/payment_mismatch.html",
            self._context(
                request,
                _("Refund the payment of order %(code)s") % {"code": order.code},
                order=order,
                original=order,
            ),
        )

    def manual_registration_view(self, request):
        if not self.has_change_permission(request):
            raise PermissionDenied
        now = timezone.now()
        form = ManualRegistrationForm(request.POST or None, now=now)
        if request.method == "POST" and form.is_valid():
            try:
                order = registration_manual(
                    trainee=form.cleaned_data["trainee"],
                    session=form.cleaned_data["session"],
                    price_cents=form.cleaned_data["price"],
                    credit_type=form.cleaned_data["credit_type"],
                    by=request.user,
                    now=now,
                )
            except StaffActionRefused as error:
                self.message_user(request, str(error), messages.ERROR)
            else:
                self.message_user(
                    request,
                    _(
                        "%(email)s registered for %(session)s: order %(code)s (%(method)s, %(price)s)."
                    )
                    % {
                        "email": order.trainee.email,
                        "session": form.cleaned_data["session"],
                        "code": order.code,
                        "method": order.get_payment_method_display(),
                        "price": format_cents(order.total_cents),
                    },
                    messages.SUCCESS,
                )
                return redirect("admin:registration_order_change", order.pk)
        return TemplateResponse(
            request,
            f"{TEMPLATES}/manual_registration.html",
            self._context(request, _("Add a manual or complimentary registration"), form=form),
        )


@admin.register(Enrolment)
class EnrolmentAdmin(admin.ModelAdmin):
    list_display = ("trainee", "session", "status", "credit_type", "attendance")
    list_filter = ("status", "attendance", "session__offering")
    search_fields = ("trainee__email", "trainee__trainee_profile__legal_name")
    list_select_related = ("trainee", "session__offering", "credit_type")
    readonly_fields = [*(f.name for f in Enrolment._meta.fields), "transfer_link"]
    actions = ("transfer_to_another_date",)

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def get_urls(self):
        return [
            path(
                "<path:object_id>/transfer/",
                self.admin_site.admin_view(self.transfer_view),
                name="registration_enrolment_transfer",
            ),
            *super().get_urls(),
        ]

    @admin.display(description=gettext_lazy("transfer"))
    def transfer_link(self, enrolment: Enrolment) -> str:
        if enrolment.status != Enrolment.Status.CONFIRMED:
            return "—"
        return format_html(
            '<a href="{}">{}</a>',
            reverse("admin:registration_enrolment_transfer", args=[enrolment.pk]),
            _("Transfer to another date of the same offering…"),
        )

    @admin.action(
        description=gettext_lazy("Transfer to another date of the same offering…"),
        permissions=["change"],
    )
    def transfer_to_another_date(self, request, queryset):
        enrolments = list(queryset[:2])
        if len(enrolments) != 1:
            self.message_user(request, _("Transfer one registration at a time."), messages.ERROR)
            return None
        return redirect("admin:registration_enrolment_transfer", enrolments[0].pk)

    def transfer_view(self, request, object_id):
        enrolment = self.get_object(request, unquote(object_id))
        if enrolment is None:
            raise Http404
        if not self.has_change_permission(request, enrolment):
            raise PermissionDenied
        now = timezone.now()
        if request.method == "POST":
            form = TransferForm(request.POST)
            if not form.is_valid():
                self.message_user(request, _("Choose the new date."), messages.ERROR)
                return HttpResponseRedirect(request.path)
            old_when = enrolment.session.when
            try:
                transferred = enrolment_transfer_by_staff(
                    enrolment=enrolment,
                    to_session=form.cleaned_data["session"],
                    by=request.user,
                    now=now,
                )
            except StaffActionRefused as error:
                self.message_user(request, str(error), messages.ERROR)
                return HttpResponseRedirect(request.path)
            self.message_user(
                request,
                _("%(trainee)s transferred from %(old)s to %(new)s.")
                % {
                    "trainee": enrolment.trainee.email,
                    "old": old_when,
                    "new": transferred.session.when,
                },
                messages.SUCCESS,
            )
            if transferred.order_line_id:
                return redirect("admin:registration_order_change", transferred.order_line.order_id)
            return redirect("admin:registration_enrolment_change", transferred.pk)
        return TemplateResponse(
            request,
            f"{TEMPLATES}/enrolment_transfer.html",
            {
                **self.admin_site.each_context(request),
                "opts": self.opts,
                "title": _("Transfer a registration to another date"),
                "enrolment": enrolment,
                "original": enrolment,
                "transferable": enrolment.status == Enrolment.Status.CONFIRMED,
                "targets": transfer_targets(enrolment=enrolment, now=now),
            },
        )


@admin.register(TraineeProfile)
class TraineeProfileAdmin(admin.ModelAdmin):
    list_display = (
        "legal_name",
        "user",
        "profession",
        "license_number",
        "license_state",
        "account_closed",
    )
    list_filter = ("profession", "license_state")
    search_fields = ("legal_name", "user__email", "license_number")
    list_select_related = ("user__account_closure",)

    def has_delete_permission(self, request, obj=None):
        # Rosters kept four years read the legal name and license from here.
        return False

    @admin.display(description=gettext_lazy("account closed"), boolean=True)
    def account_closed(self, profile: TraineeProfile) -> bool:
        return hasattr(profile.user, "account_closure")


@admin.register(PrerequisiteWaiver)
class PrerequisiteWaiverAdmin(admin.ModelAdmin):
    list_display = ("trainee", "offering", "reason", "granted_by", "granted_at")
    list_select_related = ("trainee", "offering", "granted_by")
    search_fields = ("trainee__email", "trainee__trainee_profile__legal_name")
    autocomplete_fields = ("offering",)
    raw_id_fields = ("trainee",)
    readonly_fields = ("granted_by", "granted_at")

    def get_readonly_fields(self, request, obj=None):
        # A waiver is a record of a decision: revoke it (delete) rather than rewrite it.
        if obj is not None:
            return ("trainee", "offering", "reason", "granted_by", "granted_at")
        return self.readonly_fields

    def save_model(self, request, obj, form, change):
        if change:
            return
        waiver = waiver_grant(
            trainee=form.cleaned_data["trainee"],
            offering=form.cleaned_data["offering"],
            reason=form.cleaned_data["reason"],
            by=request.user,
        )
        obj.pk, obj.granted_by, obj.granted_at = waiver.pk, waiver.granted_by, waiver.granted_at
