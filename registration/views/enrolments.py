"""My trainings, and a trainee's own changes to a registration: cancel it, or transfer it to
another date of the same training."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_safe

from catalog.formatting import format_cents

from .. import signals
from ..forms import TransferForm
from ..models import Enrolment, WaitlistEntry
from ..selectors import my_trainings as my_trainings_of
from ..selectors import (
    profile_of,
)
from ..services import enrolments as enrolment_services
from ..services import payments
from ..services.exceptions import (
    EnrolmentError,
)


@require_safe
@login_required
def my_trainings(request: HttpRequest) -> HttpResponse:
    now = timezone.now()
    trainings = my_trainings_of(trainee=request.user, now=now)
    enrolment_services.enrolments_mark_cancellation(
        enrolments=[row.enrolment for row in trainings.upcoming], now=now
    )
    offers = WaitlistEntry.objects.filter(
        trainee=request.user,
        status__in=(WaitlistEntry.Status.WAITING, WaitlistEntry.Status.OFFERED),
    ).select_related("session__offering")
    context = {
        "trainings": trainings,
        "orders": trainings.orders,
        "waitlist": list(offers),
        "profile": profile_of(request.user),
        "now": now,
    }
    # What the apps above add (certificates: whether there is a CE transcript to download).
    for more in signals.answers(signals.my_trainings_shown, trainee=request.user):
        context.update(more)
    return render(request, "registration/my_trainings.html", context)


def _own_enrolment(request: HttpRequest, pk: int) -> Enrolment:
    return get_object_or_404(
        Enrolment.objects.select_related(
            "session__offering", "order_line__order", "order_line__credit_type"
        ),
        pk=pk,
        trainee=request.user,
    )


@login_required
def enrolment_cancel(request: HttpRequest, pk: int) -> HttpResponse:
    enrolment = _own_enrolment(request, pk)
    now = timezone.now()
    if request.method == "POST":
        try:
            refunded = enrolment_services.enrolment_cancel(
                enrolment=enrolment, by=request.user, now=now
            )
        except (EnrolmentError, payments.PaymentUnavailable) as error:
            messages.error(request, str(error))
            return redirect("registration:enrolment_cancel", pk=pk)
        messages.success(
            request,
            _("Your registration for %(session)s is cancelled; %(amount)s will be refunded.")
            % {"session": enrolment.session, "amount": format_cents(refunded)},
        )
        return redirect("registration:my_trainings")
    quote = enrolment_services.enrolment_refund_quote(enrolment=enrolment, now=now)
    return render(
        request,
        "registration/enrolment_cancel.html",
        {
            "enrolment": enrolment,
            "refund": quote,
            "can_transfer": bool(enrolment_services.transfer_targets(enrolment=enrolment, now=now)),
        },
    )


@login_required
def enrolment_transfer(request: HttpRequest, pk: int) -> HttpResponse:
    enrolment = _own_enrolment(request, pk)
    now = timezone.now()
    targets = enrolment_services.transfer_targets(enrolment=enrolment, now=now)
    form = TransferForm(request.POST or None, sessions=targets)
    if request.method == "POST" and form.is_valid():
        target = next(s for s in targets if s.pk == form.cleaned_data["session"])
        try:
            enrolment_services.enrolment_transfer(
                enrolment=enrolment, to_session=target, by=request.user, now=now
            )
        except EnrolmentError as error:
            form.add_error("session", str(error))
        else:
            messages.success(
                request, _("You are now registered for %(when)s.") % {"when": target.when}
            )
            return redirect("registration:my_trainings")
    return render(
        request,
        "registration/enrolment_transfer.html",
        {"enrolment": enrolment, "form": form, "targets": targets},
        status=400 if form.errors else 200,
    )
