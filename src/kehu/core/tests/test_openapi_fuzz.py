"""Schemathesis fuzzes every operation of the live OpenAPI schema, once signed in (no 5xx, no
schema violations) and once anonymous (also: only documented statuses)."""

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from kehu.access.services import api_token_create
from kehu.wsgi import application

schema = schemathesis.openapi.from_wsgi("/api/openapi.json", application)
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    response_schema_conformance,
    content_type_conformance,
]


@pytest.fixture
def wsgi_calls():
    # Schemathesis calls the WSGI app directly, so Django's request signals would close the
    # database connection holding the test transaction; the test client unhooks them the same way.
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture
def admin_token(world, wsgi_calls):
    return api_token_create(user=world.admin, name="fuzz").secret


@schema.parametrize()
@settings(max_examples=8, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
def test_api_never_errors_and_matches_its_schema(case, admin_token):
    case.call_and_validate(
        headers={"Authorization": f"Bearer {admin_token}"},
        checks=[not_a_server_error, response_schema_conformance, content_type_conformance],
    )


@schema.parametrize()
@settings(max_examples=2, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
def test_anonymous_callers_get_documented_answers(case, db, wsgi_calls):
    # That every operation needing a sign-in answers 401 is walked in test_openapi_statuses.py;
    # here made-up input (bad path values: 404, a made-up session cookie: 403) must still get
    # only documented statuses and shapes, never a 5xx.
    case.call_and_validate(checks=CHECKS)
