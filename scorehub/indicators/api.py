"""``GET /api/v1/indicators/?scope=...&period=...``: the indicator layer's numbers as JSON.

The scope and period are query parameters (not URL parts), like on the dashboard; the scope is
resolved for the caller exactly as there, so the API answers what the page shows, and 404 for a
scope outside the caller's reach.
"""

from __future__ import annotations

from typing import Any

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import viewsets
from rest_framework.exceptions import NotFound
from rest_framework.exceptions import ValidationError as ApiValidationError
from rest_framework.request import Request
from rest_framework.response import Response

from scorehub.core.dbrouting import reads_from_replica
from scorehub.core.scoping import OutOfScope

from . import layer
from .base import Period
from .periods import PeriodError, parse_period, period_label, period_param
from .scopes import resolve_scope


def _period_json(period: Period) -> dict[str, Any]:
    return {
        "param": period_param(period),
        "label": period_label(period),
        "start": period.start.isoformat(),
        "end": period.end.isoformat(),
    }


class IndicatorViewSet(viewsets.ViewSet):
    """Every indicator of every installed source for one scope and period.

    ``scope``: ``nation``, ``region:<code>`` (or the bare six-digit code), ``enterprise:<id>`` or a
    kind another app adds (``programme:<id>``); empty means the caller's own default scope.
    ``period``: ``2024``, ``2024-Q2``, ``2024-03``, ``2023-07:2024-06`` or ``2024-01-15:2024-03-31``;
    empty means the last twelve months.  ``include=children,months`` adds the child regions' headline
    figures and the monthly trends.
    """

    # A period that cannot be read is a 400; a scope outside the caller's reach a 404.
    error_statuses = ("400", "404")

    @extend_schema(
        parameters=[
            OpenApiParameter("scope", OpenApiTypes.STR, description="nation, region:330500, enterprise:42, ..."),
            OpenApiParameter("period", OpenApiTypes.STR, description="2024, 2024-Q2, 2024-03, 2023-07:2024-06"),
            OpenApiParameter("include", OpenApiTypes.STR, description="children, months (comma-separated)"),
        ],
        responses={200: OpenApiTypes.OBJECT},
    )
    def list(self, request: Request, **kwargs: Any) -> Response:  # kwargs: the ``.json`` format suffix
        with reads_from_replica(request.user), layer.computation():
            return self._answer(request)

    def _answer(self, request: Request) -> Response:
        try:
            scope = resolve_scope(request.user, request.query_params.get("scope"))
        except OutOfScope as exc:
            raise NotFound from exc
        try:
            period = parse_period(request.query_params.get("period"))
        except PeriodError as exc:
            raise ApiValidationError({"period": [str(exc)]}) from exc
        include = {part.strip() for part in request.query_params.get("include", "").split(",") if part.strip()}
        numbers = layer.compute_numbers(scope, period)
        body: dict[str, Any] = {
            "scope": {"key": scope.key, "kind": scope.kind, "label": scope.label, "partial": scope.partial},
            "period": _period_json(period),
            "previous_period": _period_json(numbers.previous_period),
            "indicators": [figure.as_json() for figure in numbers.figures],
            "sentences": numbers.sentences(),
        }
        if "children" in include:
            values = layer.compute_children(scope, period)
            body["children"] = [
                {
                    "key": child.key,
                    "label": child.label,
                    "indicators": {code: layer.json_number(v) for code, v in values.get(child.key, {}).items()},
                }
                for child in scope.children
            ]
        if "months" in include:
            body["months"] = {
                month: {code: layer.json_number(v) for code, v in values.items()}
                for month, values in layer.compute_months(scope, period).items()
            }
        return Response(body)


routes = [("indicators", IndicatorViewSet, "indicators")]
