from django.urls import include, path

from scorehub.core.import_views import import_urlpatterns

from . import views
from .importers import ChecklistImporter

app_name = "safety"

urlpatterns = [
    # Checklists (programme-wide reference data)
    path("checklists/", views.ChecklistListView.as_view(), name="checklist-list"),
    path("checklists/new/", views.ChecklistCreateView.as_view(), name="checklist-create"),
    # Items of one or more checklists from a spreadsheet: upload, dry run, confirm, progress, templates.
    path("checklists/", include(import_urlpatterns(ChecklistImporter))),
    path("checklists/<int:pk>/", views.ChecklistDetailView.as_view(), name="checklist-detail"),
    path("checklists/<int:pk>/edit/", views.ChecklistEditView.as_view(), name="checklist-edit"),
    path("checklists/<int:pk>/items/new/", views.ChecklistItemAddView.as_view(), name="checklist-item-add"),
    path("checklists/<int:pk>/export/", views.checklist_export, name="checklist-export"),
    path("checklist-items/<int:pk>/edit/", views.ChecklistItemEditView.as_view(), name="checklist-item-edit"),
    path("checklist-items/<int:pk>/remove/", views.ChecklistItemRemoveView.as_view(), name="checklist-item-remove"),
    # Safety checks
    path("checks/", views.SafetyCheckListView.as_view(), name="check-list"),
    path("checks/<int:pk>/", views.SafetyCheckDetailView.as_view(), name="check-detail"),
    path("enterprises/<int:pk>/checks/", views.EnterpriseChecksView.as_view(), name="enterprise-checks"),
    path("enterprises/<int:pk>/checks/new/", views.SafetyCheckFormView.as_view(), name="check-new"),
    # Hidden hazards
    path("hazards/", views.HazardListView.as_view(), name="hazard-list"),
    path("hazards/<int:pk>/", views.HazardDetailView.as_view(), name="hazard-detail"),
    path("hazards/<int:pk>/assign/", views.HazardAssignView.as_view(), name="hazard-assign"),
    path("hazards/<int:pk>/plan/", views.HazardPlanView.as_view(), name="hazard-plan"),
    path("hazards/<int:pk>/rectify/", views.HazardRectifyView.as_view(), name="hazard-rectify"),
    path("hazards/<int:pk>/verify/", views.HazardVerifyView.as_view(), name="hazard-verify"),
    path("hazards/<int:pk>/close/", views.HazardCloseView.as_view(), name="hazard-close"),
    path("hazards/<int:pk>/note/", views.HazardNoteView.as_view(), name="hazard-note"),
    path("photos/<int:pk>/", views.photo, name="photo"),
    path("enterprises/<int:pk>/hazards/", views.EnterpriseHazardsView.as_view(), name="enterprise-hazards"),
    path("enterprises/<int:pk>/hazards/new/", views.HazardReportView.as_view(), name="hazard-new"),
    path("reports/", views.ReportListView.as_view(), name="report-list"),
    path("reports/<int:pk>/acknowledge/", views.ReportAcknowledgeView.as_view(), name="report-acknowledge"),
    # Disclosure to workers
    path("enterprises/<int:pk>/notice-board/", views.NoticeBoardView.as_view(), name="notice-board"),
    path("enterprises/<int:pk>/notice-board/renew/", views.NoticeBoardRenewView.as_view(), name="notice-board-renew"),
    path("notice/<str:token>/", views.notice_board_public, name="notice-board-public"),
    # Risk points
    path("risk-points/", views.RiskPointListView.as_view(), name="risk-point-list"),
    path("risk-points/<int:pk>/", views.RiskPointDetailView.as_view(), name="risk-point-detail"),
    path("risk-points/<int:pk>/edit/", views.RiskPointEditView.as_view(), name="risk-point-edit"),
    path("risk-points/<int:pk>/archive/", views.RiskPointArchiveView.as_view(), name="risk-point-archive"),
    path("enterprises/<int:pk>/risk-points/", views.EnterpriseRiskPointsView.as_view(), name="enterprise-risk-points"),
    path("enterprises/<int:pk>/risk-points/new/", views.RiskPointCreateView.as_view(), name="risk-point-new"),
    # Accidents
    path("accidents/", views.AccidentListView.as_view(), name="accident-list"),
    path("accidents/<int:pk>/", views.AccidentDetailView.as_view(), name="accident-detail"),
    path("accidents/<int:pk>/edit/", views.AccidentEditView.as_view(), name="accident-edit"),
    path("accidents/<int:pk>/hazard/", views.AccidentHazardView.as_view(), name="accident-hazard"),
    path("enterprises/<int:pk>/accidents/", views.EnterpriseAccidentsView.as_view(), name="enterprise-accidents"),
    path("enterprises/<int:pk>/accidents/new/", views.AccidentCreateView.as_view(), name="accident-new"),
    path("enterprises/<int:pk>/hours/", views.HoursWorkedView.as_view(), name="hours-worked"),
    # Risk-based inspection planning
    path("plan/", views.InspectionPlanView.as_view(), name="plan"),
    path("plan/<int:pk>/", views.InspectionPlanExplainView.as_view(), name="plan-explain"),
    path("plan/<int:pk>/schedule/", views.PlanScheduleView.as_view(), name="plan-schedule"),
    path("planned/", views.PlannedListView.as_view(), name="planned-list"),
    path("planned/<int:pk>/cancel/", views.PlannedCancelView.as_view(), name="planned-cancel"),
    # Numbers
    path("numbers/", views.numbers, name="numbers"),
]
