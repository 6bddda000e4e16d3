from django.contrib import admin
from django.urls import include, path
from django.views.generic import RedirectView

from scorehub.core.observability import metrics, readyz
from scorehub.core.views import healthz

urlpatterns = [
    path("", include("scorehub.core.urls")),
    path("healthz", healthz, name="healthz"),
    path("readyz", readyz, name="readyz"),
    path("metrics", metrics, name="metrics"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("accounts/", include("scorehub.accounts.urls")),
    path("regions/", include("scorehub.regions.urls")),
    path("enterprises/", include("scorehub.enterprises.urls")),
    path("training/", include("scorehub.training.urls")),
    path("suggestions/", include("scorehub.suggestions.urls")),
    path("safety/", include("scorehub.safety.urls")),
    path("indicators/", include("scorehub.indicators.urls")),
    path("api/v1/", include("scorehub.api_urls")),
    path("api/docs/", RedirectView.as_view(pattern_name="api:docs"), name="api-docs"),
    path("admin/", admin.site.urls),
]

# A URL under /api/ that matches no route answers like the API: JSON, not the HTML page.
handler404 = "scorehub.core.api.not_found"
