"""The machinery every page shares: who is calling, rendering, errors as pages, headers.

Pages call the same services and permission modules as the API. What differs
is only the envelope: a signed-in cookie instead of a bearer token, HTML
instead of JSON, a redirect to ``/login`` instead of 401, and an error page
(404 for a record outside the caller's scope, exactly where the API says 404).
"""

from __future__ import annotations

import contextvars
import hashlib
import mimetypes
import uuid
from collections.abc import Callable, Coroutine, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import Depends, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, RedirectResponse
from fastapi.routing import APIRoute
from jinja2 import Environment, PackageLoader, select_autoescape
from sqlalchemy.orm import Session
from starlette.datastructures import FormData
from starlette.exceptions import HTTPException as StarletteHTTPException

from casework.auth.models import User
from casework.auth.principal import Principal, principal_for
from casework.core.config import Settings, get_settings
from casework.core.db import SessionDep
from casework.core.errors import Forbidden, ProblemError
from casework.reference.vocabularies import LABELS, Role
from casework.tasks import service as task_service
from casework.web import sessions
from casework.web.i18n import LANGUAGE_NAMES, LANGUAGES, Translator, negotiate

PAGE_CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; "
    "connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
)
STATIC_MAX_AGE = 365 * 24 * 3600

_translator: contextvars.ContextVar[Translator] = contextvars.ContextVar("web_translator")


class LoginRequired(Exception):
    """No valid session: the page answers with a redirect to the sign-in form."""


# --- static files -----------------------------------------------------------------------


@dataclass(frozen=True)
class StaticFile:
    body: bytes
    media_type: str
    digest: str


@lru_cache
def static_files() -> dict[str, StaticFile]:
    folder = resources.files("casework.web") / "static"
    files = {}
    for entry in folder.iterdir():
        if entry.is_file() and not entry.name.startswith("."):
            body = entry.read_bytes()
            media_type = mimetypes.guess_type(entry.name)[0] or "text/plain"
            if media_type.startswith("text/") or media_type.endswith("javascript"):
                media_type += "; charset=utf-8"
            files[entry.name] = StaticFile(body, media_type, hashlib.sha256(body).hexdigest()[:12])
    return files


def static_url(name: str) -> str:
    """A URL that changes with the file's content, so it can be cached for a year."""
    return f"/static/{static_files()[name].digest}/{name}"


# --- templates --------------------------------------------------------------------------


@lru_cache
def templates() -> Environment:
    env = Environment(
        loader=PackageLoader("casework.web", "templates"),
        autoescape=select_autoescape(default=True),
        extensions=["jinja2.ext.i18n"],
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.install_gettext_callables(  # type: ignore[attr-defined]
        lambda message, **kw: (
            _translator.get().gettext(message) % kw if kw else _translator.get().gettext(message)
        ),
        lambda singular, plural, n, **kw: (
            _translator.get().ngettext(singular, plural, n) % {"num": n, **kw}
        ),
        newstyle=True,
    )
    env.globals["static"] = static_url
    env.globals["task_title"] = task_title
    env.globals["nav"] = navigation
    env.globals.update({vocabulary.__name__: vocabulary for vocabulary in LABELS})
    env.globals["languages"] = [(code, LANGUAGE_NAMES[code]) for code in LANGUAGES]
    return env


def task_title(task: Any) -> str:
    """Tasks the system made are titled in the reader's language, not the server's."""
    if getattr(task, "automatic", False):
        return task_service.title_in(task.title, _translator.get().language)
    return str(task.title)


def navigation(web: Web) -> list[tuple[str, str]]:
    """The main menu: the pages the caller's role may open."""
    if web.principal is None:
        return []
    role, _ = web.principal.role, web.t.gettext
    links = [("/", _("My work"))]
    if role in (Role.monitor, Role.supervisor):
        links.append(("/incidents/new", _("New incident")))
    if role in (Role.monitor, Role.supervisor, Role.caseworker, Role.gbv_caseworker):
        links.append(("/incidents", _("Incidents")))
    if role in (Role.supervisor, Role.caseworker, Role.gbv_caseworker):
        links.append(("/persons", _("Persons")))
    if role in (Role.supervisor, Role.gbv_caseworker):
        links.append(("/sgbv-cases", _("SGBV cases")))
    if role in (Role.supervisor, Role.caseworker, Role.gbv_caseworker, Role.actor_focal_point):
        links.append(("/referrals", _("Referrals")))
    if role in (Role.supervisor, Role.caseworker, Role.gbv_caseworker):
        links.append(("/tasks", _("Tasks")))
        links.append(("/transfers", _("Transfers")))
        links.append(("/counselling-sessions", _("Counselling")))
        links.append(("/repatriation-files", _("Repatriation")))
    if role in (Role.supervisor, Role.reporting, Role.admin):
        links.append(("/reports", _("Reports")))
    if role is Role.admin:
        links += [
            ("/users", _("Users")),
            ("/organizations", _("Organisations")),
            ("/actors", _("Actors")),
            ("/kobo-forms", _("Kobo forms")),
            ("/api-keys", _("API keys")),
            ("/audit", _("Audit")),
        ]
    return links


# --- the caller -------------------------------------------------------------------------


@dataclass
class Web:
    """One page request: who, in which language, and the CSRF token of their forms."""

    request: Request
    settings: Settings
    t: Translator
    csrf: str
    user: User | None = None
    principal: Principal | None = None
    extra_cookies: dict[str, str] = field(default_factory=dict)

    @property
    def me(self) -> Principal:
        if self.principal is None:
            raise LoginRequired()
        return self.principal

    def require(self, *roles: Role) -> Principal:
        """403 for a role the API would refuse (the same role sets as the routers)."""
        principal = self.me
        if principal.role not in roles:
            raise Forbidden(self.t.gettext("Your role may not open this page."))
        return principal

    def has_role(self, *roles: Role) -> bool:
        return self.principal is not None and self.principal.role in roles

    @property
    def form(self) -> FormData:
        return getattr(self.request.state, "form", None) or FormData()

    def render(self, template: str, status: int = 200, **context: Any) -> HTMLResponse:
        token = _translator.set(self.t)
        try:
            html = templates().get_template(template).render(web=self, t=self.t, **context)
        finally:
            _translator.reset(token)
        return HTMLResponse(html, status_code=status)

    def redirect(self, url: str) -> RedirectResponse:
        return RedirectResponse(url, status_code=303)

    def url_with(self, **params: str) -> str:
        query = dict(self.request.query_params)
        query.update(params)
        return self.request.url.path + "?" + "&".join(f"{k}={quote(v)}" for k, v in query.items())


def _language(request: Request, settings: Settings) -> str:
    return negotiate(
        request.query_params.get("lang"),
        request.cookies.get(sessions.LANGUAGE_COOKIE),
        request.headers.get("accept-language"),
        settings.default_language,
    )


def anonymous(request: Request) -> Web:
    settings = get_settings()
    pre = request.cookies.get(sessions.PRE_SESSION_COOKIE) or ""
    if not pre:
        pre = sessions.new_pre_session()
        request.state.new_pre_session = pre
    return Web(
        request=request,
        settings=settings,
        t=Translator(_language(request, settings)),
        csrf=sessions.csrf_token(settings, pre),
    )


def signed_in(request: Request, session: SessionDep) -> Web:
    web = anonymous(request)
    claims = sessions.read(web.settings, request.cookies.get(sessions.SESSION_COOKIE))
    user = session.get(User, claims.user_id) if claims else None
    if claims is None or user is None or not user.is_active:
        raise LoginRequired()
    if user.token_generation != claims.generation:
        raise LoginRequired()
    session.info["current_user"] = user
    web.user, web.principal = user, principal_for(user)
    web.csrf = sessions.csrf_token(web.settings, claims.session_id)
    # Renewed with every page: the idle timeout counts from the last one.
    request.state.renewed_session = sessions.issue(
        web.settings,
        user_id=user.id,
        generation=user.token_generation,
        session_id=claims.session_id,
        signed_in_at=claims.signed_in_at,
    )
    return web


WebDep = Annotated[Web, Depends(signed_in)]
AnonymousDep = Annotated[Web, Depends(anonymous)]


@contextmanager
def attempt(session: Session) -> Iterator[None]:
    """Run a service call in a savepoint, so a refusal leaves nothing half-written
    and the page can show the form again with the reasons."""
    with session.begin_nested():
        yield


def field_errors(exc: ProblemError) -> dict[str, str]:
    """``{"field": "message"}`` from a problem's ``errors`` (loc ``["body", "field", ...]``)."""
    found: dict[str, str] = {}
    for error in exc.errors or []:
        loc = [str(part) for part in error.get("loc", []) if part != "body"]
        name = ".".join(loc[:2]) if loc[:1] == ["victims"] else (loc[0] if loc else "")
        found.setdefault(name, str(error.get("msg", "")))
    return found


# --- the route class: errors as pages, CSRF, headers ------------------------------------


def error_page(request: Request, status: int, detail: str | None = None) -> HTMLResponse:
    web = anonymous(request)
    titles = {
        403: web.t.gettext("Not allowed"),
        404: web.t.gettext("Not found"),
        409: web.t.gettext("Not possible now"),
        412: web.t.gettext("Changed meanwhile"),
        413: web.t.gettext("Too large"),
        422: web.t.gettext("Invalid request"),
        429: web.t.gettext("Too many attempts"),
    }
    texts = {
        403: web.t.gettext("You may not do this with your role."),
        404: web.t.gettext("This page does not exist, or is not yours to see."),
        412: web.t.gettext("Someone changed this record while you were reading it. Open it again."),
    }
    response = web.render(
        "error.html",
        status=status,
        title=titles.get(status, web.t.gettext("Something went wrong")),
        message=texts.get(status) or detail or "",
    )
    _finish(request, response, web.settings)
    return response


def _finish(request: Request, response: Response, settings: Settings) -> None:
    # A download keeps its own, stricter policy (a sandbox).
    response.headers.setdefault("Content-Security-Policy", PAGE_CSP)
    response.headers["Vary"] = "Cookie, Accept-Language"
    options = sessions.cookie_options(settings)
    renewed = getattr(request.state, "renewed_session", None)
    if renewed and not getattr(request.state, "session_cookie_set", False):
        response.set_cookie(sessions.SESSION_COOKIE, renewed, **options)  # type: ignore[arg-type]
    pre = getattr(request.state, "new_pre_session", None)
    if pre:
        response.set_cookie(sessions.PRE_SESSION_COOKIE, pre, **options)  # type: ignore[arg-type]
    language = request.query_params.get("lang")
    if language in LANGUAGES:
        response.set_cookie(
            sessions.LANGUAGE_COOKIE,
            language,
            max_age=365 * 24 * 3600,
            **options,  # type: ignore[arg-type]
        )


def csrf_secrets(request: Request, settings: Settings) -> list[str]:
    found = [request.cookies.get(sessions.PRE_SESSION_COOKIE) or ""]
    claims = sessions.read(settings, request.cookies.get(sessions.SESSION_COOKIE))
    if claims is not None:
        found.append(claims.session_id)
    return found


class WebRoute(APIRoute):
    """Routes of the web interface: HTML errors, CSRF on every POST, page headers."""

    # Uploads: the route streams a multipart body itself and checks its CSRF field.
    streams_body = False

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        original = super().get_route_handler()

        async def handler(request: Request) -> Response:
            settings = get_settings()
            content_type = request.headers.get("content-type", "")
            streamed = self.streams_body and content_type.startswith("multipart/form-data")
            if request.method == "POST" and not streamed:
                try:
                    form = await request.form(max_files=0, max_fields=200)
                except (StarletteHTTPException, ValueError, KeyError):
                    return error_page(request, 422)
                request.state.form = form
                given = form.get("csrf_token")
                if not sessions.csrf_valid(
                    settings,
                    given if isinstance(given, str) else None,
                    csrf_secrets(request, settings),
                ):
                    return error_page(
                        request, 403, anonymous(request).t.gettext("The form has expired.")
                    )
                if self.streams_body:  # an upload form posted without its file
                    return error_page(request, 422)
            try:
                response = await original(request)
            except LoginRequired:
                target = request.url.path
                if request.url.query:
                    target += "?" + request.url.query
                response = RedirectResponse("/login?next=" + quote(target, safe=""), 303)
                response.delete_cookie(sessions.SESSION_COOKIE, path="/")
            except ProblemError as exc:
                return error_page(request, exc.status, exc.detail)
            except RequestValidationError as exc:
                in_path = any(e.get("loc", ("",))[0] == "path" for e in exc.errors())
                return error_page(request, 404 if in_path else 422)
            _finish(request, response, settings)
            return response

        return handler


class UploadRoute(WebRoute):
    """A page that receives a file: the body is streamed by the route (never spooled in
    clear by the form parser), which checks the form's CSRF token once it is read."""

    streams_body = True


def new_client_id() -> str:
    """Forms carry the id of the record they create: sending one twice creates it once."""
    return str(uuid.uuid4())
