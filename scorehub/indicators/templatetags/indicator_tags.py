from __future__ import annotations

from django import template

register = template.Library()


@register.filter
def width_class(percent: int | None) -> str:
    """A CSS class for a progress bar's width, in steps of 5 % (inline styles are refused by the CSP)."""
    value = max(0, min(100, int(percent or 0)))
    return f"w-pct-{5 * round(value / 5)}"
