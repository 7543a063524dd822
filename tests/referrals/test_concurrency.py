"""Concurrent transitions on one referral: exactly one wins, history stays a single line."""

from __future__ import annotations

from collections import Counter

from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from casework.audit import service as audit_service
from tests.factories import World, auth
from tests.racing import RACERS, TO_ACK, race, referral_events


def test_racing_clients_with_if_match_one_wins_the_rest_get_412(
    live: tuple[FastAPI, World, Engine],
) -> None:
    app, world, engine = live
    referral = world.referrals["person_sent"]
    headers = {**auth(world.user("focal_cvjr")), "If-Match": '"2"'}
    with TestClient(app) as client:
        outcome = race(client, f"/api/v1/referrals/{referral.id}/transitions", headers, TO_ACK)
    assert outcome == Counter({200: 1, 412: RACERS - 1})
    with Session(engine) as session:
        assert audit_service.verify(session).ok  # concurrent writers kept one chain
    assert referral_events(engine, referral.id) == [
        (1, None, "draft"),
        (2, "draft", "sent"),
        (3, "sent", "acknowledged"),
    ]


def test_racing_clients_without_if_match_never_double_apply(
    live: tuple[FastAPI, World, Engine],
) -> None:
    app, world, engine = live
    referral = world.referrals["person_sent"]
    with TestClient(app) as client:
        outcome = race(
            client,
            f"/api/v1/referrals/{referral.id}/transitions",
            auth(world.user("focal_cvjr")),
            TO_ACK,
        )
    assert outcome[200] == 1
    # The losers either read the new status (409: acknowledged -> acknowledged is not a
    # move) or lost the write race (412); none is a 5xx, none adds history.
    assert set(outcome) <= {200, 409, 412}
    assert [e[2] for e in referral_events(engine, referral.id)] == ["draft", "sent", "acknowledged"]
