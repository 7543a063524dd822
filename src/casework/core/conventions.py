"""HTTP rules every API operation follows, checked once for all of them.

One dependency, installed on the application, reads what the route declares
(its query parameters, its body, the media types it can produce) and refuses
before the route runs:

* a query parameter the route does not declare, or a single-valued one given
  twice: 422 (a typo never silently widens a list; ``?a=1&a=2`` never means ``2``);
* an ``Accept`` that admits none of the route's media types: 406 (RFC 9110
  section 12.5.1, with q-values; an operation's ``?format=`` overrides Accept);
* a body whose ``Content-Type`` the route does not read (JSON sent as
  ``text/plain``, XML, or without a type): 415, not a misleading 422.

Routes that must answer in another error vocabulary (the OAuth 2.0 token
endpoint) register themselves with :func:`exempt` and check for themselves.
"""

from __future__ import annotations

import email.message
import inspect
import types
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Annotated, Any, TypeVar, Union, get_args, get_origin

from fastapi import Request, Response
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute
from pydantic import BaseModel

from casework.core.errors import InvalidInput, NotAcceptable, UnsupportedMediaType
from casework.core.negotiation import choose

API_PREFIXES = ("/api/", "/health", "/ready", "/metrics")
JSON = "application/json"
FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")
FORMAT_PARAMETER = "format"

F = TypeVar("F", bound=Callable[..., Any])
_EXEMPT: set[Callable[..., Any]] = set()


def exempt(endpoint: F) -> F:
    """Leave an endpoint's query, Accept and Content-Type checks to the endpoint itself."""
    _EXEMPT.add(endpoint)
    return endpoint


@dataclass(frozen=True)
class RouteRules:
    query: dict[str, bool]  # name -> may be repeated
    body: str | None  # "json", "form" or None
    produces: tuple[str, ...]
    exempt: bool


_RULES: dict[int, RouteRules] = {}


def rules_for(route: APIRoute) -> RouteRules:
    rules = _RULES.get(id(route))
    if rules is None:
        rules = _RULES[id(route)] = _rules(route)
    return rules


def produces(route: APIRoute) -> tuple[str, ...]:
    """The route's own media type (JSON unless it says otherwise), then the other media
    types its success responses declare."""
    response_class = getattr(route.response_class, "value", route.response_class)
    own = getattr(response_class, "media_type", None)
    types_ = [JSON] if own in (JSON, None) and response_class is not Response else []
    if own and own != JSON:
        types_.append(own)
    for status, response in (route.responses or {}).items():
        if str(status).startswith("2"):
            types_ += [t for t in response.get("content", {}) if t not in types_]
    return tuple(types_)


def _rules(route: APIRoute) -> RouteRules:
    query: dict[str, bool] = {}
    for field in _query_fields(route.dependant):
        annotation = field.field_info.annotation
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            for name, info in annotation.model_fields.items():
                query[info.alias or name] = _is_sequence(info.annotation)
        else:
            query[field.alias] = _is_sequence(annotation)
    body = None
    if route.body_field is not None:
        body = "form" if _is_form(route) else "json"
    # The endpoint as written (core/routing.py hands FastAPI a wrapper around it).
    return RouteRules(query, body, produces(route), inspect.unwrap(route.endpoint) in _EXEMPT)


def _query_fields(dependant: Dependant) -> Iterator[Any]:
    yield from dependant.query_params
    for dependency in dependant.dependencies:
        yield from _query_fields(dependency)


def _is_form(route: APIRoute) -> bool:
    from fastapi import params

    field = route.body_field
    return field is not None and isinstance(field.field_info, params.Form)


def _is_sequence(annotation: Any) -> bool:
    origin = get_origin(annotation)
    if origin is Annotated:
        return _is_sequence(get_args(annotation)[0])
    if origin is Union or origin is types.UnionType:
        return any(_is_sequence(arg) for arg in get_args(annotation) if arg is not type(None))
    return origin in (list, tuple, set, frozenset, Sequence)


async def check_conventions(request: Request) -> None:
    route = request.scope.get("route")
    if not isinstance(route, APIRoute) or not route.path.startswith(API_PREFIXES):
        return
    rules = rules_for(route)
    if rules.exempt:
        return
    check_query(request, rules.query)
    if FORMAT_PARAMETER not in request.query_params:
        check_accept(request.headers.get("accept"), rules.produces)
    if rules.body is not None:
        check_content_type(request, rules.body)


def check_query(request: Request, declared: dict[str, bool]) -> None:
    errors = []
    seen: set[str] = set()
    for name, _ in request.query_params.multi_items():
        if name not in declared:
            errors.append(
                {
                    "loc": ["query", name],
                    "msg": "Unknown query parameter",
                    "type": "extra_forbidden",
                }
            )
        elif name in seen and not declared[name]:
            errors.append(
                {"loc": ["query", name], "msg": "Given more than once", "type": "repeated"}
            )
        seen.add(name)
    if errors:
        unique = [e for i, e in enumerate(errors) if e not in errors[:i]]
        raise InvalidInput("The request has invalid query parameters.", errors=unique)


def check_accept(accept: str | None, available: Sequence[str]) -> str:
    chosen = choose(accept, available)
    if chosen is None:
        raise NotAcceptable(
            f"This resource is available as {', '.join(available)}; Accept admits none of them.",
            acceptable=list(available),
        )
    return chosen


def check_content_type(request: Request, body: str) -> None:
    has_body = request.headers.get("content-length", "0") != "0" or (
        "transfer-encoding" in request.headers
    )
    if not has_body:
        return  # a missing body is the route's 422
    value = request.headers.get("content-type")
    if body == "json" and not _is_json(value):
        raise UnsupportedMediaType(
            "The body must be JSON, sent with Content-Type: application/json.",
            acceptable=[JSON],
        )
    if body == "form" and (value or "").split(";")[0].strip().lower() not in FORM_TYPES:
        raise UnsupportedMediaType(
            "The body must be a form (application/x-www-form-urlencoded or multipart/form-data).",
            acceptable=list(FORM_TYPES),
        )


def _is_json(value: str | None) -> bool:
    if not value:
        return False
    message = email.message.Message()
    message["content-type"] = value
    subtype = message.get_content_subtype()
    return message.get_content_maintype() == "application" and (
        subtype == "json" or subtype.endswith("+json")
    )
