"""Every training URL, tried anonymously and as every demo persona, with GET and POST.

* Anonymous users are sent to the login page, except on the public pages (survey, verification).
* Nobody ever gets a server error or a 403: out of scope is 404.
* A persona who cannot see the record behind the URL gets 404 for GET and POST.
* A denied POST changes nothing in the training tables (nor the provider assignments).
"""

from __future__ import annotations

import hashlib
from typing import Any

import pytest
from django.apps import apps
from django.urls import URLPattern, reverse

from scorehub.accounts.models import ProviderAssignment, User
from scorehub.core.scoping import Action, is_visible
from scorehub.enterprises.models import Enterprise
from scorehub.training import urls as training_urls

from .url_samples import PUBLIC_URL_NAMES, SAMPLES

pytestmark = pytest.mark.django_db

PERSONAS = [
    "admin",
    "zhejiang_official",
    "huzhou_official",
    "fangshan_official",
    "nanxun_inspector",
    "trainer",
    "zj_trainer",
    "factory_manager",
    "buyer",
]


def view_model(pattern: URLPattern) -> Any:
    view = pattern.callback
    view_class = getattr(view, "view_class", None)
    return getattr(view_class, "model", None) or getattr(view, "model", None)


def sample_record(model: Any) -> Any:
    """A record of ``model`` in the Huzhou / Nanxun part of the demo world."""
    nanxun = "330503"
    if model is Enterprise:
        from scorehub.accounts.models import Organisation

        return Organisation.objects.get(kind="enterprise").enterprise
    field_names = {f.name for f in model._meta.get_fields()}
    queryset = model._default_manager.order_by("pk")
    paths = [
        ("enterprise", "enterprise__region_id"),
        ("visit", "visit__enterprise__region_id"),
        ("team", "team__enterprise__region_id"),
        ("participant", "participant__enterprise__region_id"),
        ("members", "members__enterprise__region_id"),
        ("cohort", "cohort__members__enterprise__region_id"),
    ]
    for name, lookup in paths:
        if name in field_names:
            return queryset.filter(**{lookup: nanxun}).first()
    if "programme" in field_names and model.__name__ != "Module":
        return queryset.filter(programme__region_id="330500").first()
    if model.__name__ == "Programme":
        return queryset.filter(region_id="330500").first()
    if model.__name__ in ("TrainerProfile",):
        return queryset.filter(user__username="trainer").first()
    if model.__name__ == "TrainerCertification":
        return queryset.filter(trainer__user__username="trainer_wang", module__code="OSH").first()
    if model.__name__ == "ProviderAccreditation":
        return queryset.filter(provider__name_zh__startswith="浙江").first()
    return queryset.first()


def patterns() -> list[URLPattern]:
    return [p for p in training_urls.urlpatterns if isinstance(p, URLPattern)]


def fingerprint() -> str:
    digest = hashlib.sha256()
    for model in [*apps.get_app_config("training").get_models(), ProviderAssignment]:
        rows = model._default_manager.order_by("pk").values_list()
        digest.update(repr(list(rows)).encode())
    return digest.hexdigest()


def url_for(pattern: URLPattern) -> tuple[str, Any]:
    kwargs: dict[str, Any] = {}
    record = None
    for name in pattern.pattern.converters:
        if name == "pk":
            record = sample_record(view_model(pattern))
            assert record is not None, f"no sample record for {pattern.name}"
            kwargs["pk"] = record.pk
        else:
            kwargs[name] = SAMPLES[name]()
    return reverse(f"training:{pattern.name}", kwargs=kwargs), record


def test_every_url_has_a_model_or_a_sample():
    for pattern in patterns():
        for name in pattern.pattern.converters:
            if name == "pk":
                assert view_model(pattern) is not None, pattern.name
            else:
                assert name in SAMPLES, pattern.name


@pytest.mark.parametrize("pattern", patterns(), ids=lambda p: p.name)
def test_url_answers_every_persona_without_leaks(pattern, client):
    url, record = url_for(pattern)
    public = f"training:{pattern.name}" in PUBLIC_URL_NAMES

    response = client.get(url)
    if public:
        assert response.status_code in (200, 410), url
    else:
        assert response.status_code == 302, url
        assert "/accounts/login/" in response["Location"], url
    current = fingerprint()
    response = client.post(url, {})
    if not public:
        assert response.status_code == 302, url
        assert "/accounts/login/" in response["Location"], url
        assert fingerprint() == current

    for username in PERSONAS:
        user = User.objects.get(username=username)
        client.force_login(user)
        in_scope = record is None or is_visible(record, user, Action.VIEW)
        response = client.get(url)
        assert response.status_code in (200, 302, 404, 405, 410), (username, url, response.status_code)
        if not in_scope and not public:
            # 405 answers a method the page never accepts, whatever the record: it reveals nothing.
            assert response.status_code in (404, 405), (username, url, response.status_code)
        response = client.post(url, {})
        assert response.status_code in (200, 302, 404, 405, 410), (username, url, response.status_code)
        if not in_scope and not public:
            assert response.status_code in (404, 405), (username, url, response.status_code)
        if response.status_code in (404, 405):
            assert fingerprint() == current, (username, url, "a refused POST changed data")
        else:
            current = fingerprint()
        client.logout()


def test_public_pages_are_the_listed_ones_and_are_marked():
    for pattern in patterns():
        name = f"training:{pattern.name}"
        marked = getattr(pattern.callback, "login_required", True) is False
        assert marked == (name in PUBLIC_URL_NAMES), name
