"""Accounts in Django admin: closed accounts, who closed them and when, with the records kept
for them (read only: the trainee closes their own account, nobody reopens it here); and the
second factors, which a superuser can remove for someone who lost theirs."""

from allauth.mfa.models import Authenticator
from django.contrib import admin, messages
from django.db.models import Count
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy

from polaris.admin import ReadOnlyAdminMixin

from ..models import AccountClosure
from ..selectors import profile_of
from ..services.accounts import second_factor_remove


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


# allauth's own admin shows the authenticators' secrets; this one never does.
admin.site.unregister(Authenticator)


@admin.register(Authenticator)
class AuthenticatorAdmin(admin.ModelAdmin):
    """Who has which second factor, and when it was last used. Deleting one removes all of
    that account's (its recovery codes too): at the next sign-in they set up a new one."""

    list_display = ("user", "type", "created_at", "last_used_at")
    list_filter = ("type",)
    list_select_related = ("user",)
    search_fields = ("user__username", "user__email")
    fields = ("user", "type", "created_at", "last_used_at")
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return request.user.is_superuser

    def delete_model(self, request, obj):
        second_factor_remove(user=obj.user, by=request.user.get_username())

    def delete_queryset(self, request, queryset):
        for user in {authenticator.user for authenticator in queryset.select_related("user")}:
            second_factor_remove(user=user, by=request.user.get_username())
        messages.info(
            request, gettext_lazy("They set up a new authenticator at their next sign-in.")
        )
