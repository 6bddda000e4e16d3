"""Base classes for the REST API (``/api/v1/``).

``ScopedViewSet`` is the API's side of the choke point: its queryset is always
``Model.objects.visible_to(request.user, action)``, where the action follows the HTTP method
(``read_action`` for safe methods, ``write_action`` otherwise).  Like the HTML base views, a subclass
that overrides ``get_queryset`` is refused when the class is created.

The API keeps its own schema (``/api/v1/schema/``): ``ScoreHubAutoSchema`` documents every error an
operation can answer (400, 401, 403, 404, 415, 429) with the body it has, serializers derive from
``ModelSerializer`` here so that every date and time is bounded (``scorehub.core.validators``), and
nullable fields are declared ``allow_null``.  ``core/tests/test_api_schemathesis.py`` holds the API to it.
"""

from __future__ import annotations

from typing import Any, ClassVar

from django.core.exceptions import ImproperlyConfigured
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import models
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.defaults import page_not_found
from drf_spectacular.contrib.django_filters import DjangoFilterExtension
from drf_spectacular.extensions import OpenApiSerializerFieldExtension
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.plumbing import ResolvedComponent
from rest_framework import mixins, serializers, viewsets
from rest_framework.authentication import SessionAuthentication
from rest_framework.exceptions import NotFound
from rest_framework.exceptions import ValidationError as ApiValidationError
from rest_framework.settings import api_settings

from .filters import IdFilter
from .scoping import Action, scope_for
from .validators import DATE_PATTERN, DATETIME_PATTERN, validate_plausible_date


def not_found(request: HttpRequest, exception: Exception) -> HttpResponse:
    """The project's 404: for a path under ``/api/`` the API's ``{"detail": ...}`` (the Error schema)."""
    if request.path.startswith("/api/"):
        return JsonResponse({"detail": str(NotFound.default_detail)}, status=404)
    return page_not_found(request, exception)


class ScopedViewSet(viewsets.GenericViewSet):  # type: ignore[type-arg]
    model: ClassVar[type[models.Model]]
    read_action: ClassVar[str] = Action.VIEW
    write_action: ClassVar[str] = Action.CHANGE
    create_action: ClassVar[str] = Action.MANAGE
    scope_escape_hatch: ClassVar[str | None] = None

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if "get_queryset" in cls.__dict__ and not cls.__dict__.get("scope_escape_hatch"):
            raise ImproperlyConfigured(
                f"{cls.__name__} overrides get_queryset; use refine_queryset, or name the reason in scope_escape_hatch."
            )

    def scope_action(self) -> str:
        if self.request.method in ("GET", "HEAD", "OPTIONS"):
            return self.read_action
        return self.write_action

    def get_queryset(self) -> QuerySet[Any]:
        if getattr(self, "swagger_fake_view", False):
            return self.model._default_manager.none()
        queryset = self.model.objects.visible_to(self.request.user, self.scope_action())  # type: ignore[attr-defined]
        return self.refine_queryset(queryset)

    def refine_queryset(self, queryset: QuerySet[Any]) -> QuerySet[Any]:
        return queryset

    def check_can_create(self) -> None:
        """Creation has no object to scope yet: someone holding the action nowhere gets 404 too."""
        if not scope_for(self.request.user).can_anywhere(self.create_action):
            raise NotFound

    def run_service(self, func: Any, **kwargs: Any) -> Any:
        """Call a service; its Django ValidationError becomes a 400 with the same messages.

        Messages that belong to no field go under ``non_field_errors``, like a serializer's, so that a
        400 body is always an object (the ``ValidationError`` schema).
        """
        try:
            return func(actor=self.request.user, **kwargs)
        except DjangoValidationError as exc:
            if hasattr(exc, "error_dict"):
                raise ApiValidationError(exc.message_dict) from exc
            raise ApiValidationError({api_settings.NON_FIELD_ERRORS_KEY: exc.messages}) from exc


class ScopedReadOnlyViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ScopedViewSet):
    pass


class BilingualNameField(serializers.CharField):
    """``name`` in the request's language, read-only (``name_zh`` and ``name_en`` are both exposed too)."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("read_only", True)
        super().__init__(**kwargs)


class BoundedDateField(serializers.DateField):
    """A date within ``EARLIEST_DATE``..``LATEST_DATE`` (year 1 or 9999 is a typing error, never a record)."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.validators.append(validate_plausible_date)


class BoundedDateTimeField(serializers.DateTimeField):
    """A date and time within the same years as ``BoundedDateField``."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.validators.append(validate_plausible_date)


class ModelSerializer(serializers.ModelSerializer):  # type: ignore[type-arg]
    """The project's ModelSerializer: model date and datetime fields become bounded ones."""

    serializer_field_mapping = {
        **serializers.ModelSerializer.serializer_field_mapping,
        models.DateField: BoundedDateField,
        models.DateTimeField: BoundedDateTimeField,
    }


class _BoundedDateSchema(OpenApiSerializerFieldExtension):
    """The bounds in the schema: a request's date must match the pattern of the allowed years."""

    target_class = "scorehub.core.api.BoundedDateField"
    match_subclasses = True
    pattern = DATE_PATTERN

    def map_serializer_field(self, auto_schema: AutoSchema, direction: Any) -> dict[str, Any]:
        schema: dict[str, Any] = auto_schema._map_serializer_field(self.target, direction, bypass_extensions=True)
        if direction == "request":
            schema["pattern"] = self.pattern
        return schema


class _BoundedDateTimeSchema(_BoundedDateSchema):
    target_class = "scorehub.core.api.BoundedDateTimeField"
    pattern = DATETIME_PATTERN


class StrictFilterSchema(DjangoFilterExtension):
    """django-filter's parameters, with what the project's strict FilterSet base enforces.

    Ids are integers within the database's range, dates and times match the allowed years, and an empty
    value is allowed (it means "not filtered": the list pages' filter forms send every field).
    """

    priority = 1

    def resolve_filter_field(
        self, auto_schema: AutoSchema, model: Any, filterset_class: Any, field_name: str, filter_field: Any
    ) -> list[dict[str, Any]]:
        parameters: list[dict[str, Any]] = super().resolve_filter_field(
            auto_schema, model, filterset_class, field_name, filter_field
        )
        for parameter in parameters:
            schema = parameter["schema"]
            if isinstance(filter_field, IdFilter):
                schema.clear()
                schema.update(type="integer", minimum=IdFilter.MIN_ID, maximum=IdFilter.MAX_ID)
            target = schema.get("items", schema)
            if target.get("format") == "date":
                target["pattern"] = DATE_PATTERN
            elif target.get("format") == "date-time":
                target["pattern"] = DATETIME_PATTERN
            if parameter["in"] == "query" and not parameter.get("required"):
                parameter["allowEmptyValue"] = True
        return parameters


#: The body of every error but a validation error: ``{"detail": "..."}`` in the request's language.
ERROR_SCHEMA: dict[str, Any] = {
    "type": "object",
    "description": "An error, explained in the request's language.",
    "properties": {"detail": {"type": "string"}},
    "required": ["detail"],
}
#: A 400: the messages per field (``non_field_errors`` for the request as a whole); ``detail`` alone when
#: the body could not be read at all.  Nested records (``results`` of a safety check) nest their errors.
VALIDATION_ERROR_SCHEMA: dict[str, Any] = {
    "type": "object",
    "description": (
        "Messages per field name (a query parameter or a body field); non_field_errors for the request as "
        "a whole; detail alone for a body that could not be read."
    ),
    "properties": {
        "detail": {"type": "string"},
        "non_field_errors": {"type": "array", "items": {"type": "string"}},
    },
    "additionalProperties": {
        "anyOf": [
            {"type": "array", "items": {"anyOf": [{"type": "string"}, {"type": "object"}]}},
            {"type": "object"},
        ]
    },
}


class ScoreHubAutoSchema(AutoSchema):
    """drf-spectacular's schema, plus every error status an operation can answer.

    * 400 for an operation with a request body, and for a list (its filters and ``page_size`` are strict);
    * 401 everywhere (no credentials, or a wrong token);
    * 403 for writes signed in by session without the CSRF token;
    * 404 for a record outside the caller's scope, a page past the end, and creation by someone who may
      create nothing (every operation of a ``ScopedViewSet``, and every path with a parameter);
    * 415 for a body in a format the API does not read;
    * 429 where a throttle applies;
    * whatever else a view names in ``error_statuses`` (a view that is not a ``ScopedViewSet``).

    An operation that declares a status itself (``@extend_schema(responses=...)``) keeps its own.
    """

    ERROR_DESCRIPTIONS: ClassVar[dict[str, str]] = {
        "400": "The request is invalid: the messages say why, per field or parameter.",
        "401": "No credentials, or credentials that are not valid.",
        "403": "Signed in by session, but without the CSRF token.",
        "404": "Not found, or not in the caller's scope.",
        "415": "The request body is in a format the API does not read.",
        "429": "Too many requests; try again after the time in Retry-After.",
    }
    ERROR_HEADERS: ClassVar[dict[str, dict[str, Any]]] = {
        "401": {"WWW-Authenticate": {"schema": {"type": "string"}, "description": "The scheme to use: Token."}},
        "429": {"Retry-After": {"schema": {"type": "integer"}, "description": "Seconds to wait."}},
    }

    def _get_response_bodies(self, direction: Any = "response") -> dict[str, Any]:
        responses: dict[str, Any] = super()._get_response_bodies(direction)
        media_types = self.map_renderers("media_type")
        for status in sorted(self._error_statuses() - set(responses)):
            if status == "400":
                schema = self._component("ValidationError", VALIDATION_ERROR_SCHEMA)
            else:
                schema = self._component("Error", ERROR_SCHEMA)
            response: dict[str, Any] = {
                "description": self.ERROR_DESCRIPTIONS[status],
                "content": {media_type: {"schema": schema} for media_type in media_types},
            }
            if status in self.ERROR_HEADERS:
                response["headers"] = self.ERROR_HEADERS[status]
            responses[status] = response
        return responses

    def _error_statuses(self) -> set[str]:
        has_body = self.method in ("POST", "PUT", "PATCH")
        authenticators = getattr(self.view, "authentication_classes", ())
        statuses = set(getattr(self.view, "error_statuses", ()))
        if has_body or (self.method == "GET" and self._is_list_view() and self._is_filtered_or_paginated()):
            statuses.add("400")
        if authenticators:
            statuses.add("401")
        if self.method not in ("GET", "HEAD", "OPTIONS") and any(
            issubclass(cls, SessionAuthentication) for cls in authenticators
        ):
            statuses.add("403")
        if "{" in self.path or isinstance(self.view, ScopedViewSet):
            statuses.add("404")
        if has_body:
            statuses.add("415")
        if getattr(self.view, "throttle_classes", ()):
            statuses.add("429")
        return statuses

    def _is_filtered_or_paginated(self) -> bool:
        return bool(self._get_paginator() or getattr(self.view, "filterset_class", None))

    def _component(self, name: str, schema: dict[str, Any]) -> dict[str, Any]:
        component = ResolvedComponent(name=name, type=ResolvedComponent.SCHEMA, object=name, schema=schema)
        self.registry.register_on_missing(component)
        return component.ref  # type: ignore[no-any-return]
