"""System checks of SCORE Hub's own settings (``scorehub check``; ``--deploy`` adds the production ones)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.checks import CheckMessage, Error, Tags, register

from .secret_key import HOW_TO_MAKE_ONE, KEY_FILE_NAME


@register(Tags.security, deploy=True)
def secret_key_is_given(app_configs: Any, **kwargs: Any) -> list[CheckMessage]:
    """The key made and kept on this machine is for running there only, never for production."""
    if not getattr(settings, "SCOREHUB_SECRET_KEY_IS_LOCAL", False):
        return []
    return [
        Error(
            f"SECRET_KEY is not set: the key kept in {Path(settings.DATA_DIR) / KEY_FILE_NAME} is for running on "
            "this machine only.",
            hint=(
                "Set SECRET_KEY to a random value kept with the other secrets (the same on every server), e.g. the "
                f"output of {HOW_TO_MAKE_ONE}"
            ),
            id="scorehub.E001",
        )
    ]
