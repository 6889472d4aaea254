"""`manage.py backup_db`: dump the PostgreSQL database into a timestamped file (pg_dump -Fc)."""

from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import DEFAULT_DB_ALIAS, connections
from django.utils import timezone

from polaris.backups import BackupError, database_backup, database_from_url


class Command(BaseCommand):
    help = (
        "Back up the PostgreSQL database with pg_dump, in its custom format, into a file "
        "named after the database and the UTC time; prints the file's path. Restore it with "
        "restore_db. See docs/operations.md."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--output",
            type=Path,
            default=None,
            help="Directory of the backups (default: var/backups/ in the project directory).",
        )
        parser.add_argument(
            "--database-url",
            default="",
            help="Back up this database instead of the site's (postgres://user@host:port/name).",
        )

    def handle(self, *args, output: Path | None, database_url: str, **options) -> None:
        directory = output or Path(settings.VAR_DIR) / "backups"
        try:
            db = (
                database_from_url(database_url)
                if database_url
                else connections[DEFAULT_DB_ALIAS].settings_dict
            )
            path = database_backup(db=db, directory=directory, now=timezone.now())
        except BackupError as error:
            raise CommandError(str(error)) from error
        self.stdout.write(str(path))
