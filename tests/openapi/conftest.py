"""The OpenAPI document as the independent tools client authors use read it."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from casework.main import create_app


@pytest.fixture(scope="session")
def document() -> dict[str, Any]:
    return create_app().openapi()


@pytest.fixture(scope="session")
def document_file(document: dict[str, Any], tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("openapi") / "openapi.json"
    path.write_text(json.dumps(document, indent=1))
    return path
