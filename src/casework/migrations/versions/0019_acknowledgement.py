"""When each referral was first acknowledged, and how many minutes after it was sent

Revision ID: 0019_acknowledgement
Revises: 0018_gbvims
Create Date: 2026-11-28 05:30:00

Referrals acknowledged before this revision get both from their history: the first
event moving to ``acknowledged``. The minutes are computed here in Python, so the
backfill is the same on SQLite and PostgreSQL.
"""

from collections.abc import Sequence
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

revision: str = "0019_acknowledgement"
down_revision: str | None = "0018_gbvims"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BATCH = 500

referrals = sa.table(
    "referrals",
    sa.column("id", sa.Uuid()),
    sa.column("sent_at", sa.DateTime(timezone=True)),
    sa.column("acknowledged_at", sa.DateTime(timezone=True)),
    sa.column("acknowledgement_minutes", sa.Integer()),
)
events = sa.table(
    "referral_events",
    sa.column("referral_id", sa.Uuid()),
    sa.column("to_status", sa.String()),
    sa.column("at", sa.DateTime(timezone=True)),
)


def _utc(value: datetime) -> datetime:
    # SQLite hands back naive datetimes: casework stores UTC.
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def upgrade() -> None:
    # Nullable additions: no table copy on SQLite (foreign keys point at referrals).
    op.add_column("referrals", sa.Column("acknowledged_at", sa.DateTime(timezone=True)))
    op.add_column("referrals", sa.Column("acknowledgement_minutes", sa.Integer()))
    connection = op.get_bind()
    first = (
        sa.select(events.c.referral_id, sa.func.min(events.c.at).label("at"))
        .where(events.c.to_status == "acknowledged")
        .group_by(events.c.referral_id)
        .subquery()
    )
    rows = connection.execute(
        sa.select(referrals.c.id, referrals.c.sent_at, first.c.at).join(
            first, first.c.referral_id == referrals.c.id
        )
    ).all()
    updates = []
    for referral_id, sent_at, acknowledged_at in rows:
        minutes = None
        if sent_at is not None:
            seconds = (_utc(acknowledged_at) - _utc(sent_at)).total_seconds()
            minutes = max(0, int(seconds // 60))
        updates.append({"key": referral_id, "at": acknowledged_at, "minutes": minutes})
    statement = (
        referrals.update()
        .where(referrals.c.id == sa.bindparam("key"))
        .values(acknowledged_at=sa.bindparam("at"), acknowledgement_minutes=sa.bindparam("minutes"))
    )
    for start in range(0, len(updates), BATCH):
        connection.execute(statement, updates[start : start + BATCH])


def downgrade() -> None:
    # Column by column, SQLite included (its own DROP COLUMN): a batch copy would drop
    # referrals, which the foreign keys pointing at it refuse once rows exist.
    op.execute("ALTER TABLE referrals DROP COLUMN acknowledgement_minutes")
    op.execute("ALTER TABLE referrals DROP COLUMN acknowledged_at")
