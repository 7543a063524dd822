"""Checks against the reference data, shared by every domain that stores a location."""

from __future__ import annotations

from typing import Any

from casework.core.errors import InvalidInput
from casework.reference.codesets import get_code_set


def check_location(region: str, admin2: str | None, code_set_name: str) -> None:
    """422 unless region is an admin1 P-code of the code set and admin2 lies inside it."""
    code_set = get_code_set(code_set_name)
    errors: list[dict[str, Any]] = []
    if not code_set.has_region(region):
        errors.append(
            {
                "loc": ["body", "region"],
                "msg": f"{region} is not a region P-code of {code_set.name}",
                "type": "region",
            }
        )
    elif admin2 is not None and not code_set.admin2_in_region(admin2, region):
        errors.append(
            {
                "loc": ["body", "admin2"],
                "msg": f"{admin2} is not an admin2 P-code inside {region} ({code_set.name})",
                "type": "admin2",
            }
        )
    if errors:
        raise InvalidInput("The location is not valid.", errors=errors)
