"""Uploaded photos: checked, downsized and re-encoded so that no metadata (GPS, device, time) survives.

Every photo goes through :func:`clean_photo` before it is stored.  The result is a fresh JPEG made from
the decoded pixels only: EXIF, XMP, ICC profiles and comments of the original are not copied.
"""

from __future__ import annotations

import io
import warnings
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.utils.translation import gettext_lazy as _
from PIL import Image, ImageOps, UnidentifiedImageError

#: Largest upload accepted per photo (bytes).
MAX_PHOTO_BYTES: int = getattr(settings, "SCOREHUB_PHOTO_MAX_BYTES", 10 * 1024 * 1024)
#: Longest side of the stored photo (pixels).
MAX_SIDE: int = getattr(settings, "SCOREHUB_PHOTO_MAX_SIDE", 1600)
#: Photos with more pixels than this are refused before decoding (decompression bombs).
MAX_PIXELS = 50_000_000
ACCEPTED_FORMATS = {"JPEG", "PNG", "WEBP", "GIF", "BMP", "MPO"}
JPEG_QUALITY = 82


@dataclass(frozen=True)
class CleanPhoto:
    content: ContentFile  # type: ignore[type-arg]
    width: int
    height: int


def clean_photo(upload: Any) -> CleanPhoto:
    """Check that ``upload`` is a real image of acceptable size; return it downsized, without metadata.

    Raises ``ValidationError`` with a message for the person who uploaded it.
    """
    size = getattr(upload, "size", None)
    if size is not None and size > MAX_PHOTO_BYTES:
        raise ValidationError(
            _("The photo is too large (at most %(mb)s MB)."), params={"mb": MAX_PHOTO_BYTES // (1024 * 1024)}
        )
    try:
        upload.seek(0)
        data = upload.read(MAX_PHOTO_BYTES + 1)
    except (OSError, AttributeError) as exc:
        raise ValidationError(_("The photo could not be read.")) from exc
    if len(data) > MAX_PHOTO_BYTES:
        raise ValidationError(
            _("The photo is too large (at most %(mb)s MB)."), params={"mb": MAX_PHOTO_BYTES // (1024 * 1024)}
        )
    not_an_image = ValidationError(_("This file is not a photo we can read (use JPEG or PNG)."))
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as probe:
                if probe.format not in ACCEPTED_FORMATS:
                    raise not_an_image
                if probe.width * probe.height > MAX_PIXELS:
                    raise ValidationError(_("The photo has too many pixels."))
                probe.verify()
            # verify() leaves the image unusable: decode it again for real.
            with Image.open(io.BytesIO(data)) as decoded:
                decoded.load()
                # Keep the orientation the phone meant, then work on the pixels only.
                upright: Image.Image = ImageOps.exif_transpose(decoded) or decoded
                rgb = upright.convert("RGB")
                rgb.thumbnail((MAX_SIDE, MAX_SIDE), Image.Resampling.LANCZOS)
                # A new image from the pixels alone: nothing of the original's info dict comes along.
                clean = Image.new("RGB", rgb.size)
                clean.paste(rgb)
    except ValidationError:
        raise
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError, Image.DecompressionBombError) as exc:
        raise not_an_image from exc
    except Image.DecompressionBombWarning as exc:
        raise ValidationError(_("The photo has too many pixels.")) from exc
    out = io.BytesIO()
    clean.save(out, format="JPEG", quality=JPEG_QUALITY, optimize=True)
    return CleanPhoto(content=ContentFile(out.getvalue(), name="photo.jpg"), width=clean.width, height=clean.height)
