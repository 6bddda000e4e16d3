"""Small helpers that make records through the services (no direct writes that skip the rules)."""

from __future__ import annotations

from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile

from scorehub.suggestions import services
from scorehub.suggestions.models import Poster, Suggestion

from .conftest import jpeg_with_metadata


def photo_upload(name: str = "IMG_0001.jpg", data: bytes | None = None) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data if data is not None else jpeg_with_metadata(), content_type="image/jpeg")


def poster_for(enterprise: Any, workshop: str = "") -> Poster:
    return Poster.objects.create(enterprise=enterprise, workshop=workshop)


def submit(enterprise: Any, *, actor: Any, category: str = "safety", **extra: Any) -> Suggestion:
    data = {"problem": "叉车通道没有划线", "proposal": "划出人行通道", "category": category, **extra}
    suggestion, _created = services.suggestion_create(actor=actor, enterprise=enterprise, data=data)
    return suggestion
