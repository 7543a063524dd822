"""referrals: actors, persons, SGBV cases, consents, referrals and their history

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-27 05:48:17.889890
"""

import uuid
from collections.abc import Sequence
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SEED_NAMESPACE = uuid.UUID("3f0b3a52-7f59-4a8e-9a43-1d5b8e0c2a77")


# The contract's referral actors, with the services each accepts.
SEED_ACTORS = [
    ("CMCOORD", "Civil-military coordination (CMCOORD)", ["other", "safety_security"]),
    ("CVJR", "Commission Vérité, Justice et Réconciliation", ["legal", "psychosocial"]),
    ("RRM", "Mali Rapid Response Mechanism", ["livelihood", "other", "shelter"]),
    ("MINUSMA_HRPD", "MINUSMA Human Rights and Protection Division", ["legal", "safety_security"]),
]


def seed_actors() -> None:
    """Seed the contract's actors, and any actor code users already carry (so the
    new users.actor_code foreign key holds on an existing database)."""
    actors = sa.table(
        "actors",
        sa.column("id", sa.Uuid()),
        sa.column("code", sa.String()),
        sa.column("name", sa.String()),
        sa.column("services", sa.JSON()),
        sa.column("is_active", sa.Boolean()),
        sa.column("version", sa.Integer()),
        sa.column("created_at", sa.DateTime(timezone=True)),
        sa.column("updated_at", sa.DateTime(timezone=True)),
    )
    connection = op.get_bind()
    in_use = {
        code
        for (code,) in connection.execute(
            sa.text("SELECT DISTINCT actor_code FROM users WHERE actor_code IS NOT NULL")
        )
    }
    rows = list(SEED_ACTORS) + [
        (code, code, []) for code in sorted(in_use - {a[0] for a in SEED_ACTORS})
    ]
    now = datetime.now(UTC)
    if connection.dialect.name == "sqlite":
        now = now.replace(tzinfo=None)  # stored as naive UTC text, as the app does
    op.bulk_insert(
        actors,
        [
            {
                "id": uuid.uuid5(SEED_NAMESPACE, code),
                "code": code,
                "name": name,
                "services": services,
                "is_active": True,
                "version": 1,
                "created_at": now,
                "updated_at": now,
            }
            for code, name, services in rows
        ],
    )


def upgrade() -> None:
    op.create_table(
        "actors",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("code", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("services", sa.JSON(), nullable=False),
        sa.Column("is_active", sa.Boolean(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_actors")),
        sa.UniqueConstraint("code", name=op.f("uq_actors_code")),
    )
    op.create_table(
        "persons",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("registration_number", sa.Text(), nullable=True),
        sa.Column("registration_number_index", sa.String(length=64), nullable=True),
        sa.Column("full_name", sa.Text(), nullable=False),
        sa.Column("phone", sa.Text(), nullable=True),
        sa.Column("sex", sa.String(length=16), nullable=False),
        sa.Column("birth_year", sa.Integer(), nullable=True),
        sa.Column("nationality", sa.String(length=3), nullable=True),
        sa.Column("population_group", sa.String(length=32), nullable=True),
        sa.Column("region", sa.String(length=16), nullable=False),
        sa.Column("code_set", sa.String(length=64), nullable=False),
        sa.Column("organization_id", sa.Uuid(), nullable=False),
        sa.Column("created_by_id", sa.Uuid(), nullable=False),
        sa.Column("create_fingerprint", sa.String(length=64), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["created_by_id"],
            ["users.id"],
            name=op.f("fk_persons_created_by_id_users"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_persons_organization_id_organizations"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_persons")),
        sa.UniqueConstraint(
            "organization_id",
            "registration_number_index",
            name=op.f("uq_persons_organization_id_registration_number_index"),
        ),
    )
    with op.batch_alter_table("persons", schema=None) as batch_op:
        batch_op.create_index(
            "ix_persons_organization_id_created_at_id",
            ["organization_id", "created_at", "id"],
            unique=False,
        )
        batch_op.create_index(
            "ix_persons_region_created_at_id", ["region", "created_at", "id"], unique=False
        )
        batch_op.create_index(
            "ix_persons_registration_number_index", ["registration_number_index"], unique=False
        )

    op.create_table(
        "sgbv_cases",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("survivor_code", sa.String(length=32), nullable=False),
        sa.Column("gbv_type", sa.String(length=32), nullable=False),
        sa.Column("occurred_on", sa.Date(), nullable=False),
        sa.Column("region", sa.String(length=16), nullable=False),
        sa.Column("admin2", sa.String(length=16), nullable=True),
        sa.Column("code_set", sa.String(length=64), nullable=False),
        sa.Column("services_needed", sa.JSON(), nullable=False),
        sa.Column("narrative", sa.Text(), nullable=True),
        sa.Column("person_id", sa.Uuid(), nullable=True),
        sa.Column("organization_id", sa.Uuid(), nullable=False),
        sa.Column("created_by_id", sa.Uuid(), nullable=False),
        sa.Column("create_fingerprint", sa.String(length=64), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["created_by_id"],
            ["users.id"],
            name=op.f("fk_sgbv_cases_created_by_id_users"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_sgbv_cases_organization_id_organizations"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["person_id"],
            ["persons.id"],
            name=op.f("fk_sgbv_cases_person_id_persons"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sgbv_cases")),
        sa.UniqueConstraint(
            "organization_id",
            "survivor_code",
            name=op.f("uq_sgbv_cases_organization_id_survivor_code"),
        ),
    )
    with op.batch_alter_table("sgbv_cases", schema=None) as batch_op:
        batch_op.create_index(
            "ix_sgbv_cases_organization_id_created_at_id",
            ["organization_id", "created_at", "id"],
            unique=False,
        )
        batch_op.create_index(batch_op.f("ix_sgbv_cases_person_id"), ["person_id"], unique=False)
        batch_op.create_index(
            "ix_sgbv_cases_region_occurred_on", ["region", "occurred_on"], unique=False
        )

    op.create_table(
        "consents",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("person_id", sa.Uuid(), nullable=True),
        sa.Column("sgbv_case_id", sa.Uuid(), nullable=True),
        sa.Column("purpose", sa.String(length=32), nullable=False),
        sa.Column("actors", sa.JSON(), nullable=False),
        sa.Column("services", sa.JSON(), nullable=False),
        sa.Column("given_by", sa.String(length=32), nullable=False),
        sa.Column("given_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("organization_id", sa.Uuid(), nullable=False),
        sa.Column("recorded_by_id", sa.Uuid(), nullable=False),
        sa.Column("withdrawn_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("withdrawn_by_id", sa.Uuid(), nullable=True),
        sa.Column("withdrawal_reason", sa.Text(), nullable=True),
        sa.Column("create_fingerprint", sa.String(length=64), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "(person_id IS NULL) <> (sgbv_case_id IS NULL)",
            name=op.f("ck_consents_exactly_one_subject"),
        ),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_consents_organization_id_organizations"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["person_id"],
            ["persons.id"],
            name=op.f("fk_consents_person_id_persons"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["recorded_by_id"],
            ["users.id"],
            name=op.f("fk_consents_recorded_by_id_users"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["sgbv_case_id"],
            ["sgbv_cases.id"],
            name=op.f("fk_consents_sgbv_case_id_sgbv_cases"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["withdrawn_by_id"],
            ["users.id"],
            name=op.f("fk_consents_withdrawn_by_id_users"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_consents")),
    )
    with op.batch_alter_table("consents", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_consents_person_id"), ["person_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_consents_sgbv_case_id"), ["sgbv_case_id"], unique=False
        )

    op.create_table(
        "referrals",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("incident_id", sa.Uuid(), nullable=True),
        sa.Column("person_id", sa.Uuid(), nullable=True),
        sa.Column("sgbv_case_id", sa.Uuid(), nullable=True),
        sa.Column("actor_code", sa.String(length=64), nullable=False),
        sa.Column("services", sa.JSON(), nullable=False),
        sa.Column("urgency", sa.String(length=16), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("status", sa.String(length=32), nullable=False),
        sa.Column("region", sa.String(length=16), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("due_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("organization_id", sa.Uuid(), nullable=False),
        sa.Column("created_by_id", sa.Uuid(), nullable=False),
        sa.Column("create_fingerprint", sa.String(length=64), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "(CASE WHEN incident_id IS NULL THEN 0 ELSE 1 END"
            " + CASE WHEN person_id IS NULL THEN 0 ELSE 1 END"
            " + CASE WHEN sgbv_case_id IS NULL THEN 0 ELSE 1 END) = 1",
            name=op.f("ck_referrals_exactly_one_subject"),
        ),
        sa.ForeignKeyConstraint(
            ["actor_code"],
            ["actors.code"],
            name=op.f("fk_referrals_actor_code_actors"),
            onupdate="CASCADE",
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["created_by_id"],
            ["users.id"],
            name=op.f("fk_referrals_created_by_id_users"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["incident_id"],
            ["incidents.id"],
            name=op.f("fk_referrals_incident_id_incidents"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_referrals_organization_id_organizations"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["person_id"],
            ["persons.id"],
            name=op.f("fk_referrals_person_id_persons"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["sgbv_case_id"],
            ["sgbv_cases.id"],
            name=op.f("fk_referrals_sgbv_case_id_sgbv_cases"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_referrals")),
    )
    with op.batch_alter_table("referrals", schema=None) as batch_op:
        batch_op.create_index(
            "ix_referrals_actor_code_created_at_id",
            ["actor_code", "created_at", "id"],
            unique=False,
        )
        batch_op.create_index(batch_op.f("ix_referrals_incident_id"), ["incident_id"], unique=False)
        batch_op.create_index(
            "ix_referrals_organization_id_created_at_id",
            ["organization_id", "created_at", "id"],
            unique=False,
        )
        batch_op.create_index(batch_op.f("ix_referrals_person_id"), ["person_id"], unique=False)
        batch_op.create_index(
            "ix_referrals_region_created_at_id", ["region", "created_at", "id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_referrals_sgbv_case_id"), ["sgbv_case_id"], unique=False
        )
        batch_op.create_index("ix_referrals_status_due_at", ["status", "due_at"], unique=False)

    op.create_table(
        "referral_events",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("referral_id", sa.Uuid(), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("from_status", sa.String(length=32), nullable=True),
        sa.Column("to_status", sa.String(length=32), nullable=False),
        sa.Column("by_id", sa.Uuid(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("consent_override_reason", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["by_id"],
            ["users.id"],
            name=op.f("fk_referral_events_by_id_users"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["referral_id"],
            ["referrals.id"],
            name=op.f("fk_referral_events_referral_id_referrals"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_referral_events")),
    )
    with op.batch_alter_table("referral_events", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_referral_events_referral_id"), ["referral_id"], unique=False
        )
        batch_op.create_index(
            "uq_referral_events_referral_id_seq", ["referral_id", "seq"], unique=True
        )

    seed_actors()
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.create_foreign_key(
            batch_op.f("fk_users_actor_code_actors"),
            "actors",
            ["actor_code"],
            ["code"],
            onupdate="CASCADE",
            ondelete="RESTRICT",
        )


def downgrade() -> None:
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_users_actor_code_actors"), type_="foreignkey")

    with op.batch_alter_table("referral_events", schema=None) as batch_op:
        batch_op.drop_index("uq_referral_events_referral_id_seq")
        batch_op.drop_index(batch_op.f("ix_referral_events_referral_id"))

    op.drop_table("referral_events")
    with op.batch_alter_table("referrals", schema=None) as batch_op:
        batch_op.drop_index("ix_referrals_status_due_at")
        batch_op.drop_index(batch_op.f("ix_referrals_sgbv_case_id"))
        batch_op.drop_index("ix_referrals_region_created_at_id")
        batch_op.drop_index(batch_op.f("ix_referrals_person_id"))
        batch_op.drop_index("ix_referrals_organization_id_created_at_id")
        batch_op.drop_index(batch_op.f("ix_referrals_incident_id"))
        batch_op.drop_index("ix_referrals_actor_code_created_at_id")

    op.drop_table("referrals")
    with op.batch_alter_table("consents", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_consents_sgbv_case_id"))
        batch_op.drop_index(batch_op.f("ix_consents_person_id"))

    op.drop_table("consents")
    with op.batch_alter_table("sgbv_cases", schema=None) as batch_op:
        batch_op.drop_index("ix_sgbv_cases_region_occurred_on")
        batch_op.drop_index(batch_op.f("ix_sgbv_cases_person_id"))
        batch_op.drop_index("ix_sgbv_cases_organization_id_created_at_id")

    op.drop_table("sgbv_cases")
    with op.batch_alter_table("persons", schema=None) as batch_op:
        batch_op.drop_index("ix_persons_registration_number_index")
        batch_op.drop_index("ix_persons_region_created_at_id")
        batch_op.drop_index("ix_persons_organization_id_created_at_id")

    op.drop_table("persons")
    op.drop_table("actors")
