from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RegionsConfig(AppConfig):
    name = "scorehub.regions"
    label = "regions"
    verbose_name = _("Regions")

    def ready(self) -> None:
        from scorehub.core.registry import NavItem, registry

        registry.add_nav(NavItem(_("Regions"), "regions:list", icon="map", order=80))
