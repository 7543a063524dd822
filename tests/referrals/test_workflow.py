from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy.orm import Session

from casework.core.db import utcnow
from casework.core.errors import Conflict, Forbidden
from casework.reference.vocabularies import ReferralStatus, Role
from casework.referrals.models import Referral
from casework.referrals.workflow import REFERRAL_WORKFLOW
from tests.factories import World, auth, consent_body, make_referral

REFERRALS = "/api/v1/referrals"


def move(
    client: TestClient, referral_id: Any, headers: dict[str, str], to: str, **extra: Any
) -> Any:
    return client.post(
        f"{REFERRALS}/{referral_id}/transitions", json={"to": to, **extra}, headers=headers
    )


def test_a_referral_from_creation_to_completion(client: TestClient, world: World) -> None:
    caseworker, focal = auth(world.user("caseworker_a")), auth(world.user("focal_cvjr"))
    created = client.post(
        REFERRALS,
        json={
            "person_id": str(world.persons["a"].id),
            "actor": "CVJR",
            "services": ["legal"],
            "urgency": "urgent",
            "note": "Testimony about the March events.",
        },
        headers=caseworker,
    )
    assert created.status_code == 201, created.text
    referral = created.json()
    assert (referral["status"], referral["due_at"], referral["overdue"]) == ("draft", None, False)
    rid = referral["id"]

    sent = move(client, rid, caseworker, "sent")
    assert sent.status_code == 200, sent.text
    due = sent.json()["due_at"]
    assert due is not None
    assert sent.json()["version"] == 2
    assert sent.headers["etag"] == '"2"'

    for status in ("acknowledged", "accepted", "in_progress", "completed"):
        response = move(client, rid, focal, status)
        assert response.status_code == 200, (status, response.text)
        assert response.json()["status"] == status

    history = client.get(f"{REFERRALS}/{rid}/history", headers=caseworker).json()["items"]
    assert [(h["from"], h["to"]) for h in history] == [
        (None, "draft"),
        ("draft", "sent"),
        ("sent", "acknowledged"),
        ("acknowledged", "accepted"),
        ("accepted", "in_progress"),
        ("in_progress", "completed"),
    ]
    assert history[0]["by"] == str(world.user("caseworker_a").id)
    assert history[2]["by"] == str(world.user("focal_cvjr").id)
    times = [h["at"] for h in history]
    assert times == sorted(times)


def test_urgent_is_due_in_24_hours_normal_in_72(client: TestClient, world: World) -> None:
    headers = auth(world.user("caseworker_a"))
    for urgency, hours in (("urgent", 24), ("normal", 72)):
        rid = client.post(
            REFERRALS,
            json={
                "incident_id": str(world.incidents["a_gao"].id),
                "actor": "RRM",
                "services": ["shelter"],
                "urgency": urgency,
            },
            headers=headers,
        ).json()["id"]
        sent = move(client, rid, headers, "sent").json()
        from datetime import datetime

        delta = datetime.fromisoformat(sent["due_at"]) - utcnow()
        assert timedelta(hours=hours - 1) < delta <= timedelta(hours=hours)


def test_illegal_transition_is_409_with_the_allowed_next_statuses(
    client: TestClient, world: World
) -> None:
    response = move(
        client, world.referrals["draft"].id, auth(world.user("caseworker_a")), "completed"
    )
    assert response.status_code == 409
    problem = response.json()
    assert problem["allowed"] == ["sent", "cancelled"]
    assert "draft" in problem["detail"]
    assert "completed" in problem["detail"]


def test_final_statuses_cannot_be_left(client: TestClient, world: World) -> None:
    headers = auth(world.user("caseworker_a"))
    rid = world.referrals["draft"].id
    assert move(client, rid, headers, "cancelled").status_code == 200
    response = move(client, rid, headers, "sent")
    assert response.status_code == 409
    assert response.json()["allowed"] == []


def test_declining_needs_a_reason(client: TestClient, world: World) -> None:
    focal = auth(world.user("focal_cvjr"))
    rid = world.referrals["person_sent"].id
    assert move(client, rid, focal, "acknowledged").status_code == 200
    assert move(client, rid, focal, "declined").status_code == 422
    declined = move(client, rid, focal, "declined", note="Outside our mandate; try legal aid.")
    assert declined.status_code == 200
    assert declined.json()["status"] == "declined"


def test_unknown_status_is_422(client: TestClient, world: World) -> None:
    response = move(client, world.referrals["draft"].id, auth(world.user("caseworker_a")), "lost")
    assert response.status_code == 422


def test_stale_if_match_on_a_transition_is_412(client: TestClient, world: World) -> None:
    headers = auth(world.user("caseworker_a"))
    rid = world.referrals["draft"].id
    etag = client.get(f"{REFERRALS}/{rid}", headers=headers).headers["etag"]
    assert move(client, rid, {**headers, "If-Match": etag}, "sent").status_code == 200
    late = move(client, rid, {**headers, "If-Match": etag}, "cancelled")
    assert late.status_code == 412
    assert client.get(f"{REFERRALS}/{rid}", headers=headers).json()["status"] == "sent"


class TestConsent:
    def test_sending_about_a_person_without_consent_is_409(
        self, client: TestClient, world: World
    ) -> None:
        headers = auth(world.user("caseworker_b"))
        rid = client.post(
            REFERRALS,
            json={"person_id": str(world.persons["b"].id), "actor": "CVJR", "services": ["legal"]},
            headers=headers,
        ).json()["id"]
        response = move(client, rid, headers, "sent")
        assert response.status_code == 409
        assert response.json()["missing"] == "consent"
        assert client.get(f"{REFERRALS}/{rid}", headers=headers).json()["status"] == "draft"

    def test_consent_must_cover_every_service_and_the_actor(
        self, client: TestClient, world: World
    ) -> None:
        headers = auth(world.user("caseworker_b"))
        person = str(world.persons["b"].id)
        client.post(
            "/api/v1/consents",
            json=consent_body(person_id=person, actors=["CVJR"], services=["legal"]),
            headers=headers,
        )
        two_services = client.post(
            REFERRALS,
            json={"person_id": person, "actor": "CVJR", "services": ["legal", "psychosocial"]},
            headers=headers,
        ).json()["id"]
        other_actor = client.post(
            REFERRALS,
            json={"person_id": person, "actor": "MINUSMA_HRPD", "services": ["legal"]},
            headers=headers,
        ).json()["id"]
        covered = client.post(
            REFERRALS,
            json={"person_id": person, "actor": "CVJR", "services": ["legal"]},
            headers=headers,
        ).json()["id"]
        assert move(client, two_services, headers, "sent").status_code == 409
        assert move(client, other_actor, headers, "sent").status_code == 409
        assert move(client, covered, headers, "sent").status_code == 200

    def test_a_withdrawn_consent_no_longer_allows_sending(
        self, client: TestClient, world: World
    ) -> None:
        headers = auth(world.user("caseworker_a"))
        client.post(
            f"/api/v1/consents/{world.consents['a'].id}/withdraw",
            json={"reason": "Changed their mind"},
            headers=headers,
        )
        response = move(client, world.referrals["draft"].id, headers, "sent")
        assert response.status_code == 409

    def test_supervisor_may_override_with_a_reason_kept_in_history(
        self, client: TestClient, world: World
    ) -> None:
        caseworker = auth(world.user("caseworker_b"))
        rid = client.post(
            REFERRALS,
            json={"person_id": str(world.persons["b"].id), "actor": "CVJR", "services": ["legal"]},
            headers=caseworker,
        ).json()["id"]
        reason = "Life-saving: imminent threat, person unconscious, consent impossible."
        assert (
            move(client, rid, caseworker, "sent", consent_override_reason=reason).status_code == 403
        )
        supervisor = auth(world.user("supervisor_all"))
        sent = move(client, rid, supervisor, "sent", consent_override_reason=reason)
        assert sent.status_code == 200, sent.text
        history = client.get(f"{REFERRALS}/{rid}/history", headers=supervisor).json()["items"]
        assert history[-1]["consent_override_reason"] == reason
        assert history[-1]["by"] == str(world.user("supervisor_all").id)

    def test_override_reason_only_applies_to_sending(
        self, client: TestClient, world: World
    ) -> None:
        response = move(
            client,
            world.referrals["draft"].id,
            auth(world.user("supervisor_a")),
            "cancelled",
            consent_override_reason="because",
        )
        assert response.status_code == 422

    def test_incident_referrals_need_no_consent(self, client: TestClient, world: World) -> None:
        headers = auth(world.user("caseworker_a"))
        rid = client.post(
            REFERRALS,
            json={
                "incident_id": str(world.incidents["a_gao"].id),
                "actor": "CMCOORD",
                "services": ["safety_security"],
            },
            headers=headers,
        ).json()["id"]
        assert move(client, rid, headers, "sent").status_code == 200


def test_overdue_referrals_are_flagged_and_listed(
    client: TestClient, world: World, session: Session
) -> None:
    late = session.get(Referral, world.referrals["person_sent"].id)
    assert late is not None
    late.due_at = utcnow() - timedelta(minutes=5)
    session.commit()
    headers = auth(world.user("caseworker_a"))
    overdue = client.get(REFERRALS, params={"overdue": True}, headers=headers).json()["items"]
    assert [r["id"] for r in overdue] == [str(late.id)]
    assert overdue[0]["overdue"] is True
    on_time = client.get(REFERRALS, params={"overdue": False}, headers=headers).json()["items"]
    assert str(late.id) not in {r["id"] for r in on_time}
    # Once acknowledged it is no longer late.
    move(client, late.id, auth(world.user("focal_cvjr")), "acknowledged")
    assert client.get(REFERRALS, params={"overdue": True}, headers=headers).json()["items"] == []


@pytest.mark.parametrize(
    ("body", "status"),
    [
        ({"actor": "CVJR", "services": ["shelter"]}, 422),  # CVJR does not take shelter
        ({"actor": "NOBODY", "services": ["legal"]}, 422),
        ({"actor": "CVJR", "services": []}, 422),
        ({"actor": "CVJR", "services": ["legal"], "incident_id": "x"}, 422),
        ({"actor": "CVJR", "services": ["legal"], "with_case": True}, 422),  # two subjects
    ],
)
def test_bad_referrals_are_422(
    client: TestClient, world: World, body: dict[str, Any], status: int
) -> None:
    payload = {"person_id": str(world.persons["a"].id), **body}
    if payload.pop("with_case", False):
        payload["sgbv_case_id"] = str(world.cases["a"].id)
    if payload.get("incident_id") == "x":
        payload.pop("person_id")
        payload["incident_id"] = "not-a-uuid"
    response = client.post(REFERRALS, json=payload, headers=auth(world.user("gbv_a")))
    assert response.status_code == status, response.text


def test_inactive_actor_receives_no_referrals(client: TestClient, world: World) -> None:
    client.patch(
        "/api/v1/actors/CVJR", json={"is_active": False}, headers=auth(world.user("admin"))
    )
    response = client.post(
        REFERRALS,
        json={"person_id": str(world.persons["a"].id), "actor": "CVJR", "services": ["legal"]},
        headers=auth(world.user("caseworker_a")),
    )
    assert response.status_code == 422


def test_referring_from_something_you_cannot_see_is_422(client: TestClient, world: World) -> None:
    headers = auth(world.user("caseworker_b"))
    for field, value in (
        ("person_id", world.persons["a"].id),
        ("incident_id", world.incidents["a_gao"].id),
    ):
        response = client.post(
            REFERRALS,
            json={field: str(value), "actor": "CVJR", "services": ["legal"]},
            headers=headers,
        )
        assert response.status_code == 422
        assert "Aminata" not in response.text


def test_caseworkers_do_not_make_sgbv_referrals(client: TestClient, world: World) -> None:
    response = client.post(
        REFERRALS,
        json={"sgbv_case_id": str(world.cases["a"].id), "actor": "CVJR", "services": ["legal"]},
        headers=auth(world.user("caseworker_a")),
    )
    assert response.status_code == 403


def test_idempotent_referral_creation(client: TestClient, world: World) -> None:
    import uuid

    headers = auth(world.user("caseworker_a"))
    body = {
        "id": str(uuid.uuid4()),
        "person_id": str(world.persons["a"].id),
        "actor": "CVJR",
        "services": ["legal"],
    }
    assert client.post(REFERRALS, json=body, headers=headers).status_code == 201
    assert client.post(REFERRALS, json=body, headers=headers).status_code == 200
    assert (
        client.post(REFERRALS, json={**body, "urgency": "urgent"}, headers=headers).status_code
        == 409
    )


ROLES = list(Role)
STATUSES = [s.value for s in ReferralStatus]


@settings(max_examples=300, deadline=None)
@given(
    source=st.sampled_from(STATUSES), target=st.sampled_from(STATUSES), role=st.sampled_from(ROLES)
)
def test_the_table_is_the_only_way_to_move(source: str, target: str, role: Role) -> None:
    """For every (status, status, role): check() allows exactly the table's rows."""
    rows = [r for r in REFERRAL_WORKFLOW.table if (r.source, r.target) == (source, target)]
    try:
        REFERRAL_WORKFLOW.check(source, target, role)
    except Conflict as exc:  # the outcome decides what to check: pytest.raises cannot branch
        assert rows == []
        allowed = exc.extra["allowed"]
        assert allowed == REFERRAL_WORKFLOW.next_statuses(source, role)
    except Forbidden:
        assert rows
        assert all(role not in r.roles for r in rows)
    else:
        assert any(role in r.roles for r in rows)
        assert source not in REFERRAL_WORKFLOW.final


def test_every_non_final_status_can_be_cancelled_and_finals_are_dead_ends() -> None:
    for status in STATUSES:
        nexts = REFERRAL_WORKFLOW.next_statuses(status)
        if status in REFERRAL_WORKFLOW.final:
            assert nexts == []
        else:
            assert "cancelled" in nexts
    assert "cancelled" not in REFERRAL_WORKFLOW.next_statuses("draft", Role.actor_focal_point)


def test_helper_walks_the_machine(session: Session, world: World) -> None:
    referral = make_referral(
        session,
        world.user("caseworker_a"),
        incident_id=str(world.incidents["a_gao"].id),
        actor="RRM",
        services=["shelter"],
        to=("sent", "acknowledged", "declined"),
    )
    assert referral.status == "declined"
