from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class EnterprisesConfig(AppConfig):
    name = "scorehub.enterprises"
    label = "enterprises"
    verbose_name = _("Enterprises")

    def ready(self) -> None:
        from auditlog.registry import auditlog

        from scorehub.core.registry import NavItem, Tab, registry

        from . import models

        auditlog.register(models.Enterprise)
        auditlog.register(models.ContactPerson)
        auditlog.register(models.BuyerConsent)

        registry.add_nav(NavItem(_("Enterprises"), "enterprises:list", icon="buildings", order=10))
        label = "enterprises.enterprise"
        registry.add_tab(label, Tab(_("Overview"), "enterprises:detail", order=0))
        registry.add_tab(label, Tab(_("Contacts"), "enterprises:contacts", action="history", order=80))
        registry.add_tab(label, Tab(_("Buyers"), "enterprises:buyers", action="history", order=85))
        registry.add_tab(label, Tab(_("Training providers"), "enterprises:providers", action="history", order=86))
        registry.add_tab(label, Tab(_("History"), "enterprises:history", action="history", order=99))
