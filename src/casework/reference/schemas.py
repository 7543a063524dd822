from __future__ import annotations

from pydantic import BaseModel


class Term(BaseModel):
    code: str
    en: str
    fr: str


class Admin2Read(BaseModel):
    pcode: str
    name: str


class RegionRead(BaseModel):
    pcode: str
    name_en: str
    name_fr: str
    admin2: list[Admin2Read]


class ReferenceRead(BaseModel):
    code_set: str
    code_sets: list[str]
    regions: list[RegionRead]
    vocabularies: dict[str, list[Term]]
