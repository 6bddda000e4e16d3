"""Every URL of the project, called as every demo persona and anonymously.

The test walks ``django.urls.get_resolver()`` (pages and the API, with Django REST framework's router
routes and their format-suffix variants) and calls each pattern as ``admin``, ``zhejiang_official``,
``huzhou_official``, ``nanxun_inspector``, ``trainer``, ``factory_manager``, ``buyer``,
``fangshan_official`` and an anonymous visitor.  Nobody edits this file when a URL is added: URL
arguments are filled by the convention of ``docs/developing.md`` (``pk`` is a record of the view's
``model``; anything else comes from ``SAMPLES`` in ``scorehub/<app>/tests/url_samples.py``), and a URL
that cannot be filled fails with a message saying what to add.

Who should reach what is restated here, *independently* of ``visible_to``, as plain rules on the demo
world (``PERSONA_RULES``): a bureau's jurisdiction by GB/T 2260 region-code prefix, the trainer's
provider assignments, the factory manager's own enterprise, the buyer's active consents.  The answers of
the application are compared with these rules:

* GET of a record outside the persona's reach (or inside it, for an action the role does not have)
  answers 404 (405 where the view has no GET), never 200, 403 or 500; inside the reach it answers.
* No answer (page, table fragment, CSV or XLSX export, search, API list, browsable API, OPTIONS) ever
  contains the credit code or name of an enterprise outside the persona's reach.
* POST (and PUT / PATCH / DELETE on API detail routes) by someone without the right answers
  404 / 405 / 400 (or sends an anonymous caller to the login page) and changes nothing in any table of
  the project's own models or the change log (row counts and a hash of the content are compared).
  Payloads are real: the form a programme admin is shown for the same URL, or the record's JSON, with a
  text field changed, so a missing scope check would really write.

Skipped, each for a stated reason: Django's admin site, the i18n language switch, static / media files.
"""

from __future__ import annotations

import contextlib
import copy
import hashlib
import html
import io
import json
import re
import traceback
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from html.parser import HTMLParser
from importlib import import_module
from typing import Any, ClassVar

import openpyxl
import pytest
from auditlog.models import LogEntry
from django.apps import apps
from django.conf import settings
from django.db import connection, models, transaction
from django.db.models import Count, Max, Min
from django.test import Client
from django.urls import NoReverseMatch, URLResolver, get_resolver, resolve, reverse
from django.urls.resolvers import RoutePattern
from django.views.generic.list import MultipleObjectMixin
from django_tables2.export import ExportMixin
from rest_framework.views import APIView

from scorehub.accounts.models import Organisation, ProviderAssignment, User
from scorehub.core.api import ScopedViewSet
from scorehub.core.import_views import ImportTemplateView
from scorehub.core.models import ImportJob
from scorehub.core.scoping import Action, ThroughEnterprise, ThroughRegion, is_visible
from scorehub.core.views import ScopedFormView, ScopedViewMixin
from scorehub.enterprises.models import BuyerConsent, Enterprise

# ---------------------------------------------------------------------------------------------------
# What is not tried, and why.

SKIPPED_NAMESPACES = {
    "admin": "Django's admin site: staff-only, guarded by Django's own model permissions, not by scoping",
}
SKIPPED_NAMES = {
    "set_language": "Django's i18n language switch: sets the language preference only, shows and stores no records",
}
SKIPPED_CALLBACKS = {
    "django.views.static.serve": "static and media files: served by the web server in production (DEBUG only here)",
    "django.contrib.staticfiles.views.serve": "static files: served by the web server in production",
}

# ---------------------------------------------------------------------------------------------------
# The URL patterns.


@dataclass(frozen=True)
class Endpoint:
    route: str
    name: str | None
    callback: Any
    kwarg_names: tuple[str, ...]
    test_id: str = ""

    def __str__(self) -> str:
        return f"{self.name or '(unnamed)'} [{self.route}]"

    @property
    def view_class(self) -> Any:
        return getattr(self.callback, "cls", None) or getattr(self.callback, "view_class", None)

    @property
    def is_api(self) -> bool:
        return isinstance(self.view_class, type) and issubclass(self.view_class, APIView)

    @property
    def drf_actions(self) -> dict[str, str] | None:
        return getattr(self.callback, "actions", None)

    @property
    def model(self) -> type[models.Model] | None:
        holder = self.view_class if self.view_class is not None else self.callback
        return getattr(holder, "model", None)

    @property
    def is_scoped(self) -> bool:
        view_class = self.view_class
        if view_class is not None:
            return issubclass(view_class, ScopedViewMixin | ScopedViewSet)
        return self.model is not None

    @property
    def has_pk(self) -> bool:
        return "pk" in self.kwarg_names

    @property
    def is_list(self) -> bool:
        view_class = self.view_class
        if self.drf_actions is not None:
            return "list" in self.drf_actions.values()
        return isinstance(view_class, type) and issubclass(view_class, MultipleObjectMixin)

    @property
    def exports(self) -> bool:
        return isinstance(self.view_class, type) and issubclass(self.view_class, ExportMixin)

    @property
    def app_label(self) -> str:
        module = getattr(self.view_class, "__module__", None) or self.callback.__module__
        parts = module.split(".")
        return parts[1] if parts[0] == "scorehub" and len(parts) > 2 else "core"

    def allows(self, method: str) -> bool | None:
        """Whether the view answers ``method`` at all (None: a function view, we cannot tell)."""
        if method == "options" and self.is_api:
            return True
        if self.drf_actions is not None:
            return method in self.drf_actions
        view_class = self.view_class
        if view_class is None:
            return None
        return method in view_class.http_method_names and hasattr(view_class, method)

    def action_for(self, method: str) -> str | tuple[str, ...] | None:
        """The scope action the view asks for (None: the view declares no scope).

        A tuple: the view acts with whichever of its ``scope_actions`` the caller holds, any one will do
        (e.g. a case study is proposed by the enterprise's team, who operate, or by its trainer, who coaches).
        """
        view_class = self.view_class
        if isinstance(view_class, type) and issubclass(view_class, ScopedViewSet):
            if method in ("get", "head", "options"):
                return view_class.read_action
            if method == "post" and not self.has_pk:
                return view_class.create_action
            return view_class.write_action
        several = tuple(getattr(view_class if view_class is not None else self.callback, "scope_actions", ()))
        if several:
            return several
        # A view handed its action by its URL pattern (``as_view(scope_action=...)``: the shared import pages
        # ask for their importer's action, e.g. "operate" for an enterprise's own suggestions) asks for that.
        initkwargs = getattr(self.callback, "view_initkwargs", {})
        if "scope_action" in initkwargs:
            return str(initkwargs["scope_action"])
        if isinstance(view_class, type) and issubclass(view_class, ScopedViewMixin):
            return getattr(view_class, "scope_actions", None) or view_class.scope_action
        if self.model is not None:
            holder = view_class if view_class is not None else self.callback
            declared = getattr(holder, "scope_action", None)
            return declared or (Action.VIEW if method in ("get", "head", "options") else Action.CHANGE)
        return None


def _pattern_kwargs(pattern: Any) -> tuple[str, ...]:
    if isinstance(pattern, RoutePattern):
        return tuple(pattern.converters)
    regex = getattr(pattern, "regex", None)
    return tuple(regex.groupindex) if regex is not None else ()


def _walk(patterns: list[Any], prefix: str, namespace: str | None, kwargs: tuple[str, ...]) -> Iterator[Any]:
    for entry in patterns:
        names = kwargs + _pattern_kwargs(entry.pattern)
        if isinstance(entry, URLResolver):
            inner = namespace
            if entry.namespace:
                inner = f"{namespace}:{entry.namespace}" if namespace else entry.namespace
            yield from _walk(entry.url_patterns, prefix + str(entry.pattern), inner, names)
        else:
            name = entry.name and (f"{namespace}:{entry.name}" if namespace else entry.name)
            yield prefix + str(entry.pattern), namespace, name, entry.callback, names


def _skip_reason(namespace: str | None, name: str | None, callback: Any) -> str | None:
    root = (namespace or "").split(":")[0]
    if root in SKIPPED_NAMESPACES:
        return SKIPPED_NAMESPACES[root]
    if name in SKIPPED_NAMES:
        return SKIPPED_NAMES[name]
    return SKIPPED_CALLBACKS.get(f"{callback.__module__}.{getattr(callback, '__name__', '')}")


def discover_endpoints() -> tuple[list[Endpoint], list[tuple[str, str]]]:
    endpoints: list[Endpoint] = []
    skipped: list[tuple[str, str]] = []
    seen: dict[str, int] = {}
    for route, namespace, name, callback, kwarg_names in _walk(get_resolver().url_patterns, "/", None, ()):
        reason = _skip_reason(namespace, name, callback)
        if reason:
            skipped.append((route, reason))
            continue
        test_id = (name or route) + (".format" if "format" in kwarg_names else "")
        seen[test_id] = seen.get(test_id, 0) + 1
        if seen[test_id] > 1:
            test_id = f"{test_id}#{seen[test_id]}"
        endpoints.append(Endpoint(route, name, callback, tuple(dict.fromkeys(kwarg_names)), test_id))
    return endpoints, skipped


ENDPOINTS, SKIPPED = discover_endpoints()

# ---------------------------------------------------------------------------------------------------
# URL samples from every app.


@dataclass
class UrlSamples:
    samples: dict[str, Callable[[], Any]] = field(default_factory=dict)
    public: dict[str, str] = field(default_factory=dict)
    self_service: dict[str, str] = field(default_factory=dict)


def load_url_samples() -> UrlSamples:
    merged = UrlSamples()
    for app_config in apps.get_app_configs():
        if not app_config.name.startswith("scorehub."):
            continue
        module_name = f"{app_config.name}.tests.url_samples"
        try:
            module = import_module(module_name)
        except ModuleNotFoundError as exc:
            if exc.name in (module_name, f"{app_config.name}.tests"):
                continue
            raise
        for attr, target in (("SAMPLES", merged.samples), ("PUBLIC_URL_NAMES", merged.public)):
            for key, value in getattr(module, attr, {}).items():
                assert key not in target, f"{attr}[{key!r}] is defined twice (again in {module_name})"
                target[key] = value
        for key, value in getattr(module, "SELF_SERVICE_URL_NAMES", {}).items():
            assert key not in merged.self_service, f"SELF_SERVICE_URL_NAMES[{key!r}] is defined twice"
            merged.self_service[key] = value
    return merged


URL_SAMPLES = load_url_samples()

# ---------------------------------------------------------------------------------------------------
# Who reaches what: the roles of issue 2, restated as plain rules on the demo world.

OFFICIAL_ACTIONS = frozenset({"view", "history", "change", "manage", "inspect"})


@dataclass(frozen=True)
class Rule:
    role: str
    actions: frozenset[str]
    everything: bool = False
    #: A bureau's jurisdiction: every region whose GB/T 2260 code starts with this.
    region_prefix: str | None = None
    #: Enterprise-bound personas: "provider" assignments, "own" enterprise, buyer "consent".
    enterprises: str | None = None

    def holds(self, action: str | tuple[str, ...]) -> bool:
        """Whether the role has the action (one of them, for a view's ``scope_actions``)."""
        return any(one in self.actions for one in ((action,) if isinstance(action, str) else action))


PERSONA_RULES = {
    "admin": Rule("programme_admin", frozenset(Action), everything=True),
    "zhejiang_official": Rule("official", OFFICIAL_ACTIONS, region_prefix="33"),
    "huzhou_official": Rule("official", OFFICIAL_ACTIONS, region_prefix="3305"),
    "nanxun_inspector": Rule("inspector", frozenset({"view", "history", "inspect"}), region_prefix="330503"),
    "trainer": Rule("trainer", frozenset({"view", "history", "coach"}), enterprises="provider"),
    "factory_manager": Rule(
        "enterprise_manager", frozenset({"view", "history", "change", "operate"}), enterprises="own"
    ),
    "buyer": Rule("buyer_viewer", frozenset({"view"}), enterprises="consent"),
    "fangshan_official": Rule("official", OFFICIAL_ACTIONS, region_prefix="110111"),
}
PERSONAS = list(PERSONA_RULES)
READING = ("view", "history")


@dataclass(frozen=True)
class Firm:
    pk: int
    region: str
    credit_code: str
    name_zh: str
    name_en: str


def load_firms() -> list[Firm]:
    rows = Enterprise._base_manager.values_list("pk", "region_id", "credit_code", "name_zh", "name_en")
    return [Firm(*row) for row in rows]


def region_ancestors(code: str) -> set[str]:
    """Codes above a region code or subtree prefix: 330503 -> {330000, 330500}."""
    above = set()
    if len(code) > 2:
        above.add(code[:2] + "0000")
    if len(code) > 4:
        above.add(code[:4] + "00")
    return above - {code.ljust(6, "0")}


@dataclass(frozen=True)
class Row:
    """One record, reduced to what decides who reaches it."""

    pk: Any
    kind: str  # "enterprise", "region", "organisation" or "other"
    enterprise_id: int | None = None
    region: str = ""
    enterprise_region: str = ""
    #: For a training provider: the regions of the enterprises assigned to it.
    serves: frozenset[str] = frozenset()
    org_kind: str = ""

    @property
    def place(self) -> str:
        return self.region or self.enterprise_region


def scope_rows(model: type[models.Model]) -> list[Row]:
    policy = getattr(model, "scope_policy", None)
    manager = model._base_manager
    if isinstance(policy, ThroughEnterprise):
        path = policy.enterprise_path
        enterprise = f"{path}__pk" if path else "pk"
        region = f"{path}__region_id" if path else "region_id"
        return [Row(pk, "enterprise", e, r or "") for pk, e, r in manager.values_list("pk", enterprise, region)]
    if isinstance(policy, ThroughRegion):
        code = f"{policy.region_path}__code" if policy.region_path else "code"
        return [Row(pk, "region", region=c or "") for pk, c in manager.values_list("pk", code)]
    if model is Organisation:
        rows = manager.values_list("pk", "enterprise_id", "region_id", "enterprise__region_id", "kind")
        served: dict[int, set[str]] = {}
        for provider_id, region in ProviderAssignment.objects.values_list("provider_id", "enterprise__region_id"):
            served.setdefault(provider_id, set()).add(region)
        return [
            Row(pk, "organisation", e, r or "", er or "", frozenset(served.get(pk, ())), kind)
            for pk, e, r, er, kind in rows
        ]
    return [Row(pk, "other") for pk in manager.values_list("pk", flat=True)]


@dataclass
class Reach:
    """What one persona reaches according to ``PERSONA_RULES`` (computed from the raw tables)."""

    who: str
    user: Any
    rule: Rule
    firms: list[Firm]
    enterprise_ids: frozenset[int]
    organisation_ids: frozenset[int]
    _forbidden: set[str] | None = field(default=None, repr=False, compare=False)

    @classmethod
    def of(cls, who: str, user: Any, firms: list[Firm]) -> Reach:
        rule = PERSONA_RULES[who]
        ids: set[int] = set()
        if rule.enterprises == "provider":
            ids = set(
                ProviderAssignment.objects.filter(provider__memberships__user=user).values_list(
                    "enterprise_id", flat=True
                )
            )
        elif rule.enterprises == "own":
            ids = set(
                Organisation._base_manager.filter(memberships__user=user, kind="enterprise").values_list(
                    "enterprise_id", flat=True
                )
            )
        elif rule.enterprises == "consent":
            ids = set(
                BuyerConsent._base_manager.filter(buyer__memberships__user=user, revoked_at__isnull=True).values_list(
                    "enterprise_id", flat=True
                )
            )
        orgs = frozenset(Organisation._base_manager.filter(memberships__user=user).values_list("pk", flat=True))
        return cls(who, user, rule, firms, frozenset(ids), orgs)

    def reaches_firm(self, enterprise_id: int | None, region: str) -> bool:
        if self.rule.everything:
            return True
        if self.rule.region_prefix is not None:
            return region.startswith(self.rule.region_prefix)
        return enterprise_id in self.enterprise_ids

    def reaches(self, model: type[models.Model], row: Row, action: str | tuple[str, ...]) -> bool:
        if isinstance(action, tuple):  # a view's ``scope_actions``: any one of them will do
            return any(self.reaches(model, row, one) for one in action)
        rule = self.rule
        if action not in rule.actions:
            return False
        if rule.everything:
            return True
        policy = getattr(model, "scope_policy", None)
        if row.kind in ("enterprise", "region") and rule.role not in policy.roles:  # type: ignore[union-attr]
            return False
        if row.kind == "enterprise":
            return self.reaches_firm(row.enterprise_id, row.region)
        reading = action in READING
        if row.kind == "region":
            if rule.region_prefix is not None:
                return row.region.startswith(rule.region_prefix) or (
                    reading and row.region in region_ancestors(rule.region_prefix)
                )
            codes = {f.region for f in self.firms if f.pk in self.enterprise_ids}
            above = set().union(*(region_ancestors(c) for c in codes)) if codes else set()
            return reading and (row.region in codes or row.region in above)
        if row.kind == "organisation":
            if reading and row.pk in self.organisation_ids:
                return True
            if rule.region_prefix is not None:
                prefix = rule.region_prefix
                # Officials read the training providers serving their jurisdiction: national ones,
                # those seated above it and those assigned to its enterprises.
                serving = row.org_kind == "provider" and (
                    row.region == ""
                    or row.region in region_ancestors(prefix)
                    or any(code.startswith(prefix) for code in row.serves)
                )
                return (
                    row.region.startswith(prefix) or row.enterprise_region.startswith(prefix) or (reading and serving)
                )
            return row.enterprise_id is not None and row.enterprise_id in self.enterprise_ids
        # A model with a policy of its own that this test has no rule for: ask the choke point.
        return is_visible(model._base_manager.get(pk=row.pk), self.user, action)

    def forbidden_strings(self) -> set[str]:
        """Credit codes and names of every enterprise the persona must not see anywhere."""
        if self._forbidden is None:
            self._forbidden = self._outside_strings()
        return self._forbidden

    def _outside_strings(self) -> set[str]:
        inside = [f for f in self.firms if self.reaches_firm(f.pk, f.region) and "view" in self.rule.actions]
        outside = [f for f in self.firms if f not in inside]
        strings = {s for f in outside for s in (f.credit_code, f.name_zh, f.name_en) if s}
        visible_names = [s for f in inside for s in (f.name_zh, f.name_en) if s]
        # A name that is also (part of) the name of a visible enterprise is no evidence of a leak.
        return {s for s in strings if not any(s in name for name in visible_names)}


def published_names(endpoint: Endpoint) -> set[str]:
    """Names an endpoint may show to anyone in the programme because their enterprise chose to publish them.

    The good-practice library is read programme-wide; an approved case study carries its enterprise's name
    only when the enterprise ticked "name the enterprise" (``show_enterprise_name``), and otherwise only the
    industry and district.  On the library's own pages (records of the case-study model) those names are a
    publication with consent, like a buyer's, not a leak; everywhere else, and credit codes always, they are.
    """
    model = endpoint.model
    if endpoint.name == "training:certificate-verify":
        # A certificate's public verification page confirms whom it was issued to: that is its purpose.
        from scorehub.training.models import Certificate

        pairs = Certificate.objects.values_list("enterprise__name_zh", "enterprise__name_en")
        return {name for pair in pairs for name in pair if name}
    if model is None or model._meta.label != "suggestions.CaseStudy":
        return set()
    named = model._base_manager.filter(status="approved", show_enterprise_name=True)
    return {name for pair in named.values_list("enterprise__name_zh", "enterprise__name_en") for name in pair if name}


def nanxun_first(row: Row) -> tuple[int, str]:
    """Prefer records in Nanxun, then Huzhou, then Zhejiang: the part of the world the pilots are about."""
    place = row.place
    rank = 0 if place.startswith("330503") else 1 if place.startswith("3305") else 2 if place.startswith("33") else 3
    return rank, str(row.pk)


def missing_pk(model: type[models.Model]) -> Any:
    pk_field = model._meta.pk
    if isinstance(pk_field, models.CharField):
        return "999999"
    return 987654321


# ---------------------------------------------------------------------------------------------------
# The database fingerprint: every table of the project's own models (their many-to-many tables included),
# and the change log.


def fingerprinted_models() -> list[type[models.Model]]:
    own = [
        m
        for m in apps.get_models(include_auto_created=True)
        if m._meta.app_config.name.startswith("scorehub.") and not m._meta.proxy and m._meta.managed
    ]
    return [*own, LogEntry]


#: The fingerprinted models by table, and every table Django knows (a write elsewhere is a write to anything).
FINGERPRINTED = {m._meta.db_table.lower(): m for m in fingerprinted_models()}
KNOWN_TABLES = {m._meta.db_table.lower() for m in apps.get_models(include_auto_created=True)}


def fingerprint(tables: set[str] | None = None) -> dict[str, tuple[int, str]]:
    """Row count and a hash of the whole content of every fingerprinted table, or of those of ``tables``."""
    chosen = FINGERPRINTED if tables is None else {t: FINGERPRINTED[t] for t in tables if t in FINGERPRINTED}
    result = {}
    for model in chosen.values():
        rows = list(model._base_manager.order_by("pk").values_list())
        result[model._meta.label] = (len(rows), hashlib.sha256(repr(rows).encode()).hexdigest())
    return result


# What a statement can change: nothing (a read, a savepoint), the table it names (INSERT, UPDATE, DELETE), or,
# for anything else (a CTE, DDL, COPY, a table no model owns), any table at all.
LEADING_NOISE = re.compile(r"(?:\s+|--[^\n]*\n|/\*.*?\*/)*", re.DOTALL)
READ_STATEMENT = re.compile(r"(?:SELECT|SAVEPOINT|RELEASE|ROLLBACK|BEGIN|COMMIT|EXPLAIN|SHOW|SET|PRAGMA)\b", re.I)
WRITE_STATEMENT = re.compile(
    r"(?:INSERT(?:\s+OR\s+\w+)?\s+INTO|REPLACE\s+INTO|UPDATE(?:\s+OR\s+\w+)?|DELETE\s+FROM)\s+"
    r"[\"`]?([\w$]+)[\"`]?(?=[\s(]|$)",
    re.IGNORECASE,
)
ANY_TABLE = "*"


class WriteRecorder:
    """Every statement sent on the connection while it is active, reduced to the tables it may have written.

    ``tables`` holds their names, or ``ANY_TABLE`` when a statement could have written anywhere; the
    fingerprint then covers every table, as it does for the unknown.  An execute wrapper sees every
    statement (ORM, raw cursors, ``executemany``), however many there are.
    """

    def __init__(self) -> None:
        self.tables: set[str] = set()

    def __call__(self, execute: Callable[..., Any], sql: str, params: Any, many: bool, context: Any) -> Any:
        self.tables |= self.written(str(sql))
        return execute(sql, params, many, context)

    @staticmethod
    def written(sql: str) -> set[str]:
        noise = LEADING_NOISE.match(sql)
        statement = sql[noise.end() if noise else 0 :]
        if READ_STATEMENT.match(statement):
            return set()
        write = WRITE_STATEMENT.match(statement)
        table = write.group(1).lower() if write else ANY_TABLE
        return {table if table in KNOWN_TABLES else ANY_TABLE}

    @contextlib.contextmanager
    def recording(self) -> Iterator[WriteRecorder]:
        with connection.execute_wrapper(self):
            yield self

    @property
    def wrote(self) -> bool:
        return bool(self.tables)

    def to_fingerprint(self) -> set[str] | None:
        """The tables to fingerprint: None for all of them."""
        return None if ANY_TABLE in self.tables else self.tables


def changed_tables(before: dict[str, tuple[int, str]], after: dict[str, tuple[int, str]]) -> list[str]:
    return [label for label in after if before.get(label) != after[label]]


# ---------------------------------------------------------------------------------------------------
# Responses.


def body_text(response: Any) -> str:
    content = b"".join(response.streaming_content) if response.streaming else response.content
    content_type = response.get("Content-Type", "")
    if "spreadsheetml" in content_type:
        workbook = openpyxl.load_workbook(io.BytesIO(content), read_only=True)
        return "\n".join(
            str(cell) for sheet in workbook for row in sheet.iter_rows(values_only=True) for cell in row if cell
        )
    text = content.decode("utf-8", errors="replace")
    if "json" in content_type:
        with contextlib.suppress(ValueError):
            text = json.dumps(json.loads(text), ensure_ascii=False)
    return html.unescape(text)


def is_login_redirect(response: Any) -> bool:
    login = reverse(settings.LOGIN_URL)
    return response.status_code == 302 and response.get("Location", "").startswith(login)


def describe(response: Any) -> str:
    where = f" -> {response.get('Location')}" if response.status_code in (301, 302, 303, 307, 308) else ""
    return f"{response.status_code}{where}"


class FormScraper(HTMLParser):
    """The fields of the first POST form of a page that posts to the page itself."""

    def __init__(self, path: str) -> None:
        super().__init__(convert_charrefs=True)
        self.path = path
        self.fields: list[tuple[str, str, str]] | None = None  # (name, value, kind)
        self._current: list[tuple[str, str, str]] | None = None
        self._select: str | None = None
        self._select_value: str | None = None
        self._first_option: str | None = None
        self._textarea: str | None = None
        self._text = ""

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        posts_here = a.get("method", "get").lower() == "post" and a.get("action", "") in ("", self.path)
        if tag == "form" and self.fields is None and self._current is None and posts_here:
            self._current = []
        if self._current is None:
            return
        if tag == "input" and a.get("name"):
            kind = a.get("type", "text").lower()
            if kind in ("checkbox", "radio") and "checked" not in a:
                return
            if kind in ("submit", "button", "file", "image", "reset"):
                return
            self._current.append((a["name"], a.get("value", "on" if kind == "checkbox" else ""), kind))
        elif tag == "select" and a.get("name"):
            self._select, self._select_value, self._first_option = a["name"], None, None
        elif tag == "option" and self._select is not None:
            value = a.get("value", "")
            if not self._first_option:
                self._first_option = value  # the first real choice, as a user would pick one
            if "selected" in a:
                self._select_value = value
        elif tag == "textarea" and a.get("name"):
            self._textarea, self._text = a["name"], ""

    def handle_data(self, data: str) -> None:
        if self._textarea is not None:
            self._text += data

    def handle_endtag(self, tag: str) -> None:
        if self._current is None:
            return
        if tag == "select" and self._select is not None:
            # The selected choice, or the first real one where the form starts on "---------".
            value = self._select_value or self._first_option
            self._current.append((self._select, value or "", "select"))
            self._select = None
        elif tag == "textarea" and self._textarea is not None:
            self._current.append((self._textarea, self._text, "textarea"))
            self._textarea = None
        elif tag == "form":
            self.fields, self._current = self._current, None


def plain_text_fields(*model_classes: Any) -> list[str]:
    """Names of free-text fields that can be changed without breaking validation."""
    names = []
    for model in model_classes:
        if model is None:
            continue
        for f in model._meta.concrete_fields:
            text = isinstance(f, models.CharField | models.TextField)
            special = isinstance(f, models.EmailField | models.URLField | models.SlugField) or f.primary_key
            if text and not special and f.editable and not f.unique and not f.choices:
                names.append(f.name)
    return names


# ---------------------------------------------------------------------------------------------------
# The world as the tests see it.


def world_signature() -> tuple[Any, ...]:
    """Changes when the world is built again (new primary keys), not with a test's rolled-back writes."""
    counted = Enterprise._base_manager.aggregate(Count("pk"), Max("pk"), Min("pk"))
    return (connection.settings_dict["NAME"], *counted.values())


class World:
    """The demo world as the matrix sees it, and what follows from it alone.

    Every test of the matrix, and every request in it, is rolled back: each test starts from the world the
    worker built.  So what follows from that world alone is worked out once per worker and kept for the
    tests after (``World.shared()``): the enterprises, the scope rows of each model, each persona's reach and
    forbidden strings, the URL samples, the names a page may publish and the payloads taken from the admin's
    forms.  A test whose URL samples wrote something (they may create a record) sees a world of its own,
    worked out afresh (``World()``).
    """

    _shared: ClassVar[World | None] = None

    def __init__(self, signature: tuple[Any, ...] = ()) -> None:
        self.signature = signature
        self.firms = load_firms()
        self._admin_client: Client | None = None
        self._rows: dict[type[models.Model], list[Row]] = {}
        self._reach: dict[str, Reach] = {}
        self._samples: dict[str, Any] = {}
        self._payloads: dict[tuple[str, str, str], tuple[Any, str | None]] = {}
        self._published: dict[str, set[str]] = {}
        self._personal_data: set[str] | None = None
        self._first_rows: dict[tuple[Any, ...], Row | None] = {}

    @classmethod
    def shared(cls) -> World:
        """The worker's world, worked out again only when the world itself was built again."""
        signature = world_signature()
        if cls._shared is None or cls._shared.signature != signature:
            cls._shared = cls(signature)
        # The admin's session was rolled back with the test that signed in: sign in again when needed.
        cls._shared._admin_client = None
        return cls._shared

    @property
    def admin_client(self) -> Client:
        if self._admin_client is None:
            self._admin_client = Client()
            self._admin_client.force_login(User.objects.get(username="admin"))
        return self._admin_client

    def rows(self, model: type[models.Model]) -> list[Row]:
        if model not in self._rows:
            self._rows[model] = sorted(scope_rows(model), key=nanxun_first)
        return self._rows[model]

    def reach(self, who: str, user: Any) -> Reach:
        if who not in self._reach:
            self._reach[who] = Reach.of(who, user, self.firms)
        return self._reach[who]

    def first_row(self, key: tuple[Any, ...], rows: list[Row], wanted: Callable[[Row], bool]) -> Row | None:
        """The first of ``rows`` that is ``wanted`` (``key`` names rows and condition for the next test)."""
        if key not in self._first_rows:
            self._first_rows[key] = next((r for r in rows if wanted(r)), None)
        return self._first_rows[key]

    def sample(self, key: str) -> tuple[Any, bool]:
        """A URL sample, and whether computing it wrote to the database (then it is not kept)."""
        if key in self._samples:
            return self._samples[key], False
        recorder = WriteRecorder()
        with recorder.recording():
            value = URL_SAMPLES.samples[key]()
        if not recorder.wrote:
            self._samples[key] = value
        return value, recorder.wrote

    def published_names(self, endpoint: Endpoint) -> set[str]:
        if endpoint.test_id not in self._published:
            self._published[endpoint.test_id] = published_names(endpoint)
        return self._published[endpoint.test_id]

    def personal_data(self) -> set[str]:
        """Names of people and credit codes and names of enterprises: what a public page must never show."""
        if self._personal_data is None:
            names = set(User.objects.exclude(display_name="").values_list("display_name", flat=True))
            firms = {s for f in self.firms for s in (f.credit_code, f.name_zh, f.name_en) if s}
            self._personal_data = names | firms
        return self._personal_data

    def payload(self, endpoint: Endpoint, url: str, method: str) -> tuple[Any, str | None]:
        """What a legitimate user would send (a copy: the caller may change it)."""
        key = (endpoint.test_id, url, method)
        if key not in self._payloads:
            self._payloads[key] = self._payload(endpoint, url, method)
        return copy.deepcopy(self._payloads[key])

    def _payload(self, endpoint: Endpoint, url: str, method: str) -> tuple[Any, str | None]:
        """What a legitimate user would send: the admin's form for the URL, or the record's JSON."""
        if method == "delete":
            return None, None
        model = endpoint.model
        form_class = getattr(endpoint.view_class, "form_class", None)
        form_model = getattr(getattr(form_class, "_meta", None), "model", None)
        editable = plain_text_fields(form_model, model)
        if endpoint.is_api:
            if not endpoint.has_pk or method == "post":
                return {}, "application/json"
            response = call(self.admin_client, "get", url)
            if response is None or response.status_code != 200:
                return {}, "application/json"
            data = json.loads(response.content)
            changed = next((k for k in editable if isinstance(data.get(k), str)), None)
            if changed:
                data[changed] = data[changed] + "（改）"
            if method == "patch":
                data = {changed: data[changed]} if changed else {}
            return data, "application/json"
        response = call(self.admin_client, "get", url)
        if response is None or response.status_code != 200 or "html" not in response.get("Content-Type", ""):
            return {}, None
        scraper = FormScraper(url.split("?")[0])
        scraper.feed(response.content.decode("utf-8", errors="replace"))
        fields = [(n, v) for n, v, _ in scraper.fields or [] if n != "csrfmiddlewaretoken"]
        data: dict[str, list[str]] = {}
        for name, value in fields:
            data.setdefault(name, []).append(value)
        changed = next((n for n in editable if n in data), None)
        if changed:
            data[changed] = [data[changed][0] + "（改）"]
        return data, None


def call(client: Client, method: str, url: str, **extra: Any) -> Any:
    """One read inside a savepoint that is rolled back, so every request starts from the same world."""
    with transaction.atomic():
        response = getattr(client, method)(url, **extra)
        transaction.set_rollback(True)
    return response


# ---------------------------------------------------------------------------------------------------
# The matrix.


@dataclass
class Variant:
    label: str
    kwargs: dict[str, Any]
    row: Row | None = None
    #: Whether the caller must not reach the record at all (for GET expectations with unknown kwargs).
    unknown_scope: bool = False


class Matrix:
    def __init__(self, endpoint: Endpoint, who: str, world: World, client: Client) -> None:
        self.endpoint = endpoint
        self.who = who
        self.client = client
        self.problems: list[str] = []
        self.user = None if who == "anonymous" else User.objects.get(username=who)
        self.fixed, self.unknown, sample_wrote = self.sampled_kwargs(world)
        # A sample that wrote leaves this test a world different from the worker's: work it out afresh.
        self.world = World() if sample_wrote else world
        self.reach = None if self.user is None else self.world.reach(who, self.user)

    # -- arguments -------------------------------------------------------------------------------

    def sampled_kwargs(self, world: World) -> tuple[dict[str, Any], bool, bool]:
        """The URL kwargs other than ``pk``, whether they come from samples, and whether a sample wrote."""
        endpoint = self.endpoint
        fixed: dict[str, Any] = {}
        unknown = wrote = False
        if (endpoint.name or "") in URL_SAMPLES.samples:
            value, wrote = world.sample(endpoint.name or "")
            fixed.update(value)
            unknown = True
        for name in endpoint.kwarg_names:
            if name in fixed or name == "pk":
                continue
            if name == "format":
                fixed[name] = "json"
            elif name in URL_SAMPLES.samples:
                fixed[name], wrote_one = world.sample(name)
                wrote = wrote or wrote_one
                unknown = True
            else:
                pytest.fail(
                    f"{endpoint} takes the URL argument {name!r} and the authorization test cannot fill it: add "
                    f"SAMPLES[{name!r}] = lambda: <a value in Huzhou / Nanxun> (or SAMPLES[{endpoint.name!r}] "
                    f"returning all its kwargs) to scorehub/{endpoint.app_label}/tests/url_samples.py"
                )
        return fixed, unknown, wrote

    def variants(self) -> list[Variant]:
        endpoint = self.endpoint
        fixed, unknown = dict(self.fixed), self.unknown
        if not endpoint.has_pk or "pk" in fixed:
            return [Variant("", fixed, unknown_scope=unknown)]
        model = endpoint.model
        if model is None:
            pytest.fail(
                f"{endpoint} takes a pk but its view has no `model` attribute: set `model` on the view class "
                "(function views: `my_view.model = Thing`) so the authorization test knows what the pk names"
            )
        if getattr(model, "scope_policy", None) is None:
            pytest.fail(f"{endpoint} shows {model.__name__} by pk, but {model.__name__} has no scope_policy")
        rows = self.world.rows(model)
        importer = getattr(endpoint.callback, "view_initkwargs", {}).get("importer_class")
        if importer is not None:
            # The shared import pages of an app show the jobs of that app's importer only (another app's
            # job is not found there): try them with this importer's jobs.
            own_jobs = set(ImportJob._base_manager.filter(importer=importer.path()).values_list("pk", flat=True))
            rows = [r for r in rows if r.pk in own_jobs]
        variants = []
        if self.reach is None:
            if rows:
                variants.append(Variant("record", {**fixed, "pk": rows[0].pk}, rows[0], unknown))
        else:
            reach = self.reach
            wanted = self.endpoint.action_for("get") or "view"
            # The first record reached for the view's action (else for "view") and the first one not reached.
            key = (model._meta.label, self.who, importer.path() if importer is not None else None)
            inside = self.world.first_row((*key, "in", wanted), rows, lambda r: reach.reaches(model, r, wanted))
            if inside is None:
                inside = self.world.first_row((*key, "in", "view"), rows, lambda r: reach.reaches(model, r, "view"))
            outside = self.world.first_row((*key, "out"), rows, lambda r: not reach.reaches(model, r, "view"))
            if inside is not None:
                variants.append(Variant("inside", {**fixed, "pk": inside.pk}, inside, unknown))
            if outside is not None:
                variants.append(Variant("outside", {**fixed, "pk": outside.pk}, outside, unknown))
        variants.append(Variant("missing", {**fixed, "pk": missing_pk(model)}, None, unknown))
        return variants

    def url(self, variant: Variant) -> str | None:
        endpoint = self.endpoint
        if endpoint.name is None:
            pytest.fail(f"{endpoint} has no name: give every URL pattern a name so it can be reversed and tested")
        try:
            url = reverse(endpoint.name, kwargs=variant.kwargs or None)
        except NoReverseMatch:
            if variant.label == "missing":
                return None  # the converter refuses the made-up pk: nothing to try
            raise
        match = resolve(url.split("?")[0])
        assert match.func is endpoint.callback, (
            f"{endpoint}: {url} resolves to {match.view_name} instead (the pattern is shadowed or its name reused)"
        )
        return url

    # -- expectations ----------------------------------------------------------------------------

    def problem(self, method: str, url: str, message: str) -> None:
        self.problems.append(f"{self.who} {method.upper()} {url}: {message}")

    def request(self, method: str, url: str, **extra: Any) -> Any:
        try:
            return call(self.client, method, url, **extra)
        except Exception as exc:  # noqa: BLE001 - every failure of every URL is reported together
            tail = "".join(traceback.format_exception(exc)[-3:])
            self.problem(method, url, f"raised {type(exc).__name__}: {exc}\n{tail}")
            return None

    def check_leaks(self, method: str, url: str, response: Any, forbidden: set[str]) -> None:
        if response is None or not forbidden:
            return
        text = body_text(response)
        leaked = sorted(s for s in forbidden if s in text)
        if leaked:
            self.problem(method, url, f"shows what is outside the caller's reach: {leaked[:5]}")

    def expect(self, method: str, url: str, response: Any, expected: str) -> None:
        if response is None:
            return
        status = response.status_code
        ok = {
            "answer": 200 <= status < 400 and not is_login_redirect(response),
            "404": status == 404,
            "405": status == 405,
            "404/405": status in (404, 405),
            "denied": status in (400, 404, 405) or is_login_redirect(response),
            "no error": status < 500 and status != 403,
            "login": is_login_redirect(response) if not self.endpoint.is_api else status in (401, 403),
        }[expected]
        if not ok:
            self.problem(method, url, f"answered {describe(response)}, expected {expected}")

    # -- the run ---------------------------------------------------------------------------------

    def run(self) -> None:
        for variant in self.variants():
            url = self.url(variant)
            if url is None:
                continue
            if self.reach is None:
                self.run_anonymous(variant, url)
            else:
                self.run_reads(variant, url)
                self.run_writes(variant, url)

    def write_methods(self) -> list[str]:
        if self.endpoint.is_api and self.endpoint.has_pk:
            return ["post", "put", "patch", "delete"]
        return ["post"]

    def run_anonymous(self, variant: Variant, url: str) -> None:
        public = self.endpoint.name in URL_SAMPLES.public
        forbidden = self.world.personal_data() - self.world.published_names(self.endpoint) if public else set()
        response = self.request("get", url)
        self.expect("get", url, response, "no error" if public else "login")
        self.check_leaks("get", url, response, forbidden)
        for method in self.write_methods():
            self.try_write(method, url, "no error" if public else "login", check_unchanged=True)

    def run_reads(self, variant: Variant, url: str) -> None:
        assert self.reach is not None
        endpoint = self.endpoint
        forbidden = self.reach.forbidden_strings() - self.world.published_names(endpoint)
        allowed = endpoint.allows("get")
        action = endpoint.action_for("get")
        if allowed is False:
            # A POST-only view may look the record up (404 out of scope) before it refuses the method (405):
            # either answer shows nothing.
            expected = "404/405"
        elif variant.unknown_scope:
            expected = "no error"
        elif endpoint.has_pk:
            reached = variant.row is not None and self.reach.reaches(endpoint.model, variant.row, action or "view")  # type: ignore[arg-type]
            expected = "answer" if reached else "404"
        elif (endpoint.is_scoped and issubclass(endpoint.view_class or object, ScopedFormView)) or issubclass(
            endpoint.view_class or object, ImportTemplateView
        ):
            # Forms, and the import templates, refuse whoever holds their action nowhere; a form kept for the
            # programme office (``requires_programme_admin``) refuses everyone else.
            holds = action is not None and self.reach.rule.holds(action)
            if getattr(endpoint.view_class, "requires_programme_admin", False):
                holds = holds and self.reach.rule.everything
            expected = "answer" if holds else "404"
        else:
            expected = "answer"
        response = self.request("get", url)
        self.expect("get", url, response, expected)
        self.check_leaks("get", url, response, forbidden)
        if endpoint.is_api:
            options = self.request("options", url)
            self.expect("options", url, options, "no error")
            self.check_leaks("options", url, options, forbidden)
        if endpoint.is_list and not endpoint.has_pk and allowed is not False:
            for extra_url, headers in self.list_variants(url):
                response = self.request("get", extra_url, **headers)
                self.expect("get", extra_url, response, expected)
                self.check_leaks("get", extra_url, response, forbidden)

    def list_variants(self, url: str) -> Iterator[tuple[str, dict[str, str]]]:
        assert self.reach is not None
        join = "&" if "?" in url else "?"
        firms = sorted(self.world.firms, key=lambda f: nanxun_first(Row(f.pk, "x", region=f.region)))
        outside = [f for f in firms if not self.reach.reaches_firm(f.pk, f.region)]
        needles = ["南浔", "湖州"]
        if outside:
            # A part of an outside enterprise's name and of its credit code (not the whole: the search box
            # repeats what was typed, and that is not a leak).
            needles += [outside[0].name_zh[:4], outside[0].credit_code[:10]]
        for needle in needles:
            yield f"{url}{join}q={needle}", {}
        if self.endpoint.is_api:
            yield f"{url}{join}page_size=500", {}
            yield f"{url}{join}format=api", {}
        else:
            yield url, {"HTTP_HX_REQUEST": "true"}
        if self.endpoint.exports:
            yield f"{url}{join}export=csv", {}
            yield f"{url}{join}export=xlsx", {}

    def run_writes(self, variant: Variant, url: str) -> None:
        assert self.reach is not None
        endpoint = self.endpoint
        for method in self.write_methods():
            allowed = endpoint.allows(method)
            action = endpoint.action_for(method)
            if allowed is False:
                self.try_write(method, url, "404/405", check_unchanged=True)
                continue
            if action is None:
                # A view without a scope of its own (home, profile, sign-in, API schema): it may answer, but
                # it must not change the project's records unless it says it serves the user's own.
                self_service = endpoint.name in URL_SAMPLES.self_service
                self.try_write(method, url, "no error", check_unchanged=not self_service)
                continue
            if variant.unknown_scope:
                self.try_write(method, url, "no error", check_unchanged=False)
                continue
            if endpoint.has_pk:
                has_right = variant.row is not None and self.reach.reaches(endpoint.model, variant.row, action)  # type: ignore[arg-type]
            else:
                has_right = self.reach.rule.holds(action)
            if has_right:
                self.try_write(method, url, "no error", check_unchanged=False)
            else:
                self.try_write(method, url, "denied", check_unchanged=True)

    def try_write(self, method: str, url: str, expected: str, *, check_unchanged: bool) -> None:
        # A method the view does not offer gets no payload: there is no form to fill.
        no_form = expected == "405" or self.endpoint.allows(method) is False
        data, content_type = (None, None) if no_form else self.world.payload(self.endpoint, url, method)
        kwargs: dict[str, Any] = {}
        if data is not None:
            kwargs = {"data": data, "content_type": content_type}
        recorder = WriteRecorder()
        try:
            with transaction.atomic():
                with recorder.recording():
                    response = self._send(method, url, **kwargs)
                # Fast path: a request that sent only reads changed nothing.  Otherwise the tables it may have
                # written (all of them, if a statement could write anywhere) are fingerprinted now, and again
                # after the rollback, which restores the state before.
                tables = recorder.to_fingerprint()
                after = fingerprint(tables) if check_unchanged and recorder.wrote else None
                transaction.set_rollback(True)
        except Exception as exc:  # noqa: BLE001 - reported with the others
            tail = "".join(traceback.format_exception(exc)[-3:])
            self.problem(method, url, f"raised {type(exc).__name__}: {exc}\n{tail}")
            return
        before = fingerprint(tables) if after is not None else None
        self.expect(method, url, response, expected)
        if before is not None and after is not None:
            changed = changed_tables(before, after)
            if changed:
                self.problem(method, url, f"answered {describe(response)} and changed {changed}")
        if self.user is not None and "_auth_user_id" not in self.client.session:
            self.client.force_login(self.user)  # e.g. after "sign out"

    def _send(self, method: str, url: str, data: Any = None, content_type: str | None = None) -> Any:
        send = getattr(self.client, method)
        if data is None:
            return send(url)
        if content_type:
            return send(url, data=json.dumps(data), content_type=content_type)
        if method == "post":
            return send(url, data=data)
        return send(url, data=json.dumps(data), content_type="application/json")


CALLERS = [*PERSONAS, "anonymous"]


@pytest.mark.django_db
@pytest.mark.parametrize("who", CALLERS)
@pytest.mark.parametrize("endpoint", ENDPOINTS, ids=[e.test_id for e in ENDPOINTS])
def test_every_url_as_every_persona(endpoint: Endpoint, who: str, client: Client) -> None:
    world = World.shared()
    matrix = Matrix(endpoint, who, world, client)
    if matrix.user is not None:
        client.force_login(matrix.user)
    matrix.run()
    assert not matrix.problems, f"{len(matrix.problems)} problem(s):\n" + "\n".join(matrix.problems)


# ---------------------------------------------------------------------------------------------------
# The enumeration itself.


def test_the_enumeration_finds_pages_api_routes_and_format_suffixes() -> None:
    names = {e.name for e in ENDPOINTS}
    for expected in (
        "core:home",
        "healthz",
        "accounts:login",
        "accounts:organisation-detail",
        "regions:detail",
        "enterprises:list",
        "enterprises:detail",
        "enterprises:consent-revoke",
        "api:api-root",
        "api:enterprise-list",
        "api:enterprise-detail",
        "api:region-detail",
        "api:organisation-list",
        "api:schema",
        "api:docs",
        "api:token",
    ):
        assert expected in names
    suffixed = [e for e in ENDPOINTS if e.name == "api:enterprise-detail" and "format" in e.kwarg_names]
    assert len(suffixed) == 1
    assert all(not e.route.startswith("/admin/") for e in ENDPOINTS)
    assert {reason for _, reason in SKIPPED} <= {*SKIPPED_NAMESPACES.values(), *SKIPPED_NAMES.values()} | set(
        SKIPPED_CALLBACKS.values()
    )
    assert any(route.startswith("/admin/") for route, _ in SKIPPED)


def test_public_url_names_are_real_and_every_page_without_login_is_listed() -> None:
    names = {e.name for e in ENDPOINTS}
    assert set(URL_SAMPLES.public) <= names, set(URL_SAMPLES.public) - names
    unlisted = [
        str(e)
        for e in ENDPOINTS
        if not e.is_api and getattr(e.callback, "login_required", True) is False and e.name not in URL_SAMPLES.public
    ]
    assert not unlisted, f"pages answering without a login must be listed in PUBLIC_URL_NAMES: {unlisted}"


def test_every_url_sample_names_a_real_url_or_kwarg() -> None:
    names = {e.name for e in ENDPOINTS}
    kwargs = {k for e in ENDPOINTS for k in e.kwarg_names}
    unused = [key for key in URL_SAMPLES.samples if key not in names and key not in kwargs]
    assert not unused, f"SAMPLES entries that match no URL name or URL argument: {unused}"


@pytest.mark.django_db
def test_the_change_detector_sees_every_kind_of_write():
    written = WriteRecorder.written
    assert written("SELECT 1") == set()
    assert written('SAVEPOINT "s1_x1"') == written('RELEASE SAVEPOINT "s1_x1"') == set()
    assert written('UPDATE "enterprises_enterprise" SET "name_en" = %s') == {"enterprises_enterprise"}
    assert written("\n INSERT INTO indicators_cyclekpistat (kpi_id) SELECT 1") == {"indicators_cyclekpistat"}
    assert written('INSERT OR IGNORE INTO "auditlog_logentry" ("id") VALUES (1)') == {"auditlog_logentry"}
    assert written('-- why\nDELETE FROM "django_session" WHERE 1') == {"django_session"}
    # Whatever is not plainly a read or a write to a known table could have written anywhere.
    for statement in (
        "WITH x AS (SELECT 1) UPDATE enterprises_enterprise SET name_en = ''",
        "UPDATE public.enterprises_enterprise SET name_en = ''",
        "UPDATE nowhere SET x = 1",
        "TRUNCATE enterprises_enterprise",
    ):
        assert written(statement) == {ANY_TABLE}, statement
    # An UPDATE that keeps every row count is seen through the hash of the table it names.
    firm = Enterprise._base_manager.order_by("pk").first()
    recorder = WriteRecorder()
    with transaction.atomic():
        with recorder.recording():
            Enterprise._base_manager.filter(pk=firm.pk).update(name_en=f"{firm.name_en} (changed)")
        after = fingerprint(recorder.to_fingerprint())
        transaction.set_rollback(True)
    assert recorder.to_fingerprint() == {"enterprises_enterprise"}
    assert changed_tables(fingerprint(recorder.to_fingerprint()), after) == ["enterprises.Enterprise"]


# ---------------------------------------------------------------------------------------------------
# The outsider, by name: Beijing Fangshan's official finds nothing of Huzhou anywhere.

FANGSHAN = "110111"
HUZHOU = "3305"


@pytest.fixture
def outsider(client_as: Callable[[str], Client]) -> Client:
    return client_as("fangshan_official")


def current_firms() -> list[Enterprise]:
    return list(Enterprise._base_manager.filter(archived_at__isnull=True))


def result_count(response: Any) -> int:
    found = re.search(r'data-testid="result-count">[^\d<]*([\d,]+)', response.content.decode())
    assert found, "the list shows no result count"
    return int(found.group(1).replace(",", ""))


def codes_in(text: str) -> set[str]:
    return {f.credit_code for f in load_firms() if f.credit_code in text}


@pytest.mark.django_db
def test_fangshan_official_gets_404_for_nanxun_enterprise_page_and_api(outsider, nanxun_enterprise):
    assert nanxun_enterprise.region_id == "330503"
    pk = nanxun_enterprise.pk
    for url in (
        f"/enterprises/{pk}/",
        f"/enterprises/{pk}/contacts/",
        f"/enterprises/{pk}/buyers/",
        f"/enterprises/{pk}/history/",
        f"/enterprises/{pk}/edit/",
        f"/api/v1/enterprises/{pk}/",
        f"/api/v1/enterprises/{pk}.json",
    ):
        response = outsider.get(url)
        assert response.status_code == 404, url
        assert nanxun_enterprise.name_zh not in response.content.decode(), url
        assert nanxun_enterprise.credit_code not in response.content.decode(), url
    # The same page for someone inside Huzhou, so the 404 above is about scope, not a broken URL.
    assert outsider.get(f"/enterprises/{pk}/").status_code == 404
    outsider.force_login(User.objects.get(username="huzhou_official"))
    assert outsider.get(f"/enterprises/{pk}/").status_code == 200
    assert outsider.get(f"/api/v1/enterprises/{pk}/").status_code == 200


@pytest.mark.django_db
def test_outsider_finds_nothing_of_huzhou_in_the_enterprise_list_search_and_exports(outsider):
    fangshan = {e.credit_code for e in current_firms() if e.region_id == FANGSHAN}
    huzhou_names = [e.name_zh for e in current_firms() if e.region_id.startswith(HUZHOU)]
    assert fangshan
    assert huzhou_names
    listed = outsider.get("/enterprises/")
    assert codes_in(body_text(listed)) == fangshan
    assert result_count(listed) == len(fangshan)
    for query in ("南浔", "湖州", huzhou_names[0], "9133050"):
        found = outsider.get("/enterprises/", {"q": query})
        assert found.status_code == 200
        assert codes_in(body_text(found)) == set(), query
        assert result_count(found) == 0, query
    for export in ("csv", "xlsx"):
        response = outsider.get("/enterprises/", {"export": export})
        assert response.status_code == 200
        text = body_text(response)
        assert codes_in(text) == fangshan, export
        assert not any(name in text for name in huzhou_names), export
    # A Huzhou region in the filter is not a choice the outsider has: nothing is listed.
    filtered = outsider.get("/enterprises/", {"region": "330500"})
    assert codes_in(body_text(filtered)) == set()


@pytest.mark.django_db
def test_outsider_counts_only_fangshan_on_the_home_page_and_region_pages(outsider, client_as):
    fangshan = [e for e in current_firms() if e.region_id == FANGSHAN]
    home = outsider.get("/").content.decode()
    assert f'data-testid="enterprise-count">{len(fangshan)}<' in home
    beijing = outsider.get("/regions/110000/").content.decode()
    assert f'data-testid="region-enterprise-count">{len(fangshan)}<' in beijing
    for huzhou_region in ("330000", "330500", "330503"):
        assert outsider.get(f"/regions/{huzhou_region}/").status_code == 404
    # A Huzhou official reads the Zhejiang page (the region above) but counts only Huzhou there.
    huzhou = [e for e in current_firms() if e.region_id.startswith(HUZHOU)]
    zhejiang_page = client_as("huzhou_official").get("/regions/330000/").content.decode()
    assert f'data-testid="region-enterprise-count">{len(huzhou)}<' in zhejiang_page
    assert len(huzhou) < len([e for e in current_firms() if e.region_id.startswith("33")])


@pytest.mark.django_db
def test_outsider_sees_no_huzhou_organisation(outsider):
    huzhou_orgs = [
        o.name_zh
        for o in Organisation._base_manager.select_related("enterprise")
        if (o.region_id or "").startswith(HUZHOU) or (o.enterprise and o.enterprise.region_id.startswith(HUZHOU))
    ]
    assert "湖州市应急管理局" in huzhou_orgs
    for url in ("/accounts/organisations/", "/accounts/organisations/?q=湖州", "/api/v1/organisations/?page_size=500"):
        text = body_text(outsider.get(url))
        assert not [name for name in huzhou_orgs if name in text], url
    assert "房山区应急管理局" in body_text(outsider.get("/accounts/organisations/"))


@pytest.mark.django_db
def test_outsider_api_list_holds_only_fangshan(outsider):
    fangshan = {e.credit_code for e in current_firms() if e.region_id == FANGSHAN}
    data = outsider.get("/api/v1/enterprises/", {"page_size": 500}).json()
    assert data["count"] == len(fangshan)
    assert {row["credit_code"] for row in data["results"]} == fangshan
    assert all(row["region"] == FANGSHAN for row in data["results"])
    for params in ({"q": "南浔"}, {"region": "330500"}, {"q": "9133050"}):
        response = outsider.get("/api/v1/enterprises/", params)
        assert response.status_code in (200, 400), params
        if response.status_code == 200:
            assert response.json()["count"] == 0, params
    regions = outsider.get("/api/v1/regions/").json()
    assert {r["code"] for r in regions["results"]} == {"110000", FANGSHAN}


@pytest.mark.django_db
@pytest.mark.parametrize("who", PERSONAS)
def test_every_persona_counts_exactly_their_own_enterprises(who, client_as):
    client = client_as(who)
    reach = Reach.of(who, User.objects.get(username=who), load_firms())
    archived = set(Enterprise._base_manager.filter(archived_at__isnull=False).values_list("pk", flat=True))
    # By id: a buyer's answer carries no credit codes (the buyer summary, docs/roles-and-scoping.md).
    expected = {f.pk for f in reach.firms if reach.reaches_firm(f.pk, f.region) and f.pk not in archived}
    assert f'data-testid="enterprise-count">{len(expected)}<' in client.get("/").content.decode()
    listed = client.get("/enterprises/")
    assert result_count(listed) == len(expected)
    api = client.get("/api/v1/enterprises/", {"page_size": 500}).json()
    assert api["count"] == len(expected)
    assert {row["id"] for row in api["results"]} == expected
