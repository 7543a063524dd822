"""The casework app plus one bare endpoint, for bench/incident_throughput.py.

``POST /bench/raw-insert`` does the least a server can do to store the same
incident row: parse JSON, one INSERT, commit. No auth, no validation, no ORM.
It exists only in this benchmark app, never in the service.
"""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import insert

from casework.core.db import get_engine
from casework.incidents.models import Incident
from casework.main import create_app

app = create_app()
incidents = Incident.__table__


@app.post("/bench/raw-insert", status_code=201)
def raw_insert(body: dict[str, Any]) -> dict[str, str]:
    now = datetime.now(UTC)
    row_id = uuid.uuid4()
    victims = body.get("victims", {})
    with get_engine().begin() as connection:
        connection.execute(
            insert(incidents).values(
                id=row_id,
                occurred_on=date.fromisoformat(body["occurred_on"]),
                region=body["region"],
                admin2=body.get("admin2"),
                code_set="ocha-cod-ab-mli-2021-12-20",
                locality=body.get("locality"),
                incident_type=body["incident_type"],
                perpetrator_category=body.get("perpetrator_category", "unknown"),
                population_group=body.get("population_group"),
                female_adults=victims.get("female_adults", 0),
                male_adults=victims.get("male_adults", 0),
                female_children=victims.get("female_children", 0),
                male_children=victims.get("male_children", 0),
                urgency=body.get("urgency", "normal"),
                description=body.get("description"),
                status="submitted",
                organization_id=uuid.UUID(body["_organization_id"]),
                reported_by_id=uuid.UUID(body["_reported_by_id"]),
                create_fingerprint="0" * 64,
                version=1,
                created_at=now,
                updated_at=now,
            )
        )
    return {"id": str(row_id)}
