from __future__ import annotations

from typing import Any

from django.core.paginator import Paginator
from django.utils.translation import gettext_lazy as _
from rest_framework.exceptions import ValidationError
from rest_framework.pagination import PageNumberPagination
from rest_framework.request import Request


def _whole_number(text: str) -> int | None:
    return int(text) if text.isascii() and text.isdigit() else None


class StandardPagination(PageNumberPagination):
    """Page-number pagination for the API; ``page_size`` may be raised up to 500 (a larger one gives 500).

    Strict like the filters: a ``page`` or ``page_size`` that is not a whole number from 1 is a 400 (DRF
    would quietly use the default size, and answer 404 for ``page=abc``); a page past the end is a 404.
    """

    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 500

    def get_page_size(self, request: Request) -> int:
        raw = request.query_params.get(self.page_size_query_param, "")
        if raw == "":
            return self.page_size
        size = _whole_number(raw)
        if size is None or size < 1:
            raise ValidationError({self.page_size_query_param: [_("Enter a whole number of 1 or more.")]})
        return min(size, self.max_page_size)

    def get_page_number(self, request: Request, paginator: Paginator) -> int | str:  # type: ignore[override]
        raw = request.query_params.get(self.page_query_param, "")
        if raw == "":
            return 1
        if raw in self.last_page_strings:
            return paginator.num_pages
        number = _whole_number(raw)
        if number is None or number < 1:
            raise ValidationError({self.page_query_param: [_("Enter a page number (1 or more) or “last”.")]})
        return number

    def get_schema_operation_parameters(self, view: Any) -> list[dict[str, Any]]:
        parameters: list[dict[str, Any]] = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            if parameter["name"] == self.page_query_param:
                parameter["schema"] = {
                    "oneOf": [
                        {"type": "integer", "minimum": 1},
                        {"type": "string", "enum": list(self.last_page_strings)},
                    ]
                }
            elif parameter["name"] == self.page_size_query_param:
                parameter["schema"] = {"type": "integer", "minimum": 1}
                parameter["description"] = _("Results per page: 1 to %(max)d (a larger number gives %(max)d).") % {
                    "max": self.max_page_size
                }
            parameter["allowEmptyValue"] = True
        return parameters
