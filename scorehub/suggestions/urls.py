from django.urls import URLPattern, path

from scorehub.core.import_views import ImportConfirmView, import_urlpatterns

from . import views
from .importers import SuggestionImporter

app_name = "suggestions"


def suggestion_import_urlpatterns() -> list[URLPattern]:
    """The shared import pages; confirming a checked file asks for the importer's action, as uploading does.

    (Suggestions are the enterprise's own work: "operate", not the "manage" of master-data imports.)
    """
    confirm = ImportConfirmView.as_view(importer_class=SuggestionImporter, scope_action=SuggestionImporter.action)
    return [
        path("import/<int:pk>/confirm/", confirm, name="import-confirm")
        if pattern.name == "import-confirm"
        else pattern
        for pattern in import_urlpatterns(SuggestionImporter)
    ]


urlpatterns = [
    # Public: the poster's page and the worker's tracking page (no account).
    path("s/<str:token>/", views.public_submit, name="public-submit"),
    path("track/", views.public_track_lookup, name="public-track-lookup"),
    path("track/<str:code>/", views.public_track, name="public-track"),
    # The improvement team's work.
    path("", views.SuggestionBoardView.as_view(), name="board"),
    path("list/", views.SuggestionListView.as_view(), name="list"),
    path("new/", views.SuggestionCreateView.as_view(), name="create"),
    # Historical suggestions from a spreadsheet: upload, dry run, confirm, progress, result, templates.
    *suggestion_import_urlpatterns(),
    path("numbers/", views.NumbersView.as_view(), name="numbers"),
    path("<int:pk>/", views.SuggestionDetailView.as_view(), name="detail"),
    path("<int:pk>/move/", views.SuggestionTransitionView.as_view(), name="move"),
    path("<int:pk>/merge/", views.SuggestionMergeView.as_view(), name="merge"),
    path("<int:pk>/project/", views.SuggestionJoinProjectView.as_view(), name="join-project"),
    path("photos/<int:pk>/", views.photo_view, name="photo"),
    # Improvement projects.
    path("projects/", views.ProjectListView.as_view(), name="project-list"),
    path("projects/new/", views.ProjectCreateView.as_view(), name="project-create"),
    path("projects/<int:pk>/", views.ProjectDetailView.as_view(), name="project-detail"),
    path("projects/<int:pk>/edit/", views.ProjectUpdateView.as_view(), name="project-edit"),
    path("projects/<int:pk>/measurements/new/", views.MeasurementAddView.as_view(), name="project-measurement"),
    path("projects/<int:pk>/photos/new/", views.ProjectPhotoAddView.as_view(), name="project-photo"),
    path("projects/<int:pk>/verify/", views.VerifySavingsView.as_view(), name="project-verify"),
    path("projects/<int:pk>/case-study/", views.CaseStudyProposeView.as_view(), name="case-propose"),
    # The good-practice library.
    path("library/", views.CaseStudyListView.as_view(), name="library"),
    path("library/<int:pk>/", views.CaseStudyDetailView.as_view(), name="case-detail"),
    path("library/<int:pk>/pdf/", views.case_pdf, name="case-pdf"),
    path("library/<int:pk>/before.jpg", views.case_photo_view, {"which": "before"}, name="case-photo-before"),
    path("library/<int:pk>/after.jpg", views.case_photo_view, {"which": "after"}, name="case-photo-after"),
    path("library/<int:pk>/edit/", views.CaseStudyEditView.as_view(), name="case-edit"),
    path("library/<int:pk>/approve/", views.CaseStudyApproveView.as_view(), name="case-approve"),
    path("library/<int:pk>/return/", views.CaseStudyReturnView.as_view(), name="case-return"),
    # Posters (QR links).
    path("posters/", views.PosterListView.as_view(), name="poster-list"),
    path("posters/new/", views.PosterCreateView.as_view(), name="poster-create"),
    path("posters/<int:pk>/pdf/", views.poster_pdf, name="poster-pdf"),
    path("posters/<int:pk>/revoke/", views.PosterRevokeView.as_view(), name="poster-revoke"),
    # Tabs on the enterprise page.
    path("enterprise/<int:pk>/", views.EnterpriseSuggestionsView.as_view(), name="enterprise-suggestions"),
    path("enterprise/<int:pk>/projects/", views.EnterpriseProjectsView.as_view(), name="enterprise-projects"),
]
