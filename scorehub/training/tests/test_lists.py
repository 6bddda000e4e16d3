"""Every training list: paginated, exportable, and a constant number of queries whatever the rows."""

from __future__ import annotations

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db

LISTS = [
    "training:module-list",
    "training:programme-list",
    "training:enrolment-list",
    "training:cohort-list",
    "training:session-list",
    "training:visit-list",
    "training:team-list",
    "training:plan-item-list",
    "training:certificate-list",
    "training:trainer-list",
    "training:accreditation-list",
]


@pytest.mark.parametrize("name", LISTS)
def test_list_renders_with_few_queries_and_exports(name, client_as, django_assert_max_num_queries):
    client = client_as("admin")
    url = reverse(name)
    client.get(url)  # warm caches (content types, sessions)
    with django_assert_max_num_queries(25):
        response = client.get(url)
    assert response.status_code == 200
    table = response.context["table"]
    assert len(list(table.paginated_rows)) <= 25
    export = client.get(url + "?export=xlsx")
    assert export.status_code == 200
    assert export["Content-Type"].startswith("application/vnd.openxmlformats")


@pytest.mark.parametrize("name", LISTS)
def test_list_counts_only_what_the_user_sees(name, client_as):
    response = client_as("fangshan_official").get(reverse(name))
    assert response.status_code == 200
    model = response.context["view"].model
    user = response.context["user"]
    assert response.context["total_count"] == model.objects.visible_to(user).count()
