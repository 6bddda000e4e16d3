"""What a buyer sees of a supplier that consents: the buyer summary, defined once for every surface.

A buyer (a brand that sources from the factories) follows a supplier only while the supplier's consent is
active (:class:`~scorehub.enterprises.models.BuyerConsent`), and then sees a *summary*: who and where the
supplier is, its part in the SCORE programme and a few progress figures it would show a customer anyway.
Everything else (the registry's identifiers, address, workforce and status, every record inside the
enterprise, and every figure drawn from safety checks, accidents, inspections, KPIs or money) stays with
the supplier, its bureau and its trainers.

The enterprise pages, the enterprise API and its exports, the dashboards, the indicator API and the
reports all take the summary from here.  ``docs/roles-and-scoping.md`` shows it as a table for users;
``scorehub/enterprises/tests/test_buyer_summary.py`` keeps that table and these definitions equal.

Who gets the summary: a surface shows the summary when the user is a buyer and it shows (or counts) an
enterprise that the user reaches only through a consent.  A person who is a buyer and also, say, an
official sees the enterprises of their bureau in full, and the summary wherever a consenting supplier
outside their own reach is part of what is shown (a list, a dashboard that counts it).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.db.models import QuerySet

from scorehub.core.scoping import INTERNAL_ROLES, Action, Role, scope_for

from .models import Enterprise

if TYPE_CHECKING:
    from scorehub.core.scoping import AnyUser

#: The fields of an enterprise a buyer sees, by their names in the API (``/api/v1/enterprises/``).  The
#: enterprise page and the list (with its CSV and Excel exports) show the same facts.
BUYER_SUMMARY_FIELDS: tuple[str, ...] = (
    "id",
    "url",
    "name",
    "name_zh",
    "name_en",
    "region",
    "industry_section",
    "industry_division",
    "size_class",
    "participation",
)

#: The indicators a buyer sees, at every scope a buyer can ask for (one supplier, a region, all of them).
#: Every other indicator of the layer is left out, in totals too: a total that included a supplier's
#: accidents would give them away by difference.
BUYER_SUMMARY_INDICATORS: frozenset[str] = frozenset(
    {
        "enterprises.count",
        "training.enrolled",
        "training.module_completions",
        "training.certificates",
        "suggestions.submitted",
        "suggestions.adopted",
        "suggestions.implemented",
        "suggestions.adoption_rate",
        "suggestions.completion_rate",
        "safety.rectification_rate",
    }
)

#: What a buyer may sort and filter the enterprise list by (summary fields only: sorting by head count or
#: searching by credit code would reveal them).
BUYER_ORDERING_FIELDS: tuple[str, ...] = ("name_zh", "region")


def is_buyer(user: AnyUser) -> bool:
    """Whether the user follows suppliers as a buyer (whatever other roles they have)."""
    return Role.BUYER_VIEWER in scope_for(user).roles()


def _has_internal_role(user: AnyUser) -> bool:
    return any(role in INTERNAL_ROLES for role in scope_for(user).roles())


def consent_only_enterprises(user: AnyUser) -> QuerySet[Enterprise]:
    """The enterprises the user reaches only as a buyer (through a consent), not through an internal role."""
    visible = Enterprise.objects.visible_to(user, Action.VIEW)
    if not is_buyer(user):
        return visible.none()
    if not _has_internal_role(user):
        return visible
    # Every internal role reads the records inside the enterprises it reaches (``history``); buyers never do.
    return visible.exclude(pk__in=Enterprise.objects.visible_to(user, Action.HISTORY).values("pk"))


def sees_summary_only(user: AnyUser, enterprises: Enterprise | QuerySet[Enterprise] | None = None) -> bool:
    """Whether a surface showing ``enterprises`` (one, a queryset, or ``None``: everything the user reaches)
    must show the buyer summary and nothing more to ``user``."""
    if not is_buyer(user):
        return False
    if not _has_internal_role(user):
        return True
    consent_only = consent_only_enterprises(user)
    if enterprises is None:
        return consent_only.exists()
    if isinstance(enterprises, Enterprise):
        return consent_only.filter(pk=enterprises.pk).exists()
    return consent_only.filter(pk__in=enterprises.values("pk")).exists()


# ---------------------------------------------------------------------------------------------------
# SCORE participation: the programmes, modules and certificates of one supplier.


@dataclass(frozen=True)
class ProgrammePart:
    name: str
    status: str  # an ``EnrolmentStatus`` value (never "dropped": a supplier that left shows no programme)
    status_label: str
    enrolled_on: dt.date


@dataclass(frozen=True)
class ModulePart:
    code: str
    name: str
    completed_on: dt.date | None
    certified_on: dt.date | None


@dataclass(frozen=True)
class Participation:
    programmes: list[ProgrammePart]
    modules: list[ModulePart]


def participations(enterprise_ids: list[int]) -> dict[int, Participation]:
    """The supplier's part in SCORE, read for the summary (the buyer reaches none of these records itself),
    for each of ``enterprise_ids`` in three queries.

    Programmes it is enrolled in (not the ones it dropped out of, nor why), and per module the cohort it
    took part in: when it completed the module and when it was certified (a revoked certificate counts
    as none).  No names of people, no trainers, no visits.
    """
    # Imported here: the training app builds on the registry, not the other way round.
    from scorehub.training.models import Certificate, CohortEnterprise, Enrolment, EnrolmentStatus

    programmes: dict[int, list[ProgrammePart]] = {pk: [] for pk in enterprise_ids}
    enrolments = (
        Enrolment.objects.filter(enterprise_id__in=enterprise_ids)
        .exclude(status=EnrolmentStatus.DROPPED)
        .select_related("programme")
        .order_by("enrolled_on", "pk")
    )
    for e in enrolments:
        programmes[e.enterprise_id].append(
            ProgrammePart(e.programme.name, e.status, str(e.get_status_display()), e.enrolled_on)
        )
    certified: dict[int, dt.date] = dict(
        Certificate.objects.filter(enterprise_id__in=enterprise_ids, revoked_on__isnull=True).values_list(
            "participation_id", "issued_on"
        )
    )
    modules: dict[int, list[ModulePart]] = {pk: [] for pk in enterprise_ids}
    taken = (
        CohortEnterprise.objects.filter(enterprise_id__in=enterprise_ids)
        .exclude(enrolment__status=EnrolmentStatus.DROPPED)
        .select_related("cohort__module")
        .order_by("cohort__module__order", "cohort__module__code", "joined_on", "pk")
    )
    for p in taken:
        module = p.cohort.module
        modules[p.enterprise_id].append(ModulePart(module.code, module.name, p.completed_on, certified.get(p.pk)))
    return {pk: Participation(programmes[pk], modules[pk]) for pk in enterprise_ids}


def participation(enterprise: Enterprise) -> Participation:
    return participations([enterprise.pk])[enterprise.pk]
