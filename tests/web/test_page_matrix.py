"""Every page x every role, as the API's matrix does for its operations.

A role the API refuses gets a 403 page, a record outside the caller's scope a
404 page (the same as one that does not exist), a visitor without a session is
sent to the sign-in form, and a form posted without its CSRF token is refused
with 403 whoever sends it. ``test_matrix_covers_every_page`` fails when a page
is added without a row here.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

import pytest
from fastapi import FastAPI
from fastapi.routing import APIRoute
from sqlalchemy.orm import Session

from casework.reference.vocabularies import Role
from casework.web import PAGES
from tests.factories import PDF, World, add_case_management, build_world, make_person
from tests.web.helpers import sign_in, web_client

A, S, M, C, G, F, R = (
    Role.admin,
    Role.supervisor,
    Role.monitor,
    Role.caseworker,
    Role.gbv_caseworker,
    Role.actor_focal_point,
    Role.reporting,
)
ALL = frozenset(Role)
TODAY = datetime.now(UTC).date().isoformat()


@dataclass(frozen=True)
class Page:
    method: str
    route: str
    allowed: frozenset[Role]
    ok: int = 200
    path: Callable[[World], str] | None = None
    form: Callable[[World], dict[str, object]] = field(default=lambda w: {})
    files: Callable[[World], dict[str, object]] | None = None
    # Roles the page lets in but whose service refuses this record (not its owner): 403.
    refused: frozenset[Role] = frozenset()

    def url(self, world: World) -> str:
        return self.path(world) if self.path else self.route


def _incident(w: World) -> str:
    return f"/incidents/{w.incidents['a_gao'].id}"


def _person(w: World) -> str:
    return f"/persons/{w.persons['a'].id}"


def _referral(w: World) -> str:
    return f"/referrals/{w.referrals['person_sent'].id}"


def _case(w: World) -> str:
    return f"/sgbv-cases/{w.cases['a'].id}"


def _visit(w: World) -> str:
    return f"/counselling-sessions/{w.sessions['a'].id}"


def _file(w: World) -> str:
    return f"/repatriation-files/{w.files['a'].id}"


def _transfer(w: World) -> str:
    return f"/transfers/{w.transfers['pending'].id}"


def _upload(w: World) -> dict[str, object]:
    return {"file": ("form.pdf", PDF, "application/pdf")}


def _user(w: World) -> str:
    return f"/users/{w.user('caseworker_b').id}"


CASEWORK = frozenset({S, C, G})
REPORTS = frozenset({R, S, A})
ADMIN = frozenset({A})

PAGE_MATRIX = [
    Page("GET", "/", ALL),
    Page("GET", "/password", ALL),
    Page(
        "POST",
        "/password",
        ALL,
        ok=422,  # a wrong current password: the page answers, nothing changes
        form=lambda w: {"current_password": "wrong", "new_password": "long enough password"},
    ),
    Page("GET", "/incidents/new", frozenset({S, M})),
    Page(
        "GET",
        "/incidents/cercles",
        frozenset({S, M}),
        path=lambda w: "/incidents/cercles?region=ML07",
    ),
    Page(
        "POST",
        "/incidents",
        frozenset({S, M}),
        ok=303,
        form=lambda w: {
            "occurred_on": TODAY,
            "region": "ML07",
            "incident_type": "extortion",
            "victims.male_adults": "1",
        },
    ),
    Page("GET", "/incidents", frozenset({S, M, C, G})),
    Page("GET", "/incidents/{incident_id}", frozenset({S, M, C, G}), path=_incident),
    Page(
        "POST",
        "/incidents/{incident_id}/status",
        frozenset({S}),
        ok=303,
        path=lambda w: _incident(w) + "/status",
        form=lambda w: {"to": "verified"},
    ),
    Page("GET", "/persons", CASEWORK),
    Page("GET", "/persons/new", CASEWORK),
    Page(
        "POST",
        "/persons",
        CASEWORK,
        ok=303,
        form=lambda w: {"full_name": "Fatoumata Touré", "sex": "female", "region": "ML07"},
    ),
    Page("GET", "/persons/{person_id}", CASEWORK, path=_person),
    Page(
        "GET",
        "/consents/new",
        CASEWORK,
        path=lambda w: f"/consents/new?person_id={w.persons['a'].id}",
    ),
    Page(
        "POST",
        "/consents",
        CASEWORK,
        ok=303,
        form=lambda w: {
            "person_id": str(w.persons["a"].id),
            "purpose": "services",
            "actors": "RRM",
            "services": "shelter",
            "given_by": "person",
            "given_on": TODAY,
        },
    ),
    Page("GET", "/referrals", frozenset({S, C, G, F})),
    Page(
        "GET",
        "/referrals/new",
        CASEWORK,
        path=lambda w: f"/referrals/new?person_id={w.persons['a'].id}&actor=CVJR",
    ),
    Page(
        "POST",
        "/referrals",
        CASEWORK,
        ok=303,
        form=lambda w: {"person_id": str(w.persons["a"].id), "actor": "CVJR", "services": "legal"},
    ),
    Page("GET", "/referrals/{referral_id}", frozenset({S, C, G, F}), path=_referral),
    Page(
        "POST",
        "/referrals/{referral_id}/transitions",
        frozenset({S, C, G, F}),
        ok=303,
        path=lambda w: _referral(w) + "/transitions",
        form=lambda w: {"to": "acknowledged"},
    ),
    Page("GET", "/sgbv-cases", frozenset({S, G})),
    Page("GET", "/sgbv-cases/new", frozenset({S, G})),
    Page(
        "GET",
        "/sgbv-cases/cercles",
        frozenset({S, G}),
        path=lambda w: "/sgbv-cases/cercles?region=ML07",
    ),
    Page(
        "POST",
        "/sgbv-cases/new",
        frozenset({S, G}),
        ok=303,
        form=lambda w: {
            "survivor_code": f"GAO-{uuid.uuid4().hex[:8].upper()}",
            "occurred_on": TODAY,
            "region": "ML07",
            "classification.physical_assault": "yes",
        },
    ),
    Page(
        "GET",
        "/sgbv-cases/incident-recorder",
        frozenset({S, G}),
        path=lambda w: f"/sgbv-cases/incident-recorder?from=2026-01-01&to={TODAY}",
    ),
    Page("GET", "/sgbv-cases/{case_id}", frozenset({S, G}), path=_case),
    Page("GET", "/counselling-sessions", CASEWORK),
    Page(
        "GET",
        "/counselling-sessions/new",
        CASEWORK,
        path=lambda w: f"/counselling-sessions/new?person_id={w.persons['a'].id}",
    ),
    Page(
        "POST",
        "/counselling-sessions",
        CASEWORK,
        ok=303,
        form=lambda w: {
            "held_on": TODAY,
            "office": "Gao reception",
            "sex": "female",
            "age_group": "18-59",
            "region": "ML07",
            "concerns": "documentation",
        },
    ),
    Page("GET", "/counselling-sessions/{session_id}", CASEWORK, path=_visit),
    Page("GET", "/repatriation-files", CASEWORK),
    Page("GET", "/repatriation-files/{file_id}", CASEWORK, path=_file),
    Page(
        "POST",
        "/repatriation-files/{file_id}/transitions",
        CASEWORK,
        ok=303,
        path=lambda w: _file(w) + "/transitions",
        form=lambda w: {"to": "counselled"},
    ),
    Page(
        "POST",
        "/persons/{person_id}/assign",
        CASEWORK,
        ok=303,
        path=lambda w: f"/persons/{w.persons['refugee_child'].id}/assign",
        form=lambda w: {"owner": "caseworker_a2", "note": "Holidays"},
        refused=frozenset({G}),
    ),
    Page(
        "POST",
        "/persons/{person_id}/transitions",
        CASEWORK,
        ok=303,
        path=lambda w: f"/persons/{w.persons['refugee'].id}/transitions",
        form=lambda w: {"to": "closed", "note": "Resettled"},
        refused=frozenset({G}),
    ),
    Page(
        "GET",
        "/persons/{person_id}/duplicates",
        CASEWORK,
        path=lambda w: _person(w) + "/duplicates",
    ),
    Page(
        "POST",
        "/persons/{person_id}/merge",
        frozenset({S}),
        ok=303,
        path=lambda w: f"/persons/{w.persons['twin_kept'].id}/merge",
        form=lambda w: {
            "duplicate_id": str(w.persons["twin"].id),
            "confirm": "yes",
            "note": "Registered twice",
        },
    ),
    Page(
        "POST",
        "/attachments",
        CASEWORK,
        ok=303,
        path=lambda w: f"/attachments?person_id={w.persons['a'].id}",
        form=lambda w: {"kind": "consent_form"},
        files=_upload,
    ),
    Page(
        "GET",
        "/attachments/{attachment_id}",
        CASEWORK,
        path=lambda w: f"/attachments/{w.attachments['a'].id}",
    ),
    Page(
        "POST",
        "/sgbv-cases/{case_id}/transitions",
        frozenset({S, G}),
        ok=303,
        path=lambda w: _case(w) + "/transitions",
        form=lambda w: {"to": "closure_requested", "note": "Services completed"},
    ),
    Page(
        "POST",
        "/sgbv-cases/{case_id}/assign",
        frozenset({S, G}),
        ok=303,
        path=lambda w: _case(w) + "/assign",
        form=lambda w: {"owner": "gbv_a2"},
    ),
    Page("GET", "/tasks", CASEWORK),
    Page(
        "POST",
        "/tasks",
        CASEWORK,
        ok=303,
        form=lambda w: {"title": "Call back", "person_id": str(w.persons["a"].id)},
    ),
    Page(
        "GET",
        "/tasks/{task_id}",
        CASEWORK,
        path=lambda w: f"/tasks/{w.tasks['person_sent'].id}",
    ),
    Page(
        "POST",
        "/tasks/{task_id}/status",
        CASEWORK,
        ok=303,
        path=lambda w: f"/tasks/{w.tasks['person_sent'].id}/status",
        form=lambda w: {"to": "done", "next": "/"},
    ),
    Page("GET", "/transfers", CASEWORK),
    Page(
        "GET",
        "/transfers/new",
        CASEWORK,
        path=lambda w: f"/transfers/new?person_id={w.persons['a'].id}",
    ),
    Page(
        "POST",
        "/transfers",
        CASEWORK,
        ok=303,
        form=lambda w: {"person_id": str(w.persons["a"].id), "to_organization": "ORGB"},
        refused=frozenset({G}),
    ),
    Page("GET", "/transfers/{transfer_id}", CASEWORK, path=_transfer),
    Page(
        "POST",
        "/transfers/{transfer_id}/transitions",
        CASEWORK,
        ok=303,
        path=lambda w: _transfer(w) + "/transitions",
        form=lambda w: {"to": "cancelled"},
        refused=frozenset({G}),
    ),
    Page("GET", "/users", ADMIN),
    Page("GET", "/users/new", ADMIN),
    Page(
        "POST",
        "/users",
        ADMIN,
        ok=303,
        form=lambda w: {
            "username": f"new.{uuid.uuid4().hex[:6]}",
            "password": "long enough password",
            "role": "reporting",
        },
    ),
    Page("GET", "/users/{user_id}", ADMIN, path=_user),
    Page(
        "POST",
        "/users/{user_id}",
        ADMIN,
        ok=303,
        path=_user,
        form=lambda w: {"change": "activity", "is_active": "false"},
    ),
    Page("POST", "/users/{user_id}/unlock", ADMIN, ok=303, path=lambda w: _user(w) + "/unlock"),
    Page("GET", "/api-keys", ADMIN),
    Page("POST", "/api-keys", ADMIN, form=lambda w: {"name": "Dashboard"}),
    Page(
        "POST",
        "/api-keys/{key_id}/revoke",
        ADMIN,
        ok=303,
        path=lambda w: f"/api-keys/{w.api_key.id if w.api_key else ''}/revoke",
    ),
    Page("GET", "/audit", ADMIN),
    Page("POST", "/audit/verify", ADMIN),
    Page("GET", "/reports", REPORTS),
    Page(
        "GET",
        "/reports/download",
        REPORTS,
        path=lambda w: "/reports/download?dataset=incidents&group_by=region&format=csv",
    ),
    Page("GET", "/reports/sitrep", REPORTS),
    Page("GET", "/organizations", ADMIN),
    Page(
        "POST",
        "/organizations",
        ADMIN,
        ok=303,
        form=lambda w: {"code": f"ORG{uuid.uuid4().hex[:6]}", "name": "Cluster partner"},
    ),
    Page("GET", "/actors", ADMIN),
    Page("GET", "/actors/new", ADMIN),
    Page(
        "POST",
        "/actors",
        ADMIN,
        ok=303,
        form=lambda w: {
            "code": f"A{uuid.uuid4().hex[:6]}",
            "name": "Shelter",
            "services": "shelter",
        },
    ),
    Page("GET", "/actors/{code}", ADMIN, path=lambda w: "/actors/CVJR"),
    Page(
        "POST",
        "/actors/{code}",
        ADMIN,
        ok=303,
        path=lambda w: "/actors/CVJR",
        form=lambda w: {"change": "details", "name": "Clinique juridique", "services": "legal"},
    ),
    Page(
        "POST",
        "/actors/{code}/webhook",
        ADMIN,
        path=lambda w: "/actors/CVJR/webhook",
        form=lambda w: {"webhook_url": "https://8.8.8.8/casework"},
    ),
    Page("GET", "/kobo-forms", ADMIN),
    Page("GET", "/kobo-forms/new", ADMIN),
    Page(
        "POST",
        "/kobo-forms",
        ADMIN,
        form=lambda w: {
            "code": f"f-{uuid.uuid4().hex[:6]}",
            "name": "Gao monitoring",
            "organization": "ORGA",
            "default_user": "monitor_a",
            "mapping": '{"fields": {"region": "location/region"}}',
        },
    ),
    Page("GET", "/kobo-forms/{code}", ADMIN, path=lambda w: f"/kobo-forms/{w.kobo_form}"),
    Page(
        "POST",
        "/kobo-forms/{code}/mapping",
        ADMIN,
        ok=303,
        path=lambda w: f"/kobo-forms/{w.kobo_form}/mapping",
        form=lambda w: {"mapping": '{"fields": {"region": "where/region"}}'},
    ),
    Page(
        "POST",
        "/kobo-forms/{code}/secret",
        ADMIN,
        path=lambda w: f"/kobo-forms/{w.kobo_form}/secret",
    ),
    Page("GET", "/kobo-quarantine", ADMIN),
    Page(
        "POST",
        "/kobo-quarantine/{submission_id}/reprocess",
        ADMIN,
        ok=303,
        path=lambda w: f"/kobo-quarantine/{w.kobo_submission}/reprocess",
    ),
]
# Sign-in and sign-out are open to everyone; their own tests are in test_sessions.py.
OPEN = {("GET", "/login"), ("POST", "/login"), ("POST", "/logout")}

# Records each role may not see although its role may open the page: 404, like a missing one.
OUT_OF_SCOPE: list[tuple[str, Callable[[World], str]]] = [
    ("caseworker_b", _person),
    ("caseworker_b", _referral),
    ("caseworker_b", _incident),
    ("caseworker_b", lambda w: f"/consents/new?person_id={w.persons['a'].id}"),
    ("caseworker_b", lambda w: f"/referrals/new?person_id={w.persons['a'].id}"),
    ("monitor_b", _incident),
    ("caseworker_b", _visit),
    ("caseworker_b", lambda w: f"/counselling-sessions/new?person_id={w.persons['a'].id}"),
    ("caseworker_b", _file),
    ("supervisor_mopti", _case),
    ("supervisor_mopti", _file),
    ("supervisor_mopti", _person),
    ("supervisor_mopti", _referral),
    ("caseworker_a", lambda w: f"/referrals/{w.referrals['sgbv_sent'].id}"),
    ("focal_cvjr", lambda w: f"/referrals/{w.referrals['draft'].id}"),
    ("admin", lambda w: f"/users/{uuid.uuid4()}"),
    ("caseworker_b", lambda w: f"/attachments/{w.attachments['a'].id}"),
    ("supervisor_mopti", lambda w: f"/attachments/{w.attachments['a'].id}"),
    ("caseworker_b", lambda w: f"/transfers/new?person_id={w.persons['a'].id}"),
    ("caseworker_b", lambda w: _person(w) + "/duplicates"),
    ("supervisor_mopti", lambda w: _person(w) + "/duplicates"),
    ("gbv_b", lambda w: f"/sgbv-cases/{w.cases['a'].id}"),
    ("caseworker_b", lambda w: f"/tasks/{w.tasks['person_sent'].id}"),
    ("admin", lambda w: "/actors/NO-SUCH-ACTOR"),
    ("admin", lambda w: "/kobo-forms/no-such-form"),
]


@pytest.fixture
def world(session: Session) -> World:
    """The test world with owners, data-sharing consents and a pending transfer."""
    world = add_case_management(session, build_world(session))
    # A person of A registered twice, for the supervisor's merge.
    for key, number in (("twin_kept", "MLI-GAO-000901"), ("twin", "MLI-GAO-000902")):
        world.persons[key] = make_person(
            session,
            world.user("caseworker_a"),
            registration_number=number,
            full_name="Moussa Traoré",
            sex="male",
            birth_year=1979,
        )
    session.commit()
    return world


def test_matrix_covers_every_page(app: FastAPI) -> None:
    pages = {
        (method, route.path)
        for router in PAGES
        for route in router.routes
        if isinstance(route, APIRoute)
        for method in route.methods
    }
    assert pages == {(p.method, p.route) for p in PAGE_MATRIX} | OPEN


@pytest.mark.parametrize("role", list(Role), ids=lambda r: r.value)
def test_page_matrix(app: FastAPI, world: World, role: Role) -> None:
    client = web_client(app)
    token = sign_in(client, world.by_role(role).username)
    wrong = []
    for page in PAGE_MATRIX:
        data = {**page.form(world), "csrf_token": token} if page.method == "POST" else None
        files = page.files(world) if page.files else None
        response = client.request(page.method, page.url(world), data=data, files=files)
        expected = page.ok if role in page.allowed - page.refused else 403
        if response.status_code != expected:
            wrong.append(f"{page.method} {page.route}: {response.status_code}, not {expected}")
        elif expected == 403:
            assert "text/html" in response.headers["content-type"]
    assert not wrong, "\n".join(wrong)


def test_pages_without_a_session_go_to_sign_in(app: FastAPI, world: World) -> None:
    client = web_client(app)
    for page in PAGE_MATRIX:
        if page.method == "GET":
            response = client.get(page.url(world))
            assert response.status_code == 303, page.route
            assert response.headers["location"].startswith("/login?next="), page.route


@pytest.mark.parametrize("role", list(Role), ids=lambda r: r.value)
def test_forms_without_csrf_are_refused(app: FastAPI, world: World, role: Role) -> None:
    client = web_client(app)
    sign_in(client, world.by_role(role).username)
    for page in [p for p in PAGE_MATRIX if p.method == "POST"] + [
        Page("POST", "/logout", ALL, ok=303)
    ]:
        response = client.post(page.url(world), data=page.form(world))
        assert response.status_code == 403, page.route
        assert "text/html" in response.headers["content-type"]
    assert client.get("/").status_code == 200  # still signed in: the logout was refused too


@pytest.mark.parametrize(
    ("username", "path"), OUT_OF_SCOPE, ids=[f"{u}-{i}" for i, (u, _) in enumerate(OUT_OF_SCOPE)]
)
def test_records_outside_scope_are_a_404_page(
    app: FastAPI, world: World, username: str, path: Callable[[World], str]
) -> None:
    client = web_client(app)
    sign_in(client, username)
    response = client.get(path(world))
    assert response.status_code == 404, response.text[:500]
    assert "text/html" in response.headers["content-type"]
