"""Closed accounts in Django admin: who closed their account and when, with the records kept
for them (read only: the trainee closes their own account, nobody reopens it here)."""

from django.contrib import admin
from django.db.models import Count
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy

from polaris.admin import ReadOnlyAdminMixin

from ..models import AccountClosure
from ..selectors import profile_of


@admin.register(AccountClosure)
class AccountClosureAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("legal_name", "license", "closed_at", "orders", "certificates")
    list_select_related = ("user__trainee_profile",)
    search_fields = (
        "user__trainee_profile__legal_name",
        "user__trainee_profile__license_number",
        "user__email",
    )
    date_hierarchy = "closed_at"
    fields = ("legal_name", "license", "account", "closed_at", "orders", "certificates")
    readonly_fields = fields

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .annotate(
                order_count=Count("user__orders", distinct=True),
                certificate_count=Count("user__certificates", distinct=True),
            )
        )

    @admin.display(
        description=gettext_lazy("legal name"), ordering="user__trainee_profile__legal_name"
    )
    def legal_name(self, closure: AccountClosure) -> str:
        profile = profile_of(closure.user)
        return profile.legal_name if profile else "—"

    @admin.display(description=gettext_lazy("license"))
    def license(self, closure: AccountClosure) -> str:
        profile = profile_of(closure.user)
        if profile is None:
            return "—"
        return " · ".join(p for p in (profile.license_number, profile.license_state) if p) or "—"

    @admin.display(description=gettext_lazy("account"))
    def account(self, closure: AccountClosure) -> str:
        return closure.user.email

    @admin.display(description=gettext_lazy("orders kept"))
    def orders(self, closure: AccountClosure) -> str:
        url = reverse("admin:registration_order_changelist")
        return format_html('<a href="{}?q={}">{}</a>', url, closure.user.email, closure.order_count)

    @admin.display(description=gettext_lazy("certificates kept"))
    def certificates(self, closure: AccountClosure) -> str:
        url = reverse("admin:certificates_certificate_changelist")
        return format_html(
            '<a href="{}?q={}">{}</a>', url, closure.user.email, closure.certificate_count
        )
