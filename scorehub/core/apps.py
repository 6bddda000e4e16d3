from django.apps import AppConfig
from django.core.signals import setting_changed
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    name = "scorehub.core"
    label = "core"
    verbose_name = _("Core")

    def ready(self) -> None:
        from . import (
            checks,  # noqa: F401 - registers the system checks
            images,
            pdf,  # noqa: F401 - registers the check that the PDF font is installed
            ratelimit,  # noqa: F401 - registers the check that refuses a store which cannot count atomically
        )

        images.apply_pillow_limits()
        setting_changed.connect(images.follow_setting_changes)
