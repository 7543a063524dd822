"""Sign in, sign out, change password: the same login service as the API token."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from casework.auth import service as auth_service
from casework.core.db import SessionDep
from casework.core.errors import InvalidInput, TooManyRequests
from casework.web import sessions
from casework.web.core import AnonymousDep, WebDep, WebRoute, attempt, field_errors

router = APIRouter(route_class=WebRoute, include_in_schema=False)


def _local(target: str | None) -> str:
    """Only a path on this site: ``next`` must never send anyone elsewhere."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/"
    return target


@router.get("/login")
def login_form(web: AnonymousDep, next: str = "/") -> HTMLResponse:
    return web.render("login.html", title=web.t.gettext("Sign in"), next=_local(next), username="")


@router.post("/login")
def login(request: Request, session: SessionDep, web: AnonymousDep) -> Response:
    form = web.form
    username, password = str(form.get("username") or ""), str(form.get("password") or "")
    target = _local(str(form.get("next") or "/"))
    failed = {"title": web.t.gettext("Sign in"), "next": target, "username": username[:64]}
    try:
        client = request.client.host if request.client else None
        user = auth_service.password_login(session, username, password, web.settings, client)
    except TooManyRequests:
        message = web.t.gettext("Too many failed attempts for this username. Try again later.")
        return web.render("login.html", status=429, message=message, **failed)
    if user is None:
        session.commit()  # the failure is counted and audited although the page says no
        message = web.t.gettext("Wrong username or password.")
        return web.render("login.html", status=401, message=message, **failed)
    response = RedirectResponse(target, status_code=303)
    cookie = sessions.new_session(web.settings, user.id, user.token_generation)
    response.set_cookie(sessions.SESSION_COOKIE, cookie, **sessions.cookie_options(web.settings))  # type: ignore[arg-type]
    request.state.session_cookie_set = True
    return response


@router.post("/logout")
def logout(request: Request) -> Response:
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(sessions.SESSION_COOKIE, path="/")
    request.state.session_cookie_set = True
    request.state.renewed_session = None
    return response


@router.get("/password")
def password_form(web: WebDep) -> HTMLResponse:
    return _password_page(web, {}, done=False)


@router.post("/password")
def change_password(request: Request, session: SessionDep, web: WebDep) -> Response:
    assert web.user is not None
    form = web.form
    try:
        with attempt(session):
            auth_service.change_own_password(
                session,
                web.user,
                str(form.get("current_password") or ""),
                str(form.get("new_password") or ""),
                web.settings,
            )
    except InvalidInput as exc:
        errors = field_errors(exc)
        if "password" in errors:
            errors["new_password"] = web.t.gettext("At least %(n)s characters.") % {
                "n": web.settings.password_min_length
            }
        if "current_password" in errors:
            errors["current_password"] = web.t.gettext("This is not your current password.")
        return _password_page(web, errors, done=False, status=422)
    # This session goes on with the new generation; every other one has ended.
    response = _password_page(web, {}, done=True)
    cookie = sessions.new_session(web.settings, web.user.id, web.user.token_generation)
    response.set_cookie(sessions.SESSION_COOKIE, cookie, **sessions.cookie_options(web.settings))  # type: ignore[arg-type]
    request.state.session_cookie_set = True
    return response


def _password_page(
    web: WebDep, errors: dict[str, str], *, done: bool, status: int = 200
) -> HTMLResponse:
    return web.render(
        "password.html",
        status=status,
        title=web.t.gettext("Change your password"),
        errors=errors,
        done=done,
        min_length=web.settings.password_min_length,
    )
