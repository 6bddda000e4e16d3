from __future__ import annotations

from typing import Any

from django import template
from django.utils.translation import pgettext_lazy

register = template.Library()

# django-auditlog's action names, in our catalogue (the library ships no Chinese).
AUDIT_ACTIONS = {
    0: pgettext_lazy("change log action", "created"),
    1: pgettext_lazy("change log action", "changed"),
    2: pgettext_lazy("change log action", "deleted"),
    3: pgettext_lazy("change log action", "accessed"),
}


@register.filter
def audit_action(entry: Any) -> Any:
    return AUDIT_ACTIONS.get(entry.action, entry.get_action_display())
