"""A bare FastAPI application, the yardstick of bench/versus_bare.py.

Same FastAPI, Starlette and uvicorn as casework, and nothing of casework: no
middleware, no authentication, no validation beyond JSON, no ORM. Each worker
thread keeps one driver connection (sqlite3 or psycopg) and runs the driver's
own INSERT and commit, or SELECT by key. Run in its own process:

    BARE_DATABASE=/tmp/bare.db uvicorn bare_app:app --app-dir bench
    BARE_DATABASE=postgresql://... BARE_SCHEMA=bare uvicorn bare_app:app --app-dir bench
"""

from __future__ import annotations

import json
import os
import sqlite3
import threading
import uuid
from typing import Any

from fastapi import FastAPI, HTTPException

DATABASE = os.environ["BARE_DATABASE"]
SCHEMA = os.environ.get("BARE_SCHEMA", "")
POSTGRES = DATABASE.startswith("postgresql")
MARK = "%s" if POSTGRES else "?"
INSERT = f"INSERT INTO bare_incidents (id, body) VALUES ({MARK}, {MARK})"
SELECT = f"SELECT body FROM bare_incidents WHERE id = {MARK}"
CREATE = "CREATE TABLE IF NOT EXISTS bare_incidents (id TEXT PRIMARY KEY, body TEXT NOT NULL)"

app = FastAPI()
_local = threading.local()


def connection() -> Any:
    """This thread's connection (the thread pool reuses its threads)."""
    existing = getattr(_local, "connection", None)
    if existing is not None:
        return existing
    if POSTGRES:
        import psycopg

        options = f"-csearch_path={SCHEMA}" if SCHEMA else ""
        made: Any = psycopg.connect(DATABASE, options=options)
    else:
        made = sqlite3.connect(DATABASE, check_same_thread=False, timeout=30)
        made.execute("PRAGMA journal_mode=WAL")
    _local.connection = made
    return made


def create_table() -> None:
    db = connection()
    db.execute(CREATE)
    db.commit()


@app.post("/incidents", status_code=201)
def insert_incident(body: dict[str, Any]) -> dict[str, str]:
    row_id = str(uuid.uuid4())
    db = connection()
    db.execute(INSERT, (row_id, json.dumps(body)))
    db.commit()
    return {"id": row_id}


@app.get("/incidents/{row_id}")
def select_incident(row_id: str) -> Any:
    db = connection()
    row = db.execute(SELECT, (row_id,)).fetchone()
    db.commit()  # end the read transaction, as casework's session does
    if row is None:
        raise HTTPException(404)
    return json.loads(row[0])


@app.get("/health/sync")
def health_sync() -> dict[str, str]:
    return {"status": "ok"}


@app.get("/health/async")
async def health_async() -> dict[str, str]:
    return {"status": "ok"}
