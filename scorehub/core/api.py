"""Base classes for the REST API (``/api/v1/``).

``ScopedViewSet`` is the API's side of the choke point: its queryset is always
``Model.objects.visible_to(request.user, action)``, where the action follows the HTTP method
(``read_action`` for safe methods, ``write_action`` otherwise).  Like the HTML base views, a subclass
that overrides ``get_queryset`` is refused when the class is created.
"""

from __future__ import annotations

from typing import Any, ClassVar

from django.core.exceptions import ImproperlyConfigured
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import models
from django.db.models import QuerySet
from rest_framework import mixins, serializers, viewsets
from rest_framework.exceptions import NotFound
from rest_framework.exceptions import ValidationError as ApiValidationError

from .scoping import Action, scope_for


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
        """Call a service; its Django ValidationError becomes a 400 with the same messages."""
        try:
            return func(actor=self.request.user, **kwargs)
        except DjangoValidationError as exc:
            raise ApiValidationError(exc.message_dict if hasattr(exc, "error_dict") else exc.messages) from exc


class ScopedReadOnlyViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ScopedViewSet):
    pass


class BilingualNameField(serializers.CharField):
    """``name`` in the request's language, read-only (``name_zh`` and ``name_en`` are both exposed too)."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("read_only", True)
        super().__init__(**kwargs)
