"""The OpenAPI schema documents what each operation answers: every operation that needs a
sign-in lists 401 and really answers it to an anonymous caller; every listed status is listed
once and has a JSON body."""

import re

import pytest
from django.core.cache import cache
from django.test import Client

from kehu.api import api

pytestmark = pytest.mark.django_db

METHODS = ("get", "post", "put", "patch", "delete")


def _operations():
    schema = api.get_openapi_schema()
    for path, item in schema["paths"].items():
        for method, operation in item.items():
            if method in METHODS:
                yield path, method, operation


def test_every_authenticated_operation_documents_401_and_answers_it_to_an_anonymous_caller():
    client = Client()
    checked = 0
    for path, method, operation in _operations():
        if not operation.get("security"):
            continue  # public: the survey page's API, the health check
        assert "401" in operation["responses"], f"{method.upper()} {path} does not document 401"
        url = re.sub(r"\{[^}]+\}", "1", path)
        cache.clear()  # the anonymous throttle would answer 429 long before the walk ends
        if method == "get":
            response = client.get(url)
        else:
            response = getattr(client, method)(url, "{}", content_type="application/json")
        assert response.status_code == 401, f"{method.upper()} {path}: {response.status_code}"
        assert response.json()["code"] == "unauthenticated"
        checked += 1
    assert checked > 150


def test_every_operation_documents_throttling_and_each_status_once():
    for path, method, operation in _operations():
        responses = operation["responses"]
        assert "429" in responses, f"{method.upper()} {path}"
        assert all(isinstance(code, str) for code in responses), f"{method.upper()} {path}"
        for code, response in responses.items():
            if code.startswith(("4", "5")):
                # a JSON body: the error shape, or a richer report (duplicates, import rows)
                assert response["content"]["application/json"]["schema"], (method, path, code)
