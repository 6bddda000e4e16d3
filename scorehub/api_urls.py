"""The REST API: every app's ``api.routes`` registered on one router under ``/api/v1/``."""

from __future__ import annotations

from importlib import import_module

from django.apps import apps
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView
from rest_framework.authtoken.views import ObtainAuthToken
from rest_framework.routers import DefaultRouter

from scorehub.core.ratelimit import AnonRateThrottle

router = DefaultRouter()
for app_config in apps.get_app_configs():
    if not app_config.name.startswith("scorehub."):
        continue
    try:
        module = import_module(f"{app_config.name}.api")
    except ModuleNotFoundError as exc:
        if exc.name != f"{app_config.name}.api":
            raise
        continue
    for prefix, viewset, basename in getattr(module, "routes", []):
        router.register(prefix, viewset, basename=basename)

app_name = "api"

urlpatterns = [
    # Password guessing through the API: the sign-in lockout (axes) counts the failures, and the anonymous
    # rate limits how fast one address may try (REST framework's view has no throttle of its own).
    path("auth/token/", ObtainAuthToken.as_view(throttle_classes=[AnonRateThrottle]), name="token"),
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    # Interactive documentation (Swagger UI) from our own static files.  It is an HTML page only: OPTIONS,
    # which it cannot render, answers 405.  (No ReDoc: it loads web fonts from a CDN and injects inline
    # styles, which the content security policy refuses.)
    path(
        "docs/",
        SpectacularSwaggerSplitView.as_view(
            url_name="api:schema", template_name="core/api_docs.html", http_method_names=["get", "head"]
        ),
        name="docs",
    ),
    path("", include(router.urls)),
]
