"""A real SMTP server process for tests: aiosmtpd on a free loopback port, into a Maildir."""

from __future__ import annotations

import email
import email.policy
import mailbox
import socket
import subprocess
import sys
import time
from email.message import EmailMessage
from pathlib import Path

from tests.servers import free_port


class SmtpServer:
    def __init__(self, maildir: Path, port: int | None = None) -> None:
        self.maildir = maildir
        self.port = port or free_port()
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"smtp://127.0.0.1:{self.port}"

    def start(self) -> SmtpServer:
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "aiosmtpd",
                "-n",
                "-l",
                f"127.0.0.1:{self.port}",
                "-c",
                "aiosmtpd.handlers.Mailbox",
                str(self.maildir),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"aiosmtpd exited: {self.process.stderr!r}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.5):
                    return self
            except OSError:
                time.sleep(0.05)
        raise RuntimeError("aiosmtpd did not start listening")

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(timeout=10)
            self.process = None

    def messages(self) -> list[EmailMessage]:
        box = mailbox.Maildir(self.maildir, create=True)
        return [
            email.message_from_bytes(box.get_bytes(key), policy=email.policy.default)  # type: ignore[misc]
            for key in sorted(box.keys())
        ]

    def wait_for(self, count: int, timeout: float = 20) -> list[EmailMessage]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            received = self.messages()
            if len(received) >= count:
                return received
            time.sleep(0.1)
        return self.messages()
