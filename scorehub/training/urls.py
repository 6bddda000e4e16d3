from django.urls import path

from scorehub.core.import_views import import_urlpatterns

from . import views as v
from .importers import EnrolmentImporter

app_name = "training"

urlpatterns = [
    path("", v.TrainingHomeView.as_view(), name="home"),
    # The module catalogue
    path("modules/", v.ModuleListView.as_view(), name="module-list"),
    path("modules/new/", v.ModuleCreateView.as_view(), name="module-create"),
    path("modules/<int:pk>/", v.ModuleDetailView.as_view(), name="module-detail"),
    path("modules/<int:pk>/edit/", v.ModuleUpdateView.as_view(), name="module-edit"),
    path("modules/<int:pk>/new-version/", v.ModuleNewVersionView.as_view(), name="module-new-version"),
    # Programmes, targets, phases, enrolment
    path("programmes/", v.ProgrammeListView.as_view(), name="programme-list"),
    path("programmes/new/", v.ProgrammeCreateView.as_view(), name="programme-create"),
    path("programmes/<int:pk>/", v.ProgrammeDetailView.as_view(), name="programme-detail"),
    path("programmes/<int:pk>/edit/", v.ProgrammeUpdateView.as_view(), name="programme-edit"),
    path("programmes/<int:pk>/targets/new/", v.TargetAddView.as_view(), name="target-add"),
    path("targets/<int:pk>/delete/", v.TargetDeleteView.as_view(), name="target-delete"),
    path("programmes/<int:pk>/phases/new/", v.PhaseAddView.as_view(), name="phase-add"),
    path("phases/<int:pk>/delete/", v.PhaseDeleteView.as_view(), name="phase-delete"),
    path("programmes/<int:pk>/enrol/", v.ProgrammeEnrolView.as_view(), name="programme-enrol"),
    # Enrolments from a spreadsheet, into the programme of the URL: upload, dry run, confirm, templates.
    *import_urlpatterns(EnrolmentImporter, prefix="programmes/<int:programme>/enrolments/"),
    path("enrolments/", v.EnrolmentListView.as_view(), name="enrolment-list"),
    path("enrolments/<int:pk>/edit/", v.EnrolmentUpdateView.as_view(), name="enrolment-edit"),
    # Cohorts
    path("cohorts/", v.CohortListView.as_view(), name="cohort-list"),
    path("cohorts/new/", v.CohortCreateView.as_view(), name="cohort-create"),
    path("cohorts/<int:pk>/", v.CohortDetailView.as_view(), name="cohort-detail"),
    path("cohorts/<int:pk>/edit/", v.CohortUpdateView.as_view(), name="cohort-edit"),
    path("cohorts/<int:pk>/enterprises/", v.CohortEnrolView.as_view(), name="cohort-enrol"),
    path("cohorts/<int:pk>/plan-visits/", v.CohortPlanVisitsView.as_view(), name="cohort-plan-visits"),
    path("cohorts/<int:pk>/sessions/new/", v.SessionCreateView.as_view(), name="session-create"),
    # One enterprise in one module: progress, completion, certificate, visits
    path("progress/<int:pk>/", v.ProgressDetailView.as_view(), name="progress-detail"),
    path("progress/<int:pk>/complete/", v.ProgressCompleteView.as_view(), name="progress-complete"),
    path("progress/<int:pk>/certificate/", v.CertificateIssueView.as_view(), name="certificate-issue"),
    path("progress/<int:pk>/plan-visits/", v.ProgressPlanVisitsView.as_view(), name="progress-plan-visits"),
    path("progress/<int:pk>/visits/new/", v.VisitCreateView.as_view(), name="visit-create"),
    # Classroom sessions and the satisfaction survey
    path("sessions/", v.SessionListView.as_view(), name="session-list"),
    path("sessions/<int:pk>/", v.SessionDetailView.as_view(), name="session-detail"),
    path("sessions/<int:pk>/edit/", v.SessionUpdateView.as_view(), name="session-edit"),
    path("sessions/<int:pk>/participants/new/", v.ParticipantAddView.as_view(), name="participant-add"),
    path("participants/<int:pk>/delete/", v.ParticipantDeleteView.as_view(), name="participant-delete"),
    path("sessions/<int:pk>/attendance/", v.AttendanceView.as_view(), name="session-attendance"),
    path("sessions/<int:pk>/survey/", v.SessionSurveyView.as_view(), name="session-survey"),
    path("sessions/<int:pk>/survey/open/", v.SurveyOpenView.as_view(), name="session-survey-open"),
    path("sessions/<int:pk>/survey/close/", v.SurveyCloseView.as_view(), name="session-survey-close"),
    path("survey/<str:token>/", v.survey, name="survey"),
    # In-factory visits
    path("visits/", v.VisitListView.as_view(), name="visit-list"),
    path("visits/calendar/", v.VisitCalendarView.as_view(), name="visit-calendar"),
    path("visits/<int:pk>/", v.VisitDetailView.as_view(), name="visit-detail"),
    path("visits/<int:pk>/edit/", v.VisitUpdateView.as_view(), name="visit-edit"),
    path("visits/<int:pk>/record/", v.VisitRecordView.as_view(), name="visit-record"),
    path("visits/<int:pk>/cancel/", v.VisitCancelView.as_view(), name="visit-cancel"),
    path("visits/<int:pk>/join/", v.VisitJoinView.as_view(), name="visit-join"),
    path("visits/<int:pk>/sign-off/", v.VisitSignOffView.as_view(), name="visit-sign-off"),
    path("visits/<int:pk>/report.pdf", v.visit_pdf, name="visit-pdf"),
    path("visits/<int:pk>/findings/new/", v.FindingAddView.as_view(), name="finding-add"),
    path("findings/<int:pk>/delete/", v.FindingDeleteView.as_view(), name="finding-delete"),
    path("visits/<int:pk>/actions/new/", v.ActionAddView.as_view(), name="action-add"),
    path("actions/<int:pk>/delete/", v.ActionDeleteView.as_view(), name="action-delete"),
    path("actions/<int:pk>/done/", v.ActionDoneView.as_view(), name="action-done"),
    path("visits/<int:pk>/photos/new/", v.PhotoAddView.as_view(), name="photo-add"),
    path("photos/<int:pk>/", v.photo_file, name="photo-file"),
    path("photos/<int:pk>/delete/", v.PhotoDeleteView.as_view(), name="photo-delete"),
    # The enterprise page: training, improvement team and plan
    path("enterprises/<int:pk>/", v.EnterpriseTrainingView.as_view(), name="enterprise-training"),
    path("enterprises/<int:pk>/team/", v.EnterpriseTeamView.as_view(), name="enterprise-team"),
    path("enterprises/<int:pk>/team/new/", v.TeamCreateView.as_view(), name="team-create"),
    path("enterprises/<int:pk>/plan/new/", v.PlanItemAddView.as_view(), name="plan-item-add"),
    path("teams/", v.TeamListView.as_view(), name="team-list"),
    path("teams/<int:pk>/members/new/", v.MemberAddView.as_view(), name="member-add"),
    path("members/<int:pk>/edit/", v.MemberUpdateView.as_view(), name="member-edit"),
    path("teams/<int:pk>/meetings/new/", v.MeetingAddView.as_view(), name="meeting-add"),
    path("meetings/<int:pk>/edit/", v.MeetingUpdateView.as_view(), name="meeting-edit"),
    path("plan-items/", v.PlanItemListView.as_view(), name="plan-item-list"),
    path("plan-items/<int:pk>/edit/", v.PlanItemUpdateView.as_view(), name="plan-item-edit"),
    # Certificates and their public verification
    path("certificates/", v.CertificateListView.as_view(), name="certificate-list"),
    path("certificates/<int:pk>/", v.CertificateDetailView.as_view(), name="certificate-detail"),
    path("certificates/<int:pk>/pdf/", v.certificate_pdf, name="certificate-pdf"),
    path("certificates/<int:pk>/revoke/", v.CertificateRevokeView.as_view(), name="certificate-revoke"),
    path("verify/", v.certificate_verify_form, name="certificate-verify-form"),
    path("verify/<str:code>/", v.certificate_verify, name="certificate-verify"),
    # Trainers and providers
    path("trainers/", v.TrainerListView.as_view(), name="trainer-list"),
    path("trainers/new/", v.TrainerCreateView.as_view(), name="trainer-create"),
    path("trainers/<int:pk>/", v.TrainerDetailView.as_view(), name="trainer-detail"),
    path("trainers/<int:pk>/certifications/new/", v.CertificationAddView.as_view(), name="certification-add"),
    path("certifications/<int:pk>/recommend/", v.CertificationRecommendView.as_view(), name="certification-recommend"),
    path("certifications/<int:pk>/approve/", v.CertificationApproveView.as_view(), name="certification-approve"),
    path("accreditations/", v.AccreditationListView.as_view(), name="accreditation-list"),
    path("accreditations/new/", v.AccreditationAddView.as_view(), name="accreditation-add"),
    path("accreditations/<int:pk>/recommend/", v.AccreditationRecommendView.as_view(), name="accreditation-recommend"),
    path("accreditations/<int:pk>/approve/", v.AccreditationApproveView.as_view(), name="accreditation-approve"),
    path("accreditations/<int:pk>/suspend/", v.AccreditationSuspendView.as_view(), name="accreditation-suspend"),
]
