"""The API describes itself: a valid OpenAPI schema and documentation served entirely from our own files."""

from __future__ import annotations

import re

import pytest
import yaml
from django.contrib.staticfiles import finders
from django.core.management import call_command
from drf_spectacular.validation import validate_schema

pytestmark = pytest.mark.django_db


def test_schema_is_valid_openapi_and_describes_the_resources(client_as):
    response = client_as("huzhou_official").get("/api/v1/schema/")
    assert response.status_code == 200
    schema = yaml.safe_load(response.content)
    validate_schema(schema)  # raises on an invalid document
    paths = set(schema["paths"])
    for path in (
        "/api/v1/enterprises/",
        "/api/v1/enterprises/{id}/",
        "/api/v1/regions/",
        "/api/v1/regions/{id}/",
        "/api/v1/organisations/",
        "/api/v1/auth/token/",
    ):
        assert path in paths
    parameters = {p["name"] for p in schema["paths"]["/api/v1/enterprises/"]["get"]["parameters"]}
    assert {
        "q",
        "region",
        "industry_section",
        "industry_division",
        "size_class",
        "status",
        "page",
        "page_size",
    } <= parameters
    assert {"tokenAuth", "cookieAuth"} <= set(schema["components"]["securitySchemes"])


def test_schema_generation_has_no_warnings(tmp_path):
    # --fail-on-warn turns every guess drf-spectacular has to make into an error.
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(tmp_path / "schema.yml"))
    assert "openapi: 3" in (tmp_path / "schema.yml").read_text()


def test_schema_needs_a_signed_in_caller(client):
    assert client.get("/api/v1/schema/").status_code in (401, 403)


def test_docs_page_loads_everything_from_our_own_static_files(client_as):
    client = client_as("trainer")
    response = client.get("/api/v1/docs/")
    assert response.status_code == 200
    page = response.content.decode()
    assert "http://" not in page
    assert "https://" not in page
    assert "//cdn" not in page
    urls = re.findall(r'(?:src|href)="([^"]+)"', page)
    assert urls
    for url in urls:
        assert url.startswith("/"), url
        assert not url.startswith("//"), url
        if url.startswith("/static/"):
            assert finders.find(url.removeprefix("/static/")), f"{url} is not one of our static files"
        else:
            assert client.get(url).status_code == 200, url
    # Strict CSP: no inline script or style on the page.
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", page)
    assert "<style" not in page
    assert "style=" not in page
    script = client.get("/api/v1/docs/", {"script": ""})
    assert script.status_code == 200
    assert "javascript" in script["Content-Type"]
    assert "/api/v1/schema/" in script.content.decode()
    assert "https://" not in script.content.decode()
    assert "default-src 'self'" in response["Content-Security-Policy"]


def test_api_docs_link_in_the_menu_leads_to_the_docs(client_as):
    response = client_as("buyer").get("/api/docs/")
    assert response.status_code == 302
    assert response["Location"] == "/api/v1/docs/"
