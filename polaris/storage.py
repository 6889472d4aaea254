"""Where the site keeps files: static files (whitenoise), and the files it stores itself
(certificate PDFs, signature images, the center's logo) in a table of the database, which
every web and worker host shares, unless STORAGE_URL points at S3-compatible storage
(polaris.storage_url).

Static files: whitenoise's compressed, hashed storage once collectstatic has run. Before that
(tests, a first `make run`) names are served as they are.
"""

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import Storage
from django.db import IntegrityError, transaction
from django.utils.deconstruct import deconstructible
from django.utils.encoding import filepath_to_uri
from whitenoise.storage import CompressedManifestStaticFilesStorage


class StaticFilesStorage(CompressedManifestStaticFilesStorage):
    manifest_strict = False

    def stored_name(self, name: str) -> str:
        if not self.hashed_files:
            return name
        try:
            return super().stored_name(name)
        except ValueError:
            # A file added since the last collectstatic (a checkout that ran `make bench` or
            # `make serve` before pulling): linked by its own name rather than failing the page.
            return name


def _stored_files():
    # Django builds the storages while it loads the apps, before models may be imported.
    from .models import StoredFile  # noqa: PLC0415

    return StoredFile.objects


@deconstructible
class DatabaseStorage(Storage):
    """Files as rows of polaris.StoredFile: written in the caller's transaction, read by any
    host, and in every backup_db. A name is never overwritten: a second file under a name
    taken gets a name of its own, as on a file system (two workers racing to keep the same
    certificate's PDF each store theirs; the loser deletes its own)."""

    def __init__(self, base_url: str | None = None):
        self._base_url = base_url

    @property
    def base_url(self) -> str:
        return self._base_url if self._base_url is not None else settings.MEDIA_URL

    def _open(self, name: str, mode: str = "rb") -> ContentFile:
        if any(flag in mode for flag in "wa+"):
            raise ValueError("Files in the database are written with save(), not open().")
        content = _stored_files().filter(name=name).values_list("content", flat=True).first()
        if content is None:
            raise FileNotFoundError(f"No stored file named {name!r}.")
        return ContentFile(bytes(content), name=name)

    def _save(self, name: str, content) -> str:
        if hasattr(content, "seek") and getattr(content, "seekable", lambda: True)():
            content.seek(0)
        data = content.read()
        if isinstance(data, str):
            data = data.encode()
        while True:
            try:
                with transaction.atomic():
                    _stored_files().create(name=name, content=data, size=len(data))
                return name
            except IntegrityError:
                if not self.exists(name):
                    raise
                name = self.get_available_name(name)

    def delete(self, name: str) -> None:
        _stored_files().filter(name=name).delete()

    def exists(self, name: str) -> bool:
        return _stored_files().filter(name=name).exists()

    def size(self, name: str) -> int:
        size = _stored_files().filter(name=name).values_list("size", flat=True).first()
        if size is None:
            raise FileNotFoundError(f"No stored file named {name!r}.")
        return size

    def url(self, name: str) -> str:
        return self.base_url + filepath_to_uri(name)

    def listdir(self, path: str) -> tuple[list[str], list[str]]:
        prefix = path.strip("/") + "/" if path.strip("/") else ""
        directories, files = set(), []
        names = _stored_files().filter(name__startswith=prefix).values_list("name", flat=True)
        for name in names:
            head, _slash, tail = name[len(prefix) :].partition("/")
            if tail:
                directories.add(head)
            else:
                files.append(head)
        return sorted(directories), sorted(files)

    def _created(self, name: str):
        created = _stored_files().filter(name=name).values_list("created_at", flat=True).first()
        if created is None:
            raise FileNotFoundError(f"No stored file named {name!r}.")
        return created

    def get_created_time(self, name: str):
        return self._created(name)

    def get_modified_time(self, name: str):
        return self._created(name)  # a stored file is never rewritten
