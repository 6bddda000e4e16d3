"""The home page's "needs attention" items for training."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from scorehub.core.registry import AttentionItem
from scorehub.core.scoping import Action, scope_for

if TYPE_CHECKING:
    from django.http import HttpRequest


def overdue_visits(request: HttpRequest) -> list[AttentionItem]:
    """Trainers: planned in-factory visits whose date has passed."""
    from .models import Visit

    if not scope_for(request.user).can_anywhere(Action.COACH):
        return []
    count = Visit.objects.visible_to(request.user, Action.COACH).overdue().count()
    return [AttentionItem(_("Overdue in-factory visits"), count, reverse("training:visit-calendar"), "danger")]


def joint_visits(request: HttpRequest) -> list[AttentionItem]:
    """Inspectors: joint visits they have joined that are overdue or coming up in the next two weeks."""
    from .models import Visit

    if not scope_for(request.user).can_anywhere(Action.INSPECT):
        return []
    mine = Visit.objects.visible_to(request.user, Action.INSPECT).filter(inspector_id=request.user.pk)
    today = timezone.localdate()
    url = reverse("training:visit-calendar")
    return [
        AttentionItem(_("Overdue joint visits"), mine.overdue(today).count(), url, "danger"),
        AttentionItem(_("Joint visits in the next two weeks"), mine.upcoming(today, days=14).count(), url, "info"),
    ]


def waiting_for_cohort(request: HttpRequest) -> list[AttentionItem]:
    """Officials: enrolled enterprises that have not joined a cohort yet."""
    from .models import Enrolment, EnrolmentStatus

    if not scope_for(request.user).can_anywhere(Action.MANAGE):
        return []
    count = (
        Enrolment.objects.visible_to(request.user, Action.MANAGE)
        .filter(status=EnrolmentStatus.ENROLLED, participations__isnull=True)
        .count()
    )
    url = reverse("training:enrolment-list") + "?status=enrolled&in_cohort=false"
    return [AttentionItem(_("Enrolled enterprises waiting for a cohort"), count, url, "warning")]


def overdue_plan_items(request: HttpRequest) -> list[AttentionItem]:
    """Enterprises: improvement-plan items past their due date."""
    from .models import PlanItem

    if not scope_for(request.user).can_anywhere(Action.OPERATE):
        return []
    count = PlanItem.objects.visible_to(request.user, Action.OPERATE).overdue().count()
    url = reverse("training:plan-item-list") + "?overdue=true"
    return [AttentionItem(_("Overdue improvement-plan items"), count, url, "warning")]


def certifications_to_approve(request: HttpRequest) -> list[AttentionItem]:
    """The programme office: recommended certification steps and accreditations to approve."""
    from scorehub.core.scoping import is_programme_admin

    from .models import ProviderAccreditation, TrainerCertification

    if not is_programme_admin(request.user):
        return []
    trainers = TrainerCertification.objects.visible_to(request.user, Action.MANAGE).exclude(recommended_status="")
    providers = ProviderAccreditation.objects.visible_to(request.user, Action.MANAGE).filter(
        recommended_by__isnull=False, status="applied"
    )
    return [
        AttentionItem(
            _("Trainer certifications to approve"), trainers.count(), reverse("training:trainer-list"), "info"
        ),
        AttentionItem(
            _("Provider accreditations to approve"), providers.count(), reverse("training:accreditation-list"), "info"
        ),
    ]
