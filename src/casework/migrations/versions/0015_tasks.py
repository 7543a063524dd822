"""tasks, counselling follow-up dates, users' e-mail and language, an e-mail channel in the outbox

Revision ID: 0015_tasks
Revises: 0014_cases
Create Date: 2026-11-27 22:45:34.422907
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0015_tasks"
down_revision: str | None = "0014_cases"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "tasks",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("person_id", sa.Uuid(), nullable=True),
        sa.Column("sgbv_case_id", sa.Uuid(), nullable=True),
        sa.Column("referral_id", sa.Uuid(), nullable=True),
        sa.Column("repatriation_file_id", sa.Uuid(), nullable=True),
        sa.Column("assignee_id", sa.Uuid(), nullable=False),
        sa.Column("created_by_id", sa.Uuid(), nullable=False),
        sa.Column("due_on", sa.Date(), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("completed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("origin", sa.String(length=80), nullable=True),
        sa.Column("organization_id", sa.Uuid(), nullable=False),
        sa.Column("create_fingerprint", sa.String(length=64), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "CASE WHEN person_id IS NULL THEN 0 ELSE 1 END"
            " + CASE WHEN sgbv_case_id IS NULL THEN 0 ELSE 1 END"
            " + CASE WHEN referral_id IS NULL THEN 0 ELSE 1 END"
            " + CASE WHEN repatriation_file_id IS NULL THEN 0 ELSE 1 END = 1",
            name=op.f("ck_tasks_exactly_one_subject"),
        ),
        sa.ForeignKeyConstraint(
            ["assignee_id"],
            ["users.id"],
            name=op.f("fk_tasks_assignee_id_users"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["created_by_id"],
            ["users.id"],
            name=op.f("fk_tasks_created_by_id_users"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_tasks_organization_id_organizations"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["person_id"],
            ["persons.id"],
            name=op.f("fk_tasks_person_id_persons"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["referral_id"],
            ["referrals.id"],
            name=op.f("fk_tasks_referral_id_referrals"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["repatriation_file_id"],
            ["repatriation_files.id"],
            name=op.f("fk_tasks_repatriation_file_id_repatriation_files"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["sgbv_case_id"],
            ["sgbv_cases.id"],
            name=op.f("fk_tasks_sgbv_case_id_sgbv_cases"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tasks")),
        sa.UniqueConstraint("origin", name=op.f("uq_tasks_origin")),
    )
    with op.batch_alter_table("tasks", schema=None) as batch_op:
        batch_op.create_index(
            "ix_tasks_assignee_id_status_due_on", ["assignee_id", "status", "due_on"], unique=False
        )
        batch_op.create_index("ix_tasks_created_at_id", ["created_at", "id"], unique=False)
        batch_op.create_index(batch_op.f("ix_tasks_person_id"), ["person_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_tasks_referral_id"), ["referral_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_tasks_repatriation_file_id"), ["repatriation_file_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_tasks_sgbv_case_id"), ["sgbv_case_id"], unique=False)

    with op.batch_alter_table("referrals", schema=None) as batch_op:
        batch_op.create_index(
            "ix_referrals_created_by_id_status", ["created_by_id", "status"], unique=False
        )

    with op.batch_alter_table("counselling_sessions", schema=None) as batch_op:
        batch_op.add_column(sa.Column("follow_up_on", sa.Date(), nullable=True))

    with op.batch_alter_table("outbox_events", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("channel", sa.String(length=16), server_default="webhook", nullable=False)
        )
        batch_op.add_column(sa.Column("user_id", sa.Uuid(), nullable=True))
        batch_op.alter_column("actor_code", existing_type=sa.VARCHAR(length=64), nullable=True)
        batch_op.create_foreign_key(
            batch_op.f("fk_outbox_events_user_id_users"),
            "users",
            ["user_id"],
            ["id"],
            ondelete="CASCADE",
        )

    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.add_column(sa.Column("email", sa.String(length=254), nullable=True))
        batch_op.add_column(sa.Column("language", sa.String(length=8), nullable=True))


def downgrade() -> None:
    # E-mails have no actor: they leave with the channel.
    op.execute("DELETE FROM outbox_events WHERE channel <> 'webhook'")
    with op.batch_alter_table("outbox_events", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_outbox_events_user_id_users"), type_="foreignkey")
        batch_op.alter_column("actor_code", existing_type=sa.VARCHAR(length=64), nullable=False)
        batch_op.drop_column("user_id")
        batch_op.drop_column("channel")

    with op.batch_alter_table("counselling_sessions", schema=None) as batch_op:
        batch_op.drop_column("follow_up_on")

    with op.batch_alter_table("referrals", schema=None) as batch_op:
        batch_op.drop_index("ix_referrals_created_by_id_status")

    with op.batch_alter_table("tasks", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_tasks_sgbv_case_id"))
        batch_op.drop_index(batch_op.f("ix_tasks_repatriation_file_id"))
        batch_op.drop_index(batch_op.f("ix_tasks_referral_id"))
        batch_op.drop_index(batch_op.f("ix_tasks_person_id"))
        batch_op.drop_index("ix_tasks_created_at_id")
        batch_op.drop_index("ix_tasks_assignee_id_status_due_on")

    op.drop_table("tasks")
    if op.get_bind().dialect.name == "sqlite":
        # SQLite's own DROP COLUMN: a batch copy of users would have to drop the table,
        # which the foreign keys of every table pointing at users refuse once rows exist.
        op.execute("ALTER TABLE users DROP COLUMN language")
        op.execute("ALTER TABLE users DROP COLUMN email")
    else:
        with op.batch_alter_table("users", schema=None) as batch_op:
            batch_op.drop_column("language")
            batch_op.drop_column("email")
