"""Steps a trainee takes on the site, shared by the registration flow tests."""

import re
from html import unescape

from django.utils import timezone

from catalog.models import Offering, Session
from registration.models import CartItem, Order
from registration.services.cart import cart_add
from registration.services.orders import order_mark_paid_offline, order_place
from tests.factories import EnrolmentFactory


def text(html) -> str:
    """What a reader sees: tags dropped, entities decoded, whitespace collapsed."""
    if not isinstance(html, str):
        html = html.content.decode()
    html = re.sub(r"<(script|style)\b.*?</\1>", " ", html, flags=re.S)
    return re.sub(r"\s+", " ", unescape(re.sub(r"<[^>]+>", " ", html))).strip()


def element(html, element_id: str) -> str:
    """The HTML of the element with that id, up to its closing tag (same-name nesting aware)."""
    if not isinstance(html, str):
        html = html.content.decode()
    start = re.search(rf'<(\w+)[^>]*\bid="{re.escape(element_id)}"', html)
    assert start, f"no element #{element_id} on the page"
    tag = start[1]
    depth, position = 0, start.start()
    for match in re.finditer(rf"<(/?){tag}\b[^>]*>", html[position:]):
        depth += -1 if match[1] else 1
        if depth == 0:
            return html[position : position + match.end()]
    return html[position:]


def error_summary(response) -> str:
    """The text of the "There is a problem" summary at the top of a form."""
    match = re.search(r'class="error-summary\b.*?</ul>', response.content.decode(), flags=re.S)
    assert match, "no error summary on the page"
    return text(match[0])


def session_of(slug: str, month: int | None = None) -> Session:
    sessions = Session.objects.select_related("offering").filter(offering__slug=slug)
    if month is not None:
        sessions = sessions.filter(starts_at__month=month)
    return sessions.get()


def offering_page(client, slug: str) -> str:
    response = client.get(Offering.objects.get(slug=slug).get_absolute_url())
    assert response.status_code == 200
    return response.content.decode()


def seats_left_shown(client, session: Session) -> str:
    """The "Seats left" cell of the session's row on its offering page."""
    row = element(offering_page(client, session.offering.slug), f"session-{session.pk}")
    return text(re.findall(r"<td\b.*?</td>", row, flags=re.S)[2])


def add_to_cart(client, session: Session):
    response = client.post("/cart/add/", {"session": session.pk})
    assert response.status_code == 302, response.content
    return response


def cart_item(trainee, session: Session) -> CartItem:
    return CartItem.objects.get(trainee=trainee, session=session)


def choose_ce(client, item: CartItem, code: str, *, acknowledge: bool = False):
    data = {f"item{item.pk}-credit_type": code}
    if acknowledge:
        data[f"item{item.pk}-acknowledge_notice"] = "on"
    return client.post(f"/cart/items/{item.pk}/ce/", data, follow=True)


def assert_ce_refused(response, item: CartItem, reason: str) -> None:
    """The CE choice is refused by the item's CE field and in the summary; nothing changed."""
    assert response.status_code == 400
    assert reason in text(element(response, f"item{item.pk}-ce-error"))
    assert reason in error_summary(response)
    item.refresh_from_db()
    assert item.credit_type is None


def cart_page(client) -> str:
    response = client.get("/cart/")
    assert response.status_code == 200
    return response.content.decode()


def place_order(client, capture, method: str = "stripe", **extra):
    """Press "Place order"; on-commit work (emails) runs as it would after a real commit."""
    with capture(execute=True):
        return client.post("/cart/checkout/", {"payment_method": method, **extra})


def register(client, capture, *sessions: Session, method: str = "stripe", ce: str = ""):
    """Put the sessions in the cart (with CE if given) and place the order; returns it."""
    for session in sessions:
        add_to_cart(client, session)
        if ce:
            item = CartItem.objects.get(session=session, trainee_id=client.session["_auth_user_id"])
            choose_ce(client, item, ce)
    before = set(Order.objects.values_list("pk", flat=True))
    response = place_order(client, capture, method)
    assert response.status_code == 302, text(client.get("/cart/"))
    return Order.objects.exclude(pk__in=before).get()


def webhook(client, fake_stripe, capture, event_type: str, obj: dict, **event_fields):
    """Deliver one signed Stripe event to the app; returns the response."""
    event = fake_stripe.event(event_type, obj, **event_fields)
    payload, header = fake_stripe.signed(event)
    with capture(execute=True):
        return client.post(
            "/stripe/webhook/",
            payload,
            content_type="application/json",
            HTTP_STRIPE_SIGNATURE=header,
        )


def pay(client, fake_stripe, capture, order: Order, **complete_options):
    """The trainee pays on Stripe's page and Stripe sends checkout.session.completed."""
    session = fake_stripe.complete(order.stripe_checkout_session_id, **complete_options)
    response = webhook(client, fake_stripe, capture, "checkout.session.completed", session)
    assert response.status_code == 200, response.content
    order.refresh_from_db()
    return response


def paid_order(trainee, *sessions: Session, method: str = "offline") -> Order:
    """An order the trainee placed and paid earlier, made through the services staff use."""

    for session in sessions:
        cart_add(trainee=trainee, session=session, now=timezone.now())
    order = order_place(trainee=trainee, payment_method=method, now=timezone.now())
    return order_mark_paid_offline(order=order, by=None, now=timezone.now())


def fill(session: Session, *, leave: int = 0) -> None:
    """Other trainees take every seat of the session but `leave`."""

    session.capacity = session.enrolments.filter(status="confirmed").count() + 1 + leave
    session.save(update_fields=["capacity"])
    EnrolmentFactory(session=session)


# A session of each module of the full training, by month.
FULL_TRAINING = {
    "module-1": 6,
    "module-2": 7,
    "module-3": 8,
    "module-4": 10,
    "module-5": 9,
    "module-6": 7,
    "module-7": 8,
}


def bundle_choice(dates=FULL_TRAINING) -> dict[str, int]:
    """The bundle's choice form: one session of each of its offerings."""
    return {
        f"offering_{session.offering_id}": session.pk
        for session in (session_of(slug, month) for slug, month in dates.items())
    }
