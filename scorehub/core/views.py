"""Base views.  Every page that shows records is built on these, so every page goes through the
scoping choke point (``visible_to``) and nothing else.

A subclass may *narrow* the queryset with ``refine_queryset``; it may not replace ``get_queryset``.
The check is made when the class is created, so forgetting the scope is an import-time error, not a
data leak.  A view that really needs its own queryset names the reason in ``scope_escape_hatch``.
"""

from __future__ import annotations

from typing import Any, ClassVar

from django.contrib import messages
from django.core.exceptions import ImproperlyConfigured, ObjectDoesNotExist, ValidationError
from django.db import models
from django.db.models import QuerySet
from django.forms import BaseForm, BaseModelForm
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import render
from django.utils.translation import gettext_lazy as _
from django.views.generic import DetailView, FormView, View
from django_filters.views import FilterView
from django_tables2 import RequestConfig, SingleTableMixin
from django_tables2.export import ExportMixin

from .dbrouting import reads_from_replica
from .exporting import SpreadsheetExport
from .registry import registry
from .scoping import Action, OutOfScope, is_programme_admin, is_visible, scope_for


class ScopedViewMixin:
    """Fetches records only through ``Model.objects.visible_to(user, scope_action)``."""

    model: type[models.Model]
    scope_action: ClassVar[str] = Action.VIEW
    scope_escape_hatch: ClassVar[str | None] = None
    request: HttpRequest

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if "get_queryset" in cls.__dict__ and not cls.__dict__.get("scope_escape_hatch"):
            raise ImproperlyConfigured(
                f"{cls.__name__} overrides get_queryset; narrow the scoped queryset in refine_queryset instead, "
                "or name the reason in scope_escape_hatch."
            )

    def get_queryset(self) -> QuerySet[Any]:
        queryset = self.model.objects.visible_to(self.request.user, self.scope_action)  # type: ignore[attr-defined]
        return self.refine_queryset(queryset)

    def refine_queryset(self, queryset: QuerySet[Any]) -> QuerySet[Any]:
        return queryset

    def user_can(self, obj: models.Model, action: str) -> bool:
        return is_visible(obj, self.request.user, action)


class ScopedListView(ScopedViewMixin, ExportMixin, SingleTableMixin, FilterView):
    """A filterable, sortable, paginated, exportable list with a column chooser.

    HTMX requests (the filter form) get only the table fragment back.
    """

    template_name = "core/list.html"
    paginate_by = 25
    export_formats = ("csv", "xlsx")
    export_class = SpreadsheetExport
    export_trigger_param = "export"
    #: Columns a user may hide; ``?columns=a&columns=b`` keeps only those.
    optional_columns: ClassVar[tuple[str, ...]] = ()
    title: ClassVar[Any] = ""
    create_url_name: ClassVar[str | None] = None
    create_action: ClassVar[str] = Action.MANAGE
    extra_actions: ClassVar[tuple[tuple[Any, str, str], ...]] = ()  # (label, url name, action)

    def get_template_names(self) -> list[str]:
        if getattr(self.request, "htmx", False) and not self.request.htmx.boosted:  # type: ignore[attr-defined]
            return ["core/_table.html"]
        return [self.template_name]

    def chosen_columns(self) -> list[str]:
        requested = self.request.GET.getlist("columns")
        return [c for c in requested if c in self.optional_columns] if requested else list(self.optional_columns)

    def get_table_kwargs(self) -> dict[str, Any]:
        hidden = [c for c in self.optional_columns if c not in self.chosen_columns()]
        return {"exclude": hidden}

    def get_table(self, **kwargs: Any) -> Any:
        table = super().get_table(**kwargs)
        RequestConfig(self.request, paginate={"per_page": self.paginate_by}).configure(table)
        return table

    def get_export_filename(self, export_format: str) -> str:
        return f"{self.model._meta.model_name}s.{export_format}"

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if request.GET.get(self.export_trigger_param) in self.export_formats:
            # A whole-list export is a long read: from the database replica where that is safe.
            with reads_from_replica(request.user):
                return super().get(request, *args, **kwargs)
        return super().get(request, *args, **kwargs)

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        scope = scope_for(self.request.user)
        query = self.request.GET.copy()
        query.pop("page", None)
        context.update(
            title=self.title or self.model._meta.verbose_name_plural,
            optional_columns=[(name, self._column_label(name)) for name in self.optional_columns],
            chosen_columns=self.chosen_columns(),
            create_url_name=self.create_url_name if scope.can_anywhere(self.create_action) else None,
            extra_actions=[(label, url) for label, url, action in self.extra_actions if scope.can_anywhere(action)],
            export_query=query.urlencode(),
            total_count=context["filter"].qs.count() if "filter" in context else None,
        )
        return context

    def _column_label(self, name: str) -> Any:
        column = self.table_class.base_columns.get(name)  # type: ignore[union-attr]
        if column is not None and column.verbose_name:
            return column.verbose_name
        try:
            return getattr(self.model._meta.get_field(name), "verbose_name", name)
        except Exception:  # noqa: BLE001 - a computed column has no model field
            return name


class ScopedDetailView(ScopedViewMixin, DetailView):  # type: ignore[type-arg]
    """A detail page with tabs contributed by any app through the registry."""

    template_name = "core/detail.html"
    active_tab: str = ""

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context["tabs"] = registry.tabs_for(self.request, self.object)
        context["active_tab"] = self.active_tab
        return context


class ScopedActionView(ScopedViewMixin, View):
    """A POST-only action on one scoped record (archive, revoke, ...).  Subclasses implement ``perform``."""

    http_method_names = ["post"]
    success_message: ClassVar[Any] = _("Done.")

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        try:
            obj = self.get_queryset().get(pk=kwargs["pk"])
        except (ObjectDoesNotExist, ValueError) as exc:
            raise OutOfScope from exc
        try:
            redirect_to = self.perform(obj)
        except ValidationError as exc:
            # Refused by the service: nothing was saved; say why on the page the user came from.
            for message in exc.messages:
                messages.error(request, message)
            return HttpResponseRedirect(obj.get_absolute_url())
        messages.success(request, self.success_message)
        return HttpResponseRedirect(redirect_to)

    def perform(self, obj: Any) -> str:  # pragma: no cover - interface
        raise NotImplementedError


class ScopedFormView(ScopedViewMixin, FormView):  # type: ignore[type-arg]
    """A form that writes through a service.  Subclasses implement ``perform(form)``.

    ``object`` is the scoped record the form acts on (None for creation).  A service that raises
    ``ValidationError`` puts its messages on the form; nothing is saved.
    """

    template_name = "core/form.html"
    success_message: ClassVar[Any] = _("Saved.")
    title: ClassVar[Any] = ""
    object: models.Model | None = None
    # A form for a programme-wide catalogue (modules, KPIs, ...) that only the programme office keeps.
    requires_programme_admin: ClassVar[bool] = False

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        # Someone who holds the action nowhere gets the same answer as for a missing page.
        if self.requires_programme_admin and not is_programme_admin(request.user):
            raise OutOfScope
        if not scope_for(request.user).can_anywhere(self.scope_action):
            raise OutOfScope
        self.object = self.get_object_or_none()
        return super().dispatch(request, *args, **kwargs)  # type: ignore[return-value]

    def get_object_or_none(self) -> models.Model | None:
        pk = self.kwargs.get("pk")
        if pk is None:
            return None
        try:
            return self.get_queryset().get(pk=pk)  # type: ignore[no-any-return]
        except (ObjectDoesNotExist, ValueError) as exc:
            raise OutOfScope from exc

    def get_form_kwargs(self) -> dict[str, Any]:
        kwargs = super().get_form_kwargs()
        kwargs["user"] = self.request.user
        instance = self.get_form_instance()
        # Only a ModelForm edits an instance; a plain form (e.g. choosing a buyer) acts on ``object``.
        if instance is not None and issubclass(self.get_form_class(), BaseModelForm):
            kwargs["instance"] = instance
        return kwargs

    def get_form_instance(self) -> models.Model | None:
        """The instance a ModelForm edits: the scoped object by default; override for child records."""
        return self.object

    def perform(self, form: BaseForm) -> models.Model:  # pragma: no cover - interface
        raise NotImplementedError

    def form_valid(self, form: BaseForm) -> HttpResponse:
        try:
            saved = self.perform(form)
        except ValidationError as exc:
            form.add_error(None, exc)
            return self.form_invalid(form)
        messages.success(self.request, self.success_message)
        return HttpResponseRedirect(self.get_success_url_for(saved))

    def get_success_url_for(self, saved: models.Model) -> str:
        return saved.get_absolute_url()  # type: ignore[attr-defined,no-any-return]

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context["title"] = self.title
        context["object"] = self.object
        return context


def healthz(request: HttpRequest) -> JsonResponse:
    """Liveness and database status, for load balancers and monitoring (no data, no login)."""
    from django.db import connection

    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
        database = "ok"
    except Exception:  # noqa: BLE001 - any database failure is reported, not raised
        database = "unavailable"
    status = 200 if database == "ok" else 503
    return JsonResponse({"status": "ok" if status == 200 else "error", "database": database}, status=status)


healthz.login_required = False  # type: ignore[attr-defined]


def home(request: HttpRequest) -> HttpResponse:
    """The signed-in user's start page: their scope, what needs attention, quick links."""
    from scorehub.accounts.models import Membership
    from scorehub.enterprises.models import Enterprise

    user: Any = request.user
    scope = scope_for(user)
    memberships = Membership.objects.filter(user_id=user.pk).select_related("organisation__region")
    enterprises = Enterprise.objects.visible_to(request.user).filter(archived_at__isnull=True)
    context = {
        "memberships": memberships,
        "enterprise_count": enterprises.count(),
        "attention": registry.attention_for(request),
        "nav_items": registry.nav_for(request),
        "reaches_everything": scope.reaches_everything(Action.VIEW),
        "has_scope": not scope.is_empty,
    }
    return render(request, "core/home.html", context)
