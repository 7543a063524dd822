"""`casework kobo pull` against a local fake Kobo server (recorded pages, no network)."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from sqlalchemy import create_engine, select, text
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from casework.auth.models import Organization, User
from casework.cli import app
from casework.core.config import get_settings
from casework.core.db import session_factory
from casework.integrations import kobo
from tests.integrations.test_kobo_push import MAPPING, submission

ASSET = "aQw3RzT8kLm2nP5sV7xY9b"
TOKEN = "kobo-api-token-0123456789"
runner = CliRunner()


class FakeKobo:
    """Serves /api/v2/assets/<uid>/data/ in the v2 envelope, paged by start/limit."""

    def __init__(self, results: list[dict[str, Any]], fail_once_at: int | None = None) -> None:
        self.results, self.fail_once_at, self.requests = results, fail_once_at, []
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                url = urlsplit(self.path)
                query = {k: v[0] for k, v in parse_qs(url.query).items()}
                fake.requests.append(query)
                if self.headers.get("Authorization") != f"Token {TOKEN}":
                    return self._send(401, {"detail": "Invalid token."})
                if url.path != f"/api/v2/assets/{ASSET}/data/":
                    return self._send(404, {"detail": "Not found."})
                start, limit = int(query.get("start", 0)), int(query.get("limit", 100))
                if fake.fail_once_at == start:
                    fake.fail_once_at = None
                    return self._send(502, {"detail": "Bad gateway"})
                page = fake.results[start : start + limit]
                more = start + limit < len(fake.results)
                base = f"http://127.0.0.1:{fake.port}{url.path}?format=json&limit={limit}"
                return self._send(
                    200,
                    {
                        "count": len(fake.results),
                        "next": f"{base}&start={start + limit}" if more else None,
                        "previous": f"{base}&start={max(0, start - limit)}" if start else None,
                        "results": page,
                    },
                )

            def _send(self, status: int, body: dict[str, Any]) -> None:
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_port
        self.url = f"http://127.0.0.1:{self.port}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


@pytest.fixture
def database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    url = f"sqlite:///{tmp_path / 'pull.db'}"
    monkeypatch.setenv("CASEWORK_DATABASE_URL", url)
    monkeypatch.setenv("CASEWORK_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("KOBO_TOKEN", TOKEN)
    get_settings.cache_clear()
    assert runner.invoke(app, ["migrate"]).exit_code == 0
    assert runner.invoke(app, ["demo"]).exit_code == 0
    with session_factory()() as session:
        monitor = session.scalar(select(User).where(User.username == "monitor.gao"))
        org = session.scalar(select(Organization).where(Organization.code == "SPP"))
        assert monitor is not None
        assert org is not None
        mapping = {**MAPPING, "users": {"kobo_gao_1": "monitor.gao"}}
        kobo.create_form(session, ASSET, "Protection monitoring", org.id, monitor, mapping)
        session.commit()
    return url


def count(url: str, sql: str) -> int:
    engine = create_engine(url)
    with Session(engine) as session:
        value = session.execute(text(sql)).scalar_one()
    engine.dispose()
    return int(value)


def records() -> list[dict[str, Any]]:
    found = [submission(n) for n in range(1, 24)]
    found[16]["incident/type"] = "inconnu_x"  # one the mapping cannot place
    return found


def pull(server: FakeKobo) -> Any:
    return runner.invoke(
        app,
        [
            "kobo",
            "pull",
            "--server",
            server.url,
            "--asset",
            ASSET,
            "--token-env",
            "KOBO_TOKEN",
            "--page-size",
            "10",
        ],
    )


def test_interrupted_pull_resumes_and_counts_are_exact(database: str) -> None:
    server = FakeKobo(records(), fail_once_at=10)
    before = count(database, "SELECT count(*) FROM incidents")

    first = pull(server)
    assert first.exit_code == 1
    assert "run again to resume" in first.output
    assert count(database, "SELECT count(*) FROM kobo_submissions") == 10

    second = pull(server)
    assert second.exit_code == 0, second.output
    assert [int(q["start"]) for q in server.requests] == [0, 10, 10, 20]
    assert count(database, "SELECT count(*) FROM kobo_submissions") == 23
    assert count(database, "SELECT count(*) FROM incidents") == before + 22
    assert count(database, "SELECT count(*) FROM kobo_submissions WHERE state = 'quarantined'") == 1

    third = pull(server)
    assert third.exit_code == 0
    assert "nothing new" in third.output
    assert count(database, "SELECT count(*) FROM incidents") == before + 22


def test_pull_after_push_does_not_duplicate(database: str) -> None:
    server = FakeKobo(records()[:5])
    assert pull(server).exit_code == 0
    before = count(database, "SELECT count(*) FROM incidents")
    again = FakeKobo(records()[:5])  # the same submissions, from a fresh server
    with session_factory()() as session:
        session.execute(text("DELETE FROM kobo_pull_state"))  # as if pulling from scratch
        session.commit()
    result = pull(again)
    assert "already there" in result.output
    assert count(database, "SELECT count(*) FROM incidents") == before


def test_wrong_token_stops_cleanly(database: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KOBO_TOKEN", "wrong")
    result = pull(FakeKobo(records()))
    assert result.exit_code == 1
    assert count(database, "SELECT count(*) FROM kobo_submissions") == 0
