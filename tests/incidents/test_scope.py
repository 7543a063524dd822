"""Cross-organisation and cross-region access: out of scope is 404, never a leak."""

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from casework.incidents import permissions
from casework.reference.vocabularies import Role
from tests.factories import World, auth, make_org, make_user, principal_of

INCIDENTS = "/api/v1/incidents"


def listed(client: TestClient, headers: dict[str, str]) -> set[str]:
    response = client.get(INCIDENTS, headers=headers)
    assert response.status_code == 200
    return {item["id"] for item in response.json()["items"]}


@pytest.mark.parametrize(
    ("username", "visible"),
    [
        ("monitor_a", {"a_gao"}),
        ("monitor_a2", {"a_gao"}),  # same organisation, submitted by a colleague
        ("monitor_b", {"b_mopti"}),
        ("caseworker_a", {"a_gao"}),
        ("caseworker_b", {"b_mopti"}),
        ("gbv_a", {"a_gao"}),
        ("supervisor_a", {"a_gao"}),  # region ML07 only
        ("supervisor_mopti", {"b_mopti"}),  # region ML05 only
        ("supervisor_all", {"a_gao", "b_mopti"}),
    ],
)
def test_each_user_reads_exactly_their_scope(
    client: TestClient, world: World, username: str, visible: set[str]
) -> None:
    headers = auth(world.user(username))
    expected_ids = {str(world.incidents[name].id) for name in visible}
    assert listed(client, headers) == expected_ids
    for name, incident in world.incidents.items():
        response = client.get(f"{INCIDENTS}/{incident.id}", headers=headers)
        assert response.status_code == (200 if name in visible else 404), (username, name)
        if response.status_code == 404:
            assert str(incident.id) not in response.text
            assert "Cattle" not in response.text
            assert "Extortion" not in response.text


@pytest.mark.parametrize("username", ["monitor_b", "supervisor_mopti"])
def test_out_of_scope_patch_is_404_and_changes_nothing(
    client: TestClient, world: World, username: str
) -> None:
    incident = world.incidents["a_gao"]
    response = client.patch(
        f"{INCIDENTS}/{incident.id}",
        json={"incident_type": "killing"},
        headers=auth(world.user(username)),
    )
    assert response.status_code == 404
    owner = client.get(f"{INCIDENTS}/{incident.id}", headers=auth(world.user("monitor_a")))
    assert owner.json()["incident_type"] == "extortion"


def test_colleague_outside_the_region_reads_but_cannot_edit(
    client: TestClient, world: World, session: Session
) -> None:
    colleague = make_user(session, "monitor_a_kayes", Role.monitor, world.org_a, ("ML01",))
    session.commit()
    url = f"{INCIDENTS}/{world.incidents['a_gao'].id}"
    assert client.get(url, headers=auth(colleague)).status_code == 200
    assert client.patch(url, json={"locality": "x"}, headers=auth(colleague)).status_code == 403


def test_description_is_for_supervisors_and_the_submitting_organisation(
    session: Session, world: World
) -> None:
    incident = world.incidents["a_gao"]
    other_org = make_org(session, "ORGC")
    outsider = make_user(session, "cw_c", Role.caseworker, other_org)
    assert permissions.sees_description(principal_of(world.user("caseworker_a")), incident)
    assert permissions.sees_description(principal_of(world.user("supervisor_mopti")), incident)
    assert not permissions.sees_description(principal_of(outsider), incident)
    assert not permissions.sees_description(principal_of(world.user("focal_cvjr")), incident)


def test_supervisor_of_another_organisation_sees_the_description_in_their_region(
    client: TestClient, world: World
) -> None:
    response = client.get(
        f"{INCIDENTS}/{world.incidents['a_gao'].id}", headers=auth(world.user("supervisor_all"))
    )
    assert response.json()["description"] == "Extortion at a checkpoint on the Ansongo road."
