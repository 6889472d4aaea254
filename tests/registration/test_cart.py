"""The cart and its quote: sessions from the offering pages, CE by license, the full training."""

import re

import pytest

from registration.models import CartItem, Order, TraineeProfile
from tests.factories import UserFactory
from tests.registration.flows import bundle_choice

from .flows import (
    add_to_cart,
    assert_ce_refused,
    cart_item,
    cart_page,
    choose_ce,
    element,
    offering_page,
    place_order,
    session_of,
    text,
)

pytestmark = pytest.mark.usefixtures("catalog", "before_season")

NEVADA_NOTICE = (
    "LCSWs and MFTs from states other than California need to check with their state "
    "licensing board for approval."
)


def test_register_button_on_the_offering_page_puts_the_session_in_the_cart(signed_in, trainee):
    module_1 = session_of("module-1", 6)
    row = element(offering_page(signed_in, "module-1"), f"session-{module_1.pk}")
    form = re.search(r'<form method="post" action="([^"]+)">.*?name="session" value="(\d+)"', row)
    assert form and form[2] == str(module_1.pk)

    response = signed_in.post(form[1], {"session": form[2]})

    assert response.status_code == 302 and response["Location"] == "/cart/"
    page = text(cart_page(signed_in))
    assert "Introductory Workshop on Ketamine-Assisted Psychotherapy" in page
    assert "Mon, Jun 21, 2027 · 9:00 AM – 5:00 PM PT" in page


def test_adding_another_date_of_the_same_offering_replaces_the_first(signed_in, trainee):
    add_to_cart(signed_in, session_of("module-1", 6))
    add_to_cart(signed_in, session_of("module-1", 10))

    assert list(CartItem.objects.filter(trainee=trainee).values_list("session", flat=True)) == [
        session_of("module-1", 10).pk
    ]
    item = CartItem.objects.get(trainee=trainee)
    assert "Mon, Oct 18, 2027" in text(element(cart_page(signed_in), f"item-{item.pk}"))


def test_lmft_licensed_in_california_buys_apa_ce(
    client, make_trainee, django_capture_on_commit_callbacks
):
    lmft = make_trainee(profession="lmft", state="CA")
    client.force_login(lmft)
    add_to_cart(client, session_of("module-1", 6))
    item = cart_item(lmft, session_of("module-1", 6))

    choose_ce(client, item, "apa")

    page = cart_page(client)
    assert 'value="apa" checked' in element(page, f"item-{item.pk}")
    assert NEVADA_NOTICE not in text(page)
    place_order(client, django_capture_on_commit_callbacks, "offline")
    line = Order.objects.get(trainee=lmft).lines.get()
    assert (line.credit_type.code, line.ce_fee_cents) == ("apa", 7900)


def test_lmft_licensed_in_nevada_must_acknowledge_the_board_notice_before_ordering(
    client, make_trainee, django_capture_on_commit_callbacks
):
    lmft = make_trainee(profession="lmft", state="NV")
    client.force_login(lmft)
    add_to_cart(client, session_of("module-1", 6))
    item = cart_item(lmft, session_of("module-1", 6))
    assert NEVADA_NOTICE in text(element(cart_page(client), f"item-{item.pk}"))

    choose_ce(client, item, "apa")

    section = text(element(cart_page(client), f"item-{item.pk}"))
    assert f"Cannot register: {NEVADA_NOTICE}" in section
    assert "Place order" not in text(cart_page(client))
    place_order(client, django_capture_on_commit_callbacks, "offline")
    assert not Order.objects.filter(trainee=lmft).exists()

    choose_ce(client, item, "apa", acknowledge=True)

    assert "Cannot register" not in text(cart_page(client))
    place_order(client, django_capture_on_commit_callbacks, "offline")
    assert Order.objects.get(trainee=lmft).lines.get().credit_type.code == "apa"


def test_nurse_buys_brn_ce_and_not_apa(client, make_trainee, django_capture_on_commit_callbacks):
    nurse = make_trainee(profession="rn", state="CA")
    client.force_login(nurse)
    add_to_cart(client, session_of("module-1", 6))
    item = cart_item(nurse, session_of("module-1", 6))
    section = element(cart_page(client), f"item-{item.pk}")
    assert re.search(r'value="apa"[^>]*disabled', section)
    assert "Your license (RN) cannot use APA CE." in text(section)

    choose_ce(client, item, "brn")

    place_order(client, django_capture_on_commit_callbacks, "offline")
    line = Order.objects.get(trainee=nurse).lines.get()
    assert (line.credit_type.code, line.ce_fee_cents) == ("brn", 7900)


def test_physician_is_told_of_the_certificate_of_attendance_and_ce_is_refused(client, make_trainee):
    physician = make_trainee(profession="md", state="CA")
    client.force_login(physician)
    add_to_cart(client, session_of("module-1", 6))
    item = cart_item(physician, session_of("module-1", 6))
    assert "you will receive a Certificate of Attendance" in text(cart_page(client))

    for code in ("apa", "brn"):
        response = choose_ce(client, item, code)

        assert_ce_refused(response, item, "Your license (MD) cannot use")


def test_trainee_with_an_incomplete_profile_cannot_buy_ce(client, make_trainee):
    trainee = make_trainee(profession="psychologist")
    TraineeProfile.objects.filter(user=trainee).update(license_number="")
    client.force_login(trainee)
    add_to_cart(client, session_of("module-1", 6))
    item = cart_item(trainee, session_of("module-1", 6))
    section = element(cart_page(client), f"item-{item.pk}")
    assert re.search(r'value="apa"[^>]*disabled', section)
    assert "Please complete your profile" in text(section)

    response = choose_ce(client, item, "apa")

    assert_ce_refused(response, item, "Please complete your profile")


def test_trainee_without_a_profile_cannot_buy_ce(client, make_trainee):
    trainee = UserFactory()
    client.force_login(trainee)
    add_to_cart(client, session_of("module-1", 6))
    item = cart_item(trainee, session_of("module-1", 6))

    response = choose_ce(client, item, "apa")

    assert_ce_refused(response, item, "complete your profile")


def quote_rows(page: str) -> dict[str, str]:
    table = element(page, "quote-title")  # the heading; the table follows it in the card
    card = page[page.index(table) :]
    return {
        text(label): text(amount)
        for label, amount in re.findall(
            r'<th scope="row">(.*?)</th><td class="text-end">(.*?)</td>', card
        )
    }


def test_quote_itemises_tuition_administrative_fee_ce_and_total(signed_in, trainee):
    add_to_cart(signed_in, session_of("module-1", 6))
    add_to_cart(signed_in, session_of("module-7", 8))
    add_to_cart(signed_in, session_of("music-module", 7))
    choose_ce(signed_in, cart_item(trainee, session_of("module-1", 6)), "apa")
    choose_ce(signed_in, cart_item(trainee, session_of("music-module", 7)), "apa")

    rows = quote_rows(cart_page(signed_in))

    assert rows["Tuition"] == "$850"  # 325 + 325 + 200
    assert rows["Administrative fees"] == "$50"
    assert rows["CE credit"] == "$118"  # 79 + 39
    assert rows["Total"] == "$1,018"


def test_full_training_page_shows_the_bundle_price_beside_the_a_la_carte_total(signed_in):
    page = text(signed_in.get("/programs/full-training/choose/"))

    assert "The full training costs $2,550" in page
    assert "the same modules bought one by one: $2,400" in page


def test_full_training_with_seven_dates_is_quoted_at_the_bundle_price(
    signed_in, trainee, django_capture_on_commit_callbacks
):
    response = signed_in.post("/programs/full-training/choose/", bundle_choice())

    assert response.status_code == 302 and response["Location"] == "/cart/"
    page = cart_page(signed_in)
    assert quote_rows(page)["Total"] == "$2,550"
    assert "the same modules bought one by one cost $2,400" in text(page)
    assert "Cannot register" not in text(page)
    place_order(signed_in, django_capture_on_commit_callbacks, "offline")
    order = Order.objects.get(trainee=trainee)
    assert order.total_cents == 255000
    assert order.lines.count() == 7
    assert sum(line.total_cents for line in order.lines.all()) == 255000


def test_removing_an_item_empties_the_cart(signed_in, trainee):
    add_to_cart(signed_in, session_of("module-1", 6))
    item = cart_item(trainee, session_of("module-1", 6))

    signed_in.post(f"/cart/items/{item.pk}/remove/")

    assert "Your cart is empty." in text(cart_page(signed_in))


def test_changing_the_date_of_a_bundle_module_keeps_the_bundle(signed_in, trainee):
    signed_in.post("/programs/full-training/choose/", bundle_choice())

    add_to_cart(signed_in, session_of("module-1", 10))

    assert CartItem.objects.filter(trainee=trainee, bundle__slug="full-training").count() == 7
    assert quote_rows(cart_page(signed_in))["Total"] == "$2,550"


def test_removing_a_module_of_the_bundle_prices_the_others_one_by_one(signed_in, trainee):
    signed_in.post("/programs/full-training/choose/", bundle_choice())
    module_7 = cart_item(trainee, session_of("module-7", 8))

    response = signed_in.post(f"/cart/items/{module_7.pk}/remove/", follow=True)

    assert "the sessions left in your cart are now priced one by one" in text(response)
    assert not CartItem.objects.filter(trainee=trainee, bundle__isnull=False).exists()
    page = cart_page(signed_in)
    assert quote_rows(page)["Total"] == "$2,050"  # five modules at $350 and Module 5 at $300
    assert "Cannot register" not in text(page)


# --------------------------------------------------------------------------------------
# CE for every module of the full training in one step
# --------------------------------------------------------------------------------------


def test_a_psychologist_adds_apa_ce_to_every_module_of_the_full_training_in_one_step(
    signed_in, trainee
):
    signed_in.post("/programs/full-training/choose/", bundle_choice())
    page = text(cart_page(signed_in))
    assert "CE for every module Add APA CE to every module 7 trainings, $553 in all" in page
    assert "Add California BRN CE to every module" not in page

    response = signed_in.post("/cart/ce/", {"credit_type": "apa"}, follow=True)

    assert "APA CE is added to each of your 7 trainings." in text(response)
    assert {item.credit_type.code for item in trainee.cart_items.all()} == {"apa"}
    assert trainee.cart_items.count() == 7
    page = cart_page(signed_in)
    assert quote_rows(page)["CE credit"] == "$553"
    assert quote_rows(page)["Total"] == "$3,103"
    assert "APA CE is chosen for all 7 trainings that offer it." in text(page)


def test_a_nurse_is_offered_brn_ce_for_every_module(client, make_trainee):
    nurse = make_trainee(profession="rn", state="CA")
    client.force_login(nurse)
    client.post("/programs/full-training/choose/", bundle_choice())

    assert "Add California BRN CE to every module" in text(cart_page(client))

    client.post("/cart/ce/", {"credit_type": "brn"})

    assert {item.credit_type.code for item in nurse.cart_items.all()} == {"brn"}


def test_ce_the_license_cannot_use_is_refused_for_every_module_and_nothing_changes(
    signed_in, trainee
):
    signed_in.post("/programs/full-training/choose/", bundle_choice())

    response = signed_in.post("/cart/ce/", {"credit_type": "brn"}, follow=True)
    unknown = signed_in.post("/cart/ce/", {"credit_type": "nope\x00"}, follow=True)

    assert response.status_code == 200 and "alert-danger" in response.content.decode()
    assert "That CE option does not exist." in text(unknown)
    assert not trainee.cart_items.filter(credit_type__isnull=False).exists()
