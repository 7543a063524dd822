"""Referrals by time to acknowledgement: the band of each referral, its migration, and the
protected counts (a people dataset: every cell goes through the cell-key method)."""

from __future__ import annotations

from collections import defaultdict
from datetime import timedelta
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from casework.core.config import get_settings
from casework.core.db import create_db_engine
from casework.core.migrations import downgrade, upgrade
from casework.referrals import service as referral_service
from casework.referrals.models import Referral
from casework.referrals.schemas import ReferralTransition
from tests.factories import World, auth, build_world, make_referral, principal_of
from tests.reports.test_aggregates import get, published
from tests.web.helpers import sign_in, web_client

BANDS = ("within_24h", "1_3_days", "3_7_days", "over_7_days", "not_acknowledged")
# Days between sending and acknowledging, per band (None: never acknowledged).
DELAYS: dict[str, float | None] = {
    "within_24h": 0.5,
    "1_3_days": 2,
    "3_7_days": 5,
    "over_7_days": 10,
    "not_acknowledged": None,
}


def acknowledge_after(session: Session, world: World, referral: Referral, days: float) -> None:
    """Pretend the referral was sent ``days`` ago, then acknowledge it now."""
    assert referral.sent_at is not None
    referral.sent_at = referral.sent_at - timedelta(days=days)
    session.flush()
    referral_service.transition(
        session,
        principal_of(world.user("caseworker_a")),
        referral,
        ReferralTransition(to="acknowledged"),
        get_settings(),
        if_match=None,
    )


def band_of(referral: Referral) -> str:
    minutes = referral.acknowledgement_minutes
    if minutes is None:
        return "not_acknowledged"
    for limit, band in ((1440, "within_24h"), (4320, "1_3_days"), (10080, "3_7_days")):
        if minutes < limit:
            return band
    return "over_7_days"


@pytest.fixture
def acknowledged(world: World, session: Session) -> World:
    """Six referrals from an incident in each band (acknowledged after 0.5, 2, 5, 10 days,
    or never), on top of the world's two sent ones."""
    caseworker = world.user("caseworker_a")
    incident = str(world.incidents["a_gao"].id)
    for band, days in DELAYS.items():
        for index in range(6):
            referral = make_referral(
                session,
                caseworker,
                incident_id=incident,
                to=("sent",),
                actor="RRM",
                services=["shelter"],
            )
            world.referrals[f"{band}-{index}"] = referral
            if days is not None:
                acknowledge_after(session, world, referral, days)
    session.commit()
    return world


def test_the_first_acknowledgement_is_stored_once(acknowledged: World, session: Session) -> None:
    referral = acknowledged.referrals["1_3_days-0"]
    assert referral.acknowledged_at is not None
    assert referral.acknowledgement_minutes == 2 * 24 * 60
    first = referral.acknowledged_at
    for status in ("accepted", "in_progress"):
        referral_service.transition(
            session,
            principal_of(acknowledged.user("caseworker_a")),
            referral,
            ReferralTransition(to=status),
            get_settings(),
            if_match=None,
        )
    assert referral.acknowledged_at == first
    assert acknowledged.referrals["not_acknowledged-0"].acknowledgement_minutes is None


def test_referrals_by_acknowledgement_are_counted_and_protected(
    client: TestClient, acknowledged: World, session: Session
) -> None:
    body = get(
        client, acknowledged.user("reporting"), dataset="referrals", group_by="acknowledgement"
    )
    assert body["protection"]["method"] == "cell_key"
    truth: dict[str, list[Referral]] = defaultdict(list)
    for referral in session.scalars(select(Referral).where(Referral.sent_at.is_not(None))):
        truth[band_of(referral)].append(referral)
    assert {len(truth[band]) for band in BANDS[:-1]} == {6}
    cells = {row["acknowledgement"]: row for row in body["rows"]}
    assert set(cells) == set(BANDS)
    for band in BANDS:
        assert cells[band]["count"] == published(truth[band]), band
        assert cells[band]["count"] is None or cells[band]["count"] >= 5
    # With the actor: the same cells (every referral here is RRM's but the world's two).
    by_actor = get(
        client,
        acknowledged.user("reporting"),
        dataset="referrals",
        group_by="actor,acknowledgement",
    )
    rrm = {r["acknowledgement"]: r["count"] for r in by_actor["rows"] if r["actor"] == "RRM"}
    assert rrm["within_24h"] == published(truth["within_24h"])


def test_acknowledgement_in_hxl(client: TestClient, acknowledged: World) -> None:
    response = client.get(
        "/api/v1/reports/aggregates",
        params={"dataset": "referrals", "group_by": "acknowledgement", "format": "hxl"},
        headers=auth(acknowledged.user("reporting")),
    )
    assert response.status_code == 200
    header, tags = response.text.splitlines()[:2]
    assert header.split(",")[0] == "acknowledgement"
    assert tags.split(",")[0] == "#status+acknowledgement"


def test_the_migration_fills_acknowledgements_from_the_history(
    backend: str, fresh_database_url: Any
) -> None:
    engine = create_db_engine(fresh_database_url(backend))
    try:
        with engine.begin() as connection:
            upgrade(connection)
        with Session(engine, expire_on_commit=False) as session:
            world = build_world(session)
            referral = world.referrals["person_sent"]
            acknowledge_after(session, world, referral, 2.5)
            session.commit()
            expected = (referral.acknowledged_at, referral.acknowledgement_minutes)
            never = world.referrals["sgbv_sent"].id
        assert expected[1] == int(2.5 * 24 * 60)
        with engine.begin() as connection:
            downgrade(connection, "0018_gbvims")
            upgrade(connection)
        with Session(engine) as session:
            again = session.get(Referral, referral.id)
            assert again is not None
            assert (again.acknowledged_at, again.acknowledgement_minutes) == expected
            untouched = session.get(Referral, never)
            assert untouched is not None
            assert untouched.acknowledged_at is None
            assert untouched.acknowledgement_minutes is None
    finally:
        engine.dispose()


@pytest.mark.parametrize(
    ("lang", "title", "labels"),
    [
        (
            "en",
            "Referrals by time to acknowledgement",
            ["Within 24 hours", "1 to 3 days", "3 to 7 days", "Over 7 days", "Not acknowledged"],
        ),
        (
            "fr",
            "Références par délai d&#39;accusé de réception",
            [
                "En moins de 24 heures",
                "1 à 3 jours",
                "3 à 7 jours",
                "Plus de 7 jours",
                "Sans accusé de réception",
            ],
        ),
    ],
)
def test_the_dashboard_charts_time_to_acknowledgement(
    app: FastAPI, acknowledged: World, lang: str, title: str, labels: list[str]
) -> None:
    client = web_client(app)
    sign_in(client, "reporting")
    html = client.get(f"/reports?lang={lang}").text
    start = html.index('id="chart-acknowledgement"')
    section = html[start : html.index("</section>", start)]
    assert title in section
    positions = [section.index(f">{label}</text>") for label in labels]
    assert positions == sorted(positions)  # the bands in order
    assert "/reports/download?dataset=referrals&amp;group_by=acknowledgement" in section
    # The download is the API's table, protected the same way.
    download = client.get("/reports/download?dataset=referrals&group_by=acknowledgement&format=hxl")
    assert download.status_code == 200
    assert download.text.splitlines()[1].startswith("#status+acknowledgement,")
