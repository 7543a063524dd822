"""Every endpoint x every role, plus anonymous callers.

The expected status for each (endpoint, role) comes from the contract's role
table. ``test_matrix_covers_every_route`` fails when a route is added without a
row here, so the matrix cannot silently fall behind the API.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from casework.consent.models import Consent
from casework.counselling.models import CounsellingSession
from casework.reference.vocabularies import Role
from casework.referrals.models import Referral
from casework.repatriation.models import RepatriationFile
from casework.sgbv.models import SgbvCase
from tests.factories import (
    PDF,
    World,
    add_case_management,
    auth,
    build_world,
    case_body,
    consent_body,
    counselling_body,
    incident_body,
    make_person,
    person_body,
    repatriation_body,
)

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


@dataclass(frozen=True)
class Endpoint:
    method: str
    route: str  # the route's path template, as FastAPI knows it
    allowed: frozenset[Role]
    ok: int = 200
    path: Callable[[World], str] | None = None
    body: Callable[[World], Any] | None = None
    form: dict[str, str] = field(default_factory=dict)
    # multipart/form-data: (form fields, files) instead of a JSON body.
    multipart: Callable[[World], tuple[dict[str, str], dict[str, Any]]] | None = None

    def request_kwargs(self, world: World) -> dict[str, Any]:
        if self.multipart is not None:
            data, files = self.multipart(world)
            return {"data": data, "files": files}
        return {"json": self.body(world) if self.body else None}

    def url(self, world: World) -> str:
        return self.path(world) if self.path else self.route


def _incident_url(world: World) -> str:
    return f"/api/v1/incidents/{world.incidents['a_gao'].id}"


def _user_url(world: World) -> str:
    return f"/api/v1/users/{world.user('caseworker_b').id}"


MATRIX = [
    Endpoint("GET", "/api/v1/users/me", ALL),
    Endpoint("GET", "/api/v1/reference", ALL),
    Endpoint(
        "POST",
        "/api/v1/users",
        frozenset({A}),
        ok=201,
        body=lambda w: {
            "username": f"new.{uuid.uuid4().hex[:8]}",
            "password": "long enough password",
            "role": "caseworker",
            "organization": "ORGA",
        },
    ),
    Endpoint("GET", "/api/v1/users", frozenset({A})),
    Endpoint("GET", "/api/v1/users/{user_id}", frozenset({A}), path=_user_url),
    Endpoint(
        "PATCH",
        "/api/v1/users/{user_id}",
        frozenset({A}),
        path=_user_url,
        body=lambda w: {"regions": ["ML05"]},
    ),
    Endpoint(
        "POST",
        "/api/v1/users/{user_id}/unlock",
        frozenset({A}),
        ok=204,
        path=lambda w: _user_url(w) + "/unlock",
    ),
    Endpoint(
        "POST",
        "/api/v1/organizations",
        frozenset({A}),
        ok=201,
        body=lambda w: {"code": f"O{uuid.uuid4().hex[:6]}", "name": "New partner"},
    ),
    Endpoint("GET", "/api/v1/organizations", frozenset({A})),
    Endpoint(
        "POST", "/api/v1/incidents", frozenset({S, M}), ok=201, body=lambda w: incident_body()
    ),
    Endpoint(
        "POST",
        "/api/v1/incidents/batch",
        frozenset({S, M}),
        body=lambda w: {"items": [incident_body()]},
    ),
    Endpoint("GET", "/api/v1/incidents", frozenset({S, M, C, G})),
    Endpoint("GET", "/api/v1/incidents/{incident_id}", frozenset({S, M, C, G}), path=_incident_url),
    Endpoint(
        "PATCH",
        "/api/v1/incidents/{incident_id}",
        frozenset({S, M}),
        path=_incident_url,
        body=lambda w: {"locality": "Ansongo"},
    ),
]


def _unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8].upper()}"


HANDLE_PERSONS = frozenset({S, C, G})
HANDLE_SGBV = frozenset({S, G})
READ_REFERRALS = frozenset({S, C, G, F})
NOT_REPORTING = ALL - {R}

MATRIX += [
    Endpoint("GET", "/api/v1/actors", NOT_REPORTING),
    Endpoint(
        "POST",
        "/api/v1/actors",
        frozenset({A}),
        ok=201,
        body=lambda w: {"code": _unique("HC"), "name": "Health centre", "services": ["medical"]},
    ),
    Endpoint("GET", "/api/v1/actors/{code}", NOT_REPORTING, path=lambda w: "/api/v1/actors/CVJR"),
    Endpoint(
        "PATCH",
        "/api/v1/actors/{code}",
        frozenset({A}),
        path=lambda w: "/api/v1/actors/RRM",
        body=lambda w: {"name": "Rapid Response Mechanism"},
    ),
    Endpoint(
        "POST",
        "/api/v1/persons",
        HANDLE_PERSONS,
        ok=201,
        body=lambda w: person_body(registration_number=_unique("REG")),
    ),
    Endpoint("GET", "/api/v1/persons", HANDLE_PERSONS),
    Endpoint(
        "GET",
        "/api/v1/persons/{person_id}",
        HANDLE_PERSONS,
        path=lambda w: f"/api/v1/persons/{w.persons['a'].id}",
    ),
    Endpoint(
        "PATCH",
        "/api/v1/persons/{person_id}",
        HANDLE_PERSONS,
        path=lambda w: f"/api/v1/persons/{w.persons['a'].id}",
        body=lambda w: {"phone": "+223 66 00 00 00"},
    ),
    Endpoint(
        "POST",
        "/api/v1/sgbv-cases",
        HANDLE_SGBV,
        ok=201,
        body=lambda w: case_body(survivor_code=_unique("GAO")),
    ),
    Endpoint("GET", "/api/v1/sgbv-cases", HANDLE_SGBV),
    Endpoint(
        "GET",
        "/api/v1/sgbv-cases/{case_id}",
        HANDLE_SGBV,
        path=lambda w: f"/api/v1/sgbv-cases/{w.cases['a'].id}",
    ),
    Endpoint(
        "PATCH",
        "/api/v1/sgbv-cases/{case_id}",
        HANDLE_SGBV,
        path=lambda w: f"/api/v1/sgbv-cases/{w.cases['a'].id}",
        body=lambda w: {"services_needed": ["medical"]},
    ),
    Endpoint(
        "POST",
        "/api/v1/consents",
        HANDLE_PERSONS,
        ok=201,
        body=lambda w: consent_body(person_id=str(w.persons["a"].id)),
    ),
    Endpoint("GET", "/api/v1/consents", HANDLE_PERSONS),
    Endpoint(
        "GET",
        "/api/v1/consents/{consent_id}",
        HANDLE_PERSONS,
        path=lambda w: f"/api/v1/consents/{w.consents['a'].id}",
    ),
    Endpoint(
        "POST",
        "/api/v1/consents/{consent_id}/withdraw",
        HANDLE_PERSONS,
        path=lambda w: f"/api/v1/consents/{w.consents['a'].id}/withdraw",
        body=lambda w: {"reason": "The person changed their mind."},
    ),
    Endpoint(
        "POST",
        "/api/v1/referrals",
        HANDLE_PERSONS,
        ok=201,
        body=lambda w: {
            "person_id": str(w.persons["a"].id),
            "actor": "CVJR",
            "services": ["legal"],
        },
    ),
    Endpoint("GET", "/api/v1/referrals", READ_REFERRALS),
    Endpoint(
        "GET",
        "/api/v1/referrals/{referral_id}",
        READ_REFERRALS,
        path=lambda w: f"/api/v1/referrals/{w.referrals['person_sent'].id}",
    ),
    Endpoint(
        "POST",
        "/api/v1/referrals/{referral_id}/transitions",
        READ_REFERRALS,
        path=lambda w: f"/api/v1/referrals/{w.referrals['person_sent'].id}/transitions",
        body=lambda w: {"to": "acknowledged"},
    ),
    Endpoint(
        "GET",
        "/api/v1/referrals/{referral_id}/history",
        READ_REFERRALS,
        path=lambda w: f"/api/v1/referrals/{w.referrals['person_sent'].id}/history",
    ),
]

MATRIX += [
    Endpoint(
        "GET",
        "/api/v1/persons/{person_id}/timeline",
        HANDLE_PERSONS,
        path=lambda w: f"/api/v1/persons/{w.persons['a'].id}/timeline",
    ),
    Endpoint(
        "POST",
        "/api/v1/counselling-sessions",
        HANDLE_PERSONS,
        ok=201,
        body=lambda w: counselling_body(person_id=str(w.persons["a"].id)),
    ),
    Endpoint("GET", "/api/v1/counselling-sessions", HANDLE_PERSONS),
    Endpoint(
        "GET",
        "/api/v1/counselling-sessions/{session_id}",
        HANDLE_PERSONS,
        path=lambda w: f"/api/v1/counselling-sessions/{w.sessions['a'].id}",
    ),
    Endpoint(
        "PATCH",
        "/api/v1/counselling-sessions/{session_id}",
        HANDLE_PERSONS,
        path=lambda w: f"/api/v1/counselling-sessions/{w.sessions['a'].id}",
        body=lambda w: {"outcome": "Follow-up next week."},
    ),
    Endpoint(
        "POST",
        "/api/v1/repatriation-files",
        HANDLE_PERSONS,
        ok=201,
        body=lambda w: repatriation_body(
            principal_person_id=str(w.persons["refugee"].id), household_size=1
        ),
    ),
    Endpoint("GET", "/api/v1/repatriation-files", HANDLE_PERSONS),
    Endpoint(
        "GET",
        "/api/v1/repatriation-files/{file_id}",
        HANDLE_PERSONS,
        path=lambda w: f"/api/v1/repatriation-files/{w.files['a'].id}",
    ),
    Endpoint(
        "PATCH",
        "/api/v1/repatriation-files/{file_id}",
        HANDLE_PERSONS,
        path=lambda w: f"/api/v1/repatriation-files/{w.files['a'].id}",
        body=lambda w: {"destination": "Carnot"},
    ),
    Endpoint(
        "POST",
        "/api/v1/repatriation-files/{file_id}/transitions",
        HANDLE_PERSONS,
        path=lambda w: f"/api/v1/repatriation-files/{w.files['a'].id}/transitions",
        body=lambda w: {"to": "counselled"},
    ),
    Endpoint(
        "GET",
        "/api/v1/repatriation-files/{file_id}/history",
        HANDLE_PERSONS,
        path=lambda w: f"/api/v1/repatriation-files/{w.files['a'].id}/history",
    ),
]

MATRIX += [
    Endpoint(
        "POST",
        "/api/v1/integrations/kobo/forms",
        frozenset({A}),
        ok=201,
        body=lambda w: {
            "code": f"f-{uuid.uuid4().hex[:8]}",
            "name": "Form",
            "organization": "ORGA",
            "default_user": "monitor_a",
            "mapping": {"fields": {"region": "location/region"}},
        },
    ),
    Endpoint("GET", "/api/v1/integrations/kobo/forms", frozenset({A})),
    Endpoint(
        "PUT",
        "/api/v1/integrations/kobo/forms/{code}/mapping",
        frozenset({A}),
        path=lambda w: f"/api/v1/integrations/kobo/forms/{w.kobo_form}/mapping",
        body=lambda w: {"mapping": {"fields": {"region": "location/region"}}},
    ),
    Endpoint("GET", "/api/v1/integrations/kobo/quarantine", frozenset({A})),
    Endpoint(
        "POST",
        "/api/v1/integrations/kobo/forms/{code}/secret",
        frozenset({A}),
        path=lambda w: f"/api/v1/integrations/kobo/forms/{w.kobo_form}/secret",
    ),
    Endpoint(
        "POST",
        "/api/v1/integrations/kobo/quarantine/{submission_id}/reprocess",
        frozenset({A}),
        path=lambda w: f"/api/v1/integrations/kobo/quarantine/{w.kobo_submission}/reprocess",
    ),
    Endpoint("GET", "/api/v1/notifications", ALL),
    Endpoint("GET", "/api/v1/audit", frozenset({A})),
    Endpoint(
        "GET",
        "/api/v1/reports/aggregates",
        frozenset({A, S, R}),
        path=lambda w: "/api/v1/reports/aggregates?dataset=incidents&group_by=region",
    ),
    Endpoint(
        "GET",
        "/api/v1/reports/sitrep",
        frozenset({A, S, R}),
        path=lambda w: "/api/v1/reports/sitrep?month=2026-05",
    ),
    Endpoint(
        "GET",
        "/api/v1/reports/aggregates.csv",
        frozenset({A, S, R}),
        path=lambda w: "/api/v1/reports/aggregates.csv?dataset=incidents&group_by=region",
    ),
    Endpoint(
        "GET",
        "/api/v1/reports/sitrep.md",
        frozenset({A, S, R}),
        path=lambda w: "/api/v1/reports/sitrep.md?month=2026-05",
    ),
    Endpoint(
        "GET",
        "/api/v1/reports/gbv-incident-recorder",
        frozenset({S, G}),
        path=lambda w: "/api/v1/reports/gbv-incident-recorder?from=2026-01-01&to=2026-12-31",
    ),
    Endpoint("POST", "/api/v1/api-keys", frozenset({A}), ok=201, body=lambda w: {"name": "HDX"}),
    Endpoint("GET", "/api/v1/api-keys", frozenset({A})),
    Endpoint(
        "DELETE",
        "/api/v1/api-keys/{key_id}",
        frozenset({A}),
        ok=204,
        path=lambda w: f"/api/v1/api-keys/{w.api_key.id}",
    ),
]

MATRIX += [
    Endpoint(
        "POST",
        "/api/v1/attachments",
        HANDLE_PERSONS,
        ok=201,
        multipart=lambda w: (
            {"kind": "identity_document", "person_id": str(w.persons["a"].id)},
            {"file": ("id-card.pdf", PDF, "application/pdf")},
        ),
    ),
    Endpoint(
        "GET",
        "/api/v1/attachments",
        HANDLE_PERSONS,
        path=lambda w: f"/api/v1/attachments?person_id={w.persons['a'].id}",
    ),
    Endpoint(
        "GET",
        "/api/v1/attachments/{attachment_id}",
        HANDLE_PERSONS,
        path=lambda w: f"/api/v1/attachments/{w.attachments['a'].id}",
    ),
    Endpoint(
        "GET",
        "/api/v1/attachments/{attachment_id}/content",
        HANDLE_PERSONS,
        path=lambda w: f"/api/v1/attachments/{w.attachments['a'].id}/content",
    ),
]


def _task_url(world: World) -> str:
    return f"/api/v1/tasks/{world.tasks['person_sent'].id}"


MATRIX += [
    Endpoint(
        "POST",
        "/api/v1/tasks",
        HANDLE_PERSONS,
        ok=201,
        body=lambda w: {"title": "Call back", "person_id": str(w.persons["a"].id)},
    ),
    Endpoint("GET", "/api/v1/tasks", HANDLE_PERSONS),
    Endpoint("GET", "/api/v1/tasks/{task_id}", HANDLE_PERSONS, path=_task_url),
    Endpoint(
        "PATCH",
        "/api/v1/tasks/{task_id}",
        HANDLE_PERSONS,
        path=_task_url,
        body=lambda w: {"due_on": "2026-12-24"},
    ),
    Endpoint("GET", "/api/v1/me/work", NOT_REPORTING),
]

# Case management. Owner-only moves: the representative caseworker owns persons['a'] and
# the representative GBV caseworker owns cases['a']; other handlers are 403 there
# (tests/cases covers other organisations and regions: 404).
OWNER_OR_SUPERVISOR = frozenset({S, C})
MATRIX += [
    Endpoint(
        "POST",
        "/api/v1/persons/{person_id}/assign",
        OWNER_OR_SUPERVISOR,
        path=lambda w: f"/api/v1/persons/{w.persons['a'].id}/assign",
        body=lambda w: {"owner": str(w.user("caseworker_a2").id), "note": "Leave"},
    ),
    Endpoint(
        "POST",
        "/api/v1/persons/{person_id}/transitions",
        OWNER_OR_SUPERVISOR,
        path=lambda w: f"/api/v1/persons/{w.persons['a'].id}/transitions",
        body=lambda w: {"to": "closed", "note": "Services completed."},
    ),
    Endpoint(
        "GET",
        "/api/v1/persons/{person_id}/history",
        HANDLE_PERSONS,
        path=lambda w: f"/api/v1/persons/{w.persons['a'].id}/history",
    ),
    Endpoint(
        "POST",
        "/api/v1/sgbv-cases/{case_id}/assign",
        HANDLE_SGBV,
        path=lambda w: f"/api/v1/sgbv-cases/{w.cases['a'].id}/assign",
        body=lambda w: {"owner": str(w.user("gbv_a2").id)},
    ),
    Endpoint(
        "POST",
        "/api/v1/sgbv-cases/{case_id}/transitions",
        HANDLE_SGBV,
        path=lambda w: f"/api/v1/sgbv-cases/{w.cases['a'].id}/transitions",
        body=lambda w: {"to": "closure_requested", "note": "Goals of the care plan met."},
    ),
    Endpoint(
        "GET",
        "/api/v1/sgbv-cases/{case_id}/history",
        HANDLE_SGBV,
        path=lambda w: f"/api/v1/sgbv-cases/{w.cases['a'].id}/history",
    ),
    Endpoint(
        "POST",
        "/api/v1/transfers",
        OWNER_OR_SUPERVISOR,
        ok=201,
        body=lambda w: {"person_id": str(w.persons["a"].id), "to_organization": "ORGB"},
    ),
    Endpoint("GET", "/api/v1/transfers", HANDLE_PERSONS),
    Endpoint(
        "GET",
        "/api/v1/transfers/{transfer_id}",
        HANDLE_PERSONS,
        path=lambda w: f"/api/v1/transfers/{w.transfers['pending'].id}",
    ),
    Endpoint(
        "POST",
        "/api/v1/transfers/{transfer_id}/transitions",
        OWNER_OR_SUPERVISOR,  # the sending side cancels (the requester; a supervisor)
        path=lambda w: f"/api/v1/transfers/{w.transfers['pending'].id}/transitions",
        body=lambda w: {"to": "cancelled"},
    ),
    Endpoint(
        "GET",
        "/api/v1/transfers/{transfer_id}/history",
        HANDLE_PERSONS,
        path=lambda w: f"/api/v1/transfers/{w.transfers['pending'].id}/history",
    ),
]


# Duplicates: candidates for any handler of persons; the merge is a supervisor's.
MATRIX += [
    Endpoint(
        "GET",
        "/api/v1/persons/{person_id}/duplicates",
        HANDLE_PERSONS,
        path=lambda w: f"/api/v1/persons/{w.persons['a'].id}/duplicates",
    ),
    Endpoint(
        "POST",
        "/api/v1/persons/{person_id}/merge",
        frozenset({S}),
        path=lambda w: f"/api/v1/persons/{w.persons['a'].id}/merge",
        body=lambda w: {"duplicate_id": str(w.persons["a_twin"].id), "note": "Same person."},
    ),
]


@pytest.fixture
def world(session: Session) -> World:
    """The shared world plus the case-management fixtures (owners, a pending transfer),
    and a second registration of persons['a'] to merge."""
    world = add_case_management(session, build_world(session))
    world.persons["a_twin"] = make_person(
        session, world.user("caseworker_a"), registration_number=None, full_name="Aminata Maiga"
    )
    session.commit()
    return world


MATRIX += [
    # Never public (CONTRACT "Operations"; tests/security/test_metrics_access.py).
    Endpoint("GET", "/metrics", frozenset({A})),
]

# Routes that need no token (their behaviour is tested elsewhere).
PUBLIC = {
    ("POST", "/api/v1/auth/token"),
    ("GET", "/health"),
    ("GET", "/ready"),
    # Authenticated by the form's own secret (tests/integrations).
    ("POST", "/api/v1/integrations/kobo/{form}/submissions"),
}


def test_matrix_covers_every_route(app: FastAPI) -> None:
    # The OpenAPI document is the public surface: every operation in it needs a row.
    routes = {
        (method.upper(), path)
        for path, operations in app.openapi()["paths"].items()
        for method in operations
    }
    covered = {(e.method, e.route) for e in MATRIX} | PUBLIC
    assert routes == covered


@pytest.mark.parametrize("endpoint", MATRIX, ids=lambda e: f"{e.method} {e.route}")
@pytest.mark.parametrize("role", list(Role), ids=lambda r: r.value)
def test_role_matrix(client: TestClient, world: World, endpoint: Endpoint, role: Role) -> None:
    user = world.by_role(role)
    response = client.request(
        endpoint.method, endpoint.url(world), headers=auth(user), **endpoint.request_kwargs(world)
    )
    expected = endpoint.ok if role in endpoint.allowed else 403
    assert response.status_code == expected, response.text
    if expected == 403:
        assert response.headers["content-type"] == "application/problem+json"


@pytest.mark.parametrize("endpoint", MATRIX, ids=lambda e: f"{e.method} {e.route}")
def test_anonymous_is_401(client: TestClient, world: World, endpoint: Endpoint) -> None:
    response = client.request(
        endpoint.method, endpoint.url(world), **endpoint.request_kwargs(world)
    )
    assert response.status_code == 401
    assert response.headers["content-type"] == "application/problem+json"
    assert response.headers["www-authenticate"] == "Bearer"


@pytest.mark.parametrize("endpoint", MATRIX, ids=lambda e: f"{e.method} {e.route}")
def test_an_api_key_reaches_the_reports_and_nothing_else(
    client: TestClient, world: World, endpoint: Endpoint
) -> None:
    response = client.request(
        endpoint.method,
        endpoint.url(world),
        headers={"Authorization": f"Bearer {world.api_key_secret}"},
        **endpoint.request_kwargs(world),
    )
    # Aggregates only: record-level exports (the Incident Recorder) are for people.
    expected = (
        200 if endpoint.route.startswith("/api/v1/reports/") and R in endpoint.allowed else 403
    )
    assert response.status_code == expected, response.text


@pytest.mark.parametrize("path", ["/health", "/ready"])
def test_public_operations_need_no_token(client: TestClient, path: str) -> None:
    assert client.get(path).status_code == 200


# --- Records made about another organisation's subject ------------------------------------
# A supervisor of ORGB covering every region (supervisor_all) creates records about ORGA's
# subjects in Gao. Each record belongs to its subject's organisation (ORGA): ORGB's
# caseworkers and GBV caseworkers (who work elsewhere) never read it, ORGA's do as the
# record's own rules say. (tests/security/test_records_about_other_organisations.py)


@dataclass(frozen=True)
class CreateAbout:
    name: str
    model: type
    url: str
    body: Callable[[World], dict[str, Any]]
    readers: dict[str, int]  # user -> status of GET on the new record


MODELS: dict[str, type] = {
    "Referral": Referral,
    "CounsellingSession": CounsellingSession,
    "RepatriationFile": RepatriationFile,
    "Consent": Consent,
    "SgbvCase": SgbvCase,
}
OTHERS = {"caseworker_b": 404, "gbv_b": 404, "supervisor_mopti": 404, "supervisor_all": 200}
CREATE_ABOUT_ANOTHER_ORGANISATION = [
    CreateAbout(
        "incident referral",
        MODELS["Referral"],
        "/api/v1/referrals",
        lambda w: {
            "incident_id": str(w.incidents["a_gao"].id),
            "actor": "CVJR",
            "services": ["legal"],
        },
        {**OTHERS, "caseworker_a": 200, "gbv_a": 200, "supervisor_a": 200},
    ),
    CreateAbout(
        "person referral",
        MODELS["Referral"],
        "/api/v1/referrals",
        lambda w: {"person_id": str(w.persons["a"].id), "actor": "CVJR", "services": ["legal"]},
        {**OTHERS, "caseworker_a": 200, "gbv_a": 200, "supervisor_a": 200},
    ),
    CreateAbout(
        "sgbv referral",
        MODELS["Referral"],
        "/api/v1/referrals",
        lambda w: {
            "sgbv_case_id": str(w.cases["a"].id),
            "actor": "CVJR",
            "services": ["psychosocial"],
            "note": "Survivor asks for a female counsellor.",
        },
        {**OTHERS, "caseworker_a": 404, "gbv_a": 200, "supervisor_a": 200},
    ),
    CreateAbout(
        "counselling session",
        MODELS["CounsellingSession"],
        "/api/v1/counselling-sessions",
        lambda w: counselling_body(person_id=str(w.persons["a"].id)),
        {**OTHERS, "caseworker_a": 200, "gbv_a": 200, "supervisor_a": 200},
    ),
    CreateAbout(
        "repatriation file",
        MODELS["RepatriationFile"],
        "/api/v1/repatriation-files",
        lambda w: repatriation_body(
            principal_person_id=str(w.persons["refugee"].id), household_size=1
        ),
        {**OTHERS, "caseworker_a": 200, "gbv_a": 200, "supervisor_a": 200},
    ),
    CreateAbout(
        "person consent",
        MODELS["Consent"],
        "/api/v1/consents",
        lambda w: consent_body(person_id=str(w.persons["a"].id)),
        {**OTHERS, "caseworker_a": 200, "gbv_a": 200, "supervisor_a": 200},
    ),
    CreateAbout(
        "sgbv consent",
        MODELS["Consent"],
        "/api/v1/consents",
        lambda w: consent_body(sgbv_case_id=str(w.cases["a"].id), given_by="survivor"),
        {**OTHERS, "caseworker_a": 404, "gbv_a": 200, "supervisor_a": 200},
    ),
    CreateAbout(
        "sgbv case about a person",
        MODELS["SgbvCase"],
        "/api/v1/sgbv-cases",
        lambda w: case_body(survivor_code=_unique("GAO"), person_id=str(w.persons["a"].id)),
        {**OTHERS, "caseworker_b": 403, "caseworker_a": 403, "gbv_a": 200, "supervisor_a": 200},
    ),
]


@pytest.mark.parametrize("path", CREATE_ABOUT_ANOTHER_ORGANISATION, ids=lambda c: c.name)
def test_a_record_about_another_organisations_subject_belongs_to_the_subject(
    client: TestClient, world: World, session: Session, path: CreateAbout
) -> None:
    creator = world.user("supervisor_all")
    assert creator.organization is not None
    assert creator.organization.code == "ORGB"
    created = client.post(path.url, json=path.body(world), headers=auth(creator))
    assert created.status_code == 201, created.text
    record = session.get(path.model, uuid.UUID(created.json()["id"]))
    assert record is not None
    assert record.organization_id == world.org_a.id
    record_url = f"{path.url}/{created.json()['id']}"
    for name, expected in path.readers.items():
        response = client.get(record_url, headers=auth(world.user(name)))
        assert response.status_code == expected, (name, response.text)
        if expected != 200:
            assert created.json()["id"] not in response.text
        listed = client.get(path.url, headers=auth(world.user(name)), params={"limit": 500})
        if listed.status_code == 200:
            ids = {item["id"] for item in listed.json()["items"]}
            assert (created.json()["id"] in ids) == (expected == 200), name


# Case management routes: the same records seen from another organisation or region.
OUTSIDERS = ["caseworker_b", "supervisor_mopti"]


@pytest.mark.parametrize("outsider", OUTSIDERS)
@pytest.mark.parametrize(
    ("method", "body"), [("GET", None), ("PATCH", {"status": "done"})], ids=["read", "update"]
)
def test_a_task_is_404_from_another_organisation_or_region(
    client: TestClient, world: World, outsider: str, method: str, body: Any
) -> None:
    response = client.request(
        method, _task_url(world), json=body, headers=auth(world.user(outsider))
    )
    assert response.status_code == 404, response.text
    listed = client.get("/api/v1/tasks", headers=auth(world.user(outsider))).json()["items"]
    assert str(world.tasks["person_sent"].id) not in {t["id"] for t in listed}


@pytest.mark.parametrize("outsider", OUTSIDERS)
def test_the_work_list_shows_nothing_of_another_organisation_or_region(
    client: TestClient, world: World, outsider: str
) -> None:
    work = client.get("/api/v1/me/work", headers=auth(world.user(outsider)))
    assert work.status_code == 200
    body = work.text
    for record in (world.tasks["person_sent"], world.referrals["person_sent"]):
        assert str(record.id) not in body
