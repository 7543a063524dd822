"""Concurrent steps on one repatriation file: one wins, history stays a single line."""

from __future__ import annotations

from collections import Counter

from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from tests.factories import World, auth
from tests.racing import RACERS, race, repatriation_events


def test_racing_steps_on_one_file(live: tuple[FastAPI, World, Engine]) -> None:
    app, world, engine = live
    record = world.files["a"]
    headers = {**auth(world.user("caseworker_a")), "If-Match": '"1"'}
    with TestClient(app) as client:
        outcome = race(
            client,
            f"/api/v1/repatriation-files/{record.id}/transitions",
            headers,
            {"to": "counselled"},
        )
    assert outcome == Counter({200: 1, 412: RACERS - 1})
    assert repatriation_events(engine, record.id) == [
        (1, None, "registered"),
        (2, "registered", "counselled"),
    ]
