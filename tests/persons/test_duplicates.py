"""Duplicate candidates within the caller's scope, and a supervisor's merge."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select, text
from sqlalchemy.orm import Session

from casework.audit.models import AuditEntry
from casework.persons.models import Person, PersonNameToken
from casework.reference.vocabularies import Role
from casework.repatriation.models import RepatriationMember
from casework.tasks.models import Task
from tests.factories import (
    PDF,
    World,
    add_case_management,
    auth,
    build_world,
    counselling_body,
    make_attachment,
    make_consent,
    make_file,
    make_person,
    make_referral,
    make_session,
    make_user,
    person_body,
    repatriation_body,
)

PERSONS = "/api/v1/persons"


@pytest.fixture
def world(session: Session) -> World:
    world = add_case_management(session, build_world(session))
    # Covers Gao and Ménaka, where the same people get registered twice.
    world.users["supervisor_north"] = make_user(
        session, "supervisor_north", Role.supervisor, world.org_a, ("ML07", "ML10")
    )
    session.commit()
    return world


def register(client: TestClient, who: Any, **fields: Any) -> dict[str, Any]:
    body = person_body(registration_number=None, phone=None, **fields)
    response = client.post(PERSONS, json=body, headers=auth(who))
    assert response.status_code == 201, response.text
    return response.json()  # type: ignore[no-any-return]


def candidates(client: TestClient, who: Any, person_id: object, **params: Any) -> Any:
    response = client.get(f"{PERSONS}/{person_id}/duplicates", headers=auth(who), params=params)
    assert response.status_code == 200, response.text
    return {item["person_id"]: item for item in response.json()["items"]}


def test_spelling_variants_registered_elsewhere_are_candidates(
    client: TestClient, world: World
) -> None:
    caseworker = world.user("caseworker_a")
    original = register(client, caseworker, full_name="Mohamed Ag Intallah", sex="male",
                        birth_year=1984, region="ML07")  # fmt: skip
    variant = register(client, caseworker, full_name="intallah ag. Mahamadou", sex="male",
                       birth_year=1984, region="ML10")  # fmt: skip
    close = register(client, caseworker, full_name="Mohammed Intalla", sex="male",
                     birth_year=1985, region="ML10")  # fmt: skip
    # One part of two in common is not a candidate at all, whatever the threshold.
    other = register(client, caseworker, full_name="Mohamed Maïga", sex="male", birth_year=1984)
    found = candidates(client, caseworker, original["id"])
    assert set(found) == {variant["id"], close["id"]}
    assert found[variant["id"]]["reasons"] == ["similar_name", "same_birth_year", "same_sex"]
    assert found[close["id"]]["reasons"] == ["similar_name", "close_birth_year", "same_sex"]
    assert 0.75 <= found[close["id"]]["score"] < found[variant["id"]]["score"] <= 1
    assert other["id"] not in candidates(client, caseworker, original["id"], min_score=0)
    # A higher threshold leaves the weaker one out.
    stricter = candidates(
        client, caseworker, original["id"], min_score=found[close["id"]]["score"] + 0.001
    )
    assert set(stricter) == {variant["id"]}


def test_the_same_spelling_in_another_order_is_the_same_name(
    client: TestClient, world: World
) -> None:
    caseworker = world.user("caseworker_a")
    twin = register(client, caseworker, full_name="MAÏGA Aminata", region="ML10")
    found = candidates(client, caseworker, world.persons["a"].id)
    assert found[twin["id"]]["reasons"] == ["same_name", "same_birth_year", "same_sex"]


def test_a_different_sex_or_a_distant_birth_year_is_not_a_candidate(
    client: TestClient, world: World
) -> None:
    caseworker = world.user("caseworker_a")
    register(client, caseworker, full_name="Aminata Maïga", sex="male")
    register(client, caseworker, full_name="Aminata Maïga", birth_year=1961)
    assert candidates(client, caseworker, world.persons["a"].id) == {}


def test_the_same_phone_or_registration_number_is_a_reason(
    client: TestClient, world: World
) -> None:
    supervisor = world.user("supervisor_all")  # ORGB, every region: sees A and B
    twin = client.post(
        PERSONS,
        json=person_body(full_name="Aminata Maiga", region="ML05", phone="76123456"),
        headers=auth(supervisor),
    ).json()  # same registration number as persons["a"], other organisation
    found = candidates(client, supervisor, world.persons["a"].id)
    assert found[twin["id"]]["reasons"][0] == "same_registration_number"
    assert "same_phone" in found[twin["id"]]["reasons"]
    # A number alone is enough to be listed, whatever the name.
    renamed = client.patch(
        f"{PERSONS}/{twin['id']}", json={"full_name": "Ramatou Sow"}, headers=auth(supervisor)
    )
    assert renamed.status_code == 200
    found = candidates(client, supervisor, world.persons["a"].id)
    assert found[twin["id"]]["score"] >= 0.95
    assert "similar_name" not in found[twin["id"]]["reasons"]


def test_candidates_stay_within_the_callers_scope(
    client: TestClient, world: World, session: Session
) -> None:
    # The same person registered by ORGB in Mopti: out of ORGA's caseworkers' scope.
    twin = register(client, world.user("caseworker_b"), full_name="Aminata Maïga", region="ML05")
    person_a = world.persons["a"].id
    assert twin["id"] not in candidates(client, world.user("caseworker_a"), person_a)
    assert twin["id"] not in candidates(client, world.user("supervisor_a"), person_a)  # Gao
    assert twin["id"] in candidates(client, world.user("supervisor_all"), person_a)
    # The person itself is out of scope for ORGB's caseworker and the Mopti supervisor: 404.
    for outsider in ("caseworker_b", "supervisor_mopti"):
        response = client.get(
            f"{PERSONS}/{person_a}/duplicates", headers=auth(world.user(outsider))
        )
        assert response.status_code == 404, outsider
        assert "Aminata" not in response.text
    for role in ("monitor_a", "admin", "focal_cvjr", "reporting"):
        response = client.get(f"{PERSONS}/{person_a}/duplicates", headers=auth(world.user(role)))
        assert response.status_code == 403


def test_answers_carry_ids_scores_and_reasons_only(client: TestClient, world: World) -> None:
    caseworker = world.user("caseworker_a")
    register(client, caseworker, full_name="Aminata Maïga", region="ML10")
    response = client.get(f"{PERSONS}/{world.persons['a'].id}/duplicates", headers=auth(caseworker))
    (item,) = response.json()["items"]
    assert set(item) == {"person_id", "score", "reasons"}
    assert "Aminata" not in response.text
    assert "Maïga" not in response.text


def test_a_changed_name_is_indexed_again(client: TestClient, world: World) -> None:
    caseworker = world.user("caseworker_a")
    later = register(client, caseworker, full_name="Ramatou Sow", region="ML10")
    assert later["id"] not in candidates(client, caseworker, world.persons["a"].id)
    renamed = client.patch(
        f"{PERSONS}/{later['id']}", json={"full_name": "Aminata Maiga"}, headers=auth(caseworker)
    )
    assert renamed.status_code == 200
    # One change, one version: indexing rides on the same INSERT and UPDATE.
    assert (later["version"], renamed.json()["version"]) == (1, 2)
    assert later["id"] in candidates(client, caseworker, world.persons["a"].id)


def test_name_tokens_hold_no_name_in_clear(
    client: TestClient, world: World, session: Session
) -> None:
    register(client, world.user("caseworker_a"), full_name="Fadimata Walet Alhousseini")
    dump = "\n".join(
        repr(tuple(row)) for row in session.execute(text("SELECT * FROM person_name_tokens"))
    ).casefold()
    for clear in ("fadimata", "alhousseini", "walet", "aminata", "maiga", "fdmt", "'sn'"):
        assert clear not in dump


def test_a_person_registered_before_tokens_existed_is_indexed_when_asked(
    client: TestClient, world: World, session: Session
) -> None:
    person = world.persons["a"]
    session.execute(
        PersonNameToken.__table__.delete().where(PersonNameToken.person_id == person.id)
    )
    person.name_index_scheme = None
    session.commit()
    version = person.version
    twin = register(client, world.user("caseworker_a"), full_name="Aminata Maïga", region="ML10")
    assert twin["id"] in candidates(client, world.user("caseworker_a"), person.id)
    session.refresh(person)
    assert person.name_index_scheme is not None
    assert person.version == version  # indexed as a read: the ETag stays


# --- Merge ---------------------------------------------------------------------------------


def merge(client: TestClient, who: Any, kept: object, duplicate: object, **headers: str) -> Any:
    return client.post(
        f"{PERSONS}/{kept}/merge",
        json={"duplicate_id": str(duplicate), "note": "Registered twice, Gao then Ménaka."},
        headers={**auth(who), **headers},
    )


def duplicate_with_records(session: Session, world: World) -> Person:
    """A second registration of persons['a'] (in Ménaka) with a record of every kind."""
    caseworker = world.user("caseworker_a")
    duplicate = make_person(
        session, caseworker, registration_number=None, full_name="Aminata Maiga", region="ML10"
    )
    subject = {"person_id": str(duplicate.id)}
    make_consent(session, caseworker, **subject)
    make_referral(session, caseworker, to=("sent",), **subject)  # and its follow-up task
    make_session(session, caseworker, **counselling_body(**subject))
    make_attachment(session, caseworker, **subject)
    make_file(
        session,
        caseworker,
        principal_person_id=str(world.persons["refugee"].id),
        member_person_ids=[str(duplicate.id)],
    )
    session.commit()
    return duplicate


def test_a_supervisor_merges_and_every_record_moves(
    client: TestClient, world: World, session: Session
) -> None:
    kept = world.persons["a"]
    duplicate = duplicate_with_records(session, world)
    before = client.get(
        f"{PERSONS}/{duplicate.id}/timeline", headers=auth(world.user("caseworker_a"))
    )
    moved_ids = {item["record_id"] for item in before.json()["items"]}
    assert moved_ids
    supervisor = world.user("supervisor_north")
    response = merge(client, supervisor, kept.id, duplicate.id, **{"If-Match": f'"{kept.version}"'})
    assert response.status_code == 200, response.text
    assert response.json()["merged_into"] is None
    assert response.headers["etag"] == f'"{response.json()["version"]}"'

    caseworker = auth(world.user("caseworker_a"))
    timeline = client.get(f"{PERSONS}/{kept.id}/timeline", headers=caseworker).json()["items"]
    assert moved_ids <= {item["record_id"] for item in timeline}
    assert (
        client.get(f"{PERSONS}/{duplicate.id}/timeline", headers=caseworker).json()["items"] == []
    )
    for listing in ("consents", "referrals", "counselling-sessions", "attachments"):
        url = f"/api/v1/{listing}"
        left = client.get(url, params={"person_id": str(duplicate.id)}, headers=caseworker)
        assert left.status_code == 200, listing
        assert left.json()["items"] == [], listing
        now = client.get(url, params={"person_id": str(kept.id)}, headers=caseworker)
        assert now.status_code == 200, listing
        assert now.json()["items"], listing
    assert session.scalars(select(Task).where(Task.person_id == duplicate.id)).all() == []
    members = session.scalars(select(RepatriationMember.person_id)).all()
    assert duplicate.id not in members
    assert kept.id in members

    # The duplicate keeps answering, with merged_into, and is read-only.
    read = client.get(f"{PERSONS}/{duplicate.id}", headers=caseworker).json()
    assert read["merged_into"] == str(kept.id)
    edit = client.patch(f"{PERSONS}/{duplicate.id}", json={"phone": "+223 60 00 00 00"},
                        headers=caseworker)  # fmt: skip
    assert edit.status_code == 409
    assert edit.json()["merged_into"] == str(kept.id)
    close = client.post(f"{PERSONS}/{duplicate.id}/transitions",
                        json={"to": "closed", "note": "x"}, headers=caseworker)  # fmt: skip
    assert close.status_code == 409
    referral = {"person_id": str(duplicate.id), "actor": "CVJR", "services": ["legal"]}
    refer = client.post("/api/v1/referrals", headers=caseworker, json=referral)
    assert refer.status_code == 409
    upload = client.post(
        "/api/v1/attachments",
        data={"kind": "other", "person_id": str(duplicate.id)},
        files={"file": ("form.pdf", PDF, "application/pdf")},
        headers=caseworker,
    )
    household = repatriation_body(principal_person_id=str(duplicate.id), household_size=1)
    file = client.post("/api/v1/repatriation-files", json=household, headers=caseworker)
    moving = {"person_id": str(duplicate.id), "to_organization": "ORGB"}
    transfer = client.post("/api/v1/transfers", json=moving, headers=caseworker)
    task = client.post(
        "/api/v1/tasks",
        json={"title": "Call back", "person_id": str(duplicate.id)},
        headers=caseworker,
    )
    for refused in (edit, close, refer, upload, file, transfer, task):
        assert refused.status_code == 409, refused.text
        assert refused.json()["merged_into"] == str(kept.id)
    # Both histories tell it; the audit trail names both persons.
    history = client.get(f"{PERSONS}/{duplicate.id}/history", headers=caseworker).json()["items"]
    assert history[-1]["event"] == "merged_into"
    assert history[-1]["note"] == "Registered twice, Gao then Ménaka."
    kept_history = client.get(f"{PERSONS}/{kept.id}/history", headers=caseworker).json()["items"]
    assert kept_history[-1]["event"] == "merged_from"
    merged = session.scalars(select(AuditEntry).where(AuditEntry.action == "merge")).one()
    assert merged.record_id == str(kept.id)
    assert merged.detail["merged"] == str(duplicate.id)
    assert merged.detail["moved"]["referrals"] == 1
    # No longer anybody's candidate.
    assert str(duplicate.id) not in candidates(client, supervisor, kept.id, min_score=0)


def test_merging_again_is_a_replay_not_an_error(
    client: TestClient, world: World, session: Session
) -> None:
    duplicate = make_person(session, world.user("caseworker_a"), registration_number=None,
                            full_name="Aminata Maiga", region="ML10")  # fmt: skip
    session.commit()
    supervisor = world.user("supervisor_north")
    first = merge(client, supervisor, world.persons["a"].id, duplicate.id)
    assert first.status_code == 200
    again = merge(client, supervisor, world.persons["a"].id, duplicate.id, **{"If-Match": '"1"'})
    assert again.status_code == 200
    assert again.json()["version"] == first.json()["version"]
    entries = session.scalars(select(AuditEntry).where(AuditEntry.action == "merge")).all()
    assert len(entries) == 1


def test_merge_conflicts(client: TestClient, world: World, session: Session) -> None:
    supervisor = world.user("supervisor_north")
    kept = world.persons["a"]
    one = make_person(session, world.user("caseworker_a"), registration_number=None,
                      full_name="Aminata Maiga", region="ML10")  # fmt: skip
    two = make_person(session, world.user("caseworker_a"), registration_number=None,
                      full_name="Aminata Maïga", region="ML10")  # fmt: skip
    session.commit()
    assert merge(client, supervisor, kept.id, kept.id).status_code == 409  # into itself
    stale = merge(client, supervisor, kept.id, one.id, **{"If-Match": '"99"'})
    assert stale.status_code == 412
    assert merge(client, supervisor, kept.id, one.id).status_code == 200
    # Into a merged person, or a person already merged into someone else.
    into_merged = merge(client, supervisor, one.id, two.id)
    assert into_merged.status_code == 409
    assert into_merged.json()["merged_into"] == str(kept.id)
    assert merge(client, supervisor, two.id, one.id).status_code == 409
    assert client.post(f"{PERSONS}/{kept.id}/merge", json={"note": "x"},
                       headers=auth(supervisor)).status_code == 422  # fmt: skip


def test_merge_is_for_supervisors_within_their_scope(
    client: TestClient, world: World, session: Session
) -> None:
    kept, other_org = world.persons["a"], world.persons["b"]  # ORGA Gao, ORGB Mopti
    duplicate = make_person(session, world.user("caseworker_a"), registration_number=None,
                            full_name="Aminata Maiga")  # fmt: skip
    session.commit()
    for role in ("caseworker_a", "gbv_a", "monitor_a", "admin", "focal_cvjr", "reporting"):
        assert merge(client, world.user(role), kept.id, duplicate.id).status_code == 403, role
    # The Gao supervisor does not see the Ménaka registration; the Mopti one sees neither.
    menaka = make_person(session, world.user("caseworker_a"), registration_number=None,
                         full_name="Aminata Maiga", region="ML10")  # fmt: skip
    session.commit()
    assert merge(client, world.user("supervisor_a"), kept.id, menaka.id).status_code == 404
    assert merge(client, world.user("supervisor_a"), menaka.id, kept.id).status_code == 404
    assert merge(client, world.user("supervisor_mopti"), kept.id, duplicate.id).status_code == 404
    # The Gao supervisor cannot reach ORGB's person in Mopti, either way round.
    assert merge(client, world.user("supervisor_a"), kept.id, other_org.id).status_code == 404
    assert merge(client, world.user("supervisor_a"), other_org.id, kept.id).status_code == 404
    # A supervisor seeing both organisations still cannot merge across them (transfer first).
    across = merge(client, world.user("supervisor_all"), kept.id, other_org.id)
    assert across.status_code == 409
    assert session.get(Person, other_org.id).merged_into_id is None  # type: ignore[union-attr]
    assert client.get(f"{PERSONS}/{duplicate.id}", headers=auth(world.user("caseworker_a"))
                      ).json()["merged_into"] is None  # fmt: skip


def test_an_unknown_duplicate_is_404(client: TestClient, world: World) -> None:
    response = merge(client, world.user("supervisor_a"), world.persons["a"].id, uuid.uuid4())
    assert response.status_code == 404
