"""The API keeps its own schema: what the schemathesis run found, each pinned by a plain test.

Strict filters and pagination (a value that cannot be used is a 400, never ignored), dates bounded to
1949..2100, errors documented for every operation with their bodies, nullable fields declared nullable,
no 500 for a number too large or a body that is not an object, and JSON 404s under ``/api/``.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from rest_framework.test import APIClient

from scorehub.core.scoping import Action
from scorehub.safety.models import ChecklistTemplate, SafetyCheck
from scorehub.suggestions.models import ImprovementProject, ProjectStatus, Suggestion

pytestmark = pytest.mark.django_db

DATE_BOUNDS_MESSAGE = "1949-01-01"


@pytest.fixture
def api(persona: Any) -> Any:
    def as_user(username: str) -> APIClient:
        client = APIClient()
        client.force_authenticate(persona(username))
        return client

    return as_user


@pytest.fixture
def schema(client_as: Any) -> dict[str, Any]:
    response = client_as("admin").get("/api/v1/schema/", {"format": "json"})
    assert response.status_code == 200
    return json.loads(response.content)  # type: ignore[no-any-return]


# --- Strict filters -------------------------------------------------------------------------------


def test_an_invalid_date_filter_value_is_refused_with_a_message(api):
    response = api("admin").get("/api/v1/safety/checks/", {"checked_on_after": "none"})
    assert response.status_code == 400
    assert response.json()["checked_on"]


def test_the_documented_date_range_parameters_really_filter(api, persona):
    checks = SafetyCheck.objects.visible_to(persona("admin"), Action.HISTORY)
    dates = sorted(checks.values_list("checked_on", flat=True))
    middle = dates[len(dates) // 2]
    response = api("admin").get("/api/v1/safety/checks/", {"checked_on_after": middle.isoformat()})
    assert response.status_code == 200
    assert response.json()["count"] == checks.filter(checked_on__gte=middle).count() < len(dates)


@pytest.mark.parametrize(
    ("url", "params"),
    [
        ("/api/v1/suggestions/", {"submitted_after": "0001-01-01"}),
        ("/api/v1/safety/checks/", {"checked_on_before": "9999-12-31"}),
        ("/api/v1/training/sessions/", {"starts_after": "1948-12-31"}),
    ],
)
def test_a_filter_date_outside_the_allowed_years_is_refused(api, url, params):
    response = api("admin").get(url, params)
    assert response.status_code == 400
    assert DATE_BOUNDS_MESSAGE in json.dumps(response.json())


def test_a_yes_no_filter_refuses_anything_but_yes_or_no(api):
    client = api("admin")
    for value in ("null", "2", "maybe"):
        refused = client.get("/api/v1/improvement-projects/", {"verified": value})
        assert refused.status_code == 400, value
        assert refused.json()["verified"], value
    assert client.get("/api/v1/improvement-projects/", {"verified": "true"}).status_code == 200
    assert client.get("/api/v1/improvement-projects/", {"verified": ""}).status_code == 200


@pytest.mark.parametrize("value", ["-1.7976931348623157e308", "9223372036854775808", "0", "1.5"])
def test_an_enterprise_id_filter_out_of_range_is_a_400_not_a_500(api, value):
    for url in ("/api/v1/safety/risk-points/", "/api/v1/safety/checks/", "/api/v1/safety/accidents/"):
        response = api("admin").get(url, {"enterprise": value})
        assert response.status_code == 400, url
        assert response.json()["enterprise"], url


def test_the_list_page_shows_the_filter_error_and_no_rows(client_as):
    response = client_as("admin").get("/safety/checks/", {"checked_on_after": "none"})
    assert response.status_code == 200
    assert response.context["filter"].errors["checked_on"]
    assert response.context["total_count"] == 0
    assert not response.context["object_list"]
    assert 'name="checked_on_after"' in response.content.decode()


# --- Strict pagination ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("param", "value"), [("page_size", "0"), ("page_size", "abc"), ("page", "-1"), ("page", "1.5")]
)
def test_a_page_or_page_size_that_is_not_a_number_in_range_is_a_400(api, param, value):
    response = api("admin").get("/api/v1/enterprises/", {param: value})
    assert response.status_code == 400
    assert response.json()[param]


def test_a_page_past_the_end_is_a_404_with_the_error_body(api):
    response = api("admin").get("/api/v1/enterprises/", {"page": "9999"})
    assert response.status_code == 404
    assert set(response.json()) == {"detail"}


def test_a_url_under_the_api_that_matches_no_route_answers_json(api, client_as):
    response = api("admin").get("/api/v1/regions/x.y/")
    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    assert set(response.json()) == {"detail"}
    page = client_as("admin").get("/regions/x.y/")
    assert page.status_code == 404
    assert page["Content-Type"].startswith("text/html")


# --- Bounded dates in request bodies --------------------------------------------------------------


def test_a_year_one_submission_time_is_refused_and_nothing_is_stored(api, nanxun_enterprise):
    before = Suggestion.objects.count()
    body = {
        "enterprise": nanxun_enterprise.pk,
        "problem": "换模太慢",
        "proposal": "做工具墙",
        "category": "productivity",
        "submitted_at": "0001-01-01T00:00:00Z",
    }
    response = api("team_member").post("/api/v1/suggestions/", body, format="json")
    assert response.status_code == 400
    assert DATE_BOUNDS_MESSAGE in response.json()["submitted_at"][0]
    assert Suggestion.objects.count() == before


def test_a_submission_time_within_the_years_comes_back_with_the_real_offset(api, nanxun_enterprise):
    body = {
        "enterprise": nanxun_enterprise.pk,
        "problem": "换模太慢",
        "proposal": "做工具墙",
        "category": "productivity",
        "submitted_at": "2024-05-06T08:30:00+08:00",
    }
    response = api("team_member").post("/api/v1/suggestions/", body, format="json")
    assert response.status_code == 201
    assert response.json()["submitted_at"] == "2024-05-06T08:30:00+08:00"


def test_a_check_dated_in_year_one_is_refused_and_nothing_is_stored(api, nanxun_enterprise):
    version = ChecklistTemplate.objects.get(code="GEN-MFG").current_version
    item = version.items.first()
    before = SafetyCheck.objects.count()
    body = {
        "enterprise": nanxun_enterprise.pk,
        "kind": "government",
        "version": version.pk,
        "checked_on": "0001-01-01",
        "client_uuid": "8a6e0804-2bd0-4672-b79d-d97027f9071a",
        "results": [{"item": item.pk, "outcome": "pass"}],
    }
    response = api("nanxun_inspector").post("/api/v1/safety/checks/", body, format="json")
    assert response.status_code == 400
    assert DATE_BOUNDS_MESSAGE in response.json()["checked_on"][0]
    assert SafetyCheck.objects.count() == before


def test_a_due_date_in_year_one_is_refused_on_a_board_move(api, nanxun_enterprise, persona):
    suggestion = Suggestion.objects.visible_to(persona("team_member"), Action.OPERATE).first()
    response = api("team_member").post(
        f"/api/v1/suggestions/{suggestion.pk}/transition/",
        {"to": "under_review", "due_date": "0001-01-01"},
        format="json",
    )
    assert response.status_code == 400
    assert DATE_BOUNDS_MESSAGE in response.json()["due_date"][0]


# --- Bodies that are not objects; errors that are not a field's ------------------------------------


@pytest.mark.parametrize("body", [5, None, True, [{"kind": "government"}]])
def test_a_check_body_that_is_not_an_object_is_a_400_not_a_500(api, body):
    before = SafetyCheck.objects.count()
    response = api("nanxun_inspector").post(
        "/api/v1/safety/checks/",
        json.dumps(body),
        content_type="application/json",
        HTTP_IDEMPOTENCY_KEY="8a6e0804-2bd0-4672-b79d-d97027f9071a",
    )
    assert response.status_code == 400
    assert response.json()["non_field_errors"]
    assert SafetyCheck.objects.count() == before


def test_an_error_of_the_request_as_a_whole_comes_under_non_field_errors(api, persona):
    project = (
        ImprovementProject.objects.visible_to(persona("trainer"), Action.COACH)
        .exclude(status=ProjectStatus.COMPLETED)
        .first()
    )
    response = api("trainer").post(f"/api/v1/improvement-projects/{project.pk}/verify/", {"amount": "100.00"})
    assert response.status_code == 400
    assert isinstance(response.json(), dict)
    assert response.json()["non_field_errors"]


# --- The schema says all this ----------------------------------------------------------------------


def test_every_operation_documents_its_errors_with_their_bodies(schema):
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            responses = operation["responses"]
            assert "401" in responses, (method, path)
            if "{" in path:
                assert "404" in responses, (method, path)
            if method in ("post", "put", "patch"):
                assert {"400", "415"} <= set(responses), (method, path)
            for status, response in responses.items():
                if status >= "400":
                    ref = response["content"]["application/json"]["schema"]["$ref"]
                    assert ref.rsplit("/", 1)[1] in ("Error", "ValidationError"), (method, path, status)
    assert schema["components"]["schemas"]["Error"]["required"] == ["detail"]
    for path in ("/api/v1/enterprises/", "/api/v1/safety/checks/"):
        assert "400" in schema["paths"][path]["get"]["responses"]
    assert {"400", "404"} <= set(schema["paths"]["/api/v1/indicators/"]["get"]["responses"])


def test_idempotent_creation_documents_the_retry_answer(schema):
    for path in ("/api/v1/suggestions/", "/api/v1/safety/checks/"):
        assert {"200", "201"} <= set(schema["paths"][path]["post"]["responses"]), path


def test_fields_that_can_be_empty_are_declared_nullable(schema, api):
    components = schema["components"]["schemas"]
    assert components["Organisation"]["properties"]["region"]["nullable"] is True
    assert components["Target"]["properties"]["module"]["nullable"] is True
    assert components["Visit"]["properties"]["inspector"]["nullable"] is True
    # The ministry belongs to no region: the answer the schema must allow.
    organisations = api("admin").get("/api/v1/organisations/", {"page_size": 500}).json()["results"]
    assert any(organisation["region"] is None for organisation in organisations)


def test_the_schema_states_the_filters_and_bounds_the_api_enforces(schema):
    parameters = {p["name"]: p for p in schema["paths"]["/api/v1/safety/checks/"]["get"]["parameters"]}
    assert {"checked_on_after", "checked_on_before"} <= set(parameters)
    assert parameters["checked_on_after"]["schema"]["pattern"].startswith("^(19(49")
    assert parameters["enterprise"]["schema"] == {"type": "integer", "minimum": 1, "maximum": 2**63 - 1}
    assert parameters["page_size"]["schema"] == {"type": "integer", "minimum": 1}
    body = schema["components"]["schemas"]["SuggestionRequest"]["properties"]["submitted_at"]
    assert body["format"] == "date-time"
    assert body["pattern"].startswith("^(19(49")
