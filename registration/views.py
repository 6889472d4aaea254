"""Registration pages: profile, cart, checkout, orders, My trainings, waitlists, the Stripe
webhook. Each view parses the request, calls a service, and renders or redirects."""

from dataclasses import dataclass

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST, require_safe

from catalog import selectors as catalog_selectors
from catalog.formatting import format_cents
from catalog.models import CreditType, Session
from certificates.selectors import trainee_has_ce_certificates

from . import rules
from .forms import BundleForm, CheckoutForm, MoveForm, ProfileForm
from .models import CartItem, Enrolment, Order, WaitlistEntry
from .selectors import (
    cart_has_items,
    credit_type_facts,
    profile_of,
    trainee_facts,
    trainee_orders,
)
from .selectors import my_trainings as my_trainings_of
from .services import cart as cart_services
from .services import enrolments as enrolment_services
from .services import orders as order_services
from .services import payments, waitlist
from .services.exceptions import (
    EnrolmentError,
    OrderRefused,
    OrderStateError,
    ProfileRequired,
    WaitlistError,
)


@dataclass(frozen=True)
class CeChoice:
    code: str
    name: str
    credits_label: str
    fee_cents: int
    allowed: bool
    notice: str
    reason: str


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
    return render(
        request,
        "registration/my_trainings.html",
        {
            "trainings": trainings,
            "orders": trainings.orders,
            "waitlist": list(offers),
            "profile": profile_of(request.user),
            "now": now,
            "has_ce_certificates": trainee_has_ce_certificates(trainee=request.user),
        },
    )


@login_required
def profile(request: HttpRequest) -> HttpResponse:
    instance = profile_of(request.user)
    form = ProfileForm(request.POST or None, instance=instance)
    if request.method == "POST" and form.is_valid():
        saved = form.save(commit=False)
        saved.user = request.user
        saved.save()
        messages.success(request, _("Your profile was saved."))
        # Back where the trainee came from; else to what they have started, never to an
        # empty cart.
        return redirect(
            _safe_next(request)
            or (
                "registration:cart"
                if cart_has_items(trainee=request.user)
                else "registration:my_trainings"
            )
        )
    return render(
        request, "registration/profile.html", {"form": form}, status=400 if form.errors else 200
    )


def _safe_next(request: HttpRequest) -> str:
    """The `next` address if it stays on this site; never an open redirect."""
    target = request.GET.get("next", "")
    if url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return ""


def _ce_choices(*, item: CartItem, options: dict[str, rules.CeOption]) -> list[CeChoice]:
    choices = []
    for credit in item.offering.credits.all():
        option = options.get(credit.credit_type.code)
        choices.append(
            CeChoice(
                code=credit.credit_type.code,
                name=credit.credit_type.name,
                credits_label=f"{credit.credits.normalize():f} {credit.credit_type.unit}",
                fee_cents=credit.fee_cents,
                allowed=bool(option and option.allowed),
                notice=option.notice if option else "",
                reason=option.reason if option else "",
            )
        )
    return choices


@dataclass(frozen=True)
class CeEverywhere:
    """A credit type the trainee may buy that several items of the cart carry: chosen for
    all of them in one step."""

    code: str
    name: str
    items: int
    fee_cents: int
    notice: str
    chosen_everywhere: bool


def _ce_everywhere(rows: list[dict]) -> list[CeEverywhere]:
    offers = []
    codes = dict.fromkeys(c.code for row in rows for c in row["ce_choices"] if c.allowed)
    for code in codes:
        pairs = [
            (row["item"], choice)
            for row in rows
            for choice in row["ce_choices"]
            if choice.code == code and choice.allowed
        ]
        if len(pairs) < 2:
            continue
        first = pairs[0][1]
        offers.append(
            CeEverywhere(
                code=code,
                name=first.name,
                items=len(pairs),
                fee_cents=sum(choice.fee_cents for _item, choice in pairs),
                notice=first.notice,
                chosen_everywhere=all(
                    item.credit_type is not None and item.credit_type.code == code
                    for item, _choice in pairs
                ),
            )
        )
    return offers


@require_safe
@login_required
def cart(request: HttpRequest) -> HttpResponse:
    return _cart_page(request)


def _cart_page(request: HttpRequest, *, ce_errors: dict[int, str] | None = None) -> HttpResponse:
    """The cart; `ce_errors` (by item id) come from a refused CE choice, shown by that item."""
    ce_errors = ce_errors or {}
    now = timezone.now()
    summary = order_services.cart_summary(trainee=request.user, now=now)
    facts = trainee_facts(trainee=request.user, now=now)
    credit_types = list(CreditType.objects.all())
    options = {
        option.code: option
        for option in rules.ce_options(
            trainee=facts, credit_types=[credit_type_facts(c) for c in credit_types]
        )
    }
    rows = []
    for item in summary.items:
        rows.append(
            {
                "item": item,
                "refusals": summary.check.refusals(item.session_id),
                "warnings": summary.check.warnings(item.session_id),
                "ce_choices": _ce_choices(item=item, options=options),
                "ce_error": ce_errors.get(item.pk, ""),
            }
        )
    return render(
        request,
        "registration/cart.html",
        {
            "rows": rows,
            "ce_everywhere": _ce_everywhere(rows),
            "ce_errors": [row for row in rows if row["ce_error"]],
            "summary": summary,
            "general": summary.check.general,
            "checkout_form": CheckoutForm(
                stripe_enabled=payments.stripe_enabled(), staff=request.user.is_staff
            ),
            "profile": profile_of(request.user),
            "no_ce_for_license": facts.profession is not None
            and not any(o.allowed for o in options.values()),
        },
        status=400 if ce_errors else 200,
    )


@require_POST
@login_required
def cart_add(request: HttpRequest) -> HttpResponse:
    try:
        session_id = int(request.POST.get("session", ""))
    except ValueError:
        return HttpResponseBadRequest(_("Choose a session."))
    session = get_object_or_404(Session.objects.select_related("offering"), pk=session_id)
    try:
        cart_services.cart_add(trainee=request.user, session=session, now=timezone.now())
    except cart_services.CartError as error:
        messages.error(request, str(error))
        return redirect(session.offering.get_absolute_url())
    messages.success(request, _("%(session)s is in your cart.") % {"session": session})
    return redirect("registration:cart")


@require_POST
@login_required
def cart_remove(request: HttpRequest, item_id: int) -> HttpResponse:
    if cart_services.cart_remove(trainee=request.user, item_id=item_id):
        messages.info(
            request,
            _(
                "A bundle's price needs all of its trainings, so the sessions left in your cart "
                "are now priced one by one."
            ),
        )
    return redirect("registration:cart")


@require_POST
@login_required
def cart_ce_everywhere(request: HttpRequest) -> HttpResponse:
    """One credit type for every item of the cart that carries it, in one step."""
    code = request.POST.get("credit_type", "")
    credit_type = None if "\x00" in code else CreditType.objects.filter(code=code).first()
    if credit_type is None:
        messages.error(request, _("That CE option does not exist."))
        return redirect("registration:cart")
    try:
        count = cart_services.cart_set_ce_everywhere(
            trainee=request.user,
            credit_type=credit_type,
            notice_acknowledged=request.POST.get("acknowledge_notice") == "on",
            now=timezone.now(),
        )
    except cart_services.CartError as error:
        messages.error(request, str(error))
        return redirect("registration:cart")
    messages.success(
        request,
        ngettext(
            "%(credit)s is added to %(count)d training.",
            "%(credit)s is added to each of your %(count)d trainings.",
            count,
        )
        % {"credit": credit_type.name, "count": count},
    )
    return redirect("registration:cart")


@require_POST
@login_required
def cart_ce(request: HttpRequest, item_id: int) -> HttpResponse:
    item = get_object_or_404(CartItem, trainee=request.user, pk=item_id)
    code = request.POST.get(f"item{item.pk}-credit_type", "")
    credit_type = None
    if code:
        # PostgreSQL cannot even compare text holding a NUL byte; no code has one.
        credit_type = None if "\x00" in code else CreditType.objects.filter(code=code).first()
        if credit_type is None:
            return _cart_page(request, ce_errors={item.pk: _("That CE option does not exist.")})
    try:
        cart_services.cart_set_ce(
            trainee=request.user,
            item_id=item.pk,
            credit_type=credit_type,
            notice_acknowledged=request.POST.get(f"item{item.pk}-acknowledge_notice") == "on",
            now=timezone.now(),
        )
    except cart_services.CartError as error:
        return _cart_page(request, ce_errors={item.pk: str(error)})
    return redirect(f"{reverse('registration:cart')}#item-{item.pk}")


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
            "can_move": bool(enrolment_services.transfer_targets(enrolment=enrolment, now=now)),
        },
    )


@login_required
def enrolment_move(request: HttpRequest, pk: int) -> HttpResponse:
    enrolment = _own_enrolment(request, pk)
    now = timezone.now()
    targets = enrolment_services.transfer_targets(enrolment=enrolment, now=now)
    form = MoveForm(request.POST or None, sessions=targets)
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
        "registration/enrolment_move.html",
        {"enrolment": enrolment, "form": form, "targets": targets},
        status=400 if form.errors else 200,
    )


@require_POST
@login_required
def waitlist_join(request: HttpRequest, session_id: int) -> HttpResponse:
    session = get_object_or_404(Session.objects.select_related("offering"), pk=session_id)
    try:
        waitlist.waitlist_join(trainee=request.user, session=session, now=timezone.now())
    except WaitlistError as error:
        messages.error(request, str(error))
    else:
        messages.success(
            request,
            _("You are on the waitlist for %(session)s. We will email you if a seat opens.")
            % {"session": session},
        )
    return redirect(session.offering.get_absolute_url())


@require_POST
@login_required
def waitlist_leave(request: HttpRequest, entry_id: int) -> HttpResponse:
    entry = get_object_or_404(WaitlistEntry, pk=entry_id, trainee=request.user)
    waitlist.waitlist_leave(entry=entry, now=timezone.now())
    messages.success(request, _("You have left the waitlist."))
    return redirect("registration:my_trainings")


@require_POST
@login_required
def waitlist_accept(request: HttpRequest, entry_id: int) -> HttpResponse:
    entry = get_object_or_404(
        WaitlistEntry.objects.select_related("session__offering"), pk=entry_id, trainee=request.user
    )
    try:
        waitlist.waitlist_accept(entry=entry, now=timezone.now())
    except WaitlistError as error:
        messages.error(request, str(error))
        return redirect("registration:my_trainings")
    messages.success(
        request, _("The seat is in your cart: complete your order before the offer ends.")
    )
    return redirect("registration:cart")


@login_required
def waitlist_take(request: HttpRequest, token: str) -> HttpResponse:
    """The offer email's "Take the seat" link: a page that says what is held and until when,
    whose button puts the seat in the cart (a GET changes nothing: mail scanners open links)."""
    now = timezone.now()
    try:
        entry = waitlist.waitlist_offer_by_token(token=token, trainee=request.user)
    except WaitlistError as error:
        return render(
            request, "registration/waitlist_take.html", {"problem": str(error)}, status=404
        )
    if request.method == "POST":
        try:
            waitlist.waitlist_take_by_link(entry=entry, now=now)
        except WaitlistError as error:
            messages.error(request, str(error))
            return redirect("registration:waitlist_take", token=token)
        messages.success(
            request, _("The seat is in your cart: complete your order before the offer ends.")
        )
        return redirect("registration:cart")
    problem = waitlist.waitlist_offer_link_problem(entry=entry, now=now)
    return render(
        request,
        "registration/waitlist_take.html",
        {"entry": entry, "problem": problem},
        status=410 if problem else 200,
    )


@login_required
def bundle_choose(request: HttpRequest, slug: str) -> HttpResponse:
    now = timezone.now()
    bundle = catalog_selectors.bundle_detail(slug=slug, now=now)
    form = BundleForm(
        request.POST or None,
        bundle=bundle,
        notes=cart_services.bundle_date_notes(trainee=request.user, bundle=bundle, now=now),
    )
    if request.method == "POST" and form.is_valid():
        sessions = list(
            Session.objects.select_related("offering").filter(pk__in=form.chosen_session_ids())
        )
        try:
            cart_services.cart_choose_bundle(
                trainee=request.user, bundle=bundle, sessions=sessions, now=now
            )
        except cart_services.BundleDatesRefused as refused:
            for offering_id, problem in refused.problems.items():
                form.add_error(f"offering_{offering_id}", problem)
        except cart_services.CartError as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, _("%(bundle)s is in your cart.") % {"bundle": bundle.title})
            return redirect("registration:cart")
    return render(
        request,
        "registration/bundle_choose.html",
        {
            "bundle": bundle,
            "form": form,
            "a_la_carte_cents": catalog_selectors.bundle_a_la_carte_cents(bundle),
        },
        status=400 if form.errors else 200,
    )


@csrf_exempt
@require_POST
def stripe_webhook(request: HttpRequest) -> HttpResponse:
    """Stripe's events: verified on the raw body, stored by id, acted on once."""
    if not payments.stripe_enabled() or not request.headers.get("Stripe-Signature"):
        return HttpResponseBadRequest("missing signature")
    try:
        outcome = payments.webhook_handle(
            payload=request.body, signature=request.headers["Stripe-Signature"]
        )
    except payments.WebhookRejected:
        return HttpResponseBadRequest("invalid signature")
    return HttpResponse(outcome, content_type="text/plain")
