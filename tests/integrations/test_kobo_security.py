"""KoboToolbox: reasons without answers, encrypted; a form's organisation enforced; secret
rotation; an edited submission (meta/deprecatedID) updates its incident, never duplicates it.
"""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from casework.audit.models import AuditEntry
from casework.core.db import utcnow
from casework.incidents.models import Incident
from casework.integrations.kobo import NAMESPACE
from casework.integrations.models import KoboForm, KoboSubmission
from tests.factories import World, auth
from tests.integrations.test_kobo_pull import ASSET, FakeKobo, pull
from tests.integrations.test_kobo_pull import database as database
from tests.integrations.test_kobo_push import MAPPING, form, incidents, push, submission

__all__ = ["form"]  # the fixture, used by name

ANSWER = "Fatoumata (age 14)"


def test_quarantine_reasons_never_echo_answers_and_are_encrypted(
    client: TestClient, form: dict[str, Any], session: Session, world: World
) -> None:
    bad = {
        "incident/type": ANSWER,  # not a known choice
        "location/region": f"gao {ANSWER}",  # several answers to a single choice
        "victims/women": ANSWER,  # not a number
    }
    held = push(client, form, submission(31, **bad))
    assert held.status_code == 202
    reasons = held.json()["reasons"]
    assert len(reasons) == 3
    listed = client.get(
        "/api/v1/integrations/kobo/quarantine", headers=auth(world.user("admin"))
    ).text
    for shown in (held.text, listed):
        assert "Fatoumata" not in shown
        assert "age 14" not in shown
    raw = session.execute(text("SELECT reasons, payload FROM kobo_submissions")).all()
    assert raw
    for reasons_cell, payload_cell in raw:
        assert reasons_cell is None or "incident/type" not in reasons_cell  # ciphertext
        assert "Fatoumata" not in (payload_cell or "")


def test_a_mapping_to_another_organisations_user_is_refused(
    client: TestClient, form: dict[str, Any], world: World
) -> None:
    admin = auth(world.user("admin"))
    mapping = {**MAPPING, "users": {"kobo_mopti": "monitor_b"}}  # ORGB's monitor
    replaced = client.put(
        "/api/v1/integrations/kobo/forms/pm-gao/mapping", json={"mapping": mapping}, headers=admin
    )
    assert replaced.status_code == 422
    created = client.post(
        "/api/v1/integrations/kobo/forms",
        json={
            "code": "pm-mixed",
            "name": "Mixed",
            "organization": "ORGA",
            "default_user": "monitor_b",
            "mapping": MAPPING,
        },
        headers=admin,
    )
    assert created.status_code == 422
    assert created.json()["errors"][0]["loc"] == ["body", "default_user"]


def test_a_submission_for_a_user_who_left_the_organisation_makes_no_incident(
    client: TestClient, form: dict[str, Any], session: Session, world: World
) -> None:
    # monitor_a (mapped for kobo_gao_1) is moved to ORGB after the form was made.
    moved = client.patch(
        f"/api/v1/users/{world.user('monitor_a').id}",
        json={"organization": "ORGB", "regions": ["ML07"]},
        headers=auth(world.user("admin")),
    )
    assert moved.status_code == 200
    before = incidents(session)
    held = push(client, form, submission(32))
    assert held.status_code == 202
    assert any("outside the form's organisation" in r for r in held.json()["reasons"])
    assert incidents(session) == before
    assert (
        session.scalar(
            select(func.count())
            .select_from(Incident)
            .where(Incident.organization_id == world.org_b.id, Incident.locality == "Ansongo")
        )
        == 0
    )


def test_a_rotated_secret_refuses_the_old_one(
    client: TestClient, form: dict[str, Any], world: World
) -> None:
    rotated = client.post(
        "/api/v1/integrations/kobo/forms/pm-gao/secret", headers=auth(world.user("admin"))
    )
    assert rotated.status_code == 200
    new = rotated.json()["secret"]
    assert rotated.json()["previous_secret_valid_until"] is None
    assert push(client, form, submission(33)).status_code == 401  # the old secret
    assert push(client, {"secret": new}, submission(33)).status_code == 201


def test_a_grace_period_keeps_the_old_secret_until_it_ends(
    client: TestClient, form: dict[str, Any], session: Session, world: World
) -> None:
    rotated = client.post(
        "/api/v1/integrations/kobo/forms/pm-gao/secret",
        json={"grace_hours": 2},
        headers=auth(world.user("admin")),
    )
    assert rotated.json()["previous_secret_valid_until"] is not None
    assert push(client, form, submission(34)).status_code == 201  # old, in grace
    record = session.scalar(select(KoboForm).where(KoboForm.code == "pm-gao"))
    assert record is not None
    record.previous_secret_expires_at = utcnow() - timedelta(seconds=1)
    session.commit()
    assert push(client, form, submission(35)).status_code == 401  # old, grace over
    assert push(client, rotated.json(), submission(35)).status_code == 201


def _edit(original: dict[str, Any], n: int, **answers: Any) -> dict[str, Any]:
    """What Kobo sends after an edit: a new instance id naming the one it replaces."""
    edited = {**original, **answers}
    edited["meta/deprecatedID"] = original["meta/instanceID"]
    edited["meta/instanceID"] = f"uuid:e0000000-0000-4000-9000-{n:012d}"
    edited["_uuid"] = edited["meta/instanceID"].removeprefix("uuid:")
    return edited


def test_an_edited_submission_updates_its_incident_with_history(
    client: TestClient, form: dict[str, Any], session: Session
) -> None:
    original = submission(40)
    first = push(client, form, original)
    assert first.status_code == 201
    incident_id = first.json()["incident_id"]
    before = incidents(session)

    edit = _edit(original, 41, **{"location/village": "Tin Hama", "victims/men": "3"})
    second = push(client, form, edit)
    assert second.status_code == 201, second.text
    assert second.json()["incident_id"] == incident_id
    assert incidents(session) == before  # never a second incident
    incident = session.get(Incident, uuid.UUID(incident_id), populate_existing=True)
    assert incident is not None
    assert incident.locality == "Tin Hama"
    assert incident.version == 2
    # History: both versions kept, chained, and the change audited.
    versions = session.scalars(
        select(KoboSubmission).where(KoboSubmission.root_instance_id == original["meta/instanceID"])
    ).all()
    assert [v.instance_id for v in versions] == [edit["meta/instanceID"]]
    assert versions[0].replaces_id == uuid.UUID(first.json()["submission_id"])
    edits = session.scalars(select(AuditEntry).where(AuditEntry.action == "kobo.edit")).all()
    assert [e.record_id for e in edits] == [incident_id]

    # A second edit of the edit, and Kobo's retry of it: still the same incident.
    third = push(client, form, _edit(edit, 42, **{"incident/urgent": "oui"}))
    assert third.json()["incident_id"] == incident_id
    assert push(client, form, _edit(edit, 42, **{"incident/urgent": "oui"})).status_code == 200
    assert incidents(session) == before


def test_an_original_arriving_after_its_edit_changes_nothing(
    client: TestClient, form: dict[str, Any], session: Session
) -> None:
    original = submission(50)
    edit = _edit(original, 51, **{"location/village": "Tin Hama"})
    edit["meta/rootUuid"] = original["meta/instanceID"]
    before = incidents(session)
    assert push(client, form, edit).status_code == 201
    late = push(client, form, original)
    assert late.status_code == 200
    assert late.json()["state"] == "superseded"
    assert incidents(session) == before + 1
    expected = uuid.uuid5(NAMESPACE, f"pm-gao:{original['meta/instanceID']}")
    incident = session.get(Incident, expected, populate_existing=True)
    assert incident is not None
    assert incident.locality == "Tin Hama"


def test_pull_applies_edits_without_duplicates(database: str) -> None:
    from tests.integrations.test_kobo_pull import count

    originals = [submission(n) for n in range(60, 63)]
    edited = _edit(originals[1], 64, **{"location/village": "Tin Hama"})
    server = FakeKobo([*originals, edited])
    before = count(database, "SELECT count(*) FROM incidents")
    result = pull(server)
    assert result.exit_code == 0, result.output
    assert count(database, "SELECT count(*) FROM incidents") == before + 3
    assert count(database, "SELECT count(*) FROM incidents WHERE locality = 'Tin Hama'") == 1
    assert count(database, "SELECT count(*) FROM kobo_submissions") == 4
    assert ASSET
