from __future__ import annotations

import pytest
from sqlalchemy.orm import Session

from tests.factories import World, add_case_management, build_world


@pytest.fixture
def world(session: Session) -> World:
    world = add_case_management(session, build_world(session))
    session.commit()
    return world
