"""Images staff upload to be printed on certificates (signatures, the center's logo): real PNG or
JPEG images of a sensible size, verified and re-encoded with Pillow before they are stored.

A file that only has an image's name (a text file called "signature.png", an SVG drawing, a
GIF) is refused with a message saying why, and nothing is stored. Re-encoding drops whatever
else the file carried (metadata, trailing bytes) and scales a large image down to what a
certificate prints, which keeps rendering fast.
"""

import hashlib
import io
import warnings

from django import forms
from django.core.files.base import ContentFile
from django.db import models
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext_lazy as _
from PIL import Image, ImageOps, UnidentifiedImageError

MAX_UPLOAD_BYTES = 5 * 1024 * 1024
MAX_PIXELS = 20_000_000
# A signature or a logo is printed a few inches wide at most: 1200 pixels is 300 dpi at 4 in.
LONGEST_SIDE = 1200
FORMATS = {"PNG": "png", "JPEG": "jpg"}


def _too_large(*, name: str, size: int) -> forms.ValidationError:
    return forms.ValidationError(
        _("“%(name)s” is %(size)s: an image of at most %(limit)s, please."),
        code="file_too_large",
        params={
            "name": name,
            "size": filesizeformat(size),
            "limit": filesizeformat(MAX_UPLOAD_BYTES),
        },
    )


def image_normalize(data: bytes, *, name: str) -> ContentFile:
    """The uploaded image re-encoded (PNG stays PNG, JPEG stays JPEG), named by its content;
    forms.ValidationError, saying why, when it is not a PNG or JPEG image within the limits."""
    if len(data) > MAX_UPLOAD_BYTES:
        raise _too_large(name=name, size=len(data))
    if b"<svg" in data[:2048].lower():
        raise forms.ValidationError(
            _("“%(name)s” is an SVG drawing: upload it as a PNG or JPEG image."),
            code="svg",
            params={"name": name},
        )
    not_an_image = forms.ValidationError(
        _("“%(name)s” is not a PNG or JPEG image."), code="not_an_image", params={"name": name}
    )
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as probe:
                kind, (width, height) = probe.format, probe.size
                if kind in FORMATS and width * height <= MAX_PIXELS:
                    probe.verify()
    except (UnidentifiedImageError, Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise not_an_image from None
    except (OSError, SyntaxError, ValueError):  # what Pillow raises for a damaged file
        raise not_an_image from None
    if kind not in FORMATS:
        raise forms.ValidationError(
            _("“%(name)s” is a %(kind)s image: only PNG and JPEG images are accepted."),
            code="format",
            params={"name": name, "kind": kind},
        )
    if width * height > MAX_PIXELS:
        raise forms.ValidationError(
            _(
                "“%(name)s” is %(width)s × %(height)s pixels: an image of at most "
                "%(megapixels)s megapixels, please."
            ),
            code="too_many_pixels",
            params={
                "name": name,
                "width": width,
                "height": height,
                "megapixels": MAX_PIXELS // 1_000_000,
            },
        )
    try:
        with Image.open(io.BytesIO(data)) as opened:
            opened.load()
            image = ImageOps.exif_transpose(opened)
    except (OSError, SyntaxError, ValueError):
        raise not_an_image from None
    image.thumbnail((LONGEST_SIDE, LONGEST_SIDE))
    encoded = io.BytesIO()
    if kind == "JPEG":
        if image.mode not in ("L", "RGB"):
            image = image.convert("RGB")
        image.save(encoded, "JPEG", quality=90, optimize=True)
    else:
        if image.mode not in ("1", "L", "LA", "P", "RGB", "RGBA"):
            image = image.convert("RGBA")
        image.save(encoded, "PNG", optimize=True)
    content = encoded.getvalue()
    digest = hashlib.sha256(content).hexdigest()[:20]
    return ContentFile(content, name=f"{digest}.{FORMATS[kind]}")


class CertificateImageFormField(forms.FileField):
    """An uploaded PNG or JPEG, cleaned into its re-encoded copy."""

    widget = forms.ClearableFileInput(attrs={"accept": "image/png,image/jpeg"})

    def to_python(self, data):
        upload = super().to_python(data)
        if upload is None:
            return None
        if upload.size is not None and upload.size > MAX_UPLOAD_BYTES:
            raise _too_large(name=upload.name, size=upload.size)
        upload.seek(0)
        return image_normalize(upload.read(MAX_UPLOAD_BYTES + 1), name=upload.name)


class CertificateImageField(models.FileField):
    """A stored image printed on certificates; its forms accept only real PNG or JPEG images."""

    def formfield(self, **kwargs):
        return super().formfield(**{"form_class": CertificateImageFormField, **kwargs})
