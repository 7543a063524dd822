"""E-mails to people: French and English texts from the Babel catalog, and an SMTP sender.

An e-mail says what happened and links to the record's web page, never more:
no name, phone, narrative, note, title or survivor code ever goes into one
(``tests/notifications/test_email.py`` scans every message a real SMTP server
receives). The language is the user's, else the configured default.
"""

from __future__ import annotations

import smtplib
from collections.abc import Callable
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from string import Template
from typing import Any

from casework.core.config import Settings, SmtpServer, parse_smtp_url
from casework.reference.vocabularies import LABELS, TaskKind, Urgency

Mailer = Callable[[EmailMessage], None]


def _(message: str) -> str:
    """Marks a message for the web interface's Babel catalog (``casework.web.messages``
    collects this file too); ``render`` translates it into the reader's language."""
    return message


# event type -> (subject, body), in English; the French is in the catalog
# (``casework/web/translations/fr/LC_MESSAGES/messages.po``). Placeholders come from
# the outbox payload, which holds codes, dates and ids only.
TEMPLATES: dict[str, tuple[str, str]] = {
    "referral.sent": (
        _("[casework] New referral for $actor"),
        _(
            "Hello,\n\nA referral was sent to $actor (urgency: $urgency).\n"
            "Please acknowledge it by $due.\n\n"
            "Open the referral: $link\n\n"
            "-- \ncasework (automatic message, do not reply)\n"
        ),
    ),
    "referral.overdue": (
        _("[casework] Overdue referral ($actor)"),
        _(
            "Hello,\n\nA referral sent to $actor in your region was not acknowledged "
            "in time (due: $due).\n\n"
            "Open the referral: $link\n\n"
            "-- \ncasework (automatic message, do not reply)\n"
        ),
    ),
    "task.assigned": (
        _("[casework] A task was assigned to you"),
        _(
            "Hello,\n\nA task ($kind) was assigned to you. Due: $due.\n\n"
            "Open the task: $link\n\n"
            "-- \ncasework (automatic message, do not reply)\n"
        ),
    ),
    "transfer.received": (
        _("[casework] Case transfer received"),
        _(
            "Hello,\n\nAnother organisation asks to transfer a case to yours. "
            "It waits for your decision (accept or reject).\n\n"
            "Open the transfer: $link\n\n"
            "-- \ncasework (automatic message, do not reply)\n"
        ),
    ),
}

NO_DATE = _("none")
LANGUAGE_INDEX = {"en": 0, "fr": 1}


def _label(vocabulary: Any, code: str | None, language: str) -> str:
    if not code:
        return "-"
    labels = LABELS.get(vocabulary, {}).get(code)
    return labels[LANGUAGE_INDEX[language]] if labels else code


def render(
    event_type: str, payload: dict[str, Any], language: str, default_language: str
) -> tuple[str, str]:
    """Subject and body of an e-mail, in the user's language (else the default)."""
    language = language if language in LANGUAGE_INDEX else default_language
    # Imported here: the web package imports every domain, notifications among them.
    from casework.web.i18n import translations

    gettext = translations(language).gettext
    subject, body = (gettext(message) for message in TEMPLATES[event_type])
    values = {
        "actor": payload.get("actor") or "-",
        "urgency": _label(Urgency, payload.get("urgency"), language),
        "kind": _label(TaskKind, payload.get("kind"), language),
        "due": payload.get("due") or gettext(NO_DATE),
        "link": payload["link"],
    }
    return Template(subject).substitute(values), Template(body).substitute(values)


def build_message(
    *, sender: str, to: str, subject: str, body: str, event_type: str, event_id: str
) -> EmailMessage:
    message = EmailMessage()
    message["From"] = sender
    message["To"] = to
    message["Subject"] = subject
    message["Date"] = formatdate(localtime=False)
    message["Message-ID"] = make_msgid(domain=sender.rsplit("@", 1)[-1] or "casework")
    # Receivers (and people's filters) can tell events apart and de-duplicate.
    message["X-Casework-Event"] = event_type
    message["X-Casework-Delivery"] = event_id
    message.set_content(body)
    return message


def smtp_mailer(server: SmtpServer, timeout: float) -> Mailer:
    def send(message: EmailMessage) -> None:
        client: smtplib.SMTP = (
            smtplib.SMTP_SSL(server.host, server.port, timeout=timeout)
            if server.tls
            else smtplib.SMTP(server.host, server.port, timeout=timeout)
        )
        with client:
            if server.starttls:
                client.starttls()
            if server.username:
                client.login(server.username, server.password or "")
            client.send_message(message)

    return send


def mailer_from_settings(settings: Settings) -> Mailer | None:
    """The configured SMTP server's sender, or None when no server is configured."""
    if not settings.smtp_url:
        return None
    return smtp_mailer(parse_smtp_url(settings.smtp_url), settings.smtp_timeout_seconds)
