"""Attachments on a real S3 API server process (moto in server mode), and key rotation.

The S3 server is a separate process on a free loopback port, spoken to over
HTTP by boto3 exactly as a MinIO or AWS endpoint would be: no mock object.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import boto3
import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, select
from typer.testing import CliRunner

from casework.attachments import storage
from casework.attachments.models import Attachment
from casework.cli import app
from casework.core import blobcrypto
from casework.core.config import get_settings
from casework.core.crypto import new_key_spec
from tests.factories import PDF, World, auth
from tests.servers import free_port

MOTO = str(Path(sys.executable).parent / "moto_server")
SECRET = b"Signed by Fatoumata Maiga, Menaka"


@pytest.fixture(scope="session")
def s3_endpoint() -> Iterator[str]:
    port = free_port()
    process = subprocess.Popen(
        [MOTO, "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env={**os.environ, "MOTO_ALLOW_NONEXISTENT_REGION": "true"},
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while True:
        try:
            httpx.get(url, timeout=1)
            break
        except httpx.HTTPError:
            if time.monotonic() > deadline or process.poll() is not None:
                process.kill()
                pytest.fail("the S3 server (moto_server) did not start")
            time.sleep(0.2)
    yield url
    process.terminate()
    process.wait(timeout=10)


@pytest.fixture
def bucket(s3_endpoint: str, configure: object) -> str:
    name = f"casework-{uuid.uuid4().hex[:12]}"
    client = boto3.client(
        "s3",
        endpoint_url=s3_endpoint,
        region_name="us-east-1",
        aws_access_key_id="test-access",
        aws_secret_access_key="test-secret",
    )
    client.create_bucket(Bucket=name)
    configure(  # type: ignore[operator]
        attachment_store="s3",
        s3_endpoint_url=s3_endpoint,
        s3_bucket=name,
        s3_access_key_id="test-access",
        s3_secret_access_key="test-secret",
    )
    return name


def raw_objects(endpoint: str, bucket: str) -> dict[str, bytes]:
    client = boto3.client(
        "s3",
        endpoint_url=endpoint,
        region_name="us-east-1",
        aws_access_key_id="test-access",
        aws_secret_access_key="test-secret",
    )
    listed = client.list_objects_v2(Bucket=bucket).get("Contents", [])
    return {o["Key"]: client.get_object(Bucket=bucket, Key=o["Key"])["Body"].read() for o in listed}


def test_upload_and_download_through_a_real_s3_server(
    client: TestClient, world: World, s3_endpoint: str, bucket: str
) -> None:
    headers = auth(world.user("caseworker_a"))
    body = PDF + SECRET + bytes(200_000)  # several chunks
    response = client.post(
        "/api/v1/attachments",
        data={"kind": "consent_form", "consent_id": str(world.consents["a"].id)},
        files={"file": ("consent.pdf", body, "application/pdf")},
        headers=headers,
    )
    assert response.status_code == 201, response.text
    objects = raw_objects(s3_endpoint, bucket)
    assert len(objects) == 1
    [(key, stored)] = objects.items()
    assert key.startswith("attachments/")
    assert SECRET not in stored
    assert b"%PDF" not in stored
    assert blobcrypto.key_id_of(stored) == "t1"
    got = client.get(f"/api/v1/attachments/{response.json()['id']}/content", headers=headers)
    assert got.status_code == 200
    assert got.content == body


def test_a_refused_upload_leaves_no_object(
    client: TestClient, world: World, s3_endpoint: str, bucket: str
) -> None:
    response = client.post(
        "/api/v1/attachments",
        data={"kind": "other", "person_id": str(world.persons["b"].id)},  # out of scope
        files={"file": ("a.pdf", PDF, "application/pdf")},
        headers=auth(world.user("caseworker_a")),
    )
    assert response.status_code == 422
    assert raw_objects(s3_endpoint, bucket) == {}


@pytest.mark.parametrize("store", ["local", "s3"])
def test_rotate_key_re_seals_every_attachment(
    store: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, s3_endpoint: str
) -> None:
    """migrate + demo (repatriation forms attached), then rotate-key as an operator would."""
    runner = CliRunner()
    url = f"sqlite:///{tmp_path / 'rotate.db'}"
    old, new = new_key_spec("old1"), new_key_spec("new2")
    monkeypatch.setenv("CASEWORK_DATABASE_URL", url)
    monkeypatch.setenv("CASEWORK_ENCRYPTION_KEYS", old)
    monkeypatch.setenv("CASEWORK_ATTACHMENT_DIR", str(tmp_path / "files"))
    if store == "s3":
        bucket = f"rotate-{uuid.uuid4().hex[:12]}"
        boto3.client(
            "s3",
            endpoint_url=s3_endpoint,
            region_name="us-east-1",
            aws_access_key_id="test-access",
            aws_secret_access_key="test-secret",
        ).create_bucket(Bucket=bucket)
        for name, value in {
            "ATTACHMENT_STORE": "s3",
            "S3_ENDPOINT_URL": s3_endpoint,
            "S3_BUCKET": bucket,
            "S3_ACCESS_KEY_ID": "test-access",
            "S3_SECRET_ACCESS_KEY": "test-secret",
        }.items():
            monkeypatch.setenv(f"CASEWORK_{name}", value)
    get_settings.cache_clear()
    assert runner.invoke(app, ["migrate"]).exit_code == 0
    assert runner.invoke(app, ["demo"]).exit_code == 0
    engine = create_engine(url)

    def blobs() -> dict[uuid.UUID, tuple[str, str]]:
        with engine.connect() as connection:
            return {
                row.id: (row.blob_name, row.key_id)
                for row in connection.execute(
                    select(Attachment.id, Attachment.blob_name, Attachment.key_id)
                )
            }

    blob_store = storage.store_for(get_settings())
    before = blobs()
    assert len(before) >= 2  # the demo's documents_ready households have their forms
    for name, key_id in before.values():
        assert key_id == "old1"
        assert blobcrypto.key_id_of(next(blob_store.read(name))) == "old1"
    plaintexts = {
        attachment_id: b"".join(
            blobcrypto.decrypt(get_settings().keyring(), name, blob_store.read(name))
        )
        for attachment_id, (name, _) in before.items()
    }

    monkeypatch.setenv("CASEWORK_ENCRYPTION_KEYS", f"{new},{old}")
    monkeypatch.setenv("CASEWORK_ENCRYPTION_ACTIVE_KEY", "new2")
    get_settings.cache_clear()
    result = runner.invoke(app, ["rotate-key"])
    assert result.exit_code == 0, result.output
    assert f"attachments: {len(before)} re-encrypted" in result.output

    # The old key can go: every file still opens, under the new key only, the same bytes.
    monkeypatch.setenv("CASEWORK_ENCRYPTION_KEYS", new)
    get_settings.cache_clear()
    after = blobs()
    for attachment_id, (name, key_id) in after.items():
        assert key_id == "new2"
        assert name != before[attachment_id][0]
        assert not blob_store.exists(before[attachment_id][0])
        opened = b"".join(blobcrypto.decrypt(get_settings().keyring(), name, blob_store.read(name)))
        assert opened == plaintexts[attachment_id]
    again = runner.invoke(app, ["rotate-key"])
    assert "attachments: 0 re-encrypted" in again.output
    engine.dispose()


def test_storage_failures_are_503_not_500(
    client: TestClient, world: World, s3_endpoint: str, bucket: str, configure: object
) -> None:
    headers = auth(world.user("caseworker_a"))
    stored = client.post(
        "/api/v1/attachments",
        data={"kind": "other", "person_id": str(world.persons["a"].id)},
        files={"file": ("a.pdf", PDF, "application/pdf")},
        headers=headers,
    )
    assert stored.status_code == 201
    for key in raw_objects(s3_endpoint, bucket):  # the object vanished from the bucket
        boto3.client(
            "s3",
            endpoint_url=s3_endpoint,
            region_name="us-east-1",
            aws_access_key_id="test-access",
            aws_secret_access_key="test-secret",
        ).delete_object(Bucket=bucket, Key=key)
    lost = client.get(f"/api/v1/attachments/{stored.json()['id']}/content", headers=headers)
    assert lost.status_code == 503
    configure(s3_bucket="no-such-bucket")  # type: ignore[operator]
    refused = client.post(
        "/api/v1/attachments",
        data={"kind": "other", "person_id": str(world.persons["a"].id)},
        files={"file": ("a.pdf", PDF, "application/pdf")},
        headers=headers,
    )
    assert refused.status_code == 503
    assert refused.headers["content-type"] == "application/problem+json"
