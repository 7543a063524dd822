"""CSV and HXL downloads: valid HXL for every dataset and dimension, no formula injection."""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Any

import hxl
import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from casework.reports.datasets import DATASETS, dimension_names
from casework.reports.service import HXL_TAGS, neutralise_formula
from tests.factories import World, auth, make_file, make_incident, make_session

REPORT = "/api/v1/reports/aggregates"
LOCAL = hxl.InputOptions(allow_local=True)  # libhxl refuses local files by default
HOSTILE = ['=HYPERLINK("http://x")', "+1+1", "-2+3", "@SUM(A1)", "\tcmd", "\rcmd"]


@pytest.fixture
def filled(world: World, session: Session) -> World:
    """Rows in every dataset, some with free text a spreadsheet would run as a formula."""
    monitor = world.user("supervisor_all")
    for when in ("2026-02-10", "2026-05-03", "2026-11-20"):
        make_incident(session, monitor, occurred_on=when)
    caseworker = world.user("caseworker_a")
    for text in HOSTILE:
        make_session(
            session, caseworker, office=text, sex="female", age_group="18-59", region="ML07"
        )
        make_file(
            session,
            caseworker,
            destination=text,
            principal_person_id=str(world.persons["a"].id),
        )
    session.commit()
    return world


def every_export() -> list[tuple[str, str]]:
    found = []
    for name, dataset in DATASETS.items():
        for dimension in dimension_names(dataset):
            found.append((name, dimension))
        found.append((name, "region,quarter,year"))
    return found


def schema_errors(path: Path) -> list[str]:
    errors: list[str] = []

    def collect(error: Any) -> None:
        if error.rule.severity == "error":
            errors.append(f"{error.rule.tag_pattern}: {error.value!r} {error.message}")

    schema = hxl.schema(callback=collect)  # libhxl's default schema
    schema.validate(hxl.data(str(path), LOCAL))
    return errors


def test_every_hxl_tag_is_used_once_per_dimension() -> None:
    for dataset in DATASETS.values():
        tags = [HXL_TAGS[d] for d in dimension_names(dataset)]
        assert len(set(tags)) == len(tags), dataset.name
        assert all(tag.startswith("#") for tag in tags)
    # People categories are not armed groups, and the core attribute is +dest.
    assert not any(HXL_TAGS[d].startswith("#group") for d in ("sex", "age_group"))
    assert not HXL_TAGS["population_group"].startswith("#group")
    assert "+dest" in HXL_TAGS["destination"].split("+")[1:] or HXL_TAGS["destination"].endswith(
        "+dest"
    )


@pytest.mark.parametrize(("dataset", "group_by"), every_export())
def test_every_hxl_export_passes_the_default_schema(
    client: TestClient, filled: World, tmp_path: Path, dataset: str, group_by: str
) -> None:
    response = client.get(
        REPORT,
        params={"dataset": dataset, "group_by": group_by, "format": "hxl"},
        headers=auth(filled.user("reporting")),
    )
    assert response.status_code == 200, response.text
    export = tmp_path / f"{dataset}.csv"
    export.write_bytes(response.content)
    assert schema_errors(export) == []
    columns = hxl.data(str(export), LOCAL).columns
    assert [c.display_tag for c in columns][-2:] == ["#indicator+num", "#meta+suppressed"]


def test_quarters_read_as_dates_in_hxl(client: TestClient, filled: World, tmp_path: Path) -> None:
    response = client.get(
        REPORT,
        params={"dataset": "incidents", "group_by": "quarter", "format": "hxl"},
        headers=auth(filled.user("reporting")),
    )
    export = tmp_path / "quarters.csv"
    export.write_bytes(response.content)
    quarters = [row.get("#date+quarter") for row in hxl.data(str(export), LOCAL)]
    assert "2026Q2" in quarters
    assert all(hxl.datatypes.is_date(q) for q in quarters)
    # JSON keeps 2026-Q2.
    body = client.get(
        REPORT,
        params={"dataset": "incidents", "group_by": "quarter"},
        headers=auth(filled.user("reporting")),
    ).json()
    assert "2026-Q2" in {r["quarter"] for r in body["rows"]}


@pytest.mark.parametrize("text", HOSTILE)
def test_formula_injection_is_neutralised(text: str) -> None:
    assert neutralise_formula(text) == "'" + text
    assert neutralise_formula("Bamako reception") == "Bamako reception"
    assert neutralise_formula("2026-05") == "2026-05"


@pytest.mark.parametrize(
    ("dataset", "column"), [("counselling", "office"), ("repatriation", "destination")]
)
@pytest.mark.parametrize("fmt", ["csv", "hxl"])
def test_formula_injection_in_downloads(
    client: TestClient, filled: World, dataset: str, column: str, fmt: str
) -> None:
    text = client.get(
        REPORT,
        params={"dataset": dataset, "group_by": column, "format": fmt},
        headers=auth(filled.user("reporting")),
    ).text
    rows = list(csv.reader(io.StringIO(text)))
    body = rows[2:] if fmt == "hxl" else rows[1:]
    if fmt == "hxl":
        assert rows[1][0].startswith("#")  # the hashtag row is ours, never neutralised
    values = {row[0] for row in body}
    # Leading tab and CR are stripped when the record is saved; the rest reach the export.
    assert {"'" + hostile for hostile in HOSTILE if not hostile[0].isspace()} <= values
    for value in values:
        assert not value.startswith(("=", "+", "-", "@", "\t", "\r")), value
    for row in body:
        assert row[1] == "" or int(row[1]) >= 0  # counts stay numbers
