"""security review: uniqueness within scope, Kobo reasons encrypted, Kobo secret rotation,
Kobo edits (deprecatedID)

Revision ID: 0011_security
Revises: 0009
Create Date: 2026-11-27 23:30:00.000000
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0011_security"
down_revision: str | None = "0009"
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


def downgrade() -> None:
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
