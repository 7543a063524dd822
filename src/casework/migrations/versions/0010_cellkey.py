"""record keys for the cell-key protection of people counts in reports

Every SGBV case, referral, counselling session and repatriation file gets a fixed random
record key (an integer numerator over 2**31, drawn with ``secrets``); existing rows are
backfilled with fresh random keys.

Revision ID: 0010_cellkey
Revises: 0009
Create Date: 2026-11-27 23:00:00.000000
"""

import secrets
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010_cellkey"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLES = ("sgbv_cases", "referrals", "counselling_sessions", "repatriation_files")
SCALE = 2**31  # casework.core.recordkey.RECORD_KEY_SCALE, frozen here as the revision's own


def upgrade() -> None:
    bind = op.get_bind()
    for name in TABLES:
        op.add_column(name, sa.Column("record_key", sa.Integer(), nullable=True))
        table = sa.table(name, sa.column("id", sa.Uuid()), sa.column("record_key", sa.Integer()))
        ids = bind.execute(sa.select(table.c.id)).scalars().all()
        if ids:
            bind.execute(
                table.update()
                .where(table.c.id == sa.bindparam("row_id"))
                .values(record_key=sa.bindparam("key")),
                [{"row_id": row_id, "key": secrets.randbelow(SCALE)} for row_id in ids],
            )
        with op.batch_alter_table(name) as batch:
            batch.alter_column("record_key", existing_type=sa.Integer(), nullable=False)


def downgrade() -> None:
    for name in TABLES:
        with op.batch_alter_table(name) as batch:
            batch.drop_column("record_key")
