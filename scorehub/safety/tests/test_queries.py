"""Lists do not query per row."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

pytestmark = pytest.mark.django_db

LISTS = [
    "safety:hazard-list",
    "safety:check-list",
    "safety:risk-point-list",
    "safety:accident-list",
    "safety:checklist-list",
    "safety:report-list",
    "safety:planned-list",
    "safety:plan",
    "safety:numbers",
]


@pytest.mark.parametrize("name", LISTS)
def test_list_queries_do_not_grow_with_the_rows(client_as, name):
    client = client_as("admin")
    url = reverse(name)
    client.get(url)  # warm caches (content types, sessions)
    with CaptureQueriesContext(connection) as small:
        client.get(url, {"per_page": 5})
    with CaptureQueriesContext(connection) as full:
        response = client.get(url)
    assert response.status_code == 200
    assert len(full.captured_queries) <= 25, name
    assert len(full.captured_queries) <= len(small.captured_queries) + 2, name


@pytest.mark.parametrize("tab", ["checks", "hazards", "risk-points", "accidents"])
def test_enterprise_tabs_are_bounded(client_as, nanxun_enterprise, tab):
    client = client_as("factory_manager")
    url = reverse(f"safety:enterprise-{tab}", kwargs={"pk": nanxun_enterprise.pk})
    client.get(url)
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200
    assert len(ctx.captured_queries) <= 30


def test_hazard_export_holds_only_the_scope(client_as):
    import csv
    import io

    from scorehub.safety.models import Hazard

    response = client_as("nanxun_inspector").get(reverse("safety:hazard-list"), {"export": "csv"})
    assert response.status_code == 200
    rows = list(
        csv.reader(
            io.StringIO(
                b"".join(response.streaming_content).decode() if response.streaming else response.content.decode()
            )
        )
    )
    assert len(rows) - 1 == Hazard.objects.filter(enterprise__region_id="330503").count()
