from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "scorehub.accounts"
    label = "accounts"
    verbose_name = _("People and organisations")

    def ready(self) -> None:
        from auditlog.registry import auditlog

        from . import models

        auditlog.register(models.Organisation)
        auditlog.register(models.Membership)
        auditlog.register(models.ProviderAssignment)
        auditlog.register(models.User, exclude_fields=["password", "last_login"])

        from scorehub.core.registry import NavItem, Tab, registry

        registry.add_nav(NavItem(_("Organisations"), "accounts:organisation-list", icon="diagram-3", order=70))
        label = "accounts.organisation"
        registry.add_tab(label, Tab(_("Overview"), "accounts:organisation-detail", order=0))
        registry.add_tab(label, Tab(_("Sign-in lockouts"), "accounts:organisation-lockouts", action="change", order=90))
