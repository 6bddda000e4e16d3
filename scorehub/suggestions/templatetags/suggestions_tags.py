from __future__ import annotations

from typing import Any

from django import template
from django.utils.translation import gettext_lazy as _

from ..models import SuggestionStatus

register = template.Library()

MOVE_LABELS: dict[str, Any] = {
    SuggestionStatus.UNDER_REVIEW: _("Review"),
    SuggestionStatus.ADOPTED: _("Adopt"),
    SuggestionStatus.REJECTED: _("Reject"),
    SuggestionStatus.IN_PROGRESS: _("Start work"),
    SuggestionStatus.IMPLEMENTED: _("Mark implemented"),
}


@register.filter
def move_label(to: str, current: str = "") -> Any:
    """The button text for moving a suggestion to ``to`` (from ``current``)."""
    if to == SuggestionStatus.IN_PROGRESS and current == SuggestionStatus.IN_PROGRESS:
        return _("Change owner or date")
    if to == SuggestionStatus.UNDER_REVIEW and current == SuggestionStatus.REJECTED:
        return _("Reopen")
    return MOVE_LABELS.get(to, to)


@register.filter
def percent(value: float | None) -> str:
    return "—" if value is None else f"{value * 100:.0f}%"


@register.filter
def or_dash(value: Any) -> Any:
    return "—" if value is None or value == "" else value
