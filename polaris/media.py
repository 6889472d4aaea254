"""Files written under MEDIA_ROOT before the site kept them in shared storage (the database or
STORAGE_URL), moved there under the same names, so that the rows that name them find them on
every host. Used by the media_import command."""

import logging
from dataclasses import dataclass, field
from pathlib import Path

from django.core.files import File
from django.core.files.storage import FileSystemStorage, Storage

logger = logging.getLogger(__name__)


class MediaImportError(Exception):
    """The import can't run; the message says why, for the operator."""


@dataclass
class MediaImport:
    imported: list[str] = field(default_factory=list)
    already_stored: list[str] = field(default_factory=list)
    conflicts: list[str] = field(default_factory=list)  # stored under the name, different bytes
    bytes_imported: int = 0


def _same(storage: Storage, name: str, data: bytes) -> bool:
    with storage.open(name, "rb") as stored:
        return stored.read() == data


def media_import(*, source: Path, storage: Storage, keep: bool = False) -> MediaImport:
    """Store every file under `source` in `storage` under its path relative to `source`, then
    remove the local copy (unless `keep`). A file already stored with the same bytes is only
    removed; one stored with other bytes is left where it is and reported: the stored one is
    what the site has been using. Running it again imports what is left, nothing twice."""
    if isinstance(storage, FileSystemStorage) and Path(storage.location).resolve() == (
        source.resolve()
    ):
        raise MediaImportError(
            f"The site's storage is {source} itself: nothing to import. Unset the file-system "
            "storage (leave STORAGE_URL unset to use the database) first."
        )
    if not source.is_dir():
        raise MediaImportError(f"No directory at {source}.")
    report = MediaImport()
    for path in sorted(p for p in source.rglob("*") if p.is_file() and not p.is_symlink()):
        name = path.relative_to(source).as_posix()
        data = path.read_bytes()
        if storage.exists(name):
            if not _same(storage, name, data):
                report.conflicts.append(name)
                continue
            report.already_stored.append(name)
        else:
            with path.open("rb") as local:
                stored = storage.save(name, File(local, name=name))
            if stored != name:  # another process stored this name meanwhile
                storage.delete(stored)
                report.conflicts.append(name)
                continue
            report.imported.append(name)
            report.bytes_imported += len(data)
        if not keep:
            path.unlink()
    if not keep:
        for directory in sorted((p for p in source.rglob("*") if p.is_dir()), reverse=True):
            if not any(directory.iterdir()):
                directory.rmdir()
    return report
