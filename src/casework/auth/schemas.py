from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

from pydantic import Field, SecretStr, StringConstraints

from casework.core.schemas import ReadModel, WriteModel
from casework.reference.vocabularies import Language, Role

Username = Annotated[
    str,
    StringConstraints(min_length=3, max_length=64, pattern=r"^[A-Za-z0-9._@-]+$", to_lower=True),
    Field(examples=["monitor.gao"]),
]
OrgCode = Annotated[
    str,
    StringConstraints(min_length=2, max_length=64, pattern=r"^[A-Za-z0-9_-]+$", to_upper=True),
    Field(examples=["SPP"]),
]
ActorCode = Annotated[
    str,
    StringConstraints(min_length=2, max_length=64, pattern=r"^[A-Za-z0-9_-]+$", to_upper=True),
    Field(examples=["CVJR"]),
]
RegionCode = Annotated[str, StringConstraints(min_length=2, max_length=16, to_upper=True)]
Password = Annotated[SecretStr, Field(min_length=1, max_length=256)]
# One address, no display name: local part @ a domain with a dot; nothing that could
# break out of a mail header (whitespace, control characters, commas, angle brackets).
Email = Annotated[
    str,
    StringConstraints(
        max_length=254,
        pattern=r"^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]{1,64}@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+$",
        strip_whitespace=True,
    ),
    Field(examples=["focal.point@example.org"]),
]


class Token(ReadModel):
    access_token: str
    token_type: str = "bearer"  # noqa: S105 - the OAuth2 token type
    expires_in: int = Field(description="Seconds until the token expires")


class UserCreate(WriteModel):
    username: Username
    password: Password
    role: Role
    organization: OrgCode | None = Field(default=None, description="Organisation code")
    regions: list[RegionCode] = Field(default_factory=list, max_length=50)
    actor: ActorCode | None = Field(default=None, description="Referral actor code (focal points)")
    email: Email | None = Field(default=None, description="Where notifications are e-mailed")
    language: Language | None = Field(default=None, description="Language of e-mails")


class UserUpdate(WriteModel):
    password: Password | None = None
    role: Role | None = None
    organization: OrgCode | None = None
    regions: list[RegionCode] | None = Field(default=None, max_length=50)
    actor: ActorCode | None = None
    is_active: bool | None = None
    email: Email | None = Field(default=None, description="null removes the address")
    language: Language | None = None


class UserRead(ReadModel):
    id: uuid.UUID
    username: str
    role: Role
    organization: str | None
    regions: list[str]
    actor: str | None
    email: str | None
    language: Language | None
    is_active: bool
    version: int
    created_at: datetime
    updated_at: datetime


class OrganizationCreate(WriteModel):
    code: OrgCode
    name: Annotated[str, StringConstraints(min_length=1, max_length=200)]


class OrganizationRead(ReadModel):
    id: uuid.UUID
    code: str
    name: str
    created_at: datetime


class ApiKeyCreate(WriteModel):
    name: Annotated[str, StringConstraints(min_length=1, max_length=100)]


class ApiKeyCreated(ReadModel):
    id: uuid.UUID
    name: str
    key: str = Field(description="Shown only in this response: store it now")
    created_at: datetime


class ApiKeyRead(ReadModel):
    id: uuid.UUID
    name: str
    prefix: str
    created_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None
