"""Image files made in the test run (never downloaded): a phone photo with GPS, a pixel bomb, a broken JPEG."""

from __future__ import annotations

import io
import struct
import zlib

from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

#: Make, model and capture time as a phone writes them, and a GPS position (Nanxun, Huzhou).
CAMERA_MAKE = "PhoneMaker"
CAMERA_MODEL = "Model X"


def jpeg_with_gps(width: int = 2400, height: int = 1800, *, orientation: int | None = None) -> bytes:
    """A phone-like JPEG: camera make and model, capture time and a GPS position in its EXIF."""
    image = Image.new("RGB", (width, height), (200, 120, 40))
    # A dark left half, so that a turned picture can be told from the original.
    image.paste((10, 10, 10), (0, 0, width // 2, height))
    exif = Image.Exif()
    exif[0x010F] = CAMERA_MAKE  # Make
    exif[0x0110] = CAMERA_MODEL  # Model
    exif[0x0132] = "2024:05:01 10:00:00"  # DateTime
    if orientation is not None:
        exif[0x0112] = orientation  # Orientation
    gps = exif.get_ifd(0x8825)
    gps[1] = "N"
    gps[2] = (30.0, 52.0, 10.0)
    gps[3] = "E"
    gps[4] = (120.0, 25.0, 5.0)
    out = io.BytesIO()
    image.save(out, format="JPEG", exif=exif, quality=90)
    return out.getvalue()


def pixel_bomb_png(side: int = 7000) -> bytes:
    """A PNG of ``side`` × ``side`` pixels in a few kilobytes (one bit per pixel, all black, deflated)."""
    out = io.BytesIO()
    Image.new("1", (side, side)).save(out, format="PNG")
    return out.getvalue()


def png_header(width: int, height: int) -> bytes:
    """A PNG that claims ``width`` × ``height`` pixels and holds none: only a decoder that reads on notices."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)  # 1 bit a pixel, greyscale
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", b"no pixels here")


def truncated_jpeg() -> bytes:
    """A JPEG whose header is fine and whose picture data stops halfway (a broken upload)."""
    data = jpeg_with_gps(800, 600)
    return data[: len(data) // 2]


def upload(data: bytes, name: str = "IMG_0001.jpg", content_type: str = "image/jpeg") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data, content_type=content_type)
