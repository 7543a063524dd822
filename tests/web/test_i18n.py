"""Every message of the web interface has a French translation in the Babel catalog."""

from __future__ import annotations

import re

from babel.messages.pofile import read_po

from casework.web.i18n import Translator
from casework.web.messages import messages, po_path


def test_every_message_has_a_french_translation() -> None:
    with po_path("fr").open("rb") as source:
        catalog = read_po(source, locale="fr")
    translated = {
        entry.id: entry.string for entry in catalog if entry.id and entry.string and not entry.fuzzy
    }
    found = messages()
    assert len(found) > 200
    missing = {m: where for m, where in found.items() if not translated.get(m)}
    assert not missing, f"messages without a French translation: {missing}"


def test_placeholders_survive_translation() -> None:
    french = Translator("fr")
    for message in messages():
        if "%(" in message:
            names = {part.split(")")[0] for part in message.split("%(")[1:]}
            translated = french.gettext(message)
            assert {part.split(")")[0] for part in translated.split("%(")[1:]} == names, message


def test_email_placeholders_survive_translation() -> None:
    french = Translator("fr")
    for message in messages():
        if "$" in message:
            names = set(re.findall(r"\$(\w+)", message))
            assert set(re.findall(r"\$(\w+)", french.gettext(message))) == names, message


def test_the_compiled_catalog_is_used() -> None:
    assert Translator("fr").gettext("Sign in") == "Se connecter"
    assert Translator("en").gettext("Sign in") == "Sign in"
