"""Photos from the workshop floor: checked by really decoding them, downsized, metadata stripped."""

from __future__ import annotations

import io
from typing import Any

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.utils.translation import gettext as _
from PIL import Image, ImageOps, UnidentifiedImageError

from . import conf

ACCEPTED_FORMATS = {"JPEG", "PNG", "WEBP", "GIF", "BMP", "MPO"}
# Refuse decompression bombs early (about 50 megapixels).
MAX_PIXELS = 50_000_000


def clean_photo(upload: Any) -> tuple[ContentFile[bytes], int, int]:
    """Return a re-encoded JPEG without EXIF or other metadata, and its size.

    Raises ``ValidationError`` with a translated message for anything that is not a photo we accept.
    """
    max_bytes = conf.get("PHOTO_MAX_BYTES")
    size = getattr(upload, "size", None)
    if size is not None and size > max_bytes:
        raise ValidationError(
            _("The photo is too large (%(size).1f MB); the limit is %(limit).1f MB.")
            % {"size": size / 1048576, "limit": max_bytes / 1048576}
        )
    data = upload.read()
    if len(data) > max_bytes:
        raise ValidationError(
            _("The photo is too large; the limit is %(limit).1f MB.") % {"limit": max_bytes / 1048576}
        )
    try:
        with Image.open(io.BytesIO(data)) as probe:
            if probe.format not in ACCEPTED_FORMATS:
                raise ValidationError(_("Only photos (JPEG, PNG, WebP) can be uploaded."))
            if probe.width * probe.height > MAX_PIXELS:
                raise ValidationError(_("The photo has too many pixels."))
            probe.verify()
        with Image.open(io.BytesIO(data)) as opened:
            opened.load()
            image: Image.Image = ImageOps.exif_transpose(opened) or opened
            if image.mode not in ("RGB", "L"):
                image = image.convert("RGB")
            side = conf.get("PHOTO_MAX_SIDE")
            image.thumbnail((side, side))
            out = io.BytesIO()
            # A fresh encode with no exif/icc/comment arguments carries no metadata over.
            image.save(out, format="JPEG", quality=82, optimize=True)
            width, height = image.size
    except ValidationError:
        raise
    except (UnidentifiedImageError, OSError, ValueError, Image.DecompressionBombError) as exc:
        raise ValidationError(_("This file is not a photo that can be read.")) from exc
    return ContentFile(out.getvalue(), name="photo.jpg"), width, height
