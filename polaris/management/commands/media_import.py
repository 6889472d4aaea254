"""`manage.py media_import`: move the files under MEDIA_ROOT into the site's storage."""

from pathlib import Path

from django.conf import settings
from django.core.files.storage import default_storage
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.template.defaultfilters import filesizeformat

from polaris.media import MediaImportError, media_import


class Command(BaseCommand):
    help = (
        "Move the files under MEDIA_ROOT (certificate PDFs, signature images, the logo, from "
        "before the site kept them in the database or on STORAGE_URL) into the site's storage, "
        "under the same names, and remove the local copies. Safe to run again. See "
        "docs/operations.md."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--source",
            type=Path,
            default=None,
            help="The directory to import (default: MEDIA_ROOT).",
        )
        parser.add_argument(
            "--keep", action="store_true", help="Leave the local copies where they are."
        )

    def handle(self, *args, source: Path | None, keep: bool, **options) -> None:
        source = source or Path(settings.MEDIA_ROOT)
        try:
            report = media_import(source=source, storage=default_storage, keep=keep)
        except MediaImportError as error:
            raise CommandError(str(error)) from error
        backend = type(default_storage).__name__
        self.stdout.write(
            f"Imported {len(report.imported)} files "
            f"({filesizeformat(report.bytes_imported)}) from {source} into {backend}; "
            f"{len(report.already_stored)} were stored already."
        )
        if not keep:
            self.stdout.write("The local copies of the files stored are removed.")
        for name in report.conflicts:
            self.stderr.write(
                f"Left {name}: the storage holds a different file of that name (kept as it is)."
            )
        if report.conflicts:
            raise CommandError(f"{len(report.conflicts)} files left under {source}: see above.")
