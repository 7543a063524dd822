"""duplicate persons: keyed name tokens, a keyed phone index, merged_into

The tokens and the phone index are keyed hashes: computing them needs the blind
index key and the decrypted names, which a schema migration does not hold. Existing
persons are therefore left unindexed here (``name_index_scheme`` NULL) and indexed by
``casework index-persons`` (safe to run again; docs/records.md). A person is also
indexed when created or changed, and when its own duplicates are asked for.

Revision ID: 0017_duplicates
Revises: 0016_records
Create Date: 2026-11-28 02:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0017_duplicates"
down_revision: str | None = "0016_records"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


COLUMNS = ("phone_index", "name_index_scheme", "merged_into_id")


def upgrade() -> None:
    # Plain nullable columns: SQLite adds them in place. (A foreign key would make it
    # rebuild persons, and dropping the old table cascades into the persons' history.)
    with op.batch_alter_table("persons", schema=None) as batch_op:
        batch_op.add_column(sa.Column("phone_index", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("name_index_scheme", sa.SmallInteger(), nullable=True))
        batch_op.add_column(sa.Column("merged_into_id", sa.Uuid(), nullable=True))
    op.create_table(
        "person_name_tokens",
        sa.Column("person_id", sa.Uuid(), nullable=False),
        sa.Column("part", sa.SmallInteger(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("token", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(
            ["person_id"],
            ["persons.id"],
            name=op.f("fk_person_name_tokens_person_id_persons"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "person_id", "part", "kind", "token", name=op.f("pk_person_name_tokens")
        ),
    )
    op.create_index("ix_person_name_tokens_token", "person_name_tokens", ["token"])


def downgrade() -> None:
    op.drop_index("ix_person_name_tokens_token", table_name="person_name_tokens")
    op.drop_table("person_name_tokens")
    if op.get_bind().dialect.name == "sqlite":
        # SQLite's own DROP COLUMN: a batch copy would drop persons, and with it (ON DELETE
        # CASCADE) every person's history.
        for column in reversed(COLUMNS):
            op.execute(f"ALTER TABLE persons DROP COLUMN {column}")
    else:
        with op.batch_alter_table("persons", schema=None) as batch_op:
            for column in reversed(COLUMNS):
                batch_op.drop_column(column)
