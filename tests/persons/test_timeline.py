from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from casework.reference.vocabularies import Role
from tests.factories import World, auth, make_user


def test_timeline_in_time_order_with_every_kind(client: TestClient, world: World) -> None:
    headers = auth(world.user("caseworker_a"))
    person = world.persons["a"]
    response = client.get(f"/api/v1/persons/{person.id}/timeline", headers=headers)
    assert response.status_code == 200
    items = response.json()["items"]
    kinds = {item["kind"] for item in items}
    assert kinds == {"counselling", "referral"}
    assert [i["at"] for i in items] == sorted(i["at"] for i in items)
    # Two referrals about this person: one sent (draft, sent), one still a draft.
    referral_steps = [(i["record_id"], i["status"]) for i in items if i["kind"] == "referral"]
    assert sorted(s for _, s in referral_steps) == ["draft", "draft", "sent"]
    assert not any("Aminata" in item["title"] for item in items)


def test_household_members_see_the_repatriation_steps(client: TestClient, world: World) -> None:
    headers = auth(world.user("caseworker_a"))
    client.post(
        f"/api/v1/repatriation-files/{world.files['a'].id}/transitions",
        json={"to": "counselled"},
        headers=headers,
    )
    child = client.get(
        f"/api/v1/persons/{world.persons['refugee_child'].id}/timeline", headers=headers
    ).json()["items"]
    assert [(i["kind"], i["status"]) for i in child] == [
        ("repatriation", "registered"),
        ("repatriation", "counselled"),
    ]
    assert "Bangui" in child[0]["title"]


def test_each_entry_follows_the_rules_of_its_own_endpoint(
    client: TestClient, world: World, session: Session
) -> None:
    """A supervisor of Gao sees the person (registered in Gao) but not another region's
    counselling session about them."""
    mopti_caseworker = make_user(session, "cw_a_mopti", Role.caseworker, world.org_a)
    session.commit()
    client.post(
        "/api/v1/counselling-sessions",
        json={
            "held_on": "2026-01-05",
            "office": "Mopti office",
            "region": "ML05",
            "person_id": str(world.persons["a"].id),
            "concerns": ["shelter"],
        },
        headers=auth(mopti_caseworker),
    )
    own = client.get(
        f"/api/v1/persons/{world.persons['a'].id}/timeline",
        headers=auth(world.user("caseworker_a")),
    ).json()["items"]
    supervisor = client.get(
        f"/api/v1/persons/{world.persons['a'].id}/timeline",
        headers=auth(world.user("supervisor_a")),
    ).json()["items"]
    assert sum(i["kind"] == "counselling" for i in own) == 2
    assert sum(i["kind"] == "counselling" for i in supervisor) == 1


def test_timeline_of_a_person_out_of_scope_is_404(client: TestClient, world: World) -> None:
    response = client.get(
        f"/api/v1/persons/{world.persons['a'].id}/timeline",
        headers=auth(world.user("caseworker_b")),
    )
    assert response.status_code == 404
