"""What each side sees of a referral; focal points see the minimum, nothing identifying."""

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from casework.reference.vocabularies import Role
from tests.factories import World, auth, make_user

REFERRALS = "/api/v1/referrals"
FOCAL_FIELDS = {
    "id",
    "status",
    "actor",
    "services",
    "urgency",
    "due_at",
    "overdue",
    "note",
    "region",
    "survivor_code",
    "person_id",
}
IDENTIFYING = ("Aminata", "Maïga", "MLI-GAO", "+223", "firewood", "Extortion at a checkpoint")


def test_focal_point_lists_only_their_actors_non_draft_referrals(
    client: TestClient, world: World
) -> None:
    items = client.get(REFERRALS, headers=auth(world.user("focal_cvjr"))).json()["items"]
    assert {i["id"] for i in items} == {
        str(world.referrals["person_sent"].id),
        str(world.referrals["sgbv_sent"].id),
    }
    for item in items:
        assert set(item) == FOCAL_FIELDS


def test_focal_point_sees_the_survivor_code_never_the_story(
    client: TestClient, world: World
) -> None:
    response = client.get(
        f"{REFERRALS}/{world.referrals['sgbv_sent'].id}", headers=auth(world.user("focal_cvjr"))
    )
    assert response.status_code == 200
    body = response.json()
    assert set(body) == FOCAL_FIELDS
    assert body["survivor_code"] == "GAO-2026-001"
    assert body["note"] == "Survivor prefers a female counsellor."
    for value in IDENTIFYING:
        assert value not in response.text


def test_focal_point_never_sees_drafts(client: TestClient, world: World) -> None:
    response = client.get(
        f"{REFERRALS}/{world.referrals['draft'].id}", headers=auth(world.user("focal_cvjr"))
    )
    assert response.status_code == 404


def test_another_actors_focal_point_sees_nothing(
    client: TestClient, world: World, session: Session
) -> None:
    other = make_user(session, "focal_rrm", Role.actor_focal_point, actor="RRM")
    session.commit()
    headers = auth(other)
    assert client.get(REFERRALS, headers=headers).json()["items"] == []
    for referral in world.referrals.values():
        assert client.get(f"{REFERRALS}/{referral.id}", headers=headers).status_code == 404
        assert (
            client.post(
                f"{REFERRALS}/{referral.id}/transitions",
                json={"to": "acknowledged"},
                headers=headers,
            ).status_code
            == 404
        )


def test_focal_point_history_hides_who_and_why(client: TestClient, world: World) -> None:
    history = client.get(
        f"{REFERRALS}/{world.referrals['sgbv_sent'].id}/history",
        headers=auth(world.user("focal_cvjr")),
    ).json()["items"]
    assert [(h["from"], h["to"]) for h in history] == [("draft", "sent")]
    assert all(h["by"] is None and h["note"] is None for h in history)


def test_focal_point_cannot_cancel(client: TestClient, world: World) -> None:
    response = client.post(
        f"{REFERRALS}/{world.referrals['person_sent'].id}/transitions",
        json={"to": "cancelled"},
        headers=auth(world.user("focal_cvjr")),
    )
    assert response.status_code == 403


@pytest.mark.parametrize(
    ("username", "sees"),
    [
        ("caseworker_a", {"person_sent", "draft"}),  # no SGBV referral for a plain caseworker
        ("gbv_a", {"person_sent", "sgbv_sent", "draft"}),
        ("supervisor_a", {"person_sent", "sgbv_sent", "draft"}),
        ("caseworker_b", set()),
        ("supervisor_mopti", set()),
    ],
)
def test_referring_side_scope(
    client: TestClient, world: World, username: str, sees: set[str]
) -> None:
    headers = auth(world.user(username))
    listed = {i["id"] for i in client.get(REFERRALS, headers=headers).json()["items"]}
    assert listed == {str(world.referrals[name].id) for name in sees}
    for name, referral in world.referrals.items():
        status = client.get(f"{REFERRALS}/{referral.id}", headers=headers).status_code
        assert status == (200 if name in sees else 404), (username, name)


def test_full_view_for_the_referring_side(client: TestClient, world: World) -> None:
    body = client.get(
        f"{REFERRALS}/{world.referrals['sgbv_sent'].id}", headers=auth(world.user("gbv_a"))
    ).json()
    assert body["kind"] == "sgbv"
    assert body["organization"] == "ORGA"
    assert body["sgbv_case_id"] == str(world.cases["a"].id)
    assert body["region"] == "ML07"


def test_notes_are_encrypted_at_rest(world: World, session: Session) -> None:
    from sqlalchemy import text

    dump = repr(session.execute(text("SELECT * FROM referrals")).all())
    assert "female counsellor" not in dump
