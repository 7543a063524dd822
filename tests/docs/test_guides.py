"""The README stays short and points at guides that exist; no guide reads like a diary."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
LINK = re.compile(r"\]\(([^)#\s]+)(#[^)]*)?\)")


def prose(text: str) -> str:
    """The text without fenced blocks and inline code (examples may hold dates and ids)."""
    text = re.sub(r"```.*?```", "", text, flags=re.S)
    return re.sub(r"`[^`]*`", "", text)


def test_readme_is_short_and_names_the_two_commands() -> None:
    readme = (ROOT / "README.md").read_text()
    assert len(readme.encode()) < 15_000
    assert "make run" in readme
    assert "make test" in readme
    assert "CONTRACT" not in readme  # a clone does not have it


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.name)
def test_relative_links_point_at_files_that_exist(page: Path) -> None:
    for target, _anchor in LINK.findall(page.read_text()):
        if re.match(r"[a-z]+:", target):
            continue
        assert (page.parent / target).exists(), f"{page.name} links to missing {target}"


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.name)
def test_no_diary_language(page: Path) -> None:
    text = prose(page.read_text())
    assert not re.search(r"\b(this|first|second|last|previous) session\b", text, re.I)
    assert not re.search(r"\b20\d\d-\d\d-\d\d\b", text), "a date of development"
    assert not re.search(r"\(\s*[0-9a-f]{7,40}\s*\)", text), "a commit hash"
    assert not re.search(r"\bcommit [0-9a-f]{7,40}\b", text), "a commit hash"


def test_every_setting_is_documented() -> None:
    from casework.core.config import Settings

    guides = "".join(page.read_text() for page in (ROOT / "docs").glob("*.md"))
    missing = [
        f"CASEWORK_{name.upper()}"
        for name in Settings.model_fields
        if f"CASEWORK_{name.upper()}" not in guides
    ]
    assert missing == []
