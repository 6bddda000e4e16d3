"""The one cleaner for every uploaded photo (suggestions, safety checks and hazards, training visits).

:func:`clean_image` refuses anything that is not a photo we can safely decode and returns a fresh JPEG made
from the decoded pixels only, so that no metadata of the original (EXIF with GPS position, device and time,
XMP, colour profiles, comments) is ever stored.  In order, each step cheaper than the next:

1. the size of the upload in bytes (``SCOREHUB_IMAGE_MAX_BYTES``), before it is read;
2. the type, from the file's own header (never its name or the browser's content type): JPEG, PNG or WebP;
3. the number of pixels from the header (``SCOREHUB_IMAGE_MAX_PIXELS``), *before* any pixel is decoded: a
   few kilobytes of PNG can claim 7000 × 7000 pixels and cost hundreds of megabytes to decode;
4. a full decode (a truncated or corrupt file is refused here);
5. the orientation the camera recorded is applied, the picture is reduced to ``SCOREHUB_IMAGE_MAX_EDGE``
   pixels on its longer side and re-encoded.

Pillow's own decompression-bomb limit (``Image.MAX_IMAGE_PIXELS``) is set to the same number at start-up
(:func:`apply_pillow_limits`), for any code of this process that opens an image: Pillow warns above it
and raises ``DecompressionBombError`` above twice that, which the cleaner turns into the same form error.
"""

from __future__ import annotations

import io
import struct
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.utils.translation import gettext_lazy as _
from PIL import Image, ImageFile, ImageOps, UnidentifiedImageError

#: Decoders tried on an upload: nothing else is even attempted, which keeps Pillow's rarely used decoders
#: away from anonymous uploads.  The JPEG decoder also reads MPO, the multi-picture JPEG some phones write.
DECODERS = ("JPEG", "PNG", "WEBP")
ACCEPTED_FORMATS = frozenset({*DECODERS, "MPO"})
JPEG_QUALITY = 82
MEGABYTE = 1024 * 1024

# Pillow's own check of the header (its warning is an exception only where warnings are made errors).
_BOMB_ERRORS = (Image.DecompressionBombError, Image.DecompressionBombWarning)
# What Pillow raises for a file it cannot decode (some plugins raise SyntaxError or struct.error on bad headers).
_DECODING_ERRORS = (UnidentifiedImageError, OSError, ValueError, SyntaxError, EOFError, struct.error)


@dataclass(frozen=True)
class CleanImage:
    """A photo ready to store: a JPEG without metadata, and its size in pixels."""

    content: ContentFile[bytes]
    width: int
    height: int


def max_bytes() -> int:
    return int(settings.SCOREHUB_IMAGE_MAX_BYTES)


def max_pixels() -> int:
    return int(settings.SCOREHUB_IMAGE_MAX_PIXELS)


def max_edge() -> int:
    return int(settings.SCOREHUB_IMAGE_MAX_EDGE)


def megabytes(size: int) -> str:
    return f"{size / MEGABYTE:.3g}"


def too_large() -> ValidationError:
    return ValidationError(
        _("The photo is too large: at most %(megabytes)s MB."),
        code="image_too_large",
        params={"megabytes": megabytes(max_bytes())},
    )


def too_many_pixels() -> ValidationError:
    return ValidationError(
        _("The photo has too many pixels: at most %(megapixels)s megapixels."),
        code="image_too_many_pixels",
        params={"megapixels": f"{max_pixels() / 1_000_000:g}"},
    )


def unreadable() -> ValidationError:
    return ValidationError(
        _("This file is not a photo that can be read. Use a JPEG, PNG or WebP photo."), code="image_unreadable"
    )


def upload_help_text() -> str:
    """What a photo field accepts, in the active language (for a form's help text)."""
    return _(
        "JPEG, PNG or WebP, up to %(megabytes)s MB and %(megapixels)s megapixels. Location and camera data are removed."
    ) % {"megabytes": megabytes(max_bytes()), "megapixels": f"{max_pixels() / 1_000_000:g}"}


def clean_image(upload: Any, *, edge: int | None = None) -> CleanImage:
    """Check ``upload`` (a file object) and return it as a JPEG of at most ``edge`` pixels a side, without metadata.

    ``edge`` defaults to ``SCOREHUB_IMAGE_MAX_EDGE``.  Raises ``ValidationError`` with a translated message
    (codes ``image_too_large``, ``image_too_many_pixels``, ``image_unreadable``).  An upload over the byte
    limit is not read past it; one over the pixel limit is not decoded.
    """
    data = _read_capped(upload)
    longest = edge or max_edge()
    # WeasyPrint, once imported (PDF reports), lets Pillow fill the missing part of a truncated picture with
    # grey, process-wide.  An upload must be whole: this process's photos are cleaned with that switched off.
    ImageFile.LOAD_TRUNCATED_IMAGES = False
    try:
        with Image.open(io.BytesIO(data), formats=DECODERS) as probe:
            # Only the header has been read: width and height are what the file claims.
            if probe.format not in ACCEPTED_FORMATS:
                raise unreadable()
            if probe.width * probe.height > max_pixels():
                raise too_many_pixels()
            probe.verify()
        # verify() leaves the image unusable: open it again and decode every pixel for real.
        with Image.open(io.BytesIO(data), formats=DECODERS) as decoded:
            # A JPEG can be decoded straight at a fraction of its size (1/2, 1/4, 1/8): less memory and time.
            decoded.draft("RGB", (longest, longest))
            decoded.load()
            upright: Image.Image = ImageOps.exif_transpose(decoded) or decoded
            picture = _flatten(upright)
            picture.thumbnail((longest, longest), Image.Resampling.LANCZOS)
            # A new image from the pixels alone: nothing of the original's info (EXIF, ICC, XMP) comes along.
            clean = Image.new("RGB", picture.size)
            clean.paste(picture)
    except ValidationError:
        raise
    except _BOMB_ERRORS as exc:
        raise too_many_pixels() from exc
    except _DECODING_ERRORS as exc:
        raise unreadable() from exc
    out = io.BytesIO()
    clean.save(out, format="JPEG", quality=JPEG_QUALITY, optimize=True)
    return CleanImage(content=ContentFile(out.getvalue(), name="photo.jpg"), width=clean.width, height=clean.height)


def _read_capped(upload: Any) -> bytes:
    """The upload's bytes, refused as soon as it is known to be over the limit (never read past it)."""
    limit = max_bytes()
    size = getattr(upload, "size", None)
    if size is not None and size > limit:
        raise too_large()
    try:
        upload.seek(0)
        data = upload.read(limit + 1)
    except (OSError, AttributeError, ValueError) as exc:
        raise unreadable() from exc
    if len(data) > limit:
        raise too_large()
    if not data:
        raise unreadable()
    return bytes(data)


def _flatten(image: Image.Image) -> Image.Image:
    """RGB pixels; transparent parts (a PNG screenshot, a WebP sticker) on white rather than black."""
    if image.mode in ("RGBA", "LA", "PA") or "transparency" in image.info:
        rgba = image.convert("RGBA")
        background = Image.new("RGB", rgba.size, (255, 255, 255))
        background.paste(rgba, mask=rgba.getchannel("A"))
        return background
    return image.convert("RGB")


def apply_pillow_limits() -> None:
    """Give Pillow's own decompression-bomb check the limit :func:`clean_image` applies."""
    Image.MAX_IMAGE_PIXELS = max_pixels()


def follow_setting_changes(*, setting: str, **kwargs: Any) -> None:
    """``setting_changed`` receiver: a test that changes the pixel limit changes Pillow's too."""
    if setting == "SCOREHUB_IMAGE_MAX_PIXELS":
        apply_pillow_limits()
