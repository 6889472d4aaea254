"""`manage.py load_catalog`: load (or reload) the customer's catalog from fixtures/catalog.toml."""

import tomllib
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from catalog.services import CatalogDataError, catalog_load_file

DEFAULT_PATH = Path("fixtures") / "catalog.toml"


class Command(BaseCommand):
    help = (
        "Create whatever of the training catalog is missing; with --update, also reset "
        "existing rows to what the file says. Running it again changes nothing."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--path",
            type=Path,
            default=None,
            help=f"Catalog file (default: {DEFAULT_PATH} in the project directory).",
        )
        parser.add_argument(
            "--update",
            action="store_true",
            help="Overwrite staff edits to rows the file names (sessions are never deleted).",
        )

    def handle(self, *args, path: Path | None = None, update: bool = False, **options) -> None:
        path = path or Path(settings.BASE_DIR) / DEFAULT_PATH
        try:
            report = catalog_load_file(path=path, update=update)
        except FileNotFoundError as error:
            raise CommandError(f"No catalog file at {path}.") from error
        except (tomllib.TOMLDecodeError, CatalogDataError) as error:
            raise CommandError(f"{path}: {error}") from error
        self.stdout.write(report.summary())
