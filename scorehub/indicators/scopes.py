"""Scopes of analysis: the nation, a province, city or district, one enterprise, and any kind an app
plugs in (``SCOPES`` in its ``indicators.py``: a programme, a cohort).

A scope travels as a key in the query string (``?scope=region:330500``).  ``resolve_scope`` turns it into
an :class:`AnalysisScope` whose enterprise set is **always** intersected with
``Enterprise.objects.visible_to(user)`` (for a single enterprise, checked once when it is resolved):
an official never gets numbers from outside their jurisdiction, not even in a total.  A scope outside
the user's reach is answered with 404.

Reach of a region scope (the nation being the region with the empty prefix):

* a user who reaches everything reaches every region;
* an official or inspector reaches the regions inside their jurisdiction (not the ones above it);
* a trainer, enterprise member or buyer reaches the regions that contain an enterprise they are
  given, and sees the numbers of those enterprises only (the page says so: ``partial``).

A scope that counts a supplier the user follows only as a buyer shows the buyer summary's indicators and
no others (``indicator_codes``; ``scorehub.enterprises.buyer_summary``), whatever its kind: a region's or
the nation's total would otherwise give a supplier's accidents away by difference.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Q, QuerySet
from django.utils.translation import gettext_lazy as _

from scorehub.core.scoping import Action, OutOfScope, get_visible_or_404, scope_for
from scorehub.enterprises.buyer_summary import BUYER_SUMMARY_INDICATORS, sees_summary_only
from scorehub.enterprises.models import Enterprise
from scorehub.regions.models import Region, RegionLevel

from .base import Grouping, ScopeDefinition, ScopeKind

NATION = "nation"
_REGION_CODE = re.compile(r"^\d{6}$")

LEVEL_KINDS = {
    RegionLevel.PROVINCE: "province",
    RegionLevel.CITY: "city",
    RegionLevel.DISTRICT: "district",
    RegionLevel.TOWNSHIP: "township",
}
KIND_LABELS = {
    "nation": _("nation"),
    "province": _("province"),
    "city": _("city"),
    "district": _("district / county"),
    "township": _("township"),
    "enterprise": _("enterprise"),
}


#: The heading of a scope's table of child regions and of its first column.
BY_REGION = _("By region")
REGION = _("Region")


@dataclass
class ChildScope:
    key: str
    label: str
    #: The key under which a grouped computation returns this child's numbers (its region prefix).
    group_key: str
    enterprises: QuerySet[Enterprise] | None = None


@dataclass
class AnalysisScope:
    key: str
    kind: str
    label: str
    #: The scope's enterprises that the user may see (archived ones included: their records are history).
    enterprises: QuerySet[Enterprise]
    kind_label: Any = ""
    breadcrumbs: list[tuple[str, str]] = field(default_factory=list)  # (label, key), top first
    children: list[ChildScope] = field(default_factory=list)
    #: How to compute all children in one grouped query (None: each child separately).
    child_grouping: Grouping | None = None
    #: The heading of the table of children and of its first column (child regions unless a plug-in says).
    children_title: Any = BY_REGION
    child_column: Any = REGION
    #: Whether the scope lists its enterprises (every scope but a single enterprise).
    lists_enterprises: bool = True
    #: The user sees only some of the scope's enterprises (a trainer's or a buyer's view of a region).
    partial: bool = False
    object: Any = None
    #: The indicators the user may see here: None for all of them; the buyer summary's codes where the scope
    #: counts a supplier the user follows only as a buyer.  The indicator layer computes no others.
    indicator_codes: frozenset[str] | None = None

    def shows(self, code: str) -> bool:
        return self.indicator_codes is None or code in self.indicator_codes

    @property
    def summary_only(self) -> bool:
        """Whether the user sees the buyer summary of this scope (and no reports of it)."""
        return self.indicator_codes is not None


def visible_enterprises(user: Any) -> QuerySet[Enterprise]:
    return Enterprise.objects.visible_to(user, Action.VIEW)


def _enterprise_grant_ids(user: Any) -> Q | None:
    """A filter for the enterprises the user is given one by one (not through a region)."""
    sets = scope_for(user).enterprise_sets(Action.VIEW)
    if not sets:
        return None
    q = Q()
    for ids in sets:
        q |= Q(pk__in=ids)
    return q


def _inside_jurisdiction(user: Any, prefix: str) -> bool:
    scope = scope_for(user)
    if scope.reaches_everything(Action.VIEW):
        return True
    return any(prefix.startswith(p) for p in scope.region_prefixes(Action.VIEW))


def region_in_reach(user: Any, prefix: str) -> bool:
    if _inside_jurisdiction(user, prefix):
        return True
    given = _enterprise_grant_ids(user)
    if given is None:
        return False
    return Enterprise.objects.filter(given, region__code__startswith=prefix).exists()


def _given_prefixes(user: Any, length: int) -> set[str]:
    """Region prefixes (of ``length``) that hold an enterprise given to the user one by one."""
    given = _enterprise_grant_ids(user)
    if given is None:
        return set()
    return {code[:length] for code in Enterprise.objects.filter(given).values_list("region_id", flat=True)}


def _children_in_reach(user: Any, regions: list[Region]) -> list[Region]:
    if not regions:
        return []
    length = max(len(r.prefix) for r in regions)
    given = _given_prefixes(user, length)
    return [r for r in regions if _inside_jurisdiction(user, r.prefix) or any(g.startswith(r.prefix) for g in given)]


def _breadcrumbs(user: Any, region: Region | None) -> list[tuple[str, str]]:
    crumbs: list[tuple[str, str]] = []
    if region_in_reach(user, ""):
        crumbs.append((str(nation_label(user)), NATION))
    if region is None:
        return crumbs
    for ancestor in region.ancestors():
        if region_in_reach(user, ancestor.prefix):
            crumbs.append((ancestor.name, region_key(ancestor)))
    return crumbs


def nation_label(user: Any) -> Any:
    if scope_for(user).reaches_everything(Action.VIEW):
        return _("All regions")
    return _("All enterprises in your reach")


def region_key(region: Region) -> str:
    return f"region:{region.code}"


def enterprise_key(enterprise: Enterprise | int) -> str:
    pk = enterprise if isinstance(enterprise, int) else enterprise.pk
    return f"enterprise:{pk}"


def _region_children(user: Any, parent: Region | None) -> tuple[list[ChildScope], Grouping | None]:
    if parent is None:
        candidates = list(Region.objects.filter(level=RegionLevel.PROVINCE).order_by("code"))
    elif parent.level >= RegionLevel.DISTRICT:
        return [], None
    else:
        candidates = list(Region.objects.filter(parent=parent).order_by("code"))
    regions = _children_in_reach(user, candidates)
    children = [ChildScope(region_key(r), r.name, r.prefix) for r in regions]
    lengths = {len(r.prefix) for r in regions}
    grouping = Grouping("region", lengths.pop()) if len(lengths) == 1 else None
    if grouping is None:
        for child in children:
            child.enterprises = Enterprise.objects.filter(region__code__startswith=child.group_key)
    return children, grouping


def _resolve_nation(user: Any) -> AnalysisScope:
    if not region_in_reach(user, ""):
        raise OutOfScope
    children, grouping = _region_children(user, None)
    return AnalysisScope(
        key=NATION,
        kind="nation",
        kind_label=KIND_LABELS["nation"],
        label=str(nation_label(user)),
        enterprises=visible_enterprises(user),
        breadcrumbs=[],
        children=children,
        child_grouping=grouping,
        partial=not scope_for(user).reaches_everything(Action.VIEW),
    )


def _resolve_region(user: Any, code: str) -> AnalysisScope:
    if not _REGION_CODE.match(code):
        raise OutOfScope
    region = Region.objects.select_related("parent__parent").filter(code=code).first()
    if region is None or not region_in_reach(user, region.prefix):
        raise OutOfScope
    children, grouping = _region_children(user, region)
    kind = LEVEL_KINDS.get(RegionLevel(region.level), "district")
    return AnalysisScope(
        key=region_key(region),
        kind=kind,
        kind_label=KIND_LABELS[kind],
        label=region.name,
        enterprises=visible_enterprises(user).filter(region__code__startswith=region.prefix),
        breadcrumbs=_breadcrumbs(user, region),
        children=children,
        child_grouping=grouping,
        partial=not _inside_jurisdiction(user, region.prefix),
        object=region,
    )


def _resolve_enterprise(user: Any, ident: str) -> AnalysisScope:
    if not ident.isdigit():
        raise OutOfScope
    with_regions = Enterprise.objects.select_related("region__parent__parent")
    enterprise = get_visible_or_404(with_regions, user, Action.VIEW, pk=int(ident))
    region = enterprise.region
    crumbs = _breadcrumbs(user, region)
    if region_in_reach(user, region.prefix):
        crumbs.append((region.name, region_key(region)))
    return AnalysisScope(
        key=enterprise_key(enterprise),
        kind="enterprise",
        kind_label=KIND_LABELS["enterprise"],
        label=enterprise.name,
        # The user's visibility was checked just above: the scope is this one enterprise, and every
        # query of the page filters on its id alone rather than repeating the visibility conditions.
        enterprises=Enterprise.objects.filter(pk=enterprise.pk),
        breadcrumbs=crumbs,
        lists_enterprises=False,
        object=enterprise,
    )


def plugged_scope_kinds() -> dict[str, ScopeKind]:
    from .layer import discover

    kinds: dict[str, ScopeKind] = {}
    for source in discover():
        for kind in getattr(source.module, "SCOPES", []):
            kinds[kind.name] = kind
    return kinds


def _resolve_plugged(user: Any, kind: ScopeKind, ident: str, *, with_children: bool = True) -> AnalysisScope:
    definition: ScopeDefinition = kind.resolve(user, ident)
    visible = visible_enterprises(user)
    children = [
        ChildScope(key, label, key, enterprises=_plugged_enterprises(user, key))
        for key, label in (definition.children or [] if with_children else [])
    ]
    crumbs = _breadcrumbs(user, None)
    if definition.parent:
        try:
            parent = _resolve_parent(user, definition.parent)
            crumbs = [*parent.breadcrumbs, (parent.label, parent.key)]
        except OutOfScope:
            pass
    return AnalysisScope(
        key=f"{kind.name}:{ident}",
        kind=kind.name,
        kind_label=kind.label,
        children_title=definition.children_title or BY_REGION,
        child_column=definition.child_column or REGION,
        label=definition.label,
        enterprises=visible.filter(pk__in=definition.enterprises.values("pk")),
        breadcrumbs=crumbs,
        children=children,
        # Partial only when some of the programme's (or cohort's) enterprises are out of the user's reach.
        partial=definition.enterprises.exclude(pk__in=visible.values("pk")).exists(),
    )


def _resolve_parent(user: Any, key: str) -> AnalysisScope:
    """The scope above a plugged one, for the breadcrumbs only: a plugged parent (the programme of a
    cohort) is resolved without its children, whose own parent is the scope being resolved."""
    kind, _sep, ident = key.partition(":")
    plugged = plugged_scope_kinds().get(kind)
    if plugged is None or not ident:
        return _resolve(user, key)
    return _resolve_plugged(user, plugged, ident, with_children=False)


def _plugged_enterprises(user: Any, key: str) -> QuerySet[Enterprise] | None:
    """A child's enterprises, visible ones only; a plugged child is asked for its enterprises alone
    (resolving it whole would resolve its parent, the scope being resolved, again)."""
    kind, _sep, ident = key.partition(":")
    plugged = plugged_scope_kinds().get(kind)
    try:
        if plugged is None or not ident:
            return _resolve(user, key).enterprises
        definition = plugged.resolve(user, ident)
    except OutOfScope:
        return None
    return visible_enterprises(user).filter(pk__in=definition.enterprises.values("pk"))


def resolve_scope(user: Any, key: str | None) -> AnalysisScope:
    """The scope named by ``key`` for ``user``; :class:`OutOfScope` (404) when it is not in their reach."""
    scope = _resolve(user, key)
    if sees_summary_only(user, scope.enterprises):
        scope.indicator_codes = BUYER_SUMMARY_INDICATORS
    return scope


def _resolve(user: Any, key: str | None) -> AnalysisScope:
    if not getattr(user, "is_authenticated", False):
        raise OutOfScope
    key = (key or "").strip() or default_scope_key(user)
    if key == NATION:
        return _resolve_nation(user)
    if _REGION_CODE.match(key):
        return _resolve_region(user, key)
    kind, _sep, ident = key.partition(":")
    if kind == "region":
        return _resolve_region(user, ident)
    if kind == "enterprise":
        return _resolve_enterprise(user, ident)
    plugged = plugged_scope_kinds().get(kind)
    if plugged is None or not ident:
        raise OutOfScope
    return _resolve_plugged(user, plugged, ident)


def default_scope_key(user: Any) -> str:
    """Where "Dashboards" opens: the nation for the programme office, an official's jurisdiction,
    the enterprise of its own staff, otherwise everything in reach."""
    scope = scope_for(user)
    if scope.reaches_everything(Action.VIEW):
        return NATION
    prefixes = scope.region_prefixes(Action.VIEW)
    given = _enterprise_grant_ids(user)
    if len(prefixes) == 1 and given is None:
        region = Region.objects.filter(prefix=prefixes[0]).order_by("level").first()
        if region is not None:
            return region_key(region)
    if not prefixes and given is not None:
        ids = list(Enterprise.objects.filter(given).values_list("pk", flat=True)[:2])
        if len(ids) == 1:
            return enterprise_key(ids[0])
    return NATION


def reachable_regions(user: Any) -> list[Region]:
    """Regions whose dashboard the user may open, for pickers (nation excluded)."""
    regions = list(Region.objects.filter(level__lte=RegionLevel.DISTRICT).order_by("code"))
    return _children_in_reach(user, regions)
