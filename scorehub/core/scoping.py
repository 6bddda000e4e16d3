"""The one choke point for who sees what.

Every page, API endpoint, export, import, search and report asks
``Model.objects.visible_to(user, action)`` (or ``ensure_visible`` for one object) and nothing else.

How it works:

* ``scope_for(user)`` turns the user's memberships into a list of :class:`Grant`.  A grant says *which*
  enterprises or regions the user reaches (everything, a region subtree by GB/T 2260 code prefix, or a
  set of enterprises given as a subquery) and *what* the user may do there (the role's actions).
* Each scoped model names a :class:`ScopePolicy` (``scope_policy = ThroughEnterprise("enterprise")``)
  that translates grants into a ``Q`` on its own table.  The policy is the only place that knows how a
  model hangs off the enterprise or region tree.

Out of scope is indistinguishable from "does not exist": views answer 404 for both.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import TYPE_CHECKING, Any, ClassVar, Generic, Self, TypeVar

from django.core.exceptions import ObjectDoesNotExist
from django.db import models
from django.db.models import Q, QuerySet
from django.http import Http404
from django.utils.translation import gettext_lazy as _

if TYPE_CHECKING:
    from django.contrib.auth.base_user import AbstractBaseUser
    from django.contrib.auth.models import AnonymousUser

    AnyUser = AbstractBaseUser | AnonymousUser


class Action(StrEnum):
    """What a user wants to do with a record.  Roles map to sets of these (``ROLE_ACTIONS``)."""

    VIEW = "view"  # read the record
    HISTORY = "history"  # read its change log and internal detail (not for buyers)
    CHANGE = "change"  # edit master data
    MANAGE = "manage"  # create, archive, import, enrol, set targets
    INSPECT = "inspect"  # record safety checks, verify rectifications
    COACH = "coach"  # record training, sessions, visits
    OPERATE = "operate"  # the enterprise's own work: suggestions, rectification, KPIs


class Role(models.TextChoices):
    PROGRAMME_ADMIN = "programme_admin", _("programme admin")
    OFFICIAL = "official", _("official")
    INSPECTOR = "inspector", _("inspector")
    TRAINER = "trainer", _("trainer")
    ENTERPRISE_MANAGER = "enterprise_manager", _("enterprise manager")
    TEAM_MEMBER = "team_member", _("improvement-team member")
    BUYER_VIEWER = "buyer_viewer", _("buyer viewer")


_ALL_ACTIONS = frozenset(Action)

ROLE_ACTIONS: dict[str, frozenset[str]] = {
    Role.PROGRAMME_ADMIN: _ALL_ACTIONS,
    Role.OFFICIAL: frozenset({Action.VIEW, Action.HISTORY, Action.CHANGE, Action.MANAGE, Action.INSPECT}),
    Role.INSPECTOR: frozenset({Action.VIEW, Action.HISTORY, Action.INSPECT}),
    Role.TRAINER: frozenset({Action.VIEW, Action.HISTORY, Action.COACH}),
    Role.ENTERPRISE_MANAGER: frozenset({Action.VIEW, Action.HISTORY, Action.CHANGE, Action.OPERATE}),
    Role.TEAM_MEMBER: frozenset({Action.VIEW, Action.HISTORY, Action.OPERATE}),
    Role.BUYER_VIEWER: frozenset({Action.VIEW}),
}

#: Roles whose grants count for records *inside* an enterprise (everything but the buyer summary).
INTERNAL_ROLES = frozenset(ROLE_ACTIONS) - {Role.BUYER_VIEWER}


@dataclass(frozen=True)
class Grant:
    """One reach of one role.  Exactly one of ``everything``, ``region_prefix``, ``enterprises`` is set."""

    role: str
    actions: frozenset[str]
    organisation_id: int | None = None
    everything: bool = False
    region_prefix: str | None = None
    #: A queryset of enterprise ids (``values("enterprise_id")``), kept lazy so it becomes a subquery.
    enterprises: QuerySet[Any] | None = field(default=None, compare=False)

    def allows(self, action: str, roles: frozenset[str]) -> bool:
        return action in self.actions and self.role in roles


@dataclass
class Scope:
    """Everything one user reaches.  Computed once per request and cached on the user object."""

    grants: list[Grant]
    organisation_ids: frozenset[int] = frozenset()
    #: The user's own id, for records that belong to one person (e.g. their import jobs).
    user_id: int | None = None

    @property
    def is_empty(self) -> bool:
        return not self.grants

    def reaches_everything(self, action: str, roles: frozenset[str] = frozenset(ROLE_ACTIONS)) -> bool:
        return any(g.everything and g.allows(action, roles) for g in self.grants)

    def region_prefixes(self, action: str, roles: frozenset[str] = frozenset(ROLE_ACTIONS)) -> list[str]:
        return sorted({g.region_prefix for g in self.grants if g.region_prefix is not None and g.allows(action, roles)})

    def enterprise_sets(self, action: str, roles: frozenset[str] = frozenset(ROLE_ACTIONS)) -> list[QuerySet[Any]]:
        return [g.enterprises for g in self.grants if g.enterprises is not None and g.allows(action, roles)]

    def can_anywhere(self, action: str) -> bool:
        """Whether the user holds ``action`` somewhere (used to show or hide buttons such as "New")."""
        return any(action in g.actions for g in self.grants)

    def roles(self) -> set[str]:
        return {g.role for g in self.grants}


_SCOPE_CACHE_ATTR = "_scorehub_scope"


def scope_for(user: AnyUser) -> Scope:
    """The user's scope, derived from their memberships; cached on the user object for the request."""
    if not user.is_authenticated or not getattr(user, "is_active", False):
        return Scope(grants=[])
    cached = getattr(user, _SCOPE_CACHE_ATTR, None)
    if cached is not None:
        return cached
    # Imported here: accounts and enterprises import this module for their querysets.
    from scorehub.accounts.models import Membership

    grants: list[Grant] = []
    if getattr(user, "is_superuser", False):
        grants.append(Grant(role=Role.PROGRAMME_ADMIN, actions=_ALL_ACTIONS, everything=True))
    memberships = Membership.objects.filter(user_id=user.pk, organisation__is_active=True).select_related(
        "organisation__region"
    )
    org_ids = set()
    for membership in memberships:
        org_ids.add(membership.organisation_id)
        grants.extend(membership.grants())
    scope = Scope(grants=grants, organisation_ids=frozenset(org_ids), user_id=user.pk)
    setattr(user, _SCOPE_CACHE_ATTR, scope)
    return scope


def is_programme_admin(user: AnyUser) -> bool:
    """The programme office: the only people who keep the programme-wide catalogues (modules, KPIs, ...)."""
    return scope_for(user).reaches_everything(Action.MANAGE, frozenset({Role.PROGRAMME_ADMIN}))


def forget_scope(user: AnyUser) -> None:
    """Drop the cached scope (after memberships, assignments or consents change)."""
    if hasattr(user, _SCOPE_CACHE_ATTR):
        delattr(user, _SCOPE_CACHE_ATTR)


class _Everything:
    """Marker returned by a policy when the scope reaches every row."""


EVERYTHING = _Everything()
PolicyResult = Q | _Everything | None


class ScopePolicy:
    """Translates a :class:`Scope` into a filter on one model's table."""

    def condition(self, scope: Scope, action: str) -> PolicyResult:  # pragma: no cover - interface
        raise NotImplementedError

    def apply(self, queryset: QuerySet[Any], scope: Scope, action: str) -> QuerySet[Any]:
        condition = self.condition(scope, action)
        if condition is None:
            return queryset.none()
        if isinstance(condition, _Everything):
            return queryset
        return queryset.filter(condition)


def _join(path: str, name: str) -> str:
    return f"{path}__{name}" if path else name


class ThroughEnterprise(ScopePolicy):
    """Records that belong to one enterprise, reached through ``enterprise_path`` ("" for Enterprise itself).

    ``roles`` limits which roles' grants count: by default buyers reach nothing inside an enterprise.
    """

    def __init__(self, enterprise_path: str = "enterprise", *, roles: Iterable[str] = INTERNAL_ROLES) -> None:
        self.enterprise_path = enterprise_path
        self.roles = frozenset(roles)

    def condition(self, scope: Scope, action: str) -> PolicyResult:
        if scope.reaches_everything(action, self.roles):
            return EVERYTHING
        region_field = _join(self.enterprise_path, "region__code")
        id_field = _join(self.enterprise_path, "pk") if not self.enterprise_path else f"{self.enterprise_path}_id"
        q = Q()
        matched = False
        for prefix in scope.region_prefixes(action, self.roles):
            q |= Q(**{f"{region_field}__startswith": prefix})
            matched = True
        for enterprise_ids in scope.enterprise_sets(action, self.roles):
            q |= Q(**{f"{id_field}__in": enterprise_ids})
            matched = True
        return q if matched else None


class ThroughRegion(ScopePolicy):
    """Records that belong to a region (a programme's area, a bureau's jurisdiction).

    Officials reach records whose region lies inside their jurisdiction, and, for reading, the records
    of the regions above it (a Huzhou official reads the Zhejiang programme).  Enterprise-bound users
    read records of the regions their enterprises lie in and above.
    """

    def __init__(self, region_path: str = "region", *, roles: Iterable[str] = INTERNAL_ROLES) -> None:
        self.region_path = region_path
        self.roles = frozenset(roles)

    def condition(self, scope: Scope, action: str) -> PolicyResult:
        if scope.reaches_everything(action, self.roles):
            return EVERYTHING
        from scorehub.regions.models import ancestor_codes

        field_name = f"{self.region_path}__code" if self.region_path else "code"
        q = Q()
        matched = False
        reading = action in (Action.VIEW, Action.HISTORY)
        for prefix in scope.region_prefixes(action, self.roles):
            q |= Q(**{f"{field_name}__startswith": prefix})
            if reading:
                q |= Q(**{f"{field_name}__in": ancestor_codes(prefix)})
            matched = True
        from scorehub.enterprises.models import Enterprise

        for enterprise_ids in scope.enterprise_sets(action, self.roles):
            # Enterprise-bound users reach the regions their enterprises lie in (and, for reading,
            # the regions above them): a manager may keep their enterprise's region, not move it.
            codes = set(Enterprise.objects.filter(pk__in=enterprise_ids).values_list("region_id", flat=True).distinct())
            if reading:
                for code in list(codes):
                    codes.update(ancestor_codes(code))
            q |= Q(**{f"{field_name}__in": sorted(codes)})
            matched = True
        return q if matched else None


M = TypeVar("M", bound=models.Model)


class ScopedQuerySet(QuerySet[M], Generic[M]):
    """The queryset every scoped model uses.  ``visible_to`` is the choke point."""

    def visible_to(self, user: AnyUser, action: str = Action.VIEW) -> Self:
        policy: ScopePolicy | None = getattr(self.model, "scope_policy", None)
        if policy is None:
            raise TypeError(f"{self.model.__name__} has no scope_policy; it cannot be shown to users")
        return policy.apply(self, scope_for(user), str(action))  # type: ignore[return-value]


ScopedManager = models.Manager.from_queryset(ScopedQuerySet)


class ScopedModel(models.Model):
    """Abstract base: a model whose rows are shown to users only through ``visible_to``.

    Each concrete model names its ``scope_policy`` and a manager built from ``ScopedQuerySet``
    (``objects = ScopedQuerySet.as_manager()`` or a subclass of it).
    """

    scope_policy: ClassVar[ScopePolicy]

    class Meta:
        abstract = True


class OutOfScope(Http404):
    """Raised when a record is not (or, after a write, no longer) inside the user's scope."""


def is_visible(obj: models.Model, user: AnyUser, action: str = Action.VIEW) -> bool:
    model = type(obj)
    return model._default_manager.filter(pk=obj.pk).visible_to(user, action).exists()  # type: ignore[attr-defined]


def ensure_visible(obj: models.Model, user: AnyUser, action: str = Action.VIEW) -> None:
    """Raise :class:`OutOfScope` unless ``obj`` is inside the user's scope for ``action``.

    Services call this after every write, inside the write's transaction, so that a write that would
    move a record out of the actor's reach is rolled back.
    """
    if not is_visible(obj, user, action):
        raise OutOfScope


def get_visible_or_404(model: type[M] | QuerySet[M], user: AnyUser, action: str = Action.VIEW, **lookup: Any) -> M:
    """The record of ``model`` (or of a queryset of it, e.g. with related rows joined) matching
    ``lookup`` inside the user's scope; :class:`OutOfScope` (a 404) otherwise."""
    base = model._default_manager.all() if isinstance(model, type) else model
    queryset = base.visible_to(user, action)  # type: ignore[attr-defined]
    try:
        return queryset.get(**lookup)  # type: ignore[no-any-return]
    except (ObjectDoesNotExist, ValueError, TypeError) as exc:
        raise OutOfScope from exc
