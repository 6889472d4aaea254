"""Static files: whitenoise's compressed, hashed storage once collectstatic has run.

Before that (tests, a first `make run`) names are served as they are.
"""

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
