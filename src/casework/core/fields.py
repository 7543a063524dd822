"""Field types shared by several domains' schemas."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Annotated

from pydantic import AfterValidator, Field, StringConstraints


def _not_in_future(value: date) -> date:
    # "Today" is taken in UTC, the time of Mali and of the server's records.
    if value > datetime.now(UTC).date():
        raise ValueError("must not be in the future")
    return value


def _moment_not_in_future(value: datetime) -> datetime:
    if value.tzinfo is None:
        raise ValueError("must carry a time zone")
    if value > datetime.now(UTC):
        raise ValueError("must not be in the future")
    return value.astimezone(UTC)


PastDate = Annotated[date, AfterValidator(_not_in_future)]
PastMoment = Annotated[datetime, AfterValidator(_moment_not_in_future)]
_PCODE = StringConstraints(
    min_length=2, max_length=16, pattern=r"^[A-Za-z]{2}[0-9]+$", to_upper=True
)
# The examples are what "Try it out" sends: real codes of the Mali code set.
PCode = Annotated[str, _PCODE, Field(examples=["ML07"])]
Admin2Code = Annotated[str, _PCODE, Field(examples=["ML0701"])]
CountryCode = Annotated[
    str,
    StringConstraints(min_length=3, max_length=3, pattern=r"^[A-Za-z]{3}$", to_upper=True),
    Field(examples=["MLI"]),
]
ShortText = Annotated[str, StringConstraints(min_length=1, max_length=200)]
LongText = Annotated[str, StringConstraints(min_length=1, max_length=10_000)]
