"""KoboToolbox push: retries, reordering, quarantine and reprocessing, form versions."""

from __future__ import annotations

import copy
import uuid
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from casework.incidents.models import Incident
from casework.integrations.kobo import NAMESPACE
from tests.factories import World, auth

MAPPING: dict[str, Any] = {
    "fields": {
        "occurred_on": "incident/date",
        "region": "location/region",
        "admin2": "location/cercle",
        "locality": "location/village",
        "incident_type": "incident/type",
        "perpetrator_category": "incident/perpetrator",
        "population_group": "victims/group",
        "urgency": "incident/urgent",
        "description": "incident/narrative",
        "victims.female_adults": "victims/women",
        "victims.male_adults": "victims/men",
    },
    "choices": {
        "region": {"gao": "ML07", "menaka": "ML10", "mopti": "ML05"},
        "incident_type": {"extorsion": "extortion", "vol": "robbery", "menace": "death_threat"},
        "perpetrator_category": {"groupe_arme": "armed_group", "inconnu": "unknown"},
        "population_group": {"pdi": "idp", "refugie": "refugee", "hote": "host_community"},
        "urgency": {"oui": "urgent", "non": "normal"},
    },
    "users": {"kobo_gao_1": "monitor_a"},
}


def submission(n: int, **answers: Any) -> dict[str, Any]:
    """One submission as KoboToolbox's REST Service posts it."""
    body: dict[str, Any] = {
        "_id": 4_100_000 + n,
        "_uuid": f"8c1b7f0e-0000-4000-8000-{n:012d}",
        "meta/instanceID": f"uuid:1f2e3d4c-0000-4000-9000-{n:012d}",
        "formhub/uuid": "5f3a9b2c7d1e4f6a8b0c9d2e1f3a4b5c",
        "__version__": "vJ3bXk8Qz7aVmN2pR",
        "_submission_time": "2026-11-20T09:41:12",
        "_submitted_by": "kobo_gao_1",
        "incident/date": "2026-11-19",
        "location/region": "gao",
        "location/cercle": "ML0701",
        "location/village": "Ansongo",
        "incident/type": "extorsion",
        "incident/perpetrator": "groupe_arme",
        "victims/group": "pdi",
        "victims/women": "1",
        "victims/men": "2",
        "incident/urgent": "non",
        "incident/narrative": "Extorsion au poste de contrôle de la route d'Ansongo.",
    }
    body.update(answers)
    return body


@pytest.fixture
def form(client: TestClient, world: World) -> dict[str, Any]:
    response = client.post(
        "/api/v1/integrations/kobo/forms",
        json={
            "code": "pm-gao",
            "name": "Protection monitoring, Gao",
            "organization": "ORGA",
            "default_user": "monitor_a2",
            "mapping": MAPPING,
        },
        headers=auth(world.user("admin")),
    )
    assert response.status_code == 201, response.text
    return dict(response.json())


def push(client: TestClient, form: dict[str, Any], body: dict[str, Any]) -> Any:
    return client.post(
        "/api/v1/integrations/kobo/pm-gao/submissions",
        json=body,
        headers={"X-Kobo-Secret": form["secret"]},
    )


def incidents(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(Incident)) or 0


def test_a_submission_becomes_an_incident_once(
    client: TestClient, form: dict[str, Any], session: Session, world: World
) -> None:
    before = incidents(session)
    first = push(client, form, submission(1))
    assert first.status_code == 201, first.text
    assert first.json()["state"] == "accepted"
    incident = session.get(Incident, uuid.UUID(first.json()["incident_id"]))
    assert incident is not None
    assert (incident.region, incident.incident_type, incident.population_group) == (
        "ML07",
        "extortion",
        "idp",
    )
    assert (incident.female_adults, incident.male_adults) == (1, 2)
    assert incident.reported_by_id == world.user("monitor_a").id  # the mapped Kobo user
    # Kobo retries: the same instance again, any number of times.
    for _ in range(3):
        again = push(client, form, submission(1))
        assert again.status_code == 200
        assert again.json()["incident_id"] == first.json()["incident_id"]
    assert incidents(session) == before + 1


def test_reordered_submissions_are_all_kept(
    client: TestClient, form: dict[str, Any], session: Session
) -> None:
    before = incidents(session)
    for n in (5, 3, 4):
        assert push(client, form, submission(n)).status_code == 201
    assert incidents(session) == before + 3


def test_uuid_is_the_key_when_there_is_no_instance_id(
    client: TestClient, form: dict[str, Any], session: Session
) -> None:
    body = submission(7)
    del body["meta/instanceID"]
    assert push(client, form, body).status_code == 201
    assert push(client, form, body).status_code == 200
    del body["_uuid"]
    assert push(client, form, body).status_code == 422


def test_unknown_choice_is_quarantined_then_fixed_and_reprocessed_once(
    client: TestClient, form: dict[str, Any], session: Session, world: World
) -> None:
    admin = auth(world.user("admin"))
    before = incidents(session)
    held = push(client, form, submission(9, **{"incident/type": "enlevement"}))
    assert held.status_code == 202
    assert held.json()["state"] == "quarantined"
    assert "not a known choice for incident_type" in held.json()["reasons"][0]
    assert incidents(session) == before
    # Kobo retries a quarantined submission: still one record, still quarantined.
    assert push(client, form, submission(9, **{"incident/type": "enlevement"})).status_code == 200

    listed = [
        q
        for q in client.get("/api/v1/integrations/kobo/quarantine", headers=admin).json()["items"]
        if q["form"] == "pm-gao"
    ]
    assert [q["instance_id"] for q in listed] == [held.json()["instance_id"]]
    assert "incident/narrative" in listed[0]["questions"]
    assert "Ansongo" not in str(listed)  # the answers are not listed

    fixed = copy.deepcopy(MAPPING)
    fixed["choices"]["incident_type"]["enlevement"] = "abduction"
    updated = client.put(
        "/api/v1/integrations/kobo/forms/pm-gao/mapping", json={"mapping": fixed}, headers=admin
    )
    assert updated.json()["mapping_version"] == 2
    url = f"/api/v1/integrations/kobo/quarantine/{held.json()['submission_id']}/reprocess"
    done = client.post(url, headers=admin)
    assert done.json()["state"] == "accepted"
    assert client.post(url, headers=admin).json()["incident_id"] == done.json()["incident_id"]
    assert incidents(session) == before + 1
    still_held = client.get("/api/v1/integrations/kobo/quarantine", headers=admin).json()["items"]
    assert [q for q in still_held if q["form"] == "pm-gao"] == []
    expected_id = uuid.uuid5(NAMESPACE, f"pm-gao:{held.json()['instance_id']}")
    assert done.json()["incident_id"] == str(expected_id)


def test_a_form_version_change_is_held_until_the_mapping_follows(
    client: TestClient, form: dict[str, Any], session: Session, world: World
) -> None:
    body = submission(11, __version__="vNEW2026")
    body["incident/type_of_incident"] = body.pop("incident/type")  # the question was renamed
    held = push(client, form, body)
    assert held.status_code == 202
    assert "incident/type: no answer" in " ".join(held.json()["reasons"])
    follows = copy.deepcopy(MAPPING)
    follows["fields"]["incident_type"] = "incident/type_of_incident"
    client.put(
        "/api/v1/integrations/kobo/forms/pm-gao/mapping",
        json={"mapping": follows},
        headers=auth(world.user("admin")),
    )
    done = client.post(
        f"/api/v1/integrations/kobo/quarantine/{held.json()['submission_id']}/reprocess",
        headers=auth(world.user("admin")),
    )
    assert done.json()["state"] == "accepted"


@pytest.mark.parametrize(
    ("answers", "reason"),
    [
        ({"incident/type": "extorsion vol"}, "several answers"),  # select_multiple
        ({"location/region": "mopti", "location/cercle": ""}, "region ML05"),  # outside scope
        ({"incident/date": "2099-01-01"}, "future"),
        ({"victims/men": "deux"}, "not a whole number"),
        ({"location/cercle": "ML0501"}, "admin2"),
    ],
)
def test_what_cannot_be_mapped_is_quarantined_not_lost(
    client: TestClient,
    form: dict[str, Any],
    session: Session,
    answers: dict[str, Any],
    reason: str,
) -> None:
    before = incidents(session)
    held = push(client, form, submission(20, **answers))
    assert held.status_code == 202
    assert reason in " ".join(held.json()["reasons"])
    assert incidents(session) == before


def test_secrets_and_storage(client: TestClient, form: dict[str, Any], session: Session) -> None:
    wrong = client.post(
        "/api/v1/integrations/kobo/pm-gao/submissions",
        json=submission(30),
        headers={"X-Kobo-Secret": "guess"},
    )
    assert wrong.status_code == 401
    unknown = client.post(
        "/api/v1/integrations/kobo/other/submissions",
        json=submission(30),
        headers={"X-Kobo-Secret": form["secret"]},
    )
    assert unknown.status_code == 401
    push(client, form, submission(31))
    raw = repr(session.execute(text("SELECT * FROM kobo_submissions")).all())
    assert "Ansongo" not in raw
    assert "contrôle" not in raw
    assert form["secret"] not in repr(session.execute(text("SELECT * FROM kobo_forms")).all())


def test_bad_mappings_are_refused(client: TestClient, world: World) -> None:
    response = client.post(
        "/api/v1/integrations/kobo/forms",
        json={
            "code": "bad",
            "name": "x",
            "organization": "ORGA",
            "default_user": "monitor_a",
            "mapping": {"fields": {"shoe_size": "q/1"}},
        },
        headers=auth(world.user("admin")),
    )
    assert response.status_code == 422


def test_pushed_incidents_are_audited_as_the_monitor(
    client: TestClient, form: dict[str, Any], session: Session, world: World
) -> None:
    from casework.audit.models import AuditEntry

    created = push(client, form, submission(40)).json()
    entry = session.scalar(
        select(AuditEntry).where(
            AuditEntry.record_type == "incidents", AuditEntry.record_id == created["incident_id"]
        )
    )
    assert entry is not None
    assert (entry.action, entry.username) == ("create", "monitor_a")
