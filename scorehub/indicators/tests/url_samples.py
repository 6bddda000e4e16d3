"""Samples for the authorization test (see docs/developing.md, "URLs and the authorization test").

Every URL of this app takes either no kwarg (the scope and period travel as query parameters) or a
``pk`` of its view's model, so no sample is needed; and every view needs a signed-in user.
"""

from __future__ import annotations

from collections.abc import Callable

SAMPLES: dict[str, Callable[[], object]] = {}

PUBLIC_URL_NAMES: dict[str, str] = {}

SELF_SERVICE_URL_NAMES: dict[str, str] = {
    "indicators:report-create": "queues a report for the signed-in user only (their own ReportJob row), "
    "of a scope they reach",
}
