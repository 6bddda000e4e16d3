"""Samples for the authorization test: values for the URL kwargs that are not ``pk``, and the public views."""

from __future__ import annotations

from collections.abc import Callable


def _poster_token() -> object:
    from scorehub.enterprises.models import Enterprise
    from scorehub.suggestions.models import Poster

    nanxun = Enterprise.objects.filter(region_id="330503").order_by("pk").values("pk")[:1]
    return Poster.objects.active().filter(enterprise__in=nanxun).order_by("pk").values_list("token", flat=True).first()


def _tracking_code() -> object:
    from scorehub.suggestions.models import Suggestion

    return (
        Suggestion.objects.filter(enterprise__region_id="330503")
        .order_by("pk")
        .values_list("tracking_code", flat=True)
        .first()
    )


SAMPLES: dict[str, Callable[[], object]] = {
    # Keyed by URL name: "token" and "code" are kwargs of other apps' public pages too.
    "suggestions:public-submit": lambda: {"token": _poster_token()},
    "suggestions:public-track": lambda: {"code": _tracking_code()},
}

PUBLIC_URL_NAMES = {
    "suggestions:public-submit": "the poster's page: workers submit without an account; shows only its workshop",
    "suggestions:public-track-lookup": "where a worker types their tracking code; shows nothing by itself",
    "suggestions:public-track": "a suggestion's status (and the reason if rejected) by its tracking code, nothing else",
}
