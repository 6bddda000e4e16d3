from __future__ import annotations

from typing import TYPE_CHECKING

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

if TYPE_CHECKING:
    from django.http import HttpRequest

    from scorehub.core.registry import AttentionItem


class SafetyConfig(AppConfig):
    name = "scorehub.safety"
    label = "safety"
    verbose_name = _("Work safety")

    def ready(self) -> None:
        from auditlog.registry import auditlog

        from scorehub.core.registry import NavItem, Tab, registry

        from . import models

        for model in (
            models.ChecklistTemplate,
            models.ChecklistVersion,
            models.ChecklistItem,
            models.SafetyCheck,
            models.Hazard,
            models.RectificationPlan,
            models.RiskPoint,
            models.Accident,
            models.HoursWorked,
            models.PlannedInspection,
            models.BureauNotification,
            models.NoticeBoard,
        ):
            auditlog.register(model)

        registry.add_nav(
            NavItem(_("Hazards"), "safety:hazard-list", icon="exclamation-triangle", action="history", order=40)
        )
        registry.add_nav(
            NavItem(_("Safety checks"), "safety:check-list", icon="clipboard-check", action="history", order=41)
        )
        registry.add_nav(
            NavItem(_("Inspection plan"), "safety:plan", icon="calendar-check", action="inspect", order=42)
        )
        label = "enterprises.enterprise"
        registry.add_tab(label, Tab(_("Safety checks"), "safety:enterprise-checks", action="history", order=50))
        registry.add_tab(label, Tab(_("Hazards"), "safety:enterprise-hazards", action="history", order=51))
        registry.add_tab(label, Tab(_("Risk points"), "safety:enterprise-risk-points", action="history", order=52))
        registry.add_tab(label, Tab(_("Accidents"), "safety:enterprise-accidents", action="history", order=53))
        registry.add_attention(safety_attention)


def safety_attention(request: HttpRequest) -> list[AttentionItem]:
    """Major hazards reported to the user's bureau, overdue hazards, rectifications to verify."""
    from django.urls import reverse

    from scorehub.core.registry import AttentionItem
    from scorehub.core.scoping import Action, scope_for

    from .models import BureauNotification, Hazard, HazardStatus

    user = request.user
    scope = scope_for(user)
    items: list[AttentionItem] = []
    if scope.can_anywhere(Action.INSPECT):
        reports = BureauNotification.objects.visible_to(user, Action.INSPECT).filter(read_at__isnull=True)
        if not scope.reaches_everything(Action.INSPECT):
            reports = reports.filter(bureau_id__in=scope.organisation_ids)
        items.append(
            AttentionItem(
                _("Major hazards reported to the bureau"),
                reports.values("hazard_id").distinct().count(),
                reverse("safety:report-list") + "?unread=true",
                level="danger",
            )
        )
    if scope.can_anywhere(Action.INSPECT) or scope.can_anywhere(Action.OPERATE):
        hazards = Hazard.objects.visible_to(user, Action.HISTORY)
        items.append(
            AttentionItem(
                _("Overdue hazards"),
                hazards.overdue().count(),
                reverse("safety:hazard-list") + "?state=overdue",
                level="danger",
            )
        )
        items.append(
            AttentionItem(
                _("Rectifications waiting for verification"),
                hazards.filter(status=HazardStatus.RECTIFIED).count(),
                reverse("safety:hazard-list") + "?status=rectified",
                level="info",
            )
        )
    return items
