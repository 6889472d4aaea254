"""Waitlists in Django admin, per session: the order of the list, the status of each offer,
and "offer a seat now" (after the coordinator raised a session's capacity, say)."""

from django.contrib import admin, messages
from django.db.models import Count, OuterRef, Q, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from catalog.formatting import PACIFIC, format_session_date
from catalog.models import Session
from polaris.admin import id_param

from ..models import WaitlistEntry
from ..services.exceptions import StaffActionRefused
from ..services.waitlist import waitlist_offer_now


def _moment(when) -> str:
    """A date and time in Pacific time, e.g. "Mon, Jun 21, 2027 9:00 AM PT"."""
    return f"{format_session_date(when)} {when.astimezone(PACIFIC).strftime('%-I:%M %p')} PT"


class SessionFilter(admin.SimpleListFilter):
    """Sessions that have a waitlist, with their offering, in one query."""

    title = gettext_lazy("session")
    parameter_name = "session"

    def lookups(self, request, model_admin):
        sessions = (
            Session.objects.filter(pk__in=WaitlistEntry.objects.values("session_id"))
            .select_related("offering")
            .order_by("starts_at", "pk")
        )
        return [(str(session.pk), str(session)) for session in sessions]

    def queryset(self, request, queryset):
        session_id = id_param(self.value())
        if session_id is not None:
            return queryset.filter(session_id=session_id)
        return queryset


@admin.register(WaitlistEntry)
class WaitlistEntryAdmin(admin.ModelAdmin):
    list_display = ("session", "position", "trainee_display", "offer_status", "created_at")
    list_display_links = ("trainee_display",)
    list_filter = (SessionFilter, "status")
    list_select_related = ("session__offering", "trainee__trainee_profile")
    search_fields = ("trainee__email", "trainee__trainee_profile__legal_name")
    ordering = ("session__starts_at", "session_id", "created_at", "pk")
    readonly_fields = [*(f.name for f in WaitlistEntry._meta.fields), "position", "offer_status"]
    actions = ("offer_seat_now",)

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def get_queryset(self, request):
        waiting_ahead = (
            WaitlistEntry.objects.filter(
                Q(created_at__lt=OuterRef("created_at"))
                | Q(created_at=OuterRef("created_at"), pk__lt=OuterRef("pk")),
                session_id=OuterRef("session_id"),
                status=WaitlistEntry.Status.WAITING,
            )
            .order_by()
            .values("session_id")
            .annotate(count=Count("pk"))
            .values("count")
        )
        return (
            super()
            .get_queryset(request)
            .annotate(waiting_ahead=Coalesce(Subquery(waiting_ahead), 0))
        )

    @admin.display(description=gettext_lazy("trainee"), ordering="trainee__email")
    def trainee_display(self, entry: WaitlistEntry) -> str:
        profile = getattr(entry.trainee, "trainee_profile", None)
        if profile is None:
            return entry.trainee.email
        return f"{profile.legal_name} <{entry.trainee.email}>"

    @admin.display(description=gettext_lazy("place in line"), ordering="created_at")
    def position(self, entry: WaitlistEntry) -> str:
        """Among the people still waiting: 1 is offered the next free seat."""
        if entry.status != WaitlistEntry.Status.WAITING:
            return "—"
        return str(entry.waiting_ahead + 1)

    @admin.display(description=gettext_lazy("offer"), ordering="status")
    def offer_status(self, entry: WaitlistEntry) -> str:
        if entry.status == WaitlistEntry.Status.OFFERED:
            if entry.offer_expires_at > timezone.now():
                return _("Seat offered until %(when)s") % {"when": _moment(entry.offer_expires_at)}
            return _("Offer expired %(when)s, passing to the next person") % {
                "when": _moment(entry.offer_expires_at)
            }
        if entry.status == WaitlistEntry.Status.EXPIRED and entry.offer_expires_at:
            return _("Offer expired %(when)s") % {"when": _moment(entry.offer_expires_at)}
        if entry.status == WaitlistEntry.Status.ACCEPTED and entry.offered_at:
            return _("Offer accepted (offered %(when)s)") % {"when": _moment(entry.offered_at)}
        return entry.get_status_display()

    @admin.action(description=gettext_lazy("Offer a seat now"), permissions=["change"])
    def offer_seat_now(self, request, queryset):
        """Offer each selected entry's session's free seats to the next people in line."""
        sessions = (
            Session.objects.filter(pk__in=queryset.values("session_id"))
            .select_related("offering")
            .order_by("starts_at", "pk")
        )
        offered = []
        for session in sessions:
            try:
                offered += waitlist_offer_now(session=session, now=timezone.now())
            except StaffActionRefused as error:
                self.message_user(request, str(error), messages.ERROR)
        if offered:
            self.message_user(
                request,
                ngettext(
                    "Seat offered to %(count)d trainee: %(emails)s.",
                    "Seat offered to %(count)d trainees: %(emails)s.",
                    len(offered),
                )
                % {
                    "count": len(offered),
                    "emails": ", ".join(entry.trainee.email for entry in offered),
                },
                messages.SUCCESS,
            )
