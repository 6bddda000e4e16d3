"""Bad JSON is a 400 with a clear message on every API write, never a 500 (a deep nest used to be a RecursionError).

Every API route that takes a body (POST, PUT, PATCH) is found by walking the API's URL patterns, so an
endpoint added later is covered without editing this file.
"""

from __future__ import annotations

import json
import random
from dataclasses import dataclass
from typing import Any

import pytest
from django.urls import URLPattern, URLResolver, reverse
from rest_framework.views import APIView

from scorehub import api_urls
from scorehub.core.parsers import MAX_DEPTH, nesting_depth
from scorehub.core.scoping import Action

pytestmark = pytest.mark.django_db

DEEP_NEST = "[" * 5000 + "]" * 5000
MESSAGE_ZH = "JSON 嵌套层级过深：最多 64 层。"
MESSAGE_EN = "The JSON is nested too deeply: at most 64 levels."
BODY_METHODS = ("post", "put", "patch")


@dataclass(frozen=True)
class WriteRoute:
    name: str
    method: str
    view_class: Any
    needs_pk: bool

    def __str__(self) -> str:
        return f"{self.method.upper()} api:{self.name}"


def api_write_routes() -> list[WriteRoute]:
    routes: list[WriteRoute] = []

    def walk(patterns: list[Any]) -> None:
        for entry in patterns:
            if isinstance(entry, URLResolver):
                walk(entry.url_patterns)
                continue
            assert isinstance(entry, URLPattern)
            view_class = getattr(entry.callback, "cls", None)
            kwargs = set(entry.pattern.regex.groupindex)
            # The ".json" suffix variants reach the same view and parser as the plain route.
            if not (isinstance(view_class, type) and issubclass(view_class, APIView)) or "format" in kwargs:
                continue
            actions = getattr(entry.callback, "actions", None)
            methods = actions.keys() if actions is not None else [m for m in BODY_METHODS if hasattr(view_class, m)]
            for method in methods:
                if method in BODY_METHODS:
                    assert kwargs <= {"pk"}, f"{entry.name}: fill the kwargs {kwargs} here"
                    routes.append(WriteRoute(entry.name, method, view_class, needs_pk="pk" in kwargs))

    walk(api_urls.urlpatterns)
    return routes


WRITE_ROUTES = api_write_routes()


def url_for(route: WriteRoute, user: Any) -> str:
    if not route.needs_pk:
        return reverse(f"api:{route.name}")
    action = getattr(route.view_class, "write_action", Action.CHANGE)
    record = route.view_class.model.objects.visible_to(user, action).order_by("pk").first()
    assert record is not None, f"{route}: the admin sees no record to write to"
    return reverse(f"api:{route.name}", kwargs={"pk": record.pk})


def test_every_write_route_of_the_api_is_tried():
    tried = {str(route) for route in WRITE_ROUTES}
    assert {"POST api:suggestion-list", "POST api:enterprise-list", "PATCH api:enterprise-detail"} <= tried
    assert "POST api:token" in tried  # REST framework's own view, with parsers of its own


@pytest.mark.parametrize("route", WRITE_ROUTES, ids=str)
def test_a_deep_nest_is_refused_with_a_400_and_the_limit(route, client_as, persona):
    send = getattr(client_as("admin"), route.method)
    response = send(url_for(route, persona("admin")), DEEP_NEST, content_type="application/json")
    assert response.status_code == 400, response.content[:300]
    assert response.json() == {"detail": MESSAGE_ZH}


def test_the_message_is_in_the_callers_language(client_as):
    response = client_as("admin").post(
        "/api/v1/enterprises/", DEEP_NEST, content_type="application/json", HTTP_ACCEPT_LANGUAGE="en"
    )
    assert response.status_code == 400
    assert response.json() == {"detail": MESSAGE_EN}


def test_an_anonymous_deep_nest_to_the_token_view_is_a_400(client):
    response = client.post("/api/v1/auth/token/", DEEP_NEST, content_type="application/json")
    assert response.status_code == 400
    assert response.json() == {"detail": MESSAGE_ZH}


def nest(levels: int) -> Any:
    return json.loads("[" * levels + "]" * levels)


def test_the_limit_is_on_depth_not_on_size(client):
    at_limit = {"username": "nobody", "password": "x", "extra": nest(MAX_DEPTH - 1)}  # 64 with the outer object
    response = client.post("/api/v1/auth/token/", json.dumps(at_limit), content_type="application/json")
    # Parsed: refused for the credentials, not for the nesting.
    assert response.status_code == 400
    assert "non_field_errors" in response.json()
    one_deeper = {"username": "nobody", "password": "x", "extra": nest(MAX_DEPTH)}
    response = client.post("/api/v1/auth/token/", json.dumps(one_deeper), content_type="application/json")
    assert response.json() == {"detail": MESSAGE_ZH}


def test_a_body_over_djangos_upload_limit_is_refused_before_it_is_scanned(client, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    body = json.dumps({"username": "nobody", "password": "x" * 2000})
    response = client.post("/api/v1/auth/token/", body, content_type="application/json")
    assert response.status_code == 400


def test_text_that_is_not_utf8_is_a_400(client):
    response = client.post("/api/v1/auth/token/", b"{}" + b"\xff\xfe", content_type="application/json")
    assert response.status_code == 400
    assert response.json() == {"detail": "请求内容不是有效的 utf-8 文本。"}


@pytest.mark.parametrize(
    ("text", "depth"),
    [
        ("", 0),
        ("1", 0),
        ("[]", 1),
        ('{"a": [1, {"b": []}]}', 4),
        ('["[[[[[[", "{{{{"]', 1),  # brackets inside strings do not count
        (r'["a \" [[[[", [2]]', 2),  # nor after an escaped quote
        (r'["a \\", [[2]]]', 3),  # an escaped backslash ends no string
        ('["五月[", {"天[": []}]', 3),  # UTF-8 text
        ('"unterminated [[[', 0),  # the parser stops at the string: nothing deeper is reached
        ("[[[}}}", 3),  # malformed: counted as the parser would go
    ],
)
def test_nesting_depth_counts_brackets_outside_strings(text, depth):
    assert nesting_depth(text.encode()) == depth


def test_nesting_depth_agrees_with_the_parser_on_generated_documents():
    """Seeded: the same 500 documents every run, each as deep as ``json.loads`` finds it."""
    rng = random.Random(11)

    def document(levels: int) -> Any:
        if levels == 0 or rng.random() < 0.25:
            return rng.choice([1, None, "[", '"{', "\\", "中[文", [], {}])
        if rng.random() < 0.5:
            return [document(levels - 1) for _ in range(rng.randint(1, 3))]
        return {f'k{i}"[': document(levels - 1) for i in range(rng.randint(1, 3))}

    def parsed_depth(value: Any) -> int:
        children = value.values() if isinstance(value, dict) else value if isinstance(value, list) else None
        return 0 if children is None else 1 + max(map(parsed_depth, children), default=0)

    for _ in range(500):
        text = json.dumps(document(rng.randint(0, 10)), ensure_ascii=rng.random() < 0.5)
        assert nesting_depth(text.encode()) == parsed_depth(json.loads(text)), text


def test_a_utf16_body_is_scanned_as_text(client):
    # In UTF-16, 丢 (U+4E22) holds the byte of a quote: read as bytes, the nest would seem to be in a string.
    body = '["丢", ' + "[" * 100 + "]" * 100 + "]"  # the test client encodes it in the charset named
    response = client.post("/api/v1/auth/token/", body, content_type="application/json; charset=utf-16")
    assert response.json() == {"detail": MESSAGE_ZH}
