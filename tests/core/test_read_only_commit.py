"""A request's transaction that wrote nothing is ended without a hop to a worker thread
(``core.db._only_read``); one that wrote, or has something to flush, still takes the hop."""

from __future__ import annotations

from sqlalchemy import Engine, select, text
from sqlalchemy.orm import Session

from casework.auth.models import Organization
from casework.core.db import _only_read


def test_an_unused_session_only_read(engine: Engine) -> None:
    with Session(engine) as session:
        assert _only_read(session)


def test_reads_only_read(engine: Engine) -> None:
    with Session(engine) as session:
        session.execute(select(Organization.id)).all()
        session.execute(text("SELECT 1"))
        assert _only_read(session)


def test_a_statement_that_wrote_is_not_a_read(engine: Engine) -> None:
    with Session(engine) as session:
        session.execute(text("UPDATE organizations SET name = name WHERE code = 'none'"))
        assert not _only_read(session)
        session.commit()
        session.execute(select(Organization.id)).all()
        assert _only_read(session)  # a new transaction starts afresh


def test_something_to_flush_is_not_a_read(engine: Engine) -> None:
    with Session(engine) as session:
        session.add(Organization(code="ORGX", name="X"))
        assert not _only_read(session)
        session.flush()
        assert not _only_read(session)  # flushed: the INSERT wrote


def test_a_locking_read_is_not_a_read(engine: Engine) -> None:
    with Session(engine) as session:
        session.execute(select(Organization.id).with_for_update()).all()
        assert not _only_read(session)
