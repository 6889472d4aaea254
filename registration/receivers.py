"""What django-allauth tells the site about accounts: an address confirmed or a password
reset lets the next such email go at once (registration.services.flood)."""

from allauth.account.models import EmailAddress
from allauth.account.signals import email_confirmed, password_reset
from django.dispatch import receiver

from .models import AddressEmail
from .services.flood import address_email_release


@receiver(email_confirmed, dispatch_uid="registration.address_confirmed")
def _address_confirmed(sender, request, email_address, **kwargs) -> None:
    address_email_release(purpose=AddressEmail.Purpose.ACCOUNT, emails=[email_address.email])


@receiver(password_reset, dispatch_uid="registration.password_reset_done")
def _password_reset_done(sender, request, user, **kwargs) -> None:
    emails = [user.email, *EmailAddress.objects.filter(user=user).values_list("email", flat=True)]
    address_email_release(purpose=AddressEmail.Purpose.PASSWORD_RESET, emails=emails)
