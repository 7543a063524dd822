"""CASEWORK_SMTP_URL and the links' base, as people write them."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from casework.core.config import Settings, SmtpServer, parse_smtp_url


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("smtp://127.0.0.1:2525", SmtpServer("127.0.0.1", 2525)),
        ("smtp://mail.example.org", SmtpServer("mail.example.org", 25)),
        ("smtps://mail.example.org", SmtpServer("mail.example.org", 465, tls=True)),
        (
            "smtp://casework%40ngo:p%40ss@mail.example.org:587?starttls=true",
            SmtpServer(
                "mail.example.org", 587, starttls=True, username="casework@ngo", password="p@ss"
            ),
        ),
    ],
)
def test_smtp_urls(url: str, expected: SmtpServer) -> None:
    assert parse_smtp_url(url) == expected


@pytest.mark.parametrize("url", ["http://mail.example.org", "smtp://", "smtp://host:99999"])
def test_bad_smtp_urls_are_refused_at_start(url: str) -> None:
    with pytest.raises(ValidationError):
        Settings(smtp_url=url)


def test_links_go_to_the_web_pages() -> None:
    assert Settings().web_base_url == "http://127.0.0.1:8000"
    assert Settings(public_url="https://cw.example.org/").web_base_url == "https://cw.example.org"
    assert Settings(smtp_url="").smtp_url is None
