"""Re-encrypt every encrypted column under the keyring's active key (``casework rotate-key``)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass

from sqlalchemy import Column, Engine, Table, Text, func, select, type_coerce, update

from casework.core.crypto import EncryptedText, Keyring
from casework.core.db import Base

BATCH = 500


@dataclass(frozen=True)
class EncryptedColumn:
    table: Table
    column: Column[str]
    context: str

    @property
    def name(self) -> str:
        return f"{self.table.name}.{self.column.name}"


def encrypted_columns() -> Iterator[EncryptedColumn]:
    import casework.models  # noqa: F401 - every model registered on Base.metadata

    for table in Base.metadata.sorted_tables:
        for column in table.columns:
            if isinstance(column.type, EncryptedText):
                yield EncryptedColumn(table, column, column.type.context)


def rotate(
    engine: Engine,
    keyring: Keyring,
    progress: Callable[[str, int, int], None] = lambda name, done, total: None,
) -> dict[str, int]:
    """Re-encrypt values not yet under the active key; returns rows rewritten per column.

    Works on raw stored text (the column read as plain Text), one batch per
    transaction, so it can be interrupted and run again: values already under
    the active key are skipped.
    """
    prefix = f"v1:{keyring.active}:"
    rewritten: dict[str, int] = {}
    for target in encrypted_columns():
        raw = type_coerce(target.column, Text)
        stale = raw.is_not(None) & ~raw.startswith(prefix, autoescape=True)
        key_columns = list(target.table.primary_key.columns)
        with engine.connect() as connection:
            total = connection.execute(
                select(func.count()).select_from(target.table).where(stale)
            ).scalar_one()
        done = 0
        progress(target.name, done, total)
        while True:
            with engine.begin() as connection:
                rows = connection.execute(
                    select(*key_columns, raw.label("raw")).where(stale).limit(BATCH)
                ).all()
                for *key, stored in rows:
                    plaintext = keyring.decrypt(stored, target.context)
                    connection.execute(
                        update(target.table)
                        .where(
                            *(
                                column == value
                                for column, value in zip(key_columns, key, strict=True)
                            )
                        )
                        .values(
                            {
                                target.column.name: type_coerce(
                                    keyring.encrypt(plaintext, target.context), Text
                                )
                            }
                        )
                    )
            done += len(rows)
            progress(target.name, done, total)
            if len(rows) < BATCH:
                break
        rewritten[target.name] = done
    return rewritten
