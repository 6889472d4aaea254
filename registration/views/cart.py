"""The cart: add and remove sessions, choose CE per item or everywhere, choose a program's dates."""

from dataclasses import dataclass

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST, require_safe

from catalog import selectors as catalog_selectors
from catalog.models import CreditType, Session

from .. import rules
from ..forms import BundleForm, CheckoutForm
from ..models import CartItem
from ..selectors import (
    credit_type_facts,
    profile_of,
    trainee_facts,
)
from ..services import cart as cart_services
from ..services import orders as order_services
from ..services import payments


@dataclass(frozen=True)
class CeChoice:
    code: str
    name: str
    credits_label: str
    fee_cents: int
    allowed: bool
    notice: str
    reason: str


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
    return cart_render(request)


def cart_render(request: HttpRequest, *, ce_errors: dict[int, str] | None = None) -> HttpResponse:
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
            return cart_render(request, ce_errors={item.pk: _("That CE option does not exist.")})
    try:
        cart_services.cart_set_ce(
            trainee=request.user,
            item_id=item.pk,
            credit_type=credit_type,
            notice_acknowledged=request.POST.get(f"item{item.pk}-acknowledge_notice") == "on",
            now=timezone.now(),
        )
    except cart_services.CartError as error:
        return cart_render(request, ce_errors={item.pk: str(error)})
    return redirect(f"{reverse('registration:cart')}#item-{item.pk}")


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
