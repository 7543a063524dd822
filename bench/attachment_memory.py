"""Resident memory a 10 MiB attachment costs the real service, uploaded and downloaded.

Starts ``casework serve`` (uvicorn, one worker, SQLite and the local store in a
temporary directory) and warms it up with small uploads and downloads; then
resets the server process's peak resident set (``/proc/<pid>/clear_refs``,
Linux), uploads a 10 MiB file, and reads how far the peak (``VmHWM``) rose
above the resident set before the request. The download is measured the same
way in a freshly started server, so that it cannot reuse memory the upload left.
The client streams the file from disk and the download to disk, so the figures
are the server's alone.

    .venv/bin/python bench/attachment_memory.py [--mib 10] [--store local|s3]

Target: a few MiB, whatever the file size (the file is never whole in memory).
"""

from __future__ import annotations

import argparse
import hashlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

BIN = Path(sys.executable).parent
JPEG_MAGIC = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00"
PASSWORD = "bench-password-long-enough"  # noqa: S105 - a throw-away local user


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def kib(pid: int, field: str) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise KeyError(field)


def reset_peak(pid: int) -> None:
    Path(f"/proc/{pid}/clear_refs").write_text("5")


def measure(pid: int, action: object) -> tuple[float, float]:
    """(MiB the peak rose above the resident set before, seconds) for one request."""
    time.sleep(0.3)
    reset_peak(pid)
    before = kib(pid, "VmRSS")
    started = time.perf_counter()
    action()  # type: ignore[operator]
    elapsed = time.perf_counter() - started
    return (kib(pid, "VmHWM") - before) / 1024, elapsed


def start_s3(env: dict[str, str]) -> subprocess.Popen[bytes]:
    port = free_port()
    process = subprocess.Popen(
        [str(BIN / "moto_server"), "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    endpoint = f"http://127.0.0.1:{port}"
    for _ in range(100):
        try:
            httpx.get(endpoint, timeout=1)
            break
        except httpx.HTTPError:
            time.sleep(0.2)
    import boto3

    boto3.client(
        "s3",
        endpoint_url=endpoint,
        region_name="us-east-1",
        aws_access_key_id="bench",
        aws_secret_access_key="bench",  # noqa: S106 - a throw-away local server
    ).create_bucket(Bucket="bench")
    env.update(
        CASEWORK_ATTACHMENT_STORE="s3",
        CASEWORK_S3_ENDPOINT_URL=endpoint,
        CASEWORK_S3_BUCKET="bench",
        CASEWORK_S3_ACCESS_KEY_ID="bench",
        CASEWORK_S3_SECRET_ACCESS_KEY="bench",  # noqa: S106 - a throw-away local server
    )
    return process


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--mib", type=int, default=10, help="file size in MiB")
    parser.add_argument("--store", choices=["local", "s3"], default="local")
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="casework-bench-"))
    env = {
        **os.environ,
        "CASEWORK_ENV": "development",
        "CASEWORK_DATA_DIR": str(work),
        "CASEWORK_ATTACHMENT_MAX_BYTES": str(args.mib * 1024 * 1024),
    }
    env.pop("CASEWORK_DATABASE_URL", None)
    helpers: list[subprocess.Popen[bytes]] = []
    if args.store == "s3":
        helpers.append(start_s3(env))
    casework = str(BIN / "casework")
    subprocess.run([casework, "migrate"], env=env, check=True, capture_output=True)
    subprocess.run(
        [
            casework,
            "create-user",
            "--username",
            "bench.cw",
            "--role",
            "caseworker",
            "--organization",
            "BENCH",
        ],
        env=env,
        check=True,
        capture_output=True,
        input=PASSWORD.encode() + b"\n",
    )
    big = work / "scan.jpg"
    digest = hashlib.sha256()
    with big.open("wb") as handle:
        first = JPEG_MAGIC + os.urandom(1024 * 1024 - len(JPEG_MAGIC))
        handle.write(first)
        digest.update(first)
        for _ in range(args.mib - 1):
            block = os.urandom(1024 * 1024)
            handle.write(block)
            digest.update(block)
    small = work / "small.jpg"
    small.write_bytes(JPEG_MAGIC + os.urandom(100_000))
    try:
        with Server(casework, env) as server:
            person = server.client.post(
                "/persons", json={"full_name": "Bench Person", "sex": "female", "region": "ML07"}
            ).json()["id"]
            server.warm_up(small, person)
            resident = kib(server.pid, "VmRSS") / 1024
            result: dict[str, object] = {}
            up_mib, up_s = measure(server.pid, lambda: result.update(server.upload(big, person)))
            assert result["sha256"] == digest.hexdigest()
        downloaded = work / "downloaded.jpg"
        with Server(casework, env) as server:
            server.warm_up(small, person)
            down_mib, down_s = measure(
                server.pid, lambda: server.download(str(result["id"]), downloaded)
            )
        check = hashlib.sha256(downloaded.read_bytes()).hexdigest()
        assert check == digest.hexdigest(), "the download differs from the upload"
        print(f"store: {args.store}; server resident set after warm-up: {resident:.1f} MiB")
        print(f"upload   {args.mib} MiB: peak resident memory +{up_mib:.1f} MiB ({up_s:.2f} s)")
        print(f"download {args.mib} MiB: peak resident memory +{down_mib:.1f} MiB ({down_s:.2f} s)")
    finally:
        for helper in helpers:
            helper.terminate()
            helper.wait(timeout=10)
        shutil.rmtree(work, ignore_errors=True)


class Server:
    """``casework serve`` on a free loopback port, with a logged-in client."""

    def __init__(self, casework: str, env: dict[str, str]) -> None:
        port = free_port()
        self.process = subprocess.Popen(
            [casework, "serve", "--host", "127.0.0.1", "--port", str(port)],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        self.pid = self.process.pid
        self.base = f"http://127.0.0.1:{port}"
        self.client = httpx.Client(base_url=f"{self.base}/api/v1", timeout=120)

    def __enter__(self) -> Server:
        for _ in range(150):
            try:
                if httpx.get(f"{self.base}/ready", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.2)
        token = self.client.post(
            "/auth/token", data={"username": "bench.cw", "password": PASSWORD}
        ).json()["access_token"]
        self.client.headers["Authorization"] = f"Bearer {token}"
        return self

    def __exit__(self, *exc: object) -> None:
        self.client.close()
        self.process.send_signal(signal.SIGTERM)
        self.process.wait(timeout=20)

    def upload(self, path: Path, person: str) -> dict[str, object]:
        with path.open("rb") as handle:  # httpx streams the file part from disk
            response = self.client.post(
                "/attachments",
                data={"kind": "identity_document", "person_id": person},
                files={"file": (path.name, handle, "image/jpeg")},
            )
        response.raise_for_status()
        return dict(response.json())

    def download(self, attachment_id: str, target: Path) -> None:
        with (
            self.client.stream("GET", f"/attachments/{attachment_id}/content") as response,
            target.open("wb") as out,
        ):
            response.raise_for_status()
            for chunk in response.iter_bytes(64 * 1024):
                out.write(chunk)

    def warm_up(self, small: Path, person: str) -> None:
        """Imports, thread pool, connection pools: paid before measuring."""
        for _ in range(3):
            warm = self.upload(small, person)
            self.download(str(warm["id"]), small.with_suffix(".out"))


if __name__ == "__main__":
    main()
