"""django-allauth's adapters: where its sign-in limits read the client's address, how often
its emails may go to an address someone typed (and that they go through the outbox), and how
its two-factor pages draw the QR code.
"""

import io
import logging

import segno
from allauth.account.adapter import DefaultAccountAdapter
from allauth.core import context as allauth_context
from allauth.mfa.adapter import DefaultMFAAdapter
from django.contrib.sites.shortcuts import get_current_site
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from catalog.models import SiteSettings
from polaris.ratelimit import client_address

from .models import AddressEmail
from .services.account_emails import account_email_queue
from .services.flood import address_email_take

logger = logging.getLogger(__name__)

# allauth's emails that go to an address typed into a form, by who is asking.
TYPED_ADDRESS_EMAILS = {
    "account/email/email_confirmation_signup": AddressEmail.Purpose.ACCOUNT,
    "account/email/email_confirmation": AddressEmail.Purpose.ACCOUNT,
    "account/email/account_already_exists": AddressEmail.Purpose.ACCOUNT,
    "account/email/password_reset_key": AddressEmail.Purpose.PASSWORD_RESET,
    "account/email/unknown_account": AddressEmail.Purpose.PASSWORD_RESET,
}


class AccountAdapter(DefaultAccountAdapter):
    def get_client_ip(self, request: HttpRequest) -> str:
        """The same address every other limit of the site uses (TRUSTED_PROXY_COUNT)."""
        return client_address(request)

    def send_mail(self, template_prefix: str, email: str, context: dict) -> None:
        """Sign-up confirmations, "you already have an account" and password reset emails go
        at most once a day to an address until it is confirmed (or the reset is done); the
        visitor's page is the same either way.

        Rendered here as allauth renders it (its templates, the request's links), and
        recorded in the outbox rather than sent: a mail server down or slow neither fails nor
        holds up sign-up or password reset, and the worker sends it once the server is back."""
        purpose = TYPED_ADDRESS_EMAILS.get(template_prefix)
        if purpose is not None and not address_email_take(
            purpose=purpose, email=email, now=timezone.now()
        ):
            logger.info("Not sent (one a day to a typed address): %s", template_prefix)
            return
        request = allauth_context.request
        message = self.render_mail(
            template_prefix,
            email,
            {"request": request, "email": email, "current_site": get_current_site(request)}
            | context,
        )
        account_email_queue(
            template_prefix=template_prefix,
            message=message,
            user_id=getattr(context.get("user"), "pk", None),
        )


class MFAAdapter(DefaultMFAAdapter):
    error_messages = {
        **DefaultMFAAdapter.error_messages,
        "incorrect_code": _(
            "That code is not right. Enter the 6-digit code your authenticator app shows "
            "now (or, to sign in, a recovery code you have not used yet)."
        ),
    }

    def get_totp_issuer(self) -> str:
        """The name the authenticator app shows above the codes."""
        return f"{SiteSettings.current().center_name} Trainings"

    def build_totp_svg(self, url: str) -> str:
        """The QR code for the authenticator app, drawn by segno (as on certificates): plain
        SVG shapes, shown through an <img> data: URL that the Content Security Policy allows."""
        out = io.BytesIO()
        segno.make(url, error="m").save(
            out, kind="svg", scale=5, border=4, xmldecl=False, dark="#000", light="#fff"
        )
        return out.getvalue().decode()
