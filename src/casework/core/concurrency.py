"""Optimistic concurrency over HTTP: ``ETag`` out, ``If-Match`` in, 412 when stale."""

from __future__ import annotations

from typing import Annotated

from fastapi import Header, Response

from casework.core.errors import StaleVersion

IfMatchHeader = Annotated[
    str | None,
    Header(
        alias="If-Match",
        description='The ETag you last read (e.g. "3"); a stale one gets 412.',
        max_length=200,
    ),
]


def etag_for(version: int) -> str:
    return f'"{version}"'


def set_etag(response: Response, version: int) -> None:
    response.headers["ETag"] = etag_for(version)


def check_if_match(if_match: str | None, current_version: int) -> None:
    """Raise StaleVersion unless If-Match is absent, ``*`` or names the current version.

    If-Match uses the strong comparison (RFC 9110 sections 8.8.3.2 and 13.1.1): a weak
    tag (``W/"3"``) never matches. The 412 carries the current ETag.
    """
    if if_match is None:
        return
    candidates = [tag.strip() for tag in if_match.split(",")]
    current = etag_for(current_version)
    for tag in candidates:
        if tag in ("*", current):
            return
    raise StaleVersion(
        f"The record has changed since you read it (current ETag {current}); "
        "read it again and re-apply your change.",
        current_version=current_version,
        headers={"ETag": current},
    )
