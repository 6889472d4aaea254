"""`manage.py second_factor_remove <username or email>`: for a member of staff who lost the
phone with their authenticator app and their recovery codes (docs/operations.md)."""

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db.models import Q

from registration.services.accounts import second_factor_remove


class Command(BaseCommand):
    help = (
        "Remove the authenticator app, recovery codes and security keys of an account (by "
        "username or email address). Staff then set up a new authenticator at their next "
        "sign-in, before any staff page opens."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("account", help="The account's username or email address.")

    def handle(self, *args, account: str, **options) -> None:
        users = list(
            get_user_model().objects.filter(Q(username__iexact=account) | Q(email__iexact=account))[
                :2
            ]
        )
        if not users:
            raise CommandError(f"No account {account}: give its username or email address.")
        if len(users) > 1:
            raise CommandError(f"Several accounts match {account}: give the username.")
        (user,) = users
        removed = second_factor_remove(user=user, by="manage.py second_factor_remove")
        if removed:
            self.stdout.write(
                f"Removed the second factor of {user.get_username()} ({user.email}). "
                "They set up a new authenticator app at their next sign-in."
            )
        else:
            self.stdout.write(f"{user.get_username()} ({user.email}) had no second factor.")
