"""Opening an SGBV case through its form, its GBVIMS intake on the case page, and the
Incident Recorder download, each through the same services as the API."""

from __future__ import annotations

import io
import re
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from openpyxl import load_workbook
from sqlalchemy import select
from sqlalchemy.orm import Session

from casework.audit.models import AuditEntry
from casework.sgbv import incident_recorder
from casework.sgbv.models import SgbvCase
from tests.factories import World, add_case_management, build_world, make_consent
from tests.web.helpers import sign_in, web_client

TODAY = datetime.now(UTC).date()
OCCURRED = TODAY - timedelta(days=20)


@pytest.fixture
def world(session: Session) -> World:
    world = add_case_management(session, build_world(session))
    session.commit()
    return world


def signed_in(app: FastAPI, username: str) -> tuple[TestClient, str]:
    client = web_client(app)
    return client, sign_in(client, username)


def case_form(**overrides: str) -> dict[str, str]:
    form = {
        "survivor_code": "GAO-WEB-001",
        "occurred_on": OCCURRED.isoformat(),
        "region": "ML07",
        "admin2": "ML0703",
        "services_needed": "medical",
        "narrative": "Met on the way to the well.",
        # The tool's order: a no, then the first yes (physical assault) and a later yes.
        "classification.penetration": "no",
        "classification.unwanted_sexual_contact": "no",
        "classification.physical_assault": "yes",
        "classification.psychological_abuse": "yes",
        "first_reported_on": (OCCURRED + timedelta(days=4)).isoformat(),
        "survivor_sex": "female",
        "survivor_age_group": "12-17",
        "displacement_status": "idp",
        "perpetrator_count": "2",
        "perpetrator_sex": "male",
        "perpetrator_relationship": "armed_actor",
        "goods_exchanged": "no",
    }
    form.update(overrides)
    return form


def test_the_form_shows_the_tools_questions_in_order_and_says_the_type_is_derived(
    app: FastAPI, world: World
) -> None:
    client, _token = signed_in(app, "gbv_a")
    listing = client.get("/sgbv-cases?lang=en").text
    assert 'href="/sgbv-cases/new"' in listing
    page = client.get("/sgbv-cases/new?lang=en").text
    names = re.findall(r'name="classification\.(\w+)" value="yes"', page)
    assert names == [
        "penetration",
        "unwanted_sexual_contact",
        "physical_assault",
        "forced_marriage",
        "denial_of_resources",
        "psychological_abuse",
    ]
    assert "the first yes gives it" in page
    assert 'name="gbv_type"' not in page  # never chosen by hand here
    assert 'hx-get="/sgbv-cases/cercles"' in page
    french = client.get("/sgbv-cases/new?lang=fr").text
    assert "L'acte était-il un mariage forcé ?" in french
    assert "Statut de déplacement" in french


def test_posting_the_form_opens_a_case_with_the_derived_type(
    app: FastAPI, world: World, session: Session
) -> None:
    client, token = signed_in(app, "gbv_a")
    response = client.post("/sgbv-cases/new", data={**case_form(), "csrf_token": token})
    assert response.status_code == 303, response.text
    case = session.scalars(select(SgbvCase).where(SgbvCase.survivor_code == "GAO-WEB-001")).one()
    assert response.headers["location"] == f"/sgbv-cases/{case.id}"
    assert case.gbv_type == "physical_assault"  # the first yes, not the later one
    assert case.classification is not None
    assert case.classification["psychological_abuse"] is True
    assert case.classification["forced_marriage"] is False  # unanswered is a no
    assert case.displacement_status == "idp"
    assert case.perpetrator_count == 2
    assert case.goods_exchanged is False
    assert case.owner_id == world.user("gbv_a").id
    # The case page shows the intake, the answers and the delay band in the reader's language.
    english = client.get(f"/sgbv-cases/{case.id}?lang=en").text
    assert "Physical assault" in english
    assert "Internally displaced person" in english
    assert "4-5 days" in english
    assert english.count("<strong>Yes</strong>") == 2
    french = client.get(f"/sgbv-cases/{case.id}?lang=fr").text
    assert "4 à 5 jours" in french
    assert "Délai de signalement" in french
    assert "Agression physique" in french
    assert french.count("<strong>Oui</strong>") == 2


def test_refusals_are_shown_beside_their_fields(
    app: FastAPI, world: World, session: Session
) -> None:
    client, token = signed_in(app, "gbv_a")

    def post(**overrides: str) -> Any:
        return client.post(
            "/sgbv-cases/new?lang=en", data={**case_form(**overrides), "csrf_token": token}
        )

    # Six noes describe no GBV: the service refuses, the page says why beside the questions.
    nothing = post(
        **{"classification.physical_assault": "no", "classification.psychological_abuse": "no"}
    )
    assert nothing.status_code == 422
    assert 'id="classification-error"' in nothing.text
    assert "record it as a protection incident" in nothing.text
    early = post(first_reported_on=(OCCURRED - timedelta(days=1)).isoformat())
    assert early.status_code == 422
    assert 'id="first_reported_on-error"' in early.text
    named = post(survivor_code="Aminata Traoré")
    assert named.status_code == 422
    assert 'id="survivor_code-error"' in named.text
    elsewhere = post(admin2="ML0501")  # a Mopti cercle in Gao
    assert elsewhere.status_code == 422
    assert 'id="admin2-error"' in elsewhere.text
    # What was typed comes back, and nothing was opened.
    assert "Met on the way to the well." in elsewhere.text
    assert (
        session.scalar(select(SgbvCase.id).where(SgbvCase.survivor_code == "GAO-WEB-001")) is None
    )
    assert post().status_code == 303
    again = post(id="")  # another form, the same code: beside the code
    assert again.status_code == 409
    assert 'id="survivor_code-error"' in again.text


def test_a_form_sent_twice_opens_one_case(app: FastAPI, world: World, session: Session) -> None:
    client, token = signed_in(app, "gbv_a")
    page = client.get("/sgbv-cases/new").text
    client_id = re.search(r'name="id" value="([^"]+)"', page)
    assert client_id
    form = {**case_form(id=client_id.group(1)), "csrf_token": token}
    first = client.post("/sgbv-cases/new", data=form)
    second = client.post("/sgbv-cases/new", data=form)
    assert first.status_code == second.status_code == 303
    assert first.headers["location"] == second.headers["location"]


def test_the_cercle_list_follows_the_region(app: FastAPI, world: World) -> None:
    client, _token = signed_in(app, "gbv_a")
    gao = client.get("/sgbv-cases/cercles?region=ML07").text
    assert 'value="ML0703"' in gao
    assert 'value="ML0501"' not in gao


def test_the_download_is_the_incident_recorder_for_gbv_caseworkers(
    app: FastAPI, world: World, session: Session
) -> None:
    client, token = signed_in(app, "gbv_a")
    opened = client.post(
        "/sgbv-cases/new",
        data={
            **case_form(**{"classification.penetration": "yes"}),
            "csrf_token": token,
        },
    )
    assert opened.status_code == 303
    case = session.scalars(select(SgbvCase).where(SgbvCase.survivor_code == "GAO-WEB-001")).one()
    make_consent(
        session,
        world.user("gbv_a"),
        sgbv_case_id=str(case.id),
        purpose="reporting",
        given_by="survivor",
        actors=[],
        services=[],
    )
    session.commit()
    listing = client.get("/sgbv-cases?lang=en").text
    assert 'action="/sgbv-cases/incident-recorder"' in listing
    period = {"from": (TODAY - timedelta(days=60)).isoformat(), "to": TODAY.isoformat()}
    response = client.get("/sgbv-cases/incident-recorder", params=period)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == incident_recorder.MEDIA_TYPE
    assert "attachment" in response.headers["content-disposition"]
    sheet = load_workbook(io.BytesIO(response.content), read_only=True)["Incident Data"]
    rows = [list(row) for row in sheet.iter_rows(values_only=True)]
    assert len(rows) == 2
    row = dict(zip(rows[0], rows[1], strict=True))
    assert row["GBV TYPE"] == "Rape"
    assert "GAO-WEB" not in str(rows)
    # Audited as the API's export is.
    entry = session.scalars(
        select(AuditEntry).where(AuditEntry.action == "export").order_by(AuditEntry.id.desc())
    ).first()
    assert entry is not None
    assert entry.detail["view"] == "gbv-incident-recorder"
    assert entry.detail["rows"] == 1
    # Another organisation's GBV caseworker gets the headings only.
    other, _ = signed_in(app, "gbv_b")
    theirs = other.get("/sgbv-cases/incident-recorder", params=period)
    assert theirs.status_code == 200
    assert (
        len(
            list(
                load_workbook(io.BytesIO(theirs.content), read_only=True)[
                    "Incident Data"
                ].iter_rows()
            )
        )
        == 1
    )


@pytest.mark.parametrize("user", ["caseworker_a", "reporting", "monitor_a", "focal_cvjr", "admin"])
def test_other_roles_may_not_download_it(app: FastAPI, world: World, user: str) -> None:
    client, _token = signed_in(app, user)
    response = client.get("/sgbv-cases/incident-recorder?from=2026-01-01&to=2026-02-01")
    assert response.status_code == 403
    assert "text/html" in response.headers["content-type"]


def test_a_bad_period_comes_back_beside_the_dates(app: FastAPI, world: World) -> None:
    client, _token = signed_in(app, "gbv_a")
    backwards = client.get("/sgbv-cases/incident-recorder?lang=en&from=2026-05-01&to=2026-04-01")
    assert backwards.status_code == 422
    assert 'id="to-error"' in backwards.text
    assert "export year by year" in backwards.text
    missing = client.get("/sgbv-cases/incident-recorder?lang=en&from=2026-05-01")
    assert missing.status_code == 422
    assert 'id="to-error"' in missing.text
