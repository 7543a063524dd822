"""The catalog's source: every message of the web interface, found in its code and templates.

``python -m casework.web.messages`` rewrites ``translations/fr/LC_MESSAGES/messages.po``
with every message, keeping the translations already there (new ones are left empty
for a translator); ``tests/web/test_i18n.py`` fails while one is empty.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from datetime import date
from importlib import resources
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import extract
from babel.messages.pofile import read_po, write_po
from jinja2.ext import babel_extract

from casework.sgbv import gbvims

PACKAGE = Path(str(resources.files("casework.web")))
KEYWORDS = {"_": None, "gettext": None, "ngettext": (1, 2)}


# Outside the web package, messages of the same catalog: the notification e-mails.
OTHER_SOURCES = (Path(str(resources.files("casework.notifications"))) / "email.py",)


# Texts of the domain shown as they are, translated on the page: the GBVIMS classification
# tool's questions and its reporting-delay bands.
GBVIMS_TEXTS = (
    *(text for _name, _type, text in gbvims.QUESTIONS),
    *(band for _limit, band in gbvims.DELAY_BANDS),
    gbvims.reporting_delay(date(2000, 1, 1), date(2001, 1, 1))[1],  # type: ignore[index]
)


def _found() -> Iterator[tuple[str, str, int]]:
    for number, text in enumerate(GBVIMS_TEXTS, start=1):
        yield text, "../sgbv/gbvims.py", number
    for path in [*sorted(PACKAGE.glob("*.py")), *OTHER_SOURCES]:
        with path.open("rb") as source:
            for line, message, _comments, _context in extract("python", source, keywords=KEYWORDS):
                yield message if isinstance(message, str) else message[0], path.name, line
    for path in sorted((PACKAGE / "templates").glob("*.html")):
        with path.open("rb") as source:
            for line, message, _comments, _context in extract(
                babel_extract,  # type: ignore[arg-type]
                source,
                keywords=KEYWORDS,
                options={"extensions": "jinja2.ext.i18n", "trimmed": "false"},
            ):
                yield (
                    message if isinstance(message, str) else message[0],
                    "templates/" + path.name,
                    line,
                )


def messages() -> dict[str, list[tuple[str, int]]]:
    """Every message id with where it is used."""
    found: dict[str, list[tuple[str, int]]] = {}
    for message, where, line in _found():
        if message:
            found.setdefault(message, []).append((where, line))
    return found


def po_path(language: str) -> Path:
    return PACKAGE / "translations" / language / "LC_MESSAGES" / "messages.po"


def update(language: str = "fr") -> list[str]:
    """Rewrite a language's catalog with every message; returns those left untranslated."""
    path = po_path(language)
    old: dict[str, str] = {}
    if path.exists():
        with path.open("rb") as source:
            for entry in read_po(source, locale=language):
                if entry.id and isinstance(entry.id, str) and isinstance(entry.string, str):
                    old[entry.id] = entry.string
    catalog = Catalog(locale=language, project="casework", fuzzy=False)
    for message, places in sorted(messages().items()):
        catalog.add(message, old.get(message, ""), locations=places)
    buffer = io.BytesIO()
    write_po(buffer, catalog, width=100, omit_header=False, sort_output=True)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(buffer.getvalue())
    return [m for m in messages() if not old.get(m)]


if __name__ == "__main__":
    missing = update()
    print(f"{len(messages())} messages, {len(missing)} without a French translation")
