"""security review: uniqueness within scope, Kobo reasons encrypted, Kobo secret rotation,
Kobo edits (deprecatedID)

Revision ID: 0011_security
Revises: 0010_cellkey
Create Date: 2026-11-27 23:30:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011_security"
down_revision: str | None = "0010_cellkey"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Registration numbers and survivor codes: unique per organisation AND region, so a
    # record a caller may not read never answers their create with a 409.
    with op.batch_alter_table("persons") as batch_op:
        batch_op.drop_constraint(
            "uq_persons_organization_id_registration_number_index", type_="unique"
        )
        batch_op.create_unique_constraint(
            "uq_persons_organization_id_region_registration_number_index",
            ["organization_id", "region", "registration_number_index"],
        )
    with op.batch_alter_table("sgbv_cases") as batch_op:
        batch_op.drop_constraint("uq_sgbv_cases_organization_id_survivor_code", type_="unique")
        batch_op.create_unique_constraint(
            "uq_sgbv_cases_organization_id_region_survivor_code",
            ["organization_id", "region", "survivor_code"],
        )

    # Kobo: secret rotation with a grace period.
    with op.batch_alter_table("kobo_forms") as batch_op:
        batch_op.add_column(sa.Column("previous_secret_hash", sa.String(length=64), nullable=True))
        batch_op.add_column(
            sa.Column("previous_secret_expires_at", sa.DateTime(timezone=True), nullable=True)
        )
    # Kobo: quarantine reasons encrypted (the old ones may echo answers: dropped; reprocess
    # shows them again); edits (meta/deprecatedID) chained to the version they replace.
    with op.batch_alter_table("kobo_submissions") as batch_op:
        batch_op.drop_column("reasons")
    with op.batch_alter_table("kobo_submissions") as batch_op:
        batch_op.add_column(sa.Column("reasons", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("root_instance_id", sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column("replaces_id", sa.Uuid(), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_kobo_submissions_replaces_id_kobo_submissions"),
            "kobo_submissions",
            ["replaces_id"],
            ["id"],
            ondelete="SET NULL",
        )


def downgrade() -> None:
    with op.batch_alter_table("kobo_submissions") as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_kobo_submissions_replaces_id_kobo_submissions"), type_="foreignkey"
        )
        batch_op.drop_column("replaces_id")
        batch_op.drop_column("root_instance_id")
        batch_op.drop_column("reasons")
    with op.batch_alter_table("kobo_submissions") as batch_op:
        batch_op.add_column(
            sa.Column("reasons", sa.JSON(), nullable=False, server_default=sa.text("'[]'"))
        )
    with op.batch_alter_table("kobo_forms") as batch_op:
        batch_op.drop_column("previous_secret_expires_at")
        batch_op.drop_column("previous_secret_hash")
    with op.batch_alter_table("sgbv_cases") as batch_op:
        batch_op.drop_constraint(
            "uq_sgbv_cases_organization_id_region_survivor_code", type_="unique"
        )
        batch_op.create_unique_constraint(
            "uq_sgbv_cases_organization_id_survivor_code", ["organization_id", "survivor_code"]
        )
    with op.batch_alter_table("persons") as batch_op:
        batch_op.drop_constraint(
            "uq_persons_organization_id_region_registration_number_index", type_="unique"
        )
        batch_op.create_unique_constraint(
            "uq_persons_organization_id_registration_number_index",
            ["organization_id", "registration_number_index"],
        )
