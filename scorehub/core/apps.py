from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    name = "scorehub.core"
    label = "core"
    verbose_name = _("Core")

    def ready(self) -> None:
        from . import pdf  # noqa: F401 - registers the check that the PDF font is installed
