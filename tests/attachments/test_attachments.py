"""Uploading, listing and downloading attachments: types, sizes, scope, audit, storage."""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Text, select, type_coerce
from sqlalchemy.orm import Session

from casework.attachments.models import Attachment
from casework.audit.models import AuditEntry
from casework.core.config import get_settings
from tests.factories import JPEG, PDF, PNG, WEBP, World, auth, make_attachment

API = "/api/v1/attachments"
SECRET = b"Aminata Traore, born 1991, Gao"


def upload(
    client: TestClient,
    world: World,
    user: str,
    content: bytes = PDF,
    filename: str = "form.pdf",
    declared: str = "application/pdf",
    **fields: str,
) -> object:
    if not fields:
        fields = {"kind": "identity_document", "person_id": str(world.persons["a"].id)}
    return client.post(
        API,
        data=fields,
        files={"file": (filename, content, declared)},
        headers=auth(world.user(user)),
    )


def store_dir() -> Path:
    settings = get_settings()
    return settings.attachment_dir or settings.data_dir / "attachments"


def blob_path(attachment_id: str, session: Session) -> Path:
    name = session.scalar(
        select(Attachment.blob_name).where(Attachment.id == uuid.UUID(attachment_id))
    )
    assert name is not None
    return store_dir() / name[:2] / name


@pytest.mark.parametrize(
    ("content", "media_type"),
    [(PDF, "application/pdf"), (JPEG, "image/jpeg"), (PNG, "image/png"), (WEBP, "image/webp")],
)
def test_upload_then_download_the_same_bytes(
    client: TestClient, world: World, session: Session, content: bytes, media_type: str
) -> None:
    body = content + SECRET
    response = upload(client, world, "caseworker_a", body, filename="scan")
    assert response.status_code == 201, response.text
    created = response.json()
    assert set(created) >= {
        "id",
        "kind",
        "filename",
        "media_type",
        "size",
        "sha256",
        "uploaded_by",
        "created_at",
    }
    assert created["media_type"] == media_type
    assert created["size"] == len(body)
    assert created["uploaded_by"] == str(world.user("caseworker_a").id)
    assert created["sha256"] == hashlib.sha256(body).hexdigest()

    got = client.get(f"{API}/{created['id']}/content", headers=auth(world.user("caseworker_a")))
    assert got.status_code == 200
    assert got.content == body
    assert got.headers["content-type"] == media_type
    assert got.headers["x-content-type-options"] == "nosniff"
    assert got.headers["content-disposition"].startswith("attachment;")

    # At rest: neither the content nor the name in the clear, in the store or the table.
    stored = blob_path(created["id"], session).read_bytes()
    assert SECRET not in stored
    assert content[:4] not in stored[5:]  # not even the magic bytes
    row = session.execute(
        select(
            type_coerce(Attachment.filename, Text).label("filename"),
            type_coerce(Attachment.sha256, Text).label("sha256"),
        ).where(Attachment.id == uuid.UUID(created["id"]))
    ).one()
    assert "scan" not in row.filename
    assert created["sha256"] not in row.sha256


def test_download_is_audited_as_a_sensitive_read(
    client: TestClient, world: World, session: Session
) -> None:
    attachment = world.attachments["a"]
    client.get(f"{API}/{attachment.id}/content", headers=auth(world.user("supervisor_a")))
    entries = session.scalars(
        select(AuditEntry).where(
            AuditEntry.record_type == "attachments",
            AuditEntry.record_id == str(attachment.id),
            AuditEntry.action == "read",
        )
    ).all()
    assert [e.detail for e in entries] == [{"content": True}]
    assert entries[0].username == "supervisor_a"


@pytest.mark.parametrize(
    ("content", "filename", "declared"),
    [
        (b"<html><script>alert(1)</script></html>", "form.pdf", "application/pdf"),
        (b"MZ\x90\x00\x03" + bytes(100), "photo.jpg", "image/jpeg"),
        (b"GIF89a" + bytes(40), "photo.png", "image/png"),
        (b"PK\x03\x04" + bytes(40), "form.docx", "application/pdf"),
        (b"RIFF\x24\x00\x00\x00WAVEfmt " + bytes(20), "a.webp", "image/webp"),
        (b"%PD", "tiny.pdf", "application/pdf"),
    ],
)
def test_the_type_is_judged_by_content_not_by_name_or_header(
    client: TestClient, world: World, content: bytes, filename: str, declared: str
) -> None:
    before = set(store_dir().rglob("*"))
    response = upload(client, world, "caseworker_a", content, filename, declared)
    assert response.status_code == 415, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert set(store_dir().rglob("*")) == before


def test_a_name_that_lies_gets_the_real_extension(client: TestClient, world: World) -> None:
    response = upload(client, world, "caseworker_a", JPEG, filename='../../etc/x\r\n"page.html')
    assert response.status_code == 201
    name = response.json()["filename"]
    assert name.endswith(".jpg")
    assert "/" not in name
    assert "\r" not in name
    assert '"' not in name
    got = client.get(
        f"{API}/{response.json()['id']}/content", headers=auth(world.user("caseworker_a"))
    )
    assert "\r" not in got.headers["content-disposition"]


def test_over_the_limit_is_413_and_leaves_nothing(
    client: TestClient, world: World, configure: object
) -> None:
    configure(attachment_max_bytes=4096)  # type: ignore[operator]
    before = set(store_dir().rglob("*"))
    response = upload(client, world, "caseworker_a", PDF + bytes(5000))
    assert response.status_code == 413
    assert response.headers["content-type"] == "application/problem+json"
    assert set(store_dir().rglob("*")) == before
    assert upload(client, world, "caseworker_a", PDF + bytes(4096 - len(PDF))).status_code == 201


def test_over_the_limit_while_streaming_without_content_length(
    client: TestClient, world: World, configure: object
) -> None:
    configure(attachment_max_bytes=4096)  # type: ignore[operator]
    boundary = "b0undary"
    person = str(world.persons["a"].id)

    def body() -> Iterator[bytes]:
        yield (
            f'--{boundary}\r\nContent-Disposition: form-data; name="kind"\r\n\r\nother\r\n'
            f'--{boundary}\r\nContent-Disposition: form-data; name="person_id"\r\n\r\n{person}\r\n'
            f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="a.pdf"\r\n'
            "\r\n"
        ).encode() + PDF
        for _ in range(100):  # 100 KiB, far over the limit, never announced
            yield bytes(1024)
        yield f"\r\n--{boundary}--\r\n".encode()

    response = client.post(
        API,
        content=body(),
        headers={
            **auth(world.user("caseworker_a")),
            "Content-Type": f"multipart/form-data; boundary={boundary}",
        },
    )
    assert response.status_code == 413


def test_a_declared_body_over_the_route_limit_is_refused_before_reading(
    client: TestClient, world: World, configure: object
) -> None:
    configure(attachment_max_bytes=4096)  # type: ignore[operator]
    from casework.main import create_app

    app = create_app(get_settings())
    with TestClient(app) as fresh:
        response = fresh.post(
            API,
            content=b"x",
            headers={
                **auth(world.user("caseworker_a")),
                "Content-Type": "multipart/form-data; boundary=x",
                "Content-Length": str(10 * 1024 * 1024),
            },
        )
    assert response.status_code == 413


@pytest.mark.parametrize(
    ("fields", "loc"),
    [
        ({"kind": "other"}, "body"),
        ({"kind": "other", "person_id": "P", "consent_id": "C"}, "body"),
        ({"kind": "selfie", "person_id": "P"}, "kind"),
        ({"kind": "other", "person_id": "not-a-uuid"}, "person_id"),
        ({"kind": "other", "person_id": "P", "owner": "x"}, "owner"),
    ],
)
def test_bad_fields_are_422(
    client: TestClient, world: World, fields: dict[str, str], loc: str
) -> None:
    ids = {"P": str(world.persons["a"].id), "C": str(world.consents["a"].id)}
    fields = {k: ids.get(v, v) for k, v in fields.items()}
    response = upload(client, world, "caseworker_a", **fields)
    assert response.status_code == 422, response.text
    assert loc in {str(part) for e in response.json()["errors"] for part in e["loc"]}


def test_missing_empty_or_not_multipart_is_422(client: TestClient, world: World) -> None:
    headers = auth(world.user("caseworker_a"))
    fields = {"kind": "other", "person_id": str(world.persons["a"].id)}
    assert client.post(API, data=fields, headers=headers).status_code == 422
    empty = client.post(API, data=fields, files={"file": ("a.pdf", b"")}, headers=headers)
    assert empty.status_code == 422
    assert client.post(API, json=fields, headers=headers).status_code == 422
    broken = client.post(
        API,
        content=b"--x\r\nnonsense",
        headers={**headers, "Content-Type": "multipart/form-data; boundary=x"},
    )
    assert broken.status_code == 422


def test_scope_follows_the_subject(client: TestClient, world: World, session: Session) -> None:
    person_a = make_attachment(
        session, world.user("caseworker_a"), person_id=str(world.persons["a"].id)
    )
    sgbv = make_attachment(
        session, world.user("gbv_a"), kind="medical", sgbv_case_id=str(world.cases["a"].id)
    )
    consent = make_attachment(
        session,
        world.user("caseworker_a"),
        kind="consent_form",
        consent_id=str(world.consents["a"].id),
    )
    repatriation = make_attachment(
        session,
        world.user("caseworker_a"),
        kind="repatriation_form",
        repatriation_file_id=str(world.files["a"].id),
    )
    person_b = make_attachment(
        session, world.user("caseworker_b"), person_id=str(world.persons["b"].id)
    )
    session.commit()
    everything = {person_a.id, sgbv.id, consent.id, repatriation.id, person_b.id}
    sees = {
        "caseworker_a": everything - {sgbv.id, person_b.id},  # no SGBV, not org B's
        "gbv_a": everything - {person_b.id},
        "caseworker_b": {person_b.id},
        "supervisor_a": everything - {person_b.id},  # Gao only; person b is in Mopti
        "supervisor_mopti": {person_b.id},
        "supervisor_all": everything,
    }
    for user, visible in sees.items():
        listed = client.get(f"{API}?limit=500", headers=auth(world.user(user))).json()["items"]
        assert {uuid.UUID(a["id"]) for a in listed} & everything == visible, user
        for attachment_id in everything:
            status = 200 if attachment_id in visible else 404
            meta = client.get(f"{API}/{attachment_id}", headers=auth(world.user(user)))
            content = client.get(f"{API}/{attachment_id}/content", headers=auth(world.user(user)))
            assert (meta.status_code, content.status_code) == (status, status), user


@pytest.mark.parametrize(
    ("user", "subject", "key"),
    [
        ("caseworker_b", "person_id", "a"),  # another organisation's person
        ("caseworker_a", "sgbv_case_id", "a"),  # SGBV cases are not theirs
        ("supervisor_mopti", "person_id", "a"),  # another region
        ("caseworker_b", "repatriation_file_id", "a"),
        ("caseworker_b", "consent_id", "a"),
    ],
)
def test_no_upload_to_a_subject_out_of_scope(
    client: TestClient, world: World, user: str, subject: str, key: str
) -> None:
    records = {
        "person_id": world.persons,
        "sgbv_case_id": world.cases,
        "repatriation_file_id": world.files,
        "consent_id": world.consents,
    }[subject]
    response = upload(client, world, user, kind="other", **{subject: str(records[key].id)})
    assert response.status_code == 422
    assert response.json()["errors"][0]["loc"] == ["body", subject]


def test_list_filters_by_subject_and_kind(client: TestClient, world: World) -> None:
    headers = auth(world.user("caseworker_a"))
    upload(client, world, "caseworker_a", kind="medical", person_id=str(world.persons["a"].id))
    upload(client, world, "caseworker_a", kind="other", person_id=str(world.persons["refugee"].id))
    mine = client.get(f"{API}?person_id={world.persons['a'].id}&kind=medical", headers=headers)
    assert [a["kind"] for a in mine.json()["items"]] == ["medical"]


def test_a_client_id_makes_the_upload_safe_to_retry(client: TestClient, world: World) -> None:
    fields = {"id": str(uuid.uuid4()), "kind": "other", "person_id": str(world.persons["a"].id)}
    first = upload(client, world, "caseworker_a", **fields)
    again = upload(client, world, "caseworker_a", **fields)
    other = upload(client, world, "caseworker_a", PNG, **fields)
    assert (first.status_code, again.status_code, other.status_code) == (201, 200, 409)
    assert again.json() == first.json()


def test_an_idempotency_key_replays_a_large_upload(
    client: TestClient, world: World, session: Session
) -> None:
    """Over 1 MiB, the middleware keeps the body sealed on disk, never whole in memory."""
    fields = {"kind": "other", "person_id": str(world.persons["a"].id)}
    big = PDF + SECRET + bytes(3 * 1024 * 1024)
    headers = {**auth(world.user("caseworker_a")), "Idempotency-Key": "upload-1"}

    def encode(content: bytes) -> tuple[bytes, str]:
        request = httpx.Request(
            "POST", "http://x", data=fields, files={"file": ("big.pdf", content, "application/pdf")}
        )
        return request.read(), request.headers["Content-Type"]

    def send(encoded: tuple[bytes, str]) -> httpx.Response:
        body, content_type = encoded
        return client.post(API, content=body, headers={**headers, "Content-Type": content_type})

    # A retry resends the same bytes (the same multipart boundary), as a client's retry does.
    request = encode(big)
    first, again, other = send(request), send(request), send(encode(big + b"!"))
    assert (first.status_code, again.status_code, other.status_code) == (201, 201, 422)
    assert again.headers["idempotency-replayed"] == "true"
    assert again.json() == first.json()
    count = session.scalars(
        select(Attachment).where(Attachment.person_id == world.persons["a"].id)
    ).all()
    assert [a.id for a in count].count(uuid.UUID(first.json()["id"])) == 1
    got = client.get(
        f"{API}/{first.json()['id']}/content", headers=auth(world.user("caseworker_a"))
    )
    assert got.content == big
