"""What every operation of the OpenAPI schema says about itself, completed in one place:
the statuses any operation can answer (401 where it needs a sign-in, 429 from the throttles,
422 where it reads input, 404 where its path names an object), and for versioned resources the ``ETag`` of a read and the
``If-Match`` → 412 of an update. Routers keep declaring their own statuses; this adds what the
API's shared plumbing (auth, throttles, the parser) makes true of all of them."""

from __future__ import annotations

from typing import Any

ERROR_REF = {"$ref": "#/components/schemas/ErrorOut"}
METHODS = ("get", "post", "put", "patch", "delete")

_DESCRIPTIONS = {
    "401": "Not signed in: no valid API token or session.",
    "404": "Not found, or not yours to see.",
    "412": "If-Match named a version the resource is no longer at (nothing was changed).",
    "422": "The request is not valid.",
    "429": "Too many requests: wait and try again.",
}
IF_MATCH = {
    "name": "If-Match",
    "in": "header",
    "required": False,
    "description": (
        'The ETag you read (W/"<version>"). Instead of, or with the same value as, the body\'s '
        "version: if the resource has moved on, the answer is 412 and nothing changes."
    ),
    "schema": {"type": "string"},
}
ETAG_HEADER = {
    "ETag": {
        "description": 'The version of the resource, W/"<version>": send it back in If-Match.',
        "schema": {"type": "string"},
    }
}


def _error(status: str) -> dict[str, Any]:
    return {
        "description": _DESCRIPTIONS[status],
        "content": {"application/json": {"schema": ERROR_REF}},
    }


def _schema_properties(schema: dict[str, Any], body: dict[str, Any] | None) -> dict[str, Any]:
    """The properties of a (possibly referenced) object schema."""
    if not body:
        return {}
    ref = body.get("$ref", "")
    if ref.startswith("#/components/schemas/"):
        body = schema.get("components", {}).get("schemas", {}).get(ref.rsplit("/", 1)[1], {})
    return body.get("properties", {}) if isinstance(body, dict) else {}


def _json_schema(container: dict[str, Any] | None) -> dict[str, Any] | None:
    if not container:
        return None
    return container.get("content", {}).get("application/json", {}).get("schema")


def versioned_update(schema: dict[str, Any], method: str, operation: dict[str, Any]) -> bool:
    """A PATCH or PUT whose JSON body carries the optimistic-concurrency ``version``."""
    if method not in ("patch", "put"):
        return False
    body = _json_schema(operation.get("requestBody"))
    return "version" in _schema_properties(schema, body)


def complete(schema: dict[str, Any]) -> dict[str, Any]:
    """Complete every operation of ``schema`` in place (see the module docstring)."""
    for item in schema.get("paths", {}).values():
        for method, operation in item.items():
            if method not in METHODS:
                continue
            responses: dict[str, Any] = {}
            for key, value in operation.get("responses", {}).items():
                # An int 200 from `response=` and a "200" from openapi_extra are one response.
                responses.setdefault(str(key), {}).update(value)
            if operation.get("security"):
                responses.setdefault("401", _error("401"))
            if operation.get("parameters") or operation.get("requestBody"):
                responses.setdefault("422", _error("422"))
            if any(p.get("in") == "path" for p in operation.get("parameters", [])):
                responses.setdefault("404", _error("404"))  # the object named may not exist
            responses.setdefault("429", _error("429"))
            if versioned_update(schema, method, operation):
                responses.setdefault("412", _error("412"))
                parameters = operation.setdefault("parameters", [])
                if not any(p.get("name") == "If-Match" for p in parameters):
                    parameters.append(IF_MATCH)
            ok = responses.get("200")
            if (
                method in ("get", "patch", "put")
                and ok
                and "version" in _schema_properties(schema, _json_schema(ok))
            ):
                ok.setdefault("headers", {}).update(ETAG_HEADER)
            operation["responses"] = dict(sorted(responses.items()))
    return schema
