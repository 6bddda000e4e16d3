"""Extension point: other apps offer follow-up actions on a suggestion without this app knowing them.

The safety register, for instance, can offer "Open a hazard" on suggestions of the *safety* category::

    from scorehub.suggestions.hooks import FollowUp, register_follow_up

    register_follow_up(
        FollowUp(_("Open a hazard"), "safety:hazard-from-suggestion", applies=lambda s: s.category == "safety")
    )

The URL named gets the suggestion's ``pk``; after creating its record the other app calls
``scorehub.suggestions.services.suggestion_link_record`` so the suggestion shows the link and its timeline
records it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.urls import NoReverseMatch, reverse

if TYPE_CHECKING:
    from django.http import HttpRequest
    from django.utils.functional import Promise

    from .models import Suggestion


@dataclass(frozen=True)
class FollowUp:
    label: str | Promise
    url_name: str
    applies: Callable[[Any], bool] | None = None


_FOLLOW_UPS: list[FollowUp] = []


def register_follow_up(follow_up: FollowUp) -> None:
    if follow_up not in _FOLLOW_UPS:
        _FOLLOW_UPS.append(follow_up)


def follow_ups_for(request: HttpRequest, suggestion: Suggestion) -> list[tuple[Any, str]]:
    result = []
    for item in _FOLLOW_UPS:
        if item.applies is not None and not item.applies(suggestion):
            continue
        try:
            result.append((item.label, reverse(item.url_name, kwargs={"pk": suggestion.pk})))
        except NoReverseMatch:
            continue
    return result
