"""case management: owners and status on persons and SGBV cases, case history, transfers

Existing cases are backfilled as open, owned by their creator when that user is
still active, in the case's organisation and of a role that may own it
(caseworker or GBV caseworker for persons, GBV caseworker for SGBV cases);
otherwise the owner is NULL ("unassigned": a supervisor assigns one). Each
existing case gets its creation entry in the new history, dated at its creation.

Revision ID: 0014_cases
Revises: 0011_security
Create Date: 2026-11-27 22:50:00.000000
"""

import uuid
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0014_cases"
down_revision: str | None = "0011_security"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

CASES = (
    # table, events table, events' foreign key, roles that may own
    ("persons", "person_events", "person_id", ("caseworker", "gbv_caseworker")),
    ("sgbv_cases", "sgbv_case_events", "sgbv_case_id", ("gbv_caseworker",)),
)


def _fk(table: str, column: str, referred: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        [column],
        [f"{referred}.id"],
        name=op.f(f"fk_{table}_{column}_{referred}"),
        ondelete="RESTRICT",
    )


def _create_transfers() -> None:
    op.create_table(
        "transfers",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("person_id", sa.Uuid(), nullable=True),
        sa.Column("sgbv_case_id", sa.Uuid(), nullable=True),
        sa.Column("status", sa.String(length=32), nullable=False),
        sa.Column("from_organization_id", sa.Uuid(), nullable=False),
        sa.Column("to_organization_id", sa.Uuid(), nullable=False),
        sa.Column("region", sa.String(length=16), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("requested_by_id", sa.Uuid(), nullable=False),
        sa.Column("decided_by_id", sa.Uuid(), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("organization_id", sa.Uuid(), nullable=False),
        sa.Column("create_fingerprint", sa.String(length=64), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "(person_id IS NULL) <> (sgbv_case_id IS NULL)",
            name=op.f("ck_transfers_exactly_one_subject"),
        ),
        _fk("transfers", "person_id", "persons"),
        _fk("transfers", "sgbv_case_id", "sgbv_cases"),
        _fk("transfers", "from_organization_id", "organizations"),
        _fk("transfers", "to_organization_id", "organizations"),
        _fk("transfers", "organization_id", "organizations"),
        _fk("transfers", "requested_by_id", "users"),
        _fk("transfers", "decided_by_id", "users"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_transfers")),
    )
    with op.batch_alter_table("transfers", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_transfers_person_id"), ["person_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_transfers_sgbv_case_id"), ["sgbv_case_id"], unique=False
        )
        batch_op.create_index(
            "ix_transfers_to_organization_id_status",
            ["to_organization_id", "status"],
            unique=False,
        )
        batch_op.create_index(
            "ix_transfers_from_organization_id_status",
            ["from_organization_id", "status"],
            unique=False,
        )
        batch_op.create_index(
            "ix_transfers_region_created_at_id", ["region", "created_at", "id"], unique=False
        )

    op.create_table(
        "transfer_events",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("transfer_id", sa.Uuid(), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("from_status", sa.String(length=32), nullable=True),
        sa.Column("to_status", sa.String(length=32), nullable=False),
        sa.Column("by_id", sa.Uuid(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("consent_override_reason", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["transfer_id"],
            ["transfers.id"],
            name=op.f("fk_transfer_events_transfer_id_transfers"),
            ondelete="CASCADE",
        ),
        _fk("transfer_events", "by_id", "users"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_transfer_events")),
    )
    with op.batch_alter_table("transfer_events", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_transfer_events_transfer_id"), ["transfer_id"], unique=False
        )
        batch_op.create_index(
            "uq_transfer_events_transfer_id_seq", ["transfer_id", "seq"], unique=True
        )


def _create_case_events(table: str, events: str, key: str) -> None:
    op.create_table(
        events,
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column(key, sa.Uuid(), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("event", sa.String(length=32), nullable=False),
        sa.Column("from_status", sa.String(length=32), nullable=True),
        sa.Column("to_status", sa.String(length=32), nullable=False),
        sa.Column("owner_id", sa.Uuid(), nullable=True),
        sa.Column("organization_id", sa.Uuid(), nullable=False),
        sa.Column("transfer_id", sa.Uuid(), nullable=True),
        sa.Column("by_id", sa.Uuid(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            [key], [f"{table}.id"], name=op.f(f"fk_{events}_{key}_{table}"), ondelete="CASCADE"
        ),
        _fk(events, "owner_id", "users"),
        _fk(events, "organization_id", "organizations"),
        _fk(events, "transfer_id", "transfers"),
        _fk(events, "by_id", "users"),
        sa.PrimaryKeyConstraint("id", name=op.f(f"pk_{events}")),
    )
    with op.batch_alter_table(events, schema=None) as batch_op:
        batch_op.create_index(batch_op.f(f"ix_{events}_{key}"), [key], unique=False)
        batch_op.create_index(f"uq_{events}_{key}_seq", [key, "seq"], unique=True)


def _backfill(table: str, events: str, key: str, owner_roles: tuple[str, ...]) -> None:
    """Owners from creators who may still own the case; a creation entry per case."""
    connection = op.get_bind()
    cases = sa.table(
        table,
        sa.column("id", sa.Uuid()),
        sa.column("organization_id", sa.Uuid()),
        sa.column("created_by_id", sa.Uuid()),
        sa.column("created_at", sa.DateTime(timezone=True)),
        sa.column("owner_id", sa.Uuid()),
    )
    users = sa.table(
        "users",
        sa.column("id", sa.Uuid()),
        sa.column("organization_id", sa.Uuid()),
        sa.column("role", sa.String()),
        sa.column("is_active", sa.Boolean()),
    )
    history = sa.table(
        events,
        sa.column("id", sa.Uuid()),
        sa.column(key, sa.Uuid()),
        sa.column("seq", sa.Integer()),
        sa.column("event", sa.String()),
        sa.column("from_status", sa.String()),
        sa.column("to_status", sa.String()),
        sa.column("owner_id", sa.Uuid()),
        sa.column("organization_id", sa.Uuid()),
        sa.column("by_id", sa.Uuid()),
        sa.column("at", sa.DateTime(timezone=True)),
    )
    eligible = (
        sa.select(users.c.id)
        .where(
            users.c.id == cases.c.created_by_id,
            users.c.organization_id == cases.c.organization_id,
            users.c.role.in_(owner_roles),
            users.c.is_active.is_(True),
        )
        .exists()
    )
    connection.execute(sa.update(cases).where(eligible).values(owner_id=cases.c.created_by_id))
    rows = connection.execute(
        sa.select(
            cases.c.id,
            cases.c.organization_id,
            cases.c.created_by_id,
            cases.c.created_at,
            cases.c.owner_id,
        )
    ).all()
    if rows:
        connection.execute(
            sa.insert(history),
            [
                {
                    "id": uuid.uuid4(),
                    key: row.id,
                    "seq": 1,
                    "event": "created",
                    "from_status": None,
                    "to_status": "open",
                    "owner_id": row.owner_id,
                    "organization_id": row.organization_id,
                    "by_id": row.created_by_id,
                    "at": row.created_at,
                }
                for row in rows
            ],
        )


def upgrade() -> None:
    _create_transfers()
    for table, events, key, owner_roles in CASES:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(sa.Column("owner_id", sa.Uuid(), nullable=True))
            batch_op.add_column(
                sa.Column("status", sa.String(length=32), server_default="open", nullable=False)
            )
            batch_op.create_foreign_key(
                batch_op.f(f"fk_{table}_owner_id_users"),
                "users",
                ["owner_id"],
                ["id"],
                ondelete="RESTRICT",
            )
            batch_op.create_index(f"ix_{table}_owner_id_status", ["owner_id", "status"])
        _create_case_events(table, events, key)
        _backfill(table, events, key, owner_roles)


def downgrade() -> None:
    for table, events, _key, _roles in reversed(CASES):
        op.drop_table(events)
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_index(f"ix_{table}_owner_id_status")
            batch_op.drop_constraint(batch_op.f(f"fk_{table}_owner_id_users"), type_="foreignkey")
            batch_op.drop_column("status")
            batch_op.drop_column("owner_id")
    op.drop_table("transfer_events")
    op.drop_table("transfers")
