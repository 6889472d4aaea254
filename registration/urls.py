from django.urls import path

from .views import account, cart, enrolments, gated, inquiries, orders, waitlist, webhooks

app_name = "registration"

urlpatterns = [
    path("my/", enrolments.my_trainings, name="my_trainings"),
    path("account/profile/", account.profile, name="profile"),
    path("account/close/", account.account_close, name="account_close"),
    path("cart/", cart.cart, name="cart"),
    path("cart/add/", cart.cart_add, name="cart_add"),
    path("cart/items/<int:item_id>/remove/", cart.cart_remove, name="cart_remove"),
    path("cart/items/<int:item_id>/ce/", cart.cart_ce, name="cart_ce"),
    path("cart/ce/", cart.cart_ce_everywhere, name="cart_ce_everywhere"),
    path("cart/checkout/", orders.checkout, name="checkout"),
    path("checkout/success/", orders.checkout_success, name="checkout_success"),
    path("programs/<slug:slug>/choose/", cart.bundle_choose, name="bundle_choose"),
    path("orders/<str:code>/", orders.order_detail, name="order"),
    path("orders/<str:code>/pay/", orders.order_pay, name="order_pay"),
    path("orders/<str:code>/cancel/", orders.order_cancel, name="order_cancel"),
    path("orders/<str:code>/cart/", orders.order_to_cart, name="order_to_cart"),
    path("enrolments/<int:pk>/cancel/", enrolments.enrolment_cancel, name="enrolment_cancel"),
    path("enrolments/<int:pk>/transfer/", enrolments.enrolment_transfer, name="enrolment_transfer"),
    path("sessions/<int:session_id>/waitlist/", waitlist.waitlist_join, name="waitlist_join"),
    path("waitlist/<int:entry_id>/leave/", waitlist.waitlist_leave, name="waitlist_leave"),
    path("waitlist/<int:entry_id>/accept/", waitlist.waitlist_accept, name="waitlist_accept"),
    path("waitlist/take/<str:token>/", waitlist.waitlist_take, name="waitlist_take"),
    path("invitations/<str:token>/", gated.invitation, name="invitation"),
    path("intake/", gated.intake, name="intake"),
    path("intake/withdraw/", gated.intake_withdraw, name="intake_withdraw"),
    path("staff/intakes/", gated.intake_review_list, name="intake_review_list"),
    path("staff/intakes/<int:pk>/", gated.intake_review, name="intake_review"),
    path("trainings/<slug:slug>/interest/", gated.interest_signup, name="interest"),
    path("interest/confirm/<str:token>/", gated.interest_confirm, name="interest_confirm"),
    path(
        "interest/unsubscribe/<str:token>/",
        gated.interest_unsubscribe,
        name="interest_unsubscribe",
    ),
    path("contact/", inquiries.contact, name="contact"),
    path("contact/<slug:topic>/", inquiries.contact_topic, name="contact_topic"),
    path("stripe/webhook/", webhooks.stripe_webhook, name="stripe_webhook"),
]
