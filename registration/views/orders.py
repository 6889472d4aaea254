"""Checkout and orders: place the order, pay by card (Stripe Checkout), see, cancel or reopen it."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST, require_safe

from ..forms import CheckoutForm
from ..models import Order
from ..selectors import (
    trainee_orders,
)
from ..services import orders as order_services
from ..services import payments
from ..services.exceptions import (
    OrderRefused,
    OrderStateError,
    ProfileRequired,
)


@require_POST
@login_required
def checkout(request: HttpRequest) -> HttpResponse:
    form = CheckoutForm(
        request.POST, stripe_enabled=payments.stripe_enabled(), staff=request.user.is_staff
    )
    if not form.is_valid():
        messages.error(request, _("Choose how you will pay."))
        return redirect("registration:cart")
    now = timezone.now()
    try:
        order = order_services.order_place(
            trainee=request.user, payment_method=form.cleaned_data["payment_method"], now=now
        )
    except ProfileRequired as refused:
        messages.info(request, refused.message)
        return redirect(f"{reverse('registration:profile')}?next={reverse('registration:cart')}")
    except OrderRefused as refused:
        messages.error(request, refused.message)
        return redirect("registration:cart")
    if order.payment_method == Order.Method.STRIPE:
        try:
            url = payments.checkout_start(order=order, site_url=_site_url(request), now=now)
        except payments.PaymentUnavailable as error:
            messages.error(request, str(error))
            return redirect("registration:cart")
        except OrderStateError as error:
            messages.error(request, str(error))
            return redirect(order.get_absolute_url())
        return redirect(url)
    messages.success(
        request,
        _(
            "Order %(code)s is placed. Your seats are held until %(until)s while we wait for payment."
        )
        % {
            "code": order.code,
            "until": timezone.localtime(order.expires_at).strftime("%b %-d, %Y"),
        },
    )
    return redirect(order.get_absolute_url())


def _site_url(request: HttpRequest) -> str:
    return request.build_absolute_uri("/").rstrip("/")


@require_safe
@login_required
def checkout_success(request: HttpRequest) -> HttpResponse:
    session_id = request.GET.get("session_id", "")
    # PostgreSQL cannot even compare text holding a NUL byte; no session id has one.
    order = (
        None
        if "\x00" in session_id
        else Order.objects.filter(
            trainee=request.user, stripe_checkout_session_id=session_id
        ).first()
    )
    if not session_id or order is None:
        raise Http404(_("No payment matches that address."))
    if payments.stripe_enabled():
        try:
            order = (
                payments.checkout_fulfil(checkout_session_id=session_id, now=timezone.now())
                or order
            )
        except (payments.stripe.StripeError, payments.PaymentUnavailable):
            # The webhook completes what could not be done now.
            messages.info(
                request, _("Your payment is being confirmed; this page will show it shortly.")
            )
    return redirect(order.get_absolute_url())


@require_safe
@login_required
def order_detail(request: HttpRequest, code: str) -> HttpResponse:
    order = get_object_or_404(
        trainee_orders(trainee=request.user).prefetch_related("payments"), code=code
    )
    now = timezone.now()
    return render(
        request,
        "registration/order_detail.html",
        {"order": order, "can_pay_by_card": payments.checkout_possible(order=order, now=now)},
    )


@require_POST
@login_required
def order_pay(request: HttpRequest, code: str) -> HttpResponse:
    order = get_object_or_404(Order, trainee=request.user, code=code)
    try:
        url = payments.checkout_start(order=order, site_url=_site_url(request), now=timezone.now())
    except OrderStateError as error:
        messages.error(request, str(error))
        return redirect(order.get_absolute_url())
    except payments.PaymentUnavailable as error:
        messages.error(request, str(error))
        return redirect("registration:cart")
    return redirect(url)


@require_POST
@login_required
def order_cancel(request: HttpRequest, code: str) -> HttpResponse:
    order = get_object_or_404(Order, trainee=request.user, code=code)
    try:
        order_services.order_cancel(
            order=order, by=request.user, now=timezone.now(), reason=_("Cancelled by the trainee.")
        )
    except OrderStateError as error:
        messages.error(request, str(error))
    else:
        messages.success(
            request, _("Order %(code)s is cancelled and its seats released.") % {"code": order.code}
        )
    return redirect("registration:my_trainings")


@require_POST
@login_required
def order_to_cart(request: HttpRequest, code: str) -> HttpResponse:
    """Take an unpaid order back to the cart: it is cancelled, its items return to the cart."""
    order = get_object_or_404(Order, trainee=request.user, code=code)
    try:
        order_services.order_cancel(
            order=order,
            by=request.user,
            now=timezone.now(),
            reason=_("Taken back to the cart by the trainee."),
            restore_cart=True,
        )
    except OrderStateError as error:
        messages.error(request, str(error))
        return redirect(order.get_absolute_url())
    messages.success(
        request,
        _("Order %(code)s is cancelled and its trainings are back in your cart.")
        % {"code": order.code},
    )
    return redirect("registration:cart")
