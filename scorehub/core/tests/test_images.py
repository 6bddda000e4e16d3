"""The one photo cleaner (``scorehub.core.images``): type by decoding, bytes and pixel limits before any
decoding, a full decode, orientation applied, every piece of metadata gone."""

from __future__ import annotations

import io

import pytest
from django.core.exceptions import ValidationError
from django.utils import translation
from PIL import Image, ImageFile

from scorehub.core.images import clean_image

from .photo_files import CAMERA_MAKE, CAMERA_MODEL, jpeg_with_gps, pixel_bomb_png, png_header, truncated_jpeg, upload

# Pillow warns about the pictures over the pixel limit while it reads their header; the cleaner refuses them.
pytestmark = pytest.mark.filterwarnings("ignore::PIL.Image.DecompressionBombWarning")


def refusal(data: bytes, name: str = "IMG_0001.jpg") -> ValidationError:
    with pytest.raises(ValidationError) as refused:
        clean_image(upload(data, name))
    return refused.value


def stored(data: bytes) -> Image.Image:
    cleaned = clean_image(upload(data))
    picture = Image.open(io.BytesIO(cleaned.content.read()))
    assert (picture.width, picture.height) == (cleaned.width, cleaned.height)
    return picture


def encoded(image: Image.Image, file_format: str, **options: object) -> bytes:
    out = io.BytesIO()
    image.save(out, format=file_format, **options)
    return out.getvalue()


def test_a_phone_photo_keeps_its_pixels_and_loses_position_camera_and_time():
    original = jpeg_with_gps()
    assert Image.open(io.BytesIO(original)).getexif().get_ifd(0x8825)  # the upload carries a GPS position
    cleaned = clean_image(upload(original))
    data = cleaned.content.read()
    picture = Image.open(io.BytesIO(data))
    assert picture.format == "JPEG"
    assert (picture.width, picture.height) == (cleaned.width, cleaned.height) == (1600, 1200)
    assert not picture.getexif()
    assert not set(picture.info) & {"exif", "icc_profile", "xmp", "comment"}
    assert CAMERA_MAKE.encode() not in data
    assert CAMERA_MODEL.encode() not in data
    assert cleaned.content.name == "photo.jpg"


def test_the_orientation_the_camera_recorded_is_applied():
    # Stored on its side (dark half on the left) with "turn 90° clockwise to view": upright, it is portrait.
    picture = stored(jpeg_with_gps(2400, 1800, orientation=6)).convert("L")
    assert picture.size == (1200, 1600)
    top, bottom = picture.getpixel((600, 100)), picture.getpixel((600, 1500))
    assert top < 50 < 100 < bottom  # the dark half is now on top


def test_a_small_photo_is_not_enlarged_and_a_transparent_one_gets_a_white_background():
    sticker = Image.new("RGBA", (40, 30), (0, 0, 0, 0))
    picture = stored(encoded(sticker, "PNG"))
    assert picture.size == (40, 30)
    assert picture.convert("RGB").getpixel((20, 15)) == (255, 255, 255)


@pytest.mark.parametrize(
    ("file_format", "options"), [("PNG", {}), ("WEBP", {}), ("JPEG", {}), ("MPO", {"save_all": True})]
)
def test_jpeg_png_webp_and_mpo_are_read_whatever_the_file_is_called(file_format, options):
    data = encoded(Image.new("RGB", (64, 48), (0, 90, 200)), file_format, **options)
    cleaned = clean_image(upload(data, name="scan.pdf", content_type="application/pdf"))
    assert (cleaned.width, cleaned.height) == (64, 48)


@pytest.mark.parametrize(
    "data",
    [
        encoded(Image.new("RGB", (64, 48)), "GIF"),  # a real image, of a type not taken
        encoded(Image.new("RGB", (64, 48)), "BMP"),
        encoded(Image.new("RGB", (64, 48)), "TIFF"),
        b"%PDF-1.4 not an image at all",
        b"<?php system($_GET['c']); ?>",
        b"",
        truncated_jpeg(),  # a real JPEG header, half the picture
        png_header(640, 480),  # a PNG header without pixel data
    ],
    ids=["gif", "bmp", "tiff", "pdf", "script", "empty", "truncated-jpeg", "png-without-pixels"],
)
def test_anything_but_a_whole_photo_of_an_accepted_type_is_refused(data):
    error = refusal(data)
    assert error.code == "image_unreadable"
    with translation.override("en"):
        assert error.messages == ["This file is not a photo that can be read. Use a JPEG, PNG or WebP photo."]
    with translation.override("zh-hans"):
        assert error.messages == ["该文件不是可读取的照片。请使用 JPEG、PNG 或 WebP 格式的照片。"]


def test_a_truncated_photo_is_refused_even_after_weasyprint_allowed_them(monkeypatch):
    monkeypatch.setattr(ImageFile, "LOAD_TRUNCATED_IMAGES", True)  # what importing weasyprint does
    assert refusal(truncated_jpeg()).code == "image_unreadable"


def test_a_7000_by_7000_png_of_6_kb_is_refused_with_the_limit():
    bomb = pixel_bomb_png(7000)
    assert len(bomb) < 10 * 1024
    error = refusal(bomb, "IMG_0002.png")
    assert error.code == "image_too_many_pixels"
    with translation.override("en"):
        assert error.messages == ["The photo has too many pixels: at most 40 megapixels."]
    with translation.override("zh-hans"):
        assert error.messages == ["照片像素过多：最多 40 百万像素。"]


def test_the_pixel_count_is_read_from_the_header_before_any_pixel_is_decoded():
    # The file holds no pixel data at all: refused for what it claims, so nothing was decoded.
    assert refusal(png_header(7000, 7000)).code == "image_too_many_pixels"
    # Far beyond the limit, Pillow's own check stops it while reading the header: the same refusal.
    assert Image.MAX_IMAGE_PIXELS == 40_000_000
    assert refusal(png_header(20000, 20000)).code == "image_too_many_pixels"


def test_the_pixel_limit_is_a_setting_and_pillow_follows_it(settings):
    settings.SCOREHUB_IMAGE_MAX_PIXELS = 100 * 100
    assert Image.MAX_IMAGE_PIXELS == 100 * 100
    assert stored(encoded(Image.new("RGB", (100, 100)), "PNG")).size == (100, 100)
    error = refusal(encoded(Image.new("RGB", (100, 101)), "PNG"))
    with translation.override("en"):
        assert error.messages == ["The photo has too many pixels: at most 0.01 megapixels."]


class CountingUpload(io.BytesIO):
    """An upload that does not say its size (a stream), counting what is read from it."""

    bytes_read = 0

    def read(self, size: int | None = -1) -> bytes:
        data = super().read(size)
        self.bytes_read += len(data)
        return data


def test_the_byte_limit_is_checked_before_reading_and_never_read_past(settings):
    settings.SCOREHUB_IMAGE_MAX_BYTES = 50_000
    photo = jpeg_with_gps()  # about 70 kB
    error = refusal(photo)
    assert error.code == "image_too_large"
    with translation.override("en"):
        assert error.messages == ["The photo is too large: at most 0.0477 MB."]
    stream = CountingUpload(photo)
    with pytest.raises(ValidationError) as refused:
        clean_image(stream)
    assert refused.value.code == "image_too_large"
    assert stream.bytes_read == 50_001


def test_the_stored_edge_is_a_setting(settings):
    settings.SCOREHUB_IMAGE_MAX_EDGE = 800
    assert stored(jpeg_with_gps(2400, 1800)).size == (800, 600)
