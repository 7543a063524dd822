"""GBVIMS intake fields and classification answers on SGBV cases

Revision ID: 0018_gbvims
Revises: 0017_duplicates
Create Date: 2026-11-28 02:40:00
"""

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op

revision: str = "0018_gbvims"
down_revision: str | None = "0017_duplicates"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

COLUMNS: tuple[tuple[str, sa.types.TypeEngine[Any]], ...] = (
    ("survivor_age_group", sa.String(length=16)),
    ("survivor_sex", sa.String(length=16)),
    ("displacement_status", sa.String(length=32)),
    ("disability", sa.String(length=32)),
    ("first_reported_on", sa.Date()),
    ("location_type", sa.String(length=32)),
    ("perpetrator_count", sa.Integer()),
    ("perpetrator_sex", sa.String(length=16)),
    ("perpetrator_age_group", sa.String(length=16)),
    ("perpetrator_relationship", sa.String(length=32)),
    ("previously_reported", sa.String(length=32)),
    ("harmful_practice", sa.String(length=32)),
    ("goods_exchanged", sa.Boolean()),
    ("abduction", sa.String(length=32)),
    ("classification", sa.JSON()),
)


def upgrade() -> None:
    # Nullable additions: no table copy on SQLite, and cases recorded before stay valid.
    for name, type_ in COLUMNS:
        op.add_column("sgbv_cases", sa.Column(name, type_, nullable=True))


def downgrade() -> None:
    # Column by column, SQLite included (its own DROP COLUMN): a batch copy would drop
    # sgbv_cases, which the foreign keys pointing at it refuse once rows exist.
    for name, _ in reversed(COLUMNS):
        op.execute(f"ALTER TABLE sgbv_cases DROP COLUMN {name}")
