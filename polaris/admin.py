"""The admin site: Django's, with the coordinator's dashboard on its index page (handed over by
the app that owns its reads: polaris imports no app), lookups only on what each admin declares, and its sign-in handed on to django-allauth's steps (the
authenticator code); and the read-only pieces shared by the apps' admins."""

from collections.abc import Callable
from typing import Any

from allauth.account.adapter import get_adapter as get_account_adapter
from allauth.account.app_settings import EmailVerificationMethod
from allauth.account.internal.flows.login import perform_password_login
from allauth.account.models import Login
from django.contrib import admin
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth import REDIRECT_FIELD_NAME
from django.contrib.auth.views import LoginView
from django.http import HttpRequest, HttpResponseRedirect
from django.urls import reverse
from django.utils.decorators import method_decorator
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache

from .admin_lookups import AllowListedLookups


class StaffAuthenticationForm(AdminAuthenticationForm):
    """The admin's username and password, checked by allauth's adapter so that the same
    failed sign-in limits apply here as on the site's sign-in page."""

    def clean(self):
        username = self.cleaned_data.get("username")
        password = self.cleaned_data.get("password")
        if username is not None and password:
            self.user_cache = get_account_adapter(self.request).authenticate(
                self.request, username=username, password=password
            )
            if self.user_cache is None:
                raise self.get_invalid_login_error()
            self.confirm_login_allowed(self.user_cache)
        return self.cleaned_data


class StaffLoginView(LoginView):
    """Django's admin sign-in, except that a right password does not sign in by itself: the
    sign-in goes on through allauth's steps, as on the site's sign-in page, so staff with an
    authenticator enter its code before the admin opens."""

    def form_valid(self, form):
        user = form.get_user()
        login = Login(
            user=user,
            # Staff made with createsuperuser have no confirmed address; the admin never
            # asked for one, and the authenticator code is the second check.
            email_verification=EmailVerificationMethod.NONE,
            redirect_url=self.get_success_url(),
        )
        return perform_password_login(self.request, {"username": user.get_username()}, login)


class PolarisAdminSite(admin.AdminSite):
    site_header = "Polaris Trainings"
    site_title = "Polaris Trainings admin"
    index_title = "Training coordination"
    index_template = "admin/polaris_index.html"
    login_form = StaffAuthenticationForm

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._dashboard: Callable[[HttpRequest], Any] | None = None

    def dashboard_register(self, dashboard: Callable[[HttpRequest], Any]) -> None:
        """What the index page shows as `dashboard`: `dashboard(request)`, or nothing when it
        returns None. Registered by the app that owns the dashboard's reads, in its
        AppConfig.ready() (registration.dashboard)."""
        self._dashboard = dashboard

    @method_decorator(never_cache)
    def login(self, request, extra_context=None):
        """Django's AdminSite.login, with StaffLoginView in place of Django's LoginView."""
        if request.method == "GET" and self.has_permission(request):
            return HttpResponseRedirect(reverse("admin:index", current_app=self.name))
        context = {
            **self.each_context(request),
            "title": _("Log in"),
            "subtitle": None,
            "app_path": request.get_full_path(),
            "username": request.user.get_username(),
        }
        if REDIRECT_FIELD_NAME not in request.GET and REDIRECT_FIELD_NAME not in request.POST:
            context[REDIRECT_FIELD_NAME] = reverse("admin:index", current_app=self.name)
        context.update(extra_context or {})
        request.current_app = self.name
        return StaffLoginView.as_view(
            extra_context=context,
            authentication_form=self.login_form,
            template_name=self.login_template or "admin/login.html",
        )(request)

    def register(self, model_or_iterable, admin_class=None, **options):
        """Every admin, ours or another app's, filters only on what it declares."""
        admin_class = admin_class or admin.ModelAdmin
        if not issubclass(admin_class, AllowListedLookups):
            admin_class = type(
                admin_class.__name__,
                (AllowListedLookups, admin_class),
                {"__module__": admin_class.__module__, "__qualname__": admin_class.__qualname__},
            )
        super().register(model_or_iterable, admin_class, **options)

    def index(self, request, extra_context=None):
        context = dict(extra_context or {})
        dashboard = self._dashboard(request) if self._dashboard is not None else None
        if dashboard is not None:
            context["dashboard"] = dashboard
        return super().index(request, context)


# The largest id a PostgreSQL bigint holds.
MAX_ID = 2**63 - 1


def id_param(value: str | None) -> int | None:
    """The id a query parameter names ("12"), or None for anything else ("²", "-1", "1e3",
    twenty-five digits): admin pages that read one ignore a malformed one."""
    if value and value.isascii() and value.isdigit() and int(value) <= MAX_ID:
        return int(value)
    return None


class ReadOnlyAdminMixin:
    """Records kept for the archive: shown in the admin, never added, changed or deleted there."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class ActionsOnlyAdminMixin:
    """Records staff change only through their list's actions (retry, revoke…): never added or
    deleted in the admin, and each one's own page read only, whoever looks. The actions need
    the change permission, so the list keeps it."""

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        if obj is not None:
            return False
        return super().has_change_permission(request)


class ReadOnlyInline(ReadOnlyAdminMixin, admin.TabularInline):
    extra = 0
    can_delete = False
