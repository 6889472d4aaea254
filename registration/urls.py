from django.urls import path

from . import views, views_account, views_contact, views_gated

app_name = "registration"

urlpatterns = [
    path("my/", views.my_trainings, name="my_trainings"),
    path("account/profile/", views.profile, name="profile"),
    path("account/close/", views_account.account_close, name="account_close"),
    path("cart/", views.cart, name="cart"),
    path("cart/add/", views.cart_add, name="cart_add"),
    path("cart/items/<int:item_id>/remove/", views.cart_remove, name="cart_remove"),
    path("cart/items/<int:item_id>/ce/", views.cart_ce, name="cart_ce"),
    path("cart/ce/", views.cart_ce_everywhere, name="cart_ce_everywhere"),
    path("cart/checkout/", views.checkout, name="checkout"),
    path("checkout/success/", views.checkout_success, name="checkout_success"),
    path("programs/<slug:slug>/choose/", views.bundle_choose, name="bundle_choose"),
    path("orders/<str:code>/", views.order_detail, name="order"),
    path("orders/<str:code>/pay/", views.order_pay, name="order_pay"),
    path("orders/<str:code>/cancel/", views.order_cancel, name="order_cancel"),
    path("orders/<str:code>/cart/", views.order_to_cart, name="order_to_cart"),
    path("enrolments/<int:pk>/cancel/", views.enrolment_cancel, name="enrolment_cancel"),
    path("enrolments/<int:pk>/move/", views.enrolment_move, name="enrolment_move"),
    path("sessions/<int:session_id>/waitlist/", views.waitlist_join, name="waitlist_join"),
    path("waitlist/<int:entry_id>/leave/", views.waitlist_leave, name="waitlist_leave"),
    path("waitlist/<int:entry_id>/accept/", views.waitlist_accept, name="waitlist_accept"),
    path("waitlist/take/<str:token>/", views.waitlist_take, name="waitlist_take"),
    path("invitations/<str:token>/", views_gated.invitation, name="invitation"),
    path("intake/", views_gated.intake, name="intake"),
    path("intake/withdraw/", views_gated.intake_withdraw, name="intake_withdraw"),
    path("staff/intakes/", views_gated.intake_review_list, name="intake_review_list"),
    path("staff/intakes/<int:pk>/", views_gated.intake_review, name="intake_review"),
    path("trainings/<slug:slug>/interest/", views_gated.interest_signup, name="interest"),
    path("interest/confirm/<str:token>/", views_gated.interest_confirm, name="interest_confirm"),
    path(
        "interest/unsubscribe/<str:token>/",
        views_gated.interest_unsubscribe,
        name="interest_unsubscribe",
    ),
    path("contact/", views_contact.contact, name="contact"),
    path("contact/<slug:topic>/", views_contact.contact_topic, name="contact_topic"),
    path("stripe/webhook/", views.stripe_webhook, name="stripe_webhook"),
]
