"""counselling sessions and repatriation files

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-27 06:04:36.435430
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "counselling_sessions",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("held_on", sa.Date(), nullable=False),
        sa.Column("office", sa.String(length=200), nullable=False),
        sa.Column("counsellor_id", sa.Uuid(), nullable=False),
        sa.Column("person_id", sa.Uuid(), nullable=True),
        sa.Column("sex", sa.String(length=16), nullable=True),
        sa.Column("age_group", sa.String(length=16), nullable=True),
        sa.Column("population_group", sa.String(length=32), nullable=True),
        sa.Column("region", sa.String(length=16), nullable=False),
        sa.Column("code_set", sa.String(length=64), nullable=False),
        sa.Column("notes", sa.Text(), nullable=True),
        sa.Column("outcome", sa.String(length=500), nullable=True),
        sa.Column("organization_id", sa.Uuid(), nullable=False),
        sa.Column("create_fingerprint", sa.String(length=64), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["counsellor_id"],
            ["users.id"],
            name=op.f("fk_counselling_sessions_counsellor_id_users"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_counselling_sessions_organization_id_organizations"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["person_id"],
            ["persons.id"],
            name=op.f("fk_counselling_sessions_person_id_persons"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_counselling_sessions")),
    )
    with op.batch_alter_table("counselling_sessions", schema=None) as batch_op:
        batch_op.create_index(
            "ix_counselling_sessions_organization_id_created_at_id",
            ["organization_id", "created_at", "id"],
            unique=False,
        )
        batch_op.create_index(
            batch_op.f("ix_counselling_sessions_person_id"), ["person_id"], unique=False
        )
        batch_op.create_index(
            "ix_counselling_sessions_region_held_on", ["region", "held_on"], unique=False
        )

    op.create_table(
        "repatriation_files",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("principal_person_id", sa.Uuid(), nullable=False),
        sa.Column("household_size", sa.Integer(), nullable=False),
        sa.Column("country_of_asylum", sa.String(length=3), nullable=False),
        sa.Column("country_of_origin", sa.String(length=3), nullable=False),
        sa.Column("destination", sa.String(length=200), nullable=False),
        sa.Column("destination_pcode", sa.String(length=16), nullable=True),
        sa.Column("status", sa.String(length=32), nullable=False),
        sa.Column("suspended_from", sa.String(length=32), nullable=True),
        sa.Column("voluntariness_verified_by_id", sa.Uuid(), nullable=True),
        sa.Column("voluntariness_verified_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("region", sa.String(length=16), nullable=False),
        sa.Column("organization_id", sa.Uuid(), nullable=False),
        sa.Column("created_by_id", sa.Uuid(), nullable=False),
        sa.Column("create_fingerprint", sa.String(length=64), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["created_by_id"],
            ["users.id"],
            name=op.f("fk_repatriation_files_created_by_id_users"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_repatriation_files_organization_id_organizations"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["principal_person_id"],
            ["persons.id"],
            name=op.f("fk_repatriation_files_principal_person_id_persons"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["voluntariness_verified_by_id"],
            ["users.id"],
            name=op.f("fk_repatriation_files_voluntariness_verified_by_id_users"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_repatriation_files")),
    )
    with op.batch_alter_table("repatriation_files", schema=None) as batch_op:
        batch_op.create_index(
            "ix_repatriation_files_organization_id_created_at_id",
            ["organization_id", "created_at", "id"],
            unique=False,
        )
        batch_op.create_index(
            batch_op.f("ix_repatriation_files_principal_person_id"),
            ["principal_person_id"],
            unique=False,
        )
        batch_op.create_index(
            "ix_repatriation_files_region_created_at_id",
            ["region", "created_at", "id"],
            unique=False,
        )
        batch_op.create_index("ix_repatriation_files_status", ["status"], unique=False)

    op.create_table(
        "counselling_concerns",
        sa.Column("session_id", sa.Uuid(), nullable=False),
        sa.Column("concern", sa.String(length=32), nullable=False),
        sa.ForeignKeyConstraint(
            ["session_id"],
            ["counselling_sessions.id"],
            name=op.f("fk_counselling_concerns_session_id_counselling_sessions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("session_id", "concern", name=op.f("pk_counselling_concerns")),
    )
    with op.batch_alter_table("counselling_concerns", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_counselling_concerns_concern"), ["concern"], unique=False
        )

    op.create_table(
        "repatriation_events",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("file_id", sa.Uuid(), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("from_status", sa.String(length=32), nullable=True),
        sa.Column("to_status", sa.String(length=32), nullable=False),
        sa.Column("by_id", sa.Uuid(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["by_id"],
            ["users.id"],
            name=op.f("fk_repatriation_events_by_id_users"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["file_id"],
            ["repatriation_files.id"],
            name=op.f("fk_repatriation_events_file_id_repatriation_files"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_repatriation_events")),
    )
    with op.batch_alter_table("repatriation_events", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_repatriation_events_file_id"), ["file_id"], unique=False
        )
        batch_op.create_index("uq_repatriation_events_file_id_seq", ["file_id", "seq"], unique=True)

    op.create_table(
        "repatriation_members",
        sa.Column("file_id", sa.Uuid(), nullable=False),
        sa.Column("person_id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["file_id"],
            ["repatriation_files.id"],
            name=op.f("fk_repatriation_members_file_id_repatriation_files"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["person_id"],
            ["persons.id"],
            name=op.f("fk_repatriation_members_person_id_persons"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("file_id", "person_id", name=op.f("pk_repatriation_members")),
    )
    with op.batch_alter_table("repatriation_members", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_repatriation_members_person_id"), ["person_id"], unique=False
        )

    with op.batch_alter_table("referrals", schema=None) as batch_op:
        batch_op.add_column(sa.Column("counselling_session_id", sa.Uuid(), nullable=True))
        batch_op.create_index(
            batch_op.f("ix_referrals_counselling_session_id"),
            ["counselling_session_id"],
            unique=False,
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_referrals_counselling_session_id_counselling_sessions"),
            "counselling_sessions",
            ["counselling_session_id"],
            ["id"],
            ondelete="RESTRICT",
        )


def downgrade() -> None:
    with op.batch_alter_table("referrals", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_referrals_counselling_session_id_counselling_sessions"),
            type_="foreignkey",
        )
        batch_op.drop_index(batch_op.f("ix_referrals_counselling_session_id"))
        batch_op.drop_column("counselling_session_id")

    with op.batch_alter_table("repatriation_members", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_repatriation_members_person_id"))

    op.drop_table("repatriation_members")
    with op.batch_alter_table("repatriation_events", schema=None) as batch_op:
        batch_op.drop_index("uq_repatriation_events_file_id_seq")
        batch_op.drop_index(batch_op.f("ix_repatriation_events_file_id"))

    op.drop_table("repatriation_events")
    with op.batch_alter_table("counselling_concerns", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_counselling_concerns_concern"))

    op.drop_table("counselling_concerns")
    with op.batch_alter_table("repatriation_files", schema=None) as batch_op:
        batch_op.drop_index("ix_repatriation_files_status")
        batch_op.drop_index("ix_repatriation_files_region_created_at_id")
        batch_op.drop_index(batch_op.f("ix_repatriation_files_principal_person_id"))
        batch_op.drop_index("ix_repatriation_files_organization_id_created_at_id")

    op.drop_table("repatriation_files")
    with op.batch_alter_table("counselling_sessions", schema=None) as batch_op:
        batch_op.drop_index("ix_counselling_sessions_region_held_on")
        batch_op.drop_index(batch_op.f("ix_counselling_sessions_person_id"))
        batch_op.drop_index("ix_counselling_sessions_organization_id_created_at_id")

    op.drop_table("counselling_sessions")
