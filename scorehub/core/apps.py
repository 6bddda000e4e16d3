from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    name = "scorehub.core"
    label = "core"
    verbose_name = _("Core")

    def ready(self) -> None:
        # Registers the system check that refuses a rate-limit store which cannot count atomically.
        from . import ratelimit  # noqa: F401
