from __future__ import annotations

from typing import TYPE_CHECKING

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

if TYPE_CHECKING:
    from django.http import HttpRequest

    from scorehub.core.registry import AttentionItem


def attention(request: HttpRequest) -> list[AttentionItem]:
    """For the home page: suggestions waiting for review, and overdue ones, where the user operates."""
    from django.db.models import Count, Q
    from django.urls import reverse

    from scorehub.core.registry import AttentionItem
    from scorehub.core.scoping import Action, scope_for

    from .models import AWAITING_DECISION, Suggestion

    if not scope_for(request.user).can_anywhere(Action.OPERATE):
        return []
    visible = Suggestion.objects.visible_to(request.user, Action.OPERATE)
    counts = visible.aggregate(waiting=Count("pk", filter=Q(status__in=AWAITING_DECISION)))
    overdue = visible.overdue().count()
    board = reverse("suggestions:board")
    return [
        AttentionItem(_("Suggestions waiting for review"), counts["waiting"], board, level="primary"),
        AttentionItem(_("Overdue suggestions"), overdue, reverse("suggestions:list") + "?overdue=on", level="danger"),
    ]


class SuggestionsConfig(AppConfig):
    name = "scorehub.suggestions"
    label = "suggestions"
    verbose_name = _("Suggestions and improvement")

    def ready(self) -> None:
        from auditlog.registry import auditlog

        from scorehub.core.registry import NavItem, Tab, registry

        from . import models

        auditlog.register(models.Suggestion, exclude_fields=["updated_at", "idempotency_key"])
        auditlog.register(models.ImprovementProject, exclude_fields=["updated_at"])
        auditlog.register(models.Measurement)
        auditlog.register(models.Photo, exclude_fields=["image", "width", "height"])
        auditlog.register(models.Poster, exclude_fields=["token"])
        auditlog.register(models.CaseStudy, exclude_fields=["before_image", "after_image"])

        registry.add_nav(NavItem(_("Suggestions"), "suggestions:board", icon="lightbulb", action="history", order=30))
        registry.add_nav(
            NavItem(
                _("Improvement projects"), "suggestions:project-list", icon="graph-up-arrow", action="history", order=31
            )
        )
        registry.add_nav(NavItem(_("Good practice"), "suggestions:library", icon="journal-bookmark", order=32))
        label = "enterprises.enterprise"
        registry.add_tab(label, Tab(_("Suggestions"), "suggestions:enterprise-suggestions", action="history", order=30))
        registry.add_tab(
            label, Tab(_("Improvement projects"), "suggestions:enterprise-projects", action="history", order=31)
        )
        registry.add_attention(attention)
