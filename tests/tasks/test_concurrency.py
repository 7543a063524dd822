"""Concurrent changes to one task: exactly one wins, the others get 412, nothing is lost."""

from __future__ import annotations

import threading
from collections import Counter
from typing import Any

from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from casework.audit import service as audit_service
from casework.tasks.models import Task
from tests.factories import World, auth
from tests.racing import RACERS


def race_patch(
    client: TestClient, url: str, attempts: list[tuple[dict[str, str], Any]]
) -> Counter[int]:
    barrier = threading.Barrier(len(attempts))
    statuses: list[int] = []
    lock = threading.Lock()

    def attempt(headers: dict[str, str], body: Any) -> None:
        barrier.wait()
        try:
            status = client.patch(url, json=body, headers=headers).status_code
        except Exception:
            status = 500
        with lock:
            statuses.append(status)

    threads = [threading.Thread(target=attempt, args=pair) for pair in attempts]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return Counter(statuses)


def test_racing_reassignments_one_wins_the_rest_get_412(
    live: tuple[FastAPI, World, Engine],
) -> None:
    app, world, engine = live
    task = world.tasks["person_sent"]
    assignees = ["gbv_a", "supervisor_a"] * (RACERS // 2)
    attempts = [
        (
            {**auth(world.user("caseworker_a")), "If-Match": '"1"'},
            {"assignee": str(world.user(name).id), "due_on": f"2026-12-{10 + i:02d}"},
        )
        for i, name in enumerate(assignees)
    ]
    with TestClient(app) as client:
        outcome = race_patch(client, f"/api/v1/tasks/{task.id}", attempts)
    assert outcome == Counter({200: 1, 412: RACERS - 1})
    with Session(engine) as session:
        stored = session.get(Task, task.id)
        assert stored is not None
        assert stored.version == 2
        # The winner's change, whole: its assignee with its due date, never a mix.
        winner = next(body for _, body in attempts if body["due_on"] == stored.due_on.isoformat())
        assert str(stored.assignee_id) == winner["assignee"]
        assert audit_service.verify(session).ok
