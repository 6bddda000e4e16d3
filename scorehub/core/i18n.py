"""Helpers for domain data stored in both languages (``name_zh`` / ``name_en``)."""

from __future__ import annotations

from django.utils.translation import get_language, gettext_lazy


def prefers_chinese() -> bool:
    return (get_language() or "zh-hans").lower().startswith("zh")


def pick(zh: str, en: str) -> str:
    """The text in the active language, falling back to the other one when it is missing."""
    if prefers_chinese():
        return zh or en
    return en or zh


class BilingualName:
    """Mixin for models with ``name_zh`` and ``name_en``: ``obj.name`` follows the active language."""

    name_zh: str
    name_en: str

    @property
    def name(self) -> str:
        return pick(self.name_zh, self.name_en)


# Labels the settings module hands to django-filter (kept here so that they are in a catalogue).
ALL_LABEL = gettext_lazy("All")
NOT_SET_LABEL = gettext_lazy("Not set")
