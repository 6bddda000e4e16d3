from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TrainingConfig(AppConfig):
    name = "scorehub.training"
    label = "training"
    verbose_name = _("Training")

    def ready(self) -> None:
        from auditlog.registry import auditlog

        from scorehub.core.registry import NavItem, Tab, registry

        from . import attention, models

        for model in (
            models.Module,
            models.Programme,
            models.ProgrammePhase,
            models.ProgrammeTarget,
            models.Enrolment,
            models.TrainerProfile,
            models.TrainerCertification,
            models.ProviderAccreditation,
            models.Cohort,
            models.CohortEnterprise,
            models.ClassroomSession,
            models.Participant,
            models.Attendance,
            models.Visit,
            models.VisitFinding,
            models.VisitAction,
            models.VisitPhoto,
            models.ImprovementTeam,
            models.TeamMember,
            models.TeamMeeting,
            models.PlanItem,
            models.Certificate,
        ):
            auditlog.register(model)
        # Survey answers are anonymous and never edited: they stay out of the change log on purpose.

        registry.add_nav(NavItem(_("Training"), "training:home", icon="mortarboard", order=20))
        label = "enterprises.enterprise"
        registry.add_tab(label, Tab(_("Training"), "training:enterprise-training", action="history", order=20))
        registry.add_tab(label, Tab(_("Improvement team"), "training:enterprise-team", action="history", order=25))
        registry.add_attention(attention.overdue_visits)
        registry.add_attention(attention.joint_visits)
        registry.add_attention(attention.waiting_for_cohort)
        registry.add_attention(attention.overdue_plan_items)
        registry.add_attention(attention.certifications_to_approve)
