"""Proactive content negotiation (RFC 9110 section 12.5.1): ``Accept`` with q-values.

For each media type the server can produce, the most specific media range of
``Accept`` that matches it gives its quality (``text/csv`` beats ``text/*``,
which beats ``*/*``; a range with parameters beats one without); a type no range
matches, or one with ``q=0``, is not acceptable. The acceptable type of highest
quality wins; ties go to the server's order of preference. No ``Accept`` at all
means anything is acceptable.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

_QVALUE = re.compile(r"^(0(\.[0-9]{0,3})?|1(\.0{0,3})?)$")
_TOKEN = re.compile(r"^[!#$%&'*+.^_`|~0-9A-Za-z-]+$")


@dataclass(frozen=True)
class MediaRange:
    type: str
    subtype: str
    params: frozenset[tuple[str, str]]
    q: float

    def matches(self, media_type: MediaType) -> bool:
        if self.type != "*" and self.type != media_type.type:
            return False
        if self.subtype != "*" and self.subtype != media_type.subtype:
            return False
        return self.params <= media_type.params

    @property
    def specificity(self) -> tuple[int, int]:
        exact = (self.type != "*") + (self.subtype != "*")
        return exact, len(self.params)


@dataclass(frozen=True)
class MediaType:
    type: str
    subtype: str
    params: frozenset[tuple[str, str]]

    @classmethod
    def parse(cls, value: str) -> MediaType:
        name, *params = value.split(";")
        type_, _, subtype = name.strip().lower().partition("/")
        return cls(type_, subtype, frozenset(_param(p) for p in params if "=" in p))


def _param(text: str) -> tuple[str, str]:
    key, _, value = text.strip().partition("=")
    return key.strip().lower(), value.strip().strip('"').lower()


def parse_accept(header: str) -> list[MediaRange]:
    """The media ranges of an Accept field value; malformed members are ignored."""
    ranges = []
    for member in header.split(","):
        name, *params = member.split(";")
        type_, slash, subtype = name.strip().lower().partition("/")
        if not slash or not _TOKEN.match(type_) or not _TOKEN.match(subtype):
            continue
        if type_ == "*" and subtype != "*":
            continue
        q = 1.0
        media_params: set[tuple[str, str]] = set()
        valid = True
        for raw in params:
            key, value = _param(raw)
            if key == "q":  # "q" ends the media type's parameters (RFC 9110 12.4.2)
                valid = bool(_QVALUE.match(value))
                q = float(value) if valid else 0.0
                break
            media_params.add((key, value))
        if valid:
            ranges.append(MediaRange(type_, subtype, frozenset(media_params), q))
    return ranges


def quality(media_type: str, ranges: Sequence[MediaRange]) -> float:
    """The quality Accept gives to one media type (0 when nothing matches)."""
    candidate = MediaType.parse(media_type)
    matching = [r for r in ranges if r.matches(candidate)]
    if not matching:
        return 0.0
    return max(matching, key=lambda r: r.specificity).q


def choose(accept: str | None, available: Sequence[str]) -> str | None:
    """The media type to send, from ``available`` in the server's order; None: 406."""
    if not available:
        return None
    if accept is None or not accept.strip():
        return available[0]
    ranges = parse_accept(accept)
    if not ranges:  # nothing parseable: as if Accept were absent
        return available[0]
    scored = [
        (quality(media_type, ranges), -i, media_type) for i, media_type in enumerate(available)
    ]
    best_q, _, best = max(scored)
    return best if best_q > 0 else None
