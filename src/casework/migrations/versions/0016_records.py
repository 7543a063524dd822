"""attachments; referrals on hold when their consent is withdrawn

Revision ID: 0016_records
Revises: 0015_tasks
Create Date: 2026-11-27 23:20:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0016_records"
down_revision: str | None = "0015_tasks"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SUBJECTS = ("person_id", "sgbv_case_id", "repatriation_file_id", "consent_id")


def upgrade() -> None:
    op.create_table(
        "attachments",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("person_id", sa.Uuid(), nullable=True),
        sa.Column("sgbv_case_id", sa.Uuid(), nullable=True),
        sa.Column("repatriation_file_id", sa.Uuid(), nullable=True),
        sa.Column("consent_id", sa.Uuid(), nullable=True),
        sa.Column("filename", sa.Text(), nullable=False),
        sa.Column("media_type", sa.String(length=64), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("sha256", sa.Text(), nullable=False),
        sa.Column("blob_name", sa.String(length=200), nullable=False),
        sa.Column("key_id", sa.String(length=64), nullable=False),
        sa.Column("organization_id", sa.Uuid(), nullable=False),
        sa.Column("uploaded_by_id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("create_fingerprint", sa.String(length=64), nullable=False),
        sa.CheckConstraint(
            " + ".join(f"CASE WHEN {name} IS NULL THEN 0 ELSE 1 END" for name in SUBJECTS) + " = 1",
            name=op.f("ck_attachments_exactly_one_subject"),
        ),
        sa.ForeignKeyConstraint(
            ["person_id"],
            ["persons.id"],
            name=op.f("fk_attachments_person_id_persons"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["sgbv_case_id"],
            ["sgbv_cases.id"],
            name=op.f("fk_attachments_sgbv_case_id_sgbv_cases"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["repatriation_file_id"],
            ["repatriation_files.id"],
            name=op.f("fk_attachments_repatriation_file_id_repatriation_files"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["consent_id"],
            ["consents.id"],
            name=op.f("fk_attachments_consent_id_consents"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_attachments_organization_id_organizations"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["uploaded_by_id"],
            ["users.id"],
            name=op.f("fk_attachments_uploaded_by_id_users"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_attachments")),
        sa.UniqueConstraint("blob_name", name=op.f("uq_attachments_blob_name")),
    )
    for name in SUBJECTS:
        op.create_index(op.f(f"ix_attachments_{name}"), "attachments", [name])
    op.create_index("ix_attachments_created_at_id", "attachments", ["created_at", "id"])
    op.create_index("ix_attachments_key_id", "attachments", ["key_id"])

    with op.batch_alter_table("referrals") as batch:
        batch.add_column(sa.Column("on_hold_from", sa.String(length=32), nullable=True))
    with op.batch_alter_table("referral_events") as batch:
        batch.alter_column("by_id", existing_type=sa.Uuid(), nullable=True)


def downgrade() -> None:
    # Moves made by casework itself have no user: they cannot survive a NOT NULL by_id.
    op.execute("DELETE FROM referral_events WHERE by_id IS NULL")
    op.execute(
        "UPDATE referrals SET status = on_hold_from WHERE status = 'on_hold' "
        "AND on_hold_from IS NOT NULL"
    )
    with op.batch_alter_table("referral_events") as batch:
        batch.alter_column("by_id", existing_type=sa.Uuid(), nullable=False)
    with op.batch_alter_table("referrals") as batch:
        batch.drop_column("on_hold_from")
    op.drop_index("ix_attachments_key_id", table_name="attachments")
    op.drop_index("ix_attachments_created_at_id", table_name="attachments")
    for name in SUBJECTS:
        op.drop_index(op.f(f"ix_attachments_{name}"), table_name="attachments")
    op.drop_table("attachments")
