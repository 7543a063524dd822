"""kobo integration

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-27 07:01:47.040050
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "kobo_pull_state",
        sa.Column("asset_uid", sa.String(length=100), nullable=False),
        sa.Column("next_url", sa.Text(), nullable=True),
        sa.Column("processed", sa.Integer(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("asset_uid", name=op.f("pk_kobo_pull_state")),
    )
    op.create_table(
        "kobo_forms",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("code", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("secret_hash", sa.String(length=64), nullable=False),
        sa.Column("organization_id", sa.Uuid(), nullable=False),
        sa.Column("default_user_id", sa.Uuid(), nullable=False),
        sa.Column("mapping", sa.JSON(), nullable=False),
        sa.Column("mapping_version", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["default_user_id"],
            ["users.id"],
            name=op.f("fk_kobo_forms_default_user_id_users"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_kobo_forms_organization_id_organizations"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_kobo_forms")),
        sa.UniqueConstraint("code", name=op.f("uq_kobo_forms_code")),
    )
    op.create_table(
        "kobo_submissions",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("form_id", sa.Uuid(), nullable=False),
        sa.Column("instance_id", sa.String(length=200), nullable=False),
        sa.Column("form_version", sa.String(length=100), nullable=True),
        sa.Column("payload", sa.Text(), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("reasons", sa.JSON(), nullable=False),
        sa.Column("incident_id", sa.Uuid(), nullable=True),
        sa.Column("mapping_version", sa.Integer(), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("processed_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["form_id"],
            ["kobo_forms.id"],
            name=op.f("fk_kobo_submissions_form_id_kobo_forms"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["incident_id"],
            ["incidents.id"],
            name=op.f("fk_kobo_submissions_incident_id_incidents"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_kobo_submissions")),
        sa.UniqueConstraint(
            "form_id", "instance_id", name=op.f("uq_kobo_submissions_form_id_instance_id")
        ),
    )


def downgrade() -> None:
    op.drop_table("kobo_submissions")
    op.drop_table("kobo_forms")
    op.drop_table("kobo_pull_state")
