"""Schemathesis against the live OpenAPI document, as every role.

For each operation and role, a bounded number of generated requests (valid and
invalid): never a 5xx, and every response conforms to the schema (status code
declared, content type, body). Business outcomes (403/404/409/422 for a role or
scope) are the other tests' business: "valid data is accepted" does not hold in
an API scoped by role, organisation and region.
"""

from __future__ import annotations

import pytest
import schemathesis
from fastapi import FastAPI
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)
from sqlalchemy.orm import Session

from casework.main import create_app
from casework.reference.vocabularies import Role
from tests.conftest import join_test_transaction
from tests.factories import World, auth
from tests.test_authorization_matrix import world as world  # the matrix's world: its rows need it

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]
EXAMPLES_PER_OPERATION = 5


# Loaded once, eagerly: the app object stays, each test joins it to its own transaction.
fuzz_app = create_app()
schema = schemathesis.openapi.from_asgi("/openapi.json", fuzz_app)


@pytest.fixture
def joined(session: Session) -> FastAPI:
    return join_test_transaction(fuzz_app, session)


def _fuzz_as(role: Role) -> object:
    @schema.parametrize()
    @settings(
        max_examples=EXAMPLES_PER_OPERATION,
        deadline=None,
        suppress_health_check=list(HealthCheck),
        derandomize=True,
    )
    def test(case: schemathesis.Case, world: World, joined: FastAPI) -> None:
        case.call_and_validate(headers=auth(world.by_role(role)), checks=CHECKS)

    test.__name__ = f"test_fuzz_as_{role.value}"
    return test


# One test per role: schemathesis' lazy schemas take no parametrized fixtures.
for _role in Role:
    globals()[f"test_fuzz_as_{_role.value}"] = _fuzz_as(_role)
