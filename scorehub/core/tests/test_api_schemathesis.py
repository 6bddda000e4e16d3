"""The API keeps its own schema: schemathesis calls every operation of ``/api/v1/schema/``.

It runs in-process against the WSGI application and the test database (the demo world), as the
programme admin (who sees and may change everything) and as an enterprise manager (who sees one
enterprise: ``factory_manager``), and fails on any server error and on any response whose status code, content type,
headers or body the schema does not describe.

Bounded and deterministic: the coverage phase (the schema's edge cases: each enum value, each bound,
a required field missing, a wrong type) plus a few derandomised fuzzing examples per operation, a fixed
seed, no example database, no deadline.  Every operation is one test in its own transaction, rolled
back at the end; the cache (throttle counters) is emptied before each call, so that no answer depends
on the calls before it.  ``pytest -m schemathesis`` runs only these (docs/api.md).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import schemathesis
from django.core.cache import cache
from django.core.handlers.wsgi import WSGIHandler
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.renderers import OpenApiJsonRenderer
from rest_framework.authtoken.models import Token
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

pytestmark = [pytest.mark.schemathesis, pytest.mark.django_db]

#: Fuzzing examples per operation, on top of the coverage phase's cases.
MAX_EXAMPLES = 10
SEED = 2017
#: Each persona signs in with a token of its own, made in the test's transaction.
TOKENS = {
    "admin": "schemathesis0admin000000000000000000000",
    "factory_manager": "schemathesis0enterprise0000000000000000",
}
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]


def _generated_schema() -> dict[str, Any]:
    """What ``/api/v1/schema/`` serves (``test_the_run_uses_the_served_schema`` holds it to that)."""
    document = SchemaGenerator().get_schema(request=None, public=True)
    return json.loads(OpenApiJsonRenderer().render(document))  # type: ignore[no-any-return]


SCHEMA_DOCUMENT = _generated_schema()


def _load_schema() -> Any:
    config = schemathesis.Config.from_dict(
        {
            "seed": SEED,
            "generation": {"max-examples": MAX_EXAMPLES, "deterministic": True, "database": "none"},
            "phases": {
                "examples": {"enabled": False},
                "coverage": {"enabled": True},
                "fuzzing": {"enabled": True},
                "stateful": {"enabled": False},
            },
            # The run's speed depends on the machine; its result must not.
            "suppress-health-check": ["too_slow", "filter_too_much", "data_too_large", "large_base_example"],
        }
    )
    schema = schemathesis.openapi.from_dict(SCHEMA_DOCUMENT, config=config)
    schema.app = WSGIHandler()
    return schema


api_schema = _load_schema()


@pytest.fixture
def api_tokens(persona: Callable[[str], Any]) -> None:
    for username, key in TOKENS.items():
        Token.objects.filter(user=persona(username)).delete()
        Token.objects.create(user=persona(username), key=key)


@pytest.fixture
def connection_kept_open() -> Iterator[None]:
    """The WSGI handler closes the database connection after each request; the test client does not.

    Closing it would end the test's transaction (on PostgreSQL); keep it open, as Django's test client does.
    """
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        yield
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


# One test item per operation and persona.  The persona is a parametrisation (not two schemas) so that
# every item has its own node id ("...[GET /api/v1/regions/][admin]"): pytest-xdist needs that to share
# the items out, and the persona's token is sent with each call, over anything the case generated.
@pytest.mark.usefixtures("api_tokens", "connection_kept_open")
@pytest.mark.parametrize("username", list(TOKENS))
@api_schema.parametrize()
def test_api_answers_as_its_schema_says(case: Any, username: str) -> None:
    cache.clear()
    response = case.call_and_validate(headers={"Authorization": f"Token {TOKENS[username]}"}, checks=CHECKS)
    # The token is valid: a 401 would mean the run never got past the sign-in.
    assert response.status_code != 401


def test_the_run_uses_the_served_schema(client_as: Callable[[str], Any]) -> None:
    served = client_as("factory_manager").get("/api/v1/schema/", {"format": "json"})
    assert served.status_code == 200
    assert json.loads(served.content) == SCHEMA_DOCUMENT
