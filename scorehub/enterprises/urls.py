from django.urls import path

from scorehub.core.import_views import import_urlpatterns

from . import views
from .importers import EnterpriseImporter

app_name = "enterprises"

urlpatterns = [
    path("", views.EnterpriseListView.as_view(), name="list"),
    path("new/", views.EnterpriseCreateView.as_view(), name="create"),
    path("<int:pk>/", views.EnterpriseDetailView.as_view(), name="detail"),
    path("<int:pk>/edit/", views.EnterpriseUpdateView.as_view(), name="edit"),
    path("<int:pk>/archive/", views.EnterpriseArchiveView.as_view(), name="archive"),
    path("<int:pk>/restore/", views.EnterpriseRestoreView.as_view(), name="restore"),
    path("<int:pk>/contacts/", views.EnterpriseContactsView.as_view(), name="contacts"),
    path("<int:pk>/contacts/new/", views.ContactCreateView.as_view(), name="contact-add"),
    path("contacts/<int:pk>/edit/", views.ContactUpdateView.as_view(), name="contact-edit"),
    path("contacts/<int:pk>/delete/", views.ContactDeleteView.as_view(), name="contact-delete"),
    path("<int:pk>/buyers/", views.EnterpriseBuyersView.as_view(), name="buyers"),
    path("<int:pk>/buyers/new/", views.ConsentGrantView.as_view(), name="consent-grant"),
    path("consents/<int:pk>/revoke/", views.ConsentRevokeView.as_view(), name="consent-revoke"),
    path("<int:pk>/providers/", views.EnterpriseProvidersView.as_view(), name="providers"),
    path("<int:pk>/providers/new/", views.ProviderAssignView.as_view(), name="provider-assign"),
    path("<int:pk>/providers/remove/", views.ProviderUnassignView.as_view(), name="provider-unassign"),
    path("<int:pk>/history/", views.EnterpriseHistoryView.as_view(), name="history"),
    # Spreadsheet import: upload, dry run, confirm, progress, result, template downloads.
    *import_urlpatterns(EnterpriseImporter),
]
