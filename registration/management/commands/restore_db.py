"""`manage.py restore_db <file> --database-url <url>`: restore a backup_db file (pg_restore)."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError, CommandParser

from polaris.backups import BackupError, database_from_url, database_restore


class Command(BaseCommand):
    help = (
        "Restore a backup made by backup_db into the PostgreSQL database at --database-url "
        "(which must exist), replacing the tables it holds, in one transaction. Stop the site "
        "and its workers first. See docs/operations.md."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", type=Path, help="A .dump file made by backup_db.")
        parser.add_argument(
            "--database-url",
            required=True,
            help=(
                "The database to restore into, e.g. postgres://user@host:5432/name; named "
                "explicitly so that no restore overwrites a database by default."
            ),
        )

    def handle(self, *args, file: Path, database_url: str, **options) -> None:
        try:
            db = database_from_url(database_url)
            database_restore(file=file, db=db)
        except BackupError as error:
            raise CommandError(str(error)) from error
        self.stdout.write(f"Restored {file} into the database {db['NAME']}.")
