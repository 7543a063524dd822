from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from casework.incidents.models import Incident
from tests.factories import World, auth, incident_body
from tests.racing import RACERS, race


def test_same_key_sent_concurrently_creates_once(live: tuple[FastAPI, World, Engine]) -> None:
    app, world, engine = live
    with Session(engine) as session:
        before = session.scalar(select(func.count()).select_from(Incident))
    headers = {**auth(world.user("monitor_a")), "Idempotency-Key": "same-key-8-times"}
    with TestClient(app) as client:
        outcome = race(client, "/api/v1/incidents", headers, incident_body())
    # Each duplicate either waited for nothing (409: still in progress) or got the replay.
    assert outcome[201] >= 1
    assert set(outcome) <= {201, 409}
    assert sum(outcome.values()) == RACERS
    with Session(engine) as session:
        assert session.scalar(select(func.count()).select_from(Incident)) == before + 1
