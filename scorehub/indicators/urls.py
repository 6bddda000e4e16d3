from django.urls import path

from . import views

app_name = "indicators"

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("reports/", views.reports, name="reports"),
    path("reports/new/", views.report_create, name="report-create"),
    path("reports/<int:pk>/", views.ReportDetailView.as_view(), name="report-detail"),
    path("reports/<int:pk>/download/", views.report_download, name="report-download"),
    path("enterprises/<int:pk>/kpis/", views.EnterpriseKpiView.as_view(), name="enterprise-kpis"),
    path("kpi-records/", views.KpiRecordListView.as_view(), name="kpi-record-list"),
    path("kpi-records/new/", views.KpiRecordFormView.as_view(), name="kpi-record-create"),
    path("kpi-records/<int:pk>/edit/", views.KpiRecordFormView.as_view(), name="kpi-record-edit"),
    path("kpi-records/<int:pk>/delete/", views.KpiRecordDeleteView.as_view(), name="kpi-record-delete"),
    path("kpi-records/import/", views.KpiImportView.as_view(), name="kpi-import"),
    path("kpi-records/import/template.xlsx", views.kpi_import_template, name="kpi-import-template"),
    path("assessments/", views.AssessmentListView.as_view(), name="assessment-list"),
    path("assessments/new/", views.AssessmentFormView.as_view(), name="assessment-create"),
    path("assessments/<int:pk>/edit/", views.AssessmentFormView.as_view(), name="assessment-edit"),
    path("assessments/<int:pk>/delete/", views.AssessmentDeleteView.as_view(), name="assessment-delete"),
    path("kpis/", views.KpiListView.as_view(), name="kpi-list"),
    path("kpis/new/", views.KpiFormView.as_view(), name="kpi-create"),
    path("kpis/<int:pk>/edit/", views.KpiFormView.as_view(), name="kpi-edit"),
    path("practices/", views.PracticeListView.as_view(), name="practice-list"),
    path("practices/new/", views.PracticeFormView.as_view(), name="practice-create"),
    path("practices/<int:pk>/edit/", views.PracticeFormView.as_view(), name="practice-edit"),
]
