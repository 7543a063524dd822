"""Administrative code sets (OCHA P-codes), loaded per country and version from data files.

Codes change meaning between versions (Mali's 2023 reorganisation reuses ML09
for Taoudénit in derived datasets), so records store the version they were
coded with and validation always names the code set it checks against.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources

DATA_FILES = ("mali_admin_pcodes.csv",)


@dataclass(frozen=True)
class Admin2:
    pcode: str
    name: str
    admin1: str


@dataclass(frozen=True)
class Admin1:
    pcode: str
    name_en: str
    name_fr: str
    admin2: tuple[Admin2, ...] = field(default=())


@dataclass(frozen=True)
class CodeSet:
    name: str
    regions: dict[str, Admin1]
    admin2: dict[str, Admin2]

    def has_region(self, pcode: str) -> bool:
        return pcode in self.regions

    def admin2_in_region(self, admin2: str, region: str) -> bool:
        unit = self.admin2.get(admin2)
        return unit is not None and unit.admin1 == region


@lru_cache
def code_sets() -> dict[str, CodeSet]:
    rows_by_set: dict[str, list[dict[str, str]]] = {}
    package = resources.files("casework.reference") / "data"
    for filename in DATA_FILES:
        text = (package / filename).read_text(encoding="utf-8")
        for row in csv.DictReader(io.StringIO(text, newline="")):
            rows_by_set.setdefault(row["code_set"], []).append(row)

    loaded: dict[str, CodeSet] = {}
    for name, rows in rows_by_set.items():
        admin2 = {
            r["admin2_pcode"]: Admin2(r["admin2_pcode"], r["admin2_name"], r["admin1_pcode"])
            for r in rows
        }
        regions: dict[str, Admin1] = {}
        for r in rows:
            if r["admin1_pcode"] not in regions:
                regions[r["admin1_pcode"]] = Admin1(
                    pcode=r["admin1_pcode"],
                    name_en=r["admin1_name_en"],
                    name_fr=r["admin1_name_fr"],
                    admin2=tuple(a for a in admin2.values() if a.admin1 == r["admin1_pcode"]),
                )
        loaded[name] = CodeSet(name=name, regions=regions, admin2=admin2)
    return loaded


def get_code_set(name: str) -> CodeSet:
    try:
        return code_sets()[name]
    except KeyError:
        raise LookupError(
            f"unknown code set {name!r}; known: {', '.join(sorted(code_sets()))}"
        ) from None
