"""The OpenAPI document, completed in one place.

Routes declare what is particular to them (their models, summary, docstring,
``allow()`` roles and the errors of their domain). Everything every route shares
is added here, after FastAPI has built the document, so that a route added
tomorrow gets it too: readable operation ids, a description naming who may call
the operation, the statuses any request can meet (401, 403, 406, 413, 415, 422,
500 ...) as ``application/problem+json``, the response headers the middleware
sends (``X-Request-ID``, ``ETag``, ``Location``, ``Retry-After``,
``Idempotency-Replayed``), the ``Idempotency-Key`` header on every POST and the
API-key security scheme. ``docs/http.md`` explains each for client authors.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from copy import deepcopy
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, routing
from fastapi.dependencies.models import Dependant
from fastapi.openapi.utils import get_openapi
from fastapi.routing import APIRoute

from casework.auth.principal import ACCESS, Access
from casework.core.errors import PROBLEM_MEDIA_TYPE
from casework.core.middleware import collections_with_items
from casework.reference.vocabularies import Role

OpenAPI = dict[str, Any]

PROBLEM = {"$ref": "#/components/schemas/Problem"}
API_PREFIX = "/api/"
TOKEN_PATH = "/api/v1/auth/token"  # noqa: S105 - a path
OAUTH2 = "OAuth2PasswordBearer"
API_KEY = "ApiKey"
KOBO_SECRET = "KoboSecret"  # noqa: S105 - a scheme name
KOBO_SECRET_PATH = "/api/v1/integrations/kobo/{form}/submissions"  # noqa: S105
INT32_MAX = 2**31 - 1

TAGS = {
    "auth": "Access tokens, users and the caller's own account.",
    "organizations": "Partner organisations users belong to (admin).",
    "api-keys": "Long-lived keys for reporting tools (admin); a key reaches the reports only.",
    "reference": "Vocabularies and P-codes, with English and French labels.",
    "incidents": "Protection incidents reported by monitors, single or in offline batches.",
    "actors": "Response actors referrals are addressed to, and the services each accepts.",
    "persons": "Persons of concern; identifying fields are encrypted at rest.",
    "sgbv": "SGBV cases, known by survivor code; GBV caseworkers and supervisors only.",
    "consent": "Informed consent, the condition for sending personal data to an actor.",
    "referrals": "Referrals to actors and their status machine.",
    "counselling": "Counselling sessions, named or anonymous.",
    "repatriation": "Voluntary repatriation files and their steps.",
    "audit": "The append-only, hash-chained audit trail (admin).",
    "reports": "Aggregates with small-cell protection, CSV, HXL and the monthly sitrep.",
    "notifications": "The caller's notifications.",
    "kobo": "KoboToolbox forms, pushed submissions and the quarantine.",
    "operations": "Liveness, readiness and metrics.",
}

HEADERS: dict[str, dict[str, Any]] = {
    "X-Request-ID": {
        "description": "The request's id (yours if you sent a safe one); quote it when "
        "reporting a problem.",
        "schema": {"type": "string", "maxLength": 64, "pattern": "^[A-Za-z0-9._-]{1,64}$"},
    },
    "ETag": {
        "description": 'The record\'s version as a strong entity tag, e.g. "3": send it back '
        "in If-Match to change the record only if nobody else did meanwhile.",
        "schema": {"type": "string", "maxLength": 24, "pattern": '^"[0-9]+"$'},
    },
    "Location": {
        "description": "The URL of the record just created.",
        "schema": {"type": "string", "format": "uri-reference", "maxLength": 2048},
    },
    "Retry-After": {
        "description": "Seconds to wait before trying again.",
        "schema": {"type": "integer", "format": "int32", "minimum": 0, "maximum": 86400},
    },
    "Idempotency-Replayed": {
        "description": "Present (true) when this is the stored answer to an earlier request "
        "with the same Idempotency-Key.",
        "schema": {"type": "string", "enum": ["true"]},
    },
}

IDEMPOTENCY_KEY = {
    "name": "Idempotency-Key",
    "in": "header",
    "required": False,
    "description": "Any value you choose (1-200 visible ASCII characters) to make a retry "
    "safe: the first answer is stored and replayed for the same key and request "
    "(Idempotency-Replayed: true); the same key with another request is 422; while the "
    "first is still running, 409 with Retry-After.",
    "schema": {"type": "string", "minLength": 1, "maxLength": 200, "pattern": "^[!-~]+$"},
    "example": "3f1c9a2e-7d4b-4e8a-9c61-0b2d5e7f8a90",
}

ERRORS = {
    400: "The OAuth 2.0 request is invalid (RFC 6749 section 5.2: see error).",
    401: "Missing, invalid, expired or revoked credentials.",
    403: "Your role (or an API key) may not do this.",
    404: "No such record, or one outside your scope.",
    405: "This path does not take this method.",
    406: "None of the media types in Accept can be produced (see acceptable).",
    409: "Conflict with the record's state (see allowed, current, missing); or a request "
    "with the same Idempotency-Key is still running (see Retry-After).",
    412: "If-Match does not name the current version; ETag carries the current one.",
    413: "The request body is over the size limit.",
    415: "The body's Content-Type is not one this operation reads (see acceptable).",
    422: "Invalid input: a body field, an unknown or repeated query parameter, a reused "
    "Idempotency-Key (see errors).",
    429: "Too many attempts; wait Retry-After seconds.",
    500: "Unexpected error; quote the X-Request-ID.",
    503: "Not ready: the database is unreachable or not migrated.",
}


def install(app: FastAPI) -> None:
    """Replace ``app.openapi`` with the completed document (built once, then cached)."""

    def openapi() -> OpenAPI:
        if app.openapi_schema is None:
            document = get_openapi(
                title=app.title,
                version=app.version,
                summary=app.summary,
                description=app.description,
                routes=app.routes,
                license_info=app.license_info,
                contact=app.contact,
                servers=app.servers,
            )
            app.openapi_schema = complete(document, app)
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]


def complete(document: OpenAPI, app: FastAPI) -> OpenAPI:
    routes = {
        (str(context.path_format), method.lower()): context.original_route
        for context in routing.iter_route_contexts(app.routes)
        if isinstance(context.original_route, APIRoute) and context.include_in_schema
        for method in context.methods or ()
    }
    components = document.setdefault("components", {})
    components["headers"] = deepcopy(HEADERS)
    _security_schemes(components)
    for name in ("HTTPValidationError", "ValidationError"):
        components.get("schemas", {}).pop(name, None)
    ids = _operation_ids(routes)
    readable = collections_with_items(app.routes)
    used_tags: set[str] = set()
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            route = routes[(path, method)]
            operation["operationId"] = ids[(path, method)]
            if not operation.get("tags"):  # a route without a tag is listed by its path
                parts = [p for p in path.split("/") if p and p not in ("api", "v1")]
                operation["tags"] = [parts[0] if parts else "operations"]
            used_tags.update(operation.get("tags", []))
            _complete_operation(path, method, operation, route, components)
            if method == "post" and path in readable:
                _declare_location(operation)
    document["tags"] = [
        {"name": tag, "description": TAGS.get(tag, f"Operations on {tag}.")}
        for tag in sorted(used_tags, key=lambda t: (list(TAGS).index(t) if t in TAGS else 99, t))
    ]
    _integer_formats(document)
    return document


def camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part[:1].upper() + part[1:] for part in rest)


def _operation_ids(routes: dict[tuple[str, str], APIRoute]) -> dict[tuple[str, str], str]:
    """``createIncident`` from the function's name; a name two routes share gets its tag."""
    ids = {key: camel(route.name) for key, route in routes.items()}
    counts: dict[str, int] = {}
    for value in ids.values():
        counts[value] = counts.get(value, 0) + 1
    for key, route in routes.items():
        if counts[ids[key]] > 1:
            tag = str(route.tags[0]) if route.tags else key[0].strip("/").split("/")[-1]
            ids[key] = camel(re.sub(r"[^A-Za-z0-9]+", "_", f"{tag}_{route.name}"))
    return ids


def _security_schemes(components: OpenAPI) -> None:
    schemes = components.setdefault("securitySchemes", {})
    schemes[API_KEY] = {
        "type": "http",
        "scheme": "bearer",
        "description": "An API key for a reporting tool (cwk_...), created by an admin with "
        "POST /api/v1/api-keys and sent as Authorization: Bearer <key>. Opaque, stored as "
        "SHA-256, revocable; it acts with the reporting role and reaches the reports only.",
    }
    schemes[KOBO_SECRET] = {
        "type": "apiKey",
        "in": "header",
        "name": "X-Kobo-Secret",
        "description": "The secret shown once when the Kobo form was registered.",
    }


def _access(dependant: Dependant) -> Access | None:
    for dependency in _walk(dependant):
        if dependency.call in ACCESS:
            return ACCESS[dependency.call]
    return None


def _walk(dependant: Dependant) -> Iterator[Dependant]:
    for dependency in dependant.dependencies:
        yield dependency
        yield from _walk(dependency)


def _complete_operation(
    path: str, method: str, operation: OpenAPI, route: APIRoute, components: OpenAPI
) -> None:
    access = _access(route.dependant)
    secured = bool(operation.get("security")) or access is not None
    if access is not None and access.api_keys:
        operation["security"] = [{OAUTH2: []}, {API_KEY: []}]
    bearer = secured  # a user's token or an API key: what Idempotency-Key replays key on
    if path == KOBO_SECRET_PATH:
        operation["security"] = [{KOBO_SECRET: []}]
        operation["parameters"] = [
            p for p in operation.get("parameters", []) if p["name"] != "X-Kobo-Secret"
        ]
        secured = True
    operation["description"] = _description(operation, route, access)
    for parameter in operation.get("parameters", []):
        parameter["schema"] = _without_null(parameter["schema"])
        if parameter["name"] == "If-Match":
            parameter["example"] = '"3"'
    writes = method in ("post", "put", "patch")
    idempotent = method == "post" and path.startswith(API_PREFIX) and bearer
    if idempotent:
        operation.setdefault("parameters", []).append(deepcopy(IDEMPOTENCY_KEY))
    responses: OpenAPI = operation["responses"]
    statuses = {500, 405, 422}
    if path.startswith(API_PREFIX):
        statuses.add(406)
    if secured:
        statuses.add(401)
    if bearer:
        statuses.add(403)
    if writes and "requestBody" in operation:
        statuses |= {413, 415}
    if idempotent:
        statuses.add(409)
    if "{" in path:  # a record that does not exist, or lies outside the caller's scope
        statuses.add(404)
    if any(p["name"] == "If-Match" for p in operation.get("parameters", [])):
        statuses.add(412)
    if path == TOKEN_PATH:
        statuses |= {400, 429}
        statuses -= {401, 403, 406, 415, 422}  # checks of its own, the OAuth way
        responses.pop("422", None)
    for status in sorted(statuses):
        responses.setdefault(str(status), {})
    for code, response in responses.items():
        _complete_response(int(code), response, operation, method, components)


def _description(operation: OpenAPI, route: APIRoute, access: Access | None) -> str:
    text = (route.description or "").strip() or operation.get("summary", "").strip()
    if text and not text.endswith("."):
        text += "."
    if access is not None:
        roles = [role.value for role in Role if role in access.roles]
        who = (
            "any signed-in user"
            if len(roles) == len(Role)
            else ", ".join(f"`{role}`" for role in roles)
        )
        text += f"\n\n**Who may call it:** {who}"
        text += "; also an API key." if access.api_keys else "."
    return text


def _complete_response(
    status: int, response: OpenAPI, operation: OpenAPI, method: str, components: OpenAPI
) -> None:
    headers = response.setdefault("headers", {})
    headers["X-Request-ID"] = {"$ref": "#/components/headers/X-Request-ID"}
    if status >= 400:
        described = response.get("description", "")
        phrase = HTTPStatus(status).phrase if status in HTTPStatus._value2member_map_ else ""
        if not described or described in (phrase, "Validation Error"):
            response["description"] = ERRORS.get(status, phrase or "Error")
        examples = response.get("content", {}).get(PROBLEM_MEDIA_TYPE, {}).get("examples")
        media: OpenAPI = {"schema": PROBLEM}
        if examples:
            media["examples"] = examples
        response["content"] = {PROBLEM_MEDIA_TYPE: media}
        if status in (429, 503) or (status == 409 and method == "post"):
            headers["Retry-After"] = {"$ref": "#/components/headers/Retry-After"}
        if status == 412:
            headers["ETag"] = {"$ref": "#/components/headers/ETag"}
        return
    schema = response.get("content", {}).get("application/json", {}).get("schema")
    properties = _properties(schema, components)
    if "version" in properties:
        headers["ETag"] = {"$ref": "#/components/headers/ETag"}
    if any(p["name"] == "Idempotency-Key" for p in operation.get("parameters", [])):
        headers["Idempotency-Replayed"] = {"$ref": "#/components/headers/Idempotency-Replayed"}


def _declare_location(operation: OpenAPI) -> None:
    created = operation["responses"].get("201")
    if created is not None:
        created["headers"]["Location"] = {"$ref": "#/components/headers/Location"}


def _properties(schema: OpenAPI | None, components: OpenAPI) -> set[str]:
    """Property names of a response schema (through $ref and anyOf)."""
    if not schema:
        return set()
    if "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[-1]
        return _properties(components.get("schemas", {}).get(name), components)
    names = set(schema.get("properties", {}))
    for branch in schema.get("anyOf", []) + schema.get("oneOf", []):
        names |= _properties(branch, components)
    return names


def _without_null(schema: OpenAPI) -> OpenAPI:
    """A query or header parameter is absent or has a value: never JSON null."""
    branches = schema.get("anyOf")
    if branches and len(branches) == 2 and {"type": "null"} in branches:
        (kept,) = (b for b in branches if b != {"type": "null"})
        rest = {k: v for k, v in schema.items() if k != "anyOf"}
        return {**kept, **rest}
    return schema


def _integer_formats(node: Any) -> None:
    """int32 where the maximum allows it, else int64: every integer says which."""
    if isinstance(node, dict):
        if node.get("type") == "integer" and "format" not in node:
            maximum = node.get("maximum")
            small = maximum is not None and maximum <= INT32_MAX
            node["format"] = "int32" if small else "int64"
        for value in node.values():
            _integer_formats(value)
    elif isinstance(node, list):
        for value in node:
            _integer_formats(value)
