"""Scope policies for training records that do not hang off one enterprise or one region.

* A **cohort** spans several enterprises and belongs to one training provider.  Its trainers reach it
  through their provider; officials and inspectors reach it when its programme's region or one of its
  enterprises lies in their jurisdiction.  Enterprise staff and buyers do not see cohort pages (they see
  their own enterprise's training on the enterprise page).
* **Trainer profiles** belong to a provider: its trainers see each other; officials see the trainers of
  providers that work in their jurisdiction.
* **Catalogues** (the module catalogue, provider accreditations) are read by every signed-in member of the
  programme and changed only by those who reach everything (the programme office).
"""

from __future__ import annotations

from django.db.models import Q

from scorehub.core.scoping import EVERYTHING, PolicyResult, Role, Scope, ScopePolicy

#: Roles whose grants count for cohort pages (the people who run or supervise the training).
COHORT_ROLES = frozenset({Role.PROGRAMME_ADMIN, Role.OFFICIAL, Role.INSPECTOR, Role.TRAINER})
READ_ACTIONS = frozenset({"view", "history"})


def _field(path: str, name: str) -> str:
    return f"{path}__{name}" if path else name


def trainer_provider_ids(scope: Scope, action: str) -> set[int]:
    """The providers through which the user holds ``action`` as a trainer."""
    return {
        g.organisation_id
        for g in scope.grants
        if g.role == Role.TRAINER and action in g.actions and g.organisation_id is not None
    }


class CohortPolicy(ScopePolicy):
    """Cohorts (``path=""``) and records that belong to one cohort (``path="cohort"``, ...)."""

    def __init__(self, path: str = "") -> None:
        self.path = path

    def condition(self, scope: Scope, action: str) -> PolicyResult:
        if scope.reaches_everything(action, COHORT_ROLES):
            return EVERYTHING
        from .models import CohortEnterprise

        q = Q()
        matched = False
        providers = trainer_provider_ids(scope, action)
        if providers:
            q |= Q(**{_field(self.path, "provider_id__in"): sorted(providers)})
            matched = True
        cohort_key = f"{self.path}__in" if self.path else "pk__in"
        for prefix in scope.region_prefixes(action, COHORT_ROLES - {Role.TRAINER}):
            with_enterprises = CohortEnterprise.objects.filter(enterprise__region__code__startswith=prefix).values(
                "cohort_id"
            )
            q |= Q(**{_field(self.path, "programme__region__code__startswith"): prefix}) | Q(
                **{cohort_key: with_enterprises}
            )
            matched = True
        return q if matched else None


class TrainerPolicy(ScopePolicy):
    """Trainer profiles (``path=""``) and their certifications (``path="trainer"``)."""

    def __init__(self, path: str = "") -> None:
        self.path = path

    def condition(self, scope: Scope, action: str) -> PolicyResult:
        if scope.reaches_everything(action, COHORT_ROLES):
            return EVERYTHING
        from scorehub.accounts.models import ProviderAssignment

        q = Q()
        matched = False
        providers = trainer_provider_ids(scope, action)
        if providers:
            q |= Q(**{_field(self.path, "provider_id__in"): sorted(providers)})
            matched = True
        if action in READ_ACTIONS:
            for prefix in scope.region_prefixes(action, COHORT_ROLES - {Role.TRAINER}):
                working_here = ProviderAssignment.objects.filter(enterprise__region__code__startswith=prefix).values(
                    "provider_id"
                )
                q |= Q(**{_field(self.path, "provider__region__code__startswith"): prefix}) | Q(
                    **{_field(self.path, "provider_id__in"): working_here}
                )
                matched = True
        return q if matched else None


class CataloguePolicy(ScopePolicy):
    """Shared reference data: read by every member of the programme, changed by the programme office."""

    def condition(self, scope: Scope, action: str) -> PolicyResult:
        if action in READ_ACTIONS:
            return None if scope.is_empty else EVERYTHING
        if scope.reaches_everything(action, COHORT_ROLES):
            return EVERYTHING
        return None
