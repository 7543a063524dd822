"""HTTP semantics every operation shares (core/conventions.py, core/negotiation.py,
the Location middleware), tested over every route of the authorization matrix."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from hypothesis import given
from hypothesis import strategies as st

from casework.core.errors import UNPROCESSABLE
from casework.core.negotiation import choose
from casework.reference.vocabularies import Role
from tests.factories import World, auth
from tests.test_authorization_matrix import MATRIX, Endpoint
from tests.test_authorization_matrix import world as world  # the matrix's world: its rows need it

JSON, CSV = "application/json", "text/csv"


def allowed_role(endpoint: Endpoint) -> Role:
    return next(role for role in Role if role in endpoint.allowed)


def call(
    client: TestClient, world: World, endpoint: Endpoint, *, query: str = "", **kw: Any
) -> Any:
    url = endpoint.url(world)
    if query:
        url += ("&" if "?" in url else "?") + query
    headers = {**auth(world.by_role(allowed_role(endpoint))), **kw.pop("headers", {})}
    if "content" not in kw and endpoint.multipart is not None:
        kw.update(endpoint.request_kwargs(world))
    elif "content" not in kw and endpoint.body:
        kw["json"] = endpoint.body(world)
    return client.request(endpoint.method, url, headers=headers, **kw)


# --- content negotiation (RFC 9110 section 12.5.1) ----------------------------------------


@pytest.mark.parametrize(
    ("accept", "expected"),
    [
        (None, JSON),
        ("", JSON),
        ("*/*", JSON),
        ("text/csv", CSV),
        ("text/csv;q=0.5, application/json", JSON),
        ("application/json;q=0.2, text/*", CSV),
        ("text/*;q=0.9, text/csv;q=0.1, application/json;q=0.5", JSON),  # most specific wins
        ("text/csv, */*;q=0", CSV),
        ("application/*;q=0.1, text/csv;q=0.1", JSON),  # a tie goes to the server's order
        ("application/xml", None),
        ("text/csv;q=0, application/json;q=0", None),
        ("text/csv;charset=utf-8", None),  # a range with a parameter the type lacks
        ("text/csv;q=2, application/json;q=0.5", JSON),  # an invalid weight: range ignored
        ("garbage", JSON),  # nothing parseable: as if there were no Accept
    ],
)
def test_accept_is_honoured_with_q_values(accept: str | None, expected: str | None) -> None:
    assert choose(accept, (JSON, CSV)) == expected


QVALUES = st.sampled_from(["0", "0.1", "0.5", "0.555", "0.9", "1"])


@given(json_q=QVALUES, csv_q=QVALUES)
def test_the_higher_quality_always_wins(json_q: str, csv_q: str) -> None:
    chosen = choose(f"text/csv;q={csv_q}, application/json;q={json_q}", (JSON, CSV))
    if float(json_q) == float(csv_q) == 0:
        assert chosen is None
    elif float(csv_q) > float(json_q):
        assert chosen == CSV
    else:
        assert chosen == JSON


def test_format_beats_accept_and_nothing_acceptable_is_406(
    client: TestClient, world: World
) -> None:
    headers = auth(world.user("reporting"))
    url = "/api/v1/reports/aggregates?dataset=incidents&group_by=region"
    csv_wins = client.get(url, headers={**headers, "Accept": "text/csv, application/json;q=0.9"})
    assert csv_wins.headers["content-type"].startswith(CSV)
    assert csv_wins.headers["vary"] == "Accept"
    json_wins = client.get(url, headers={**headers, "Accept": "text/csv;q=0.5, application/json"})
    assert json_wins.headers["content-type"] == JSON
    forced = client.get(url + "&format=json", headers={**headers, "Accept": "text/csv"})
    assert forced.headers["content-type"] == JSON
    refused = client.get(url, headers={**headers, "Accept": "application/xml"})
    assert refused.status_code == 406
    assert refused.json()["acceptable"] == [JSON, CSV]
    markdown = client.get(
        "/api/v1/reports/sitrep?month=2026-05",
        headers={**headers, "Accept": "application/json;q=0.1, text/markdown"},
    )
    assert markdown.headers["content-type"].startswith("text/markdown")


@pytest.mark.parametrize("endpoint", MATRIX, ids=lambda e: f"{e.method} {e.route}")
def test_an_unacceptable_accept_is_406_everywhere(
    client: TestClient, world: World, endpoint: Endpoint
) -> None:
    response = call(client, world, endpoint, headers={"Accept": "application/xml"})
    assert response.status_code == 406, response.text
    assert response.headers["content-type"] == "application/problem+json"


# --- request bodies -------------------------------------------------------------------------


BODIES = [e for e in MATRIX if e.body is not None]


@pytest.mark.parametrize("content_type", ["text/plain", "application/xml", None])
@pytest.mark.parametrize("endpoint", BODIES, ids=lambda e: f"{e.method} {e.route}")
def test_a_body_that_is_not_json_is_415(
    client: TestClient, world: World, endpoint: Endpoint, content_type: str | None
) -> None:
    import json

    assert endpoint.body is not None
    headers = {"Content-Type": content_type} if content_type else {}
    response = call(
        client, world, endpoint, content=json.dumps(endpoint.body(world)), headers=headers
    )
    assert response.status_code == 415, response.text
    assert response.json()["acceptable"] == [JSON]


# --- query parameters -----------------------------------------------------------------------


@pytest.mark.parametrize("endpoint", MATRIX, ids=lambda e: f"{e.method} {e.route}")
def test_an_unknown_query_parameter_is_422_everywhere(
    client: TestClient, world: World, endpoint: Endpoint
) -> None:
    response = call(client, world, endpoint, query="rloe=monitor")
    assert response.status_code == 422, response.text
    assert response.json()["errors"] == [
        {"loc": ["query", "rloe"], "msg": "Unknown query parameter", "type": "extra_forbidden"}
    ]


def test_the_users_typo_no_longer_lists_everyone(client: TestClient, world: World) -> None:
    response = client.get("/api/v1/users?rloe=monitor", headers=auth(world.user("admin")))
    assert response.status_code == 422


@pytest.mark.parametrize(
    ("url", "parameter"),
    [
        ("/api/v1/reports/aggregates?dataset=incidents&group_by=region&group_by=month", "group_by"),
        ("/api/v1/reports/aggregates?dataset=incidents&dataset=sgbv", "dataset"),
        ("/api/v1/reports/sitrep?month=2026-05&month=2026-04", "month"),
        ("/api/v1/incidents?limit=5&limit=6", "limit"),
        ("/api/v1/users?role=monitor&role=admin", "role"),
    ],
)
def test_a_repeated_single_valued_parameter_is_422(
    client: TestClient, world: World, url: str, parameter: str
) -> None:
    user = "admin" if "/users" in url else "supervisor_a"
    response = client.get(url, headers=auth(world.user(user)))
    assert response.status_code == 422, response.text
    assert response.json()["errors"][0]["loc"] == ["query", parameter]


def test_list_parameters_may_repeat(client: TestClient, world: World) -> None:
    response = client.get(
        "/api/v1/incidents?region=ML07&region=ML05", headers=auth(world.user("supervisor_a"))
    )
    assert response.status_code == 200


# --- headers the document declares are sent -------------------------------------------------


@pytest.mark.parametrize("endpoint", MATRIX, ids=lambda e: f"{e.method} {e.route}")
def test_declared_etag_and_location_headers_are_sent(
    app: FastAPI, client: TestClient, world: World, endpoint: Endpoint
) -> None:
    operation = app.openapi()["paths"][endpoint.route][endpoint.method.lower()]
    declared = operation["responses"][str(endpoint.ok)].get("headers", {})
    response = call(client, world, endpoint)
    assert response.status_code == endpoint.ok, response.text
    assert response.headers["x-request-id"]
    if "ETag" in declared and "version" in response.json():
        assert response.headers["etag"] == f'"{response.json()["version"]}"'
    if "Location" in declared:
        location = response.headers["location"]
        read = client.get(location, headers=auth(world.by_role(allowed_role(endpoint))))
        assert read.status_code == 200, location
    if endpoint.ok == 201:
        assert ("Location" in declared) == ("location" in response.headers), endpoint.route


# --- one 422 vocabulary ---------------------------------------------------------------------


def test_every_422_speaks_the_one_vocabulary(client: TestClient, world: World) -> None:
    headers = auth(world.user("monitor_a"))
    responses = [
        client.post("/api/v1/incidents", json={"region": "nowhere"}, headers=headers),
        client.post(
            "/api/v1/incidents",
            content=b"{not json",
            headers={**headers, "Content-Type": "application/json"},
        ),
        client.get("/api/v1/incidents?cursor=bogus", headers=headers),
        client.get("/api/v1/incidents?nope=1", headers=headers),
        client.post(
            "/api/v1/incidents", json={}, headers={**headers, "Idempotency-Key": "k" * 201}
        ),
    ]
    for response in responses:
        assert response.status_code == 422, response.text
        problem = response.json()
        slug = problem["type"].removeprefix("urn:casework:problem:")
        assert slug in UNPROCESSABLE, problem
        assert problem["title"] == UNPROCESSABLE[slug]
        assert problem["errors"], problem
