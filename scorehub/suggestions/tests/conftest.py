from __future__ import annotations

import io
from typing import Any

import pytest
from django.core.cache import cache
from PIL import Image


@pytest.fixture(autouse=True)
def _fresh_counters() -> Any:
    """Throttle counters live in the (locmem) cache: every test starts with none."""
    cache.clear()
    yield
    cache.clear()


def jpeg_with_metadata(width: int = 2400, height: int = 1800) -> bytes:
    """A phone-like JPEG: camera make and model, a GPS position, a capture time in its EXIF."""
    image = Image.new("RGB", (width, height), (200, 120, 40))
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"  # Make
    exif[0x0110] = "Model X"  # Model
    exif[0x0132] = "2024:05:01 10:00:00"  # DateTime
    gps = exif.get_ifd(0x8825)
    gps[1] = "N"
    gps[2] = (30.0, 52.0, 10.0)
    gps[3] = "E"
    gps[4] = (120.0, 25.0, 5.0)
    out = io.BytesIO()
    image.save(out, format="JPEG", exif=exif, quality=90)
    return out.getvalue()


@pytest.fixture
def phone_photo() -> bytes:
    return jpeg_with_metadata()
