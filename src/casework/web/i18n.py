"""Languages of the web interface: choice, message catalogs, dates and numbers.

Messages are written in English in the templates and the code (``_("...")``) and
translated from the Babel catalog ``translations/<lang>/LC_MESSAGES/messages.po``.
The catalog is compiled in memory when first used: no build step, no binary
``.mo`` file in the repository. ``tests/web/test_i18n.py`` fails when a message
has no French translation.
"""

from __future__ import annotations

import datetime as dt
import gettext
import io
from datetime import UTC, date, datetime
from enum import StrEnum
from functools import lru_cache
from importlib import resources

from babel import Locale, dates, numbers
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import Translations

from casework.reference.codesets import get_code_set
from casework.reference.vocabularies import LABELS

LANGUAGES = ("fr", "en")
LANGUAGE_NAMES = {"fr": "Français", "en": "English"}
# Mali keeps UTC all year: times are shown in UTC.
TIMEZONE = UTC


@lru_cache
def translations(language: str) -> gettext.NullTranslations:
    if language == "en":
        return gettext.NullTranslations()
    po = resources.files("casework.web") / "translations" / language / "LC_MESSAGES" / "messages.po"
    with po.open("rb") as source:
        catalog = read_po(source, locale=language)
    compiled = io.BytesIO()
    write_mo(compiled, catalog)
    compiled.seek(0)
    return Translations(fp=compiled)


def negotiate(query: str | None, cookie: str | None, accept: str | None, default: str) -> str:
    """``?lang=`` first, then the remembered choice, then the browser's, then the default."""
    for explicit in (query, cookie):
        if explicit in LANGUAGES:
            return explicit
    if accept:
        ranked: list[tuple[float, str]] = []
        for index, part in enumerate(accept.split(",")):
            tag, _, params = part.strip().partition(";")
            quality = 1.0
            if params.strip().startswith("q="):
                try:
                    quality = float(params.strip()[2:])
                except ValueError:
                    quality = 0.0
            ranked.append((-quality + index * 1e-6, tag.strip().lower()[:2]))
        for _, language in sorted(ranked):
            if language in LANGUAGES:
                return language
    return default


class Translator:
    """What a page needs to speak one language."""

    def __init__(self, language: str) -> None:
        self.language = language
        self.locale = Locale.parse(language)
        self._messages = translations(language)

    def gettext(self, message: str) -> str:
        return self._messages.gettext(message)

    def ngettext(self, singular: str, plural: str, n: int) -> str:
        return self._messages.ngettext(singular, plural, n)

    def label(self, vocabulary: type[StrEnum], code: str | None) -> str:
        if code is None:
            return ""
        labels = LABELS[vocabulary].get(str(code))
        if labels is None:
            return str(code)
        return labels[1] if self.language == "fr" else labels[0]

    def choices(self, vocabulary: type[StrEnum]) -> list[tuple[str, str]]:
        return [(code.value, self.label(vocabulary, code.value)) for code in vocabulary]

    def region(self, code_set: str, pcode: str | None) -> str:
        if not pcode:
            return ""
        unit = get_code_set(code_set).regions.get(pcode)
        if unit is None:
            return pcode
        return unit.name_fr if self.language == "fr" else unit.name_en

    def admin2(self, code_set: str, pcode: str | None) -> str:
        if not pcode:
            return ""
        unit = get_code_set(code_set).admin2.get(pcode)
        return unit.name if unit else pcode

    def date(self, value: date | datetime | None) -> str:
        if value is None:
            return ""
        if isinstance(value, datetime):
            value = value.date()
        return dates.format_date(value, format="medium", locale=self.locale)

    def datetime(self, value: datetime | None) -> str:
        if value is None:
            return ""
        return dates.format_datetime(value, format="medium", tzinfo=TIMEZONE, locale=self.locale)

    def month(self, value: dt.date) -> str:
        return dates.format_date(value, format="LLLL y", locale=self.locale)

    def number(self, value: int | float | None) -> str:
        if value is None:
            return ""
        return numbers.format_decimal(value, locale=self.locale)
